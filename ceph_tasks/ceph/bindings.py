"""Lazy access to the Ceph Python bindings, which come from Debian, not from PyPI."""

from __future__ import annotations

import importlib
import sys
from types import ModuleType

from ceph_tasks.errors import CephBindingsMissing

#: Debian's python3-rados installs here; another CPython 3.11 can import it from there.
DEBIAN_DIST_PACKAGES = "/usr/lib/python3/dist-packages"


def load_rados() -> ModuleType:
    """Import the librados bindings, or raise naming the Debian package that provides them."""
    try:
        return importlib.import_module("rados")
    except ImportError as first:
        if DEBIAN_DIST_PACKAGES in sys.path:
            raise CephBindingsMissing(
                "the Ceph Python bindings are missing: install Debian's 'python3-rados' "
                "(apt-get install python3-rados ceph-common)"
            ) from first
    # A virtualenv built on a non-Debian CPython 3.11 lacks Debian's folder on its path;
    # appending it last keeps every package of the venv ahead of Debian's copies.
    sys.path.append(DEBIAN_DIST_PACKAGES)
    try:
        return importlib.import_module("rados")
    except ImportError as e:
        raise CephBindingsMissing(
            "the Ceph Python bindings are missing: install Debian's 'python3-rados' "
            f"(apt-get install python3-rados ceph-common); import said: {e}"
        ) from e
