"""Fixtures for integration tests: the real Ceph sandbox, built on the same code as the CLI."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from cephmaint.sandbox.sandbox import Sandbox


@pytest.fixture(scope="session")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    """One sandbox (mon, mgr, 6 OSDs on node0-2, spare spare-3.dc1) for the whole session."""
    box = Sandbox(tmp_path_factory.mktemp("sandboxes") / "itest")
    try:
        box.up(timeout=180)
        yield box
    finally:
        box.down()
