"""A real Alertmanager for the monitoring integration tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.support.alertmanager import private_alertmanager


@pytest.fixture(scope="session")
def alertmanager_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Debian's prometheus-alertmanager on a free loopback port, for the whole session."""
    with private_alertmanager(Path(tmp_path_factory.mktemp("alertmanager"))) as url:
        yield url


@pytest.fixture
def clean_alertmanager(alertmanager_url: str) -> str:
    """The shared Alertmanager with every live silence expired, so each test starts empty."""
    for silence in requests.get(f"{alertmanager_url}/api/v2/silences", timeout=5).json():
        if silence["status"]["state"] != "expired":
            requests.delete(f"{alertmanager_url}/api/v2/silence/{silence['id']}", timeout=5)
    return alertmanager_url
