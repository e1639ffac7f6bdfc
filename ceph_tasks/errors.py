"""The exception tree of ceph_tasks."""

from __future__ import annotations


class CephTaskError(Exception):
    """Root of every error raised by ceph_tasks."""


class CephBindingsMissing(CephTaskError):
    """The librados Python bindings cannot be imported."""
