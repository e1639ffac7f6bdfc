"""Talking to Ceph clusters: a raw client protocol, librados and CLI clients, typed reads."""

from ceph_tasks.ceph.cli_client import CliClient, cli_failure, cli_words
from ceph_tasks.ceph.client import CephClient
from ceph_tasks.ceph.command import CephCommand, command_error, parse_output, result_of
from ceph_tasks.ceph.facade import Ceph
from ceph_tasks.ceph.rados_client import RadosClient
from ceph_tasks.ceph.runner import CommandRunner, LocalRunner
from ceph_tasks.ceph.signatures import CommandSignatures

__all__ = [
    "Ceph",
    "CephClient",
    "CephCommand",
    "CliClient",
    "CommandRunner",
    "CommandSignatures",
    "LocalRunner",
    "RadosClient",
    "cli_failure",
    "cli_words",
    "command_error",
    "parse_output",
    "result_of",
]
