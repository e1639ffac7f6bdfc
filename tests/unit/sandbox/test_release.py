"""Which release a sandbox runs, and how a daemon of a chrooted release is started."""

from __future__ import annotations

from pathlib import Path

import pytest

from ceph_tasks.ceph.models.versions import Release
from cephmaint.errors import SandboxError
from cephmaint.sandbox.layout import make_layout
from cephmaint.sandbox.release import forget, in_chroot, named, release_of


def test_the_release_is_read_from_the_version_line_of_either_release() -> None:
    assert release_of("ceph version 16.2.15 (618f4402) pacific (stable)\n") is Release.PACIFIC
    assert release_of("ceph version 18.2.7 (6b0e9880) reef (stable)") is Release.REEF


def test_a_release_the_sandbox_does_not_run_is_refused_by_name() -> None:
    with pytest.raises(SandboxError, match=r"squid .*not one the sandbox runs: pacific, reef"):
        release_of("ceph version 19.2.1 (58a7fab8) squid (stable)")
    with pytest.raises(SandboxError, match="no Ceph release 'squid': pacific, reef"):
        named("squid")
    assert named("reef") is Release.REEF


def test_the_host_release_runs_its_command_unchanged() -> None:
    assert in_chroot(None, Path("/tmp/s"), ["ceph-osd", "-i", "3"]) == ["ceph-osd", "-i", "3"]


def test_a_chrooted_daemon_is_the_same_process_in_a_private_mount_namespace() -> None:
    argv = in_chroot("/var/cache/c", Path("/tmp/s b"), ["ceph-osd", "-i", "3"])
    assert argv[:5] == ["unshare", "--mount", "--propagation", "private", "--"]
    script = argv[7]
    # Paths travel as arguments, never inside the script: a space or a quote stays data.
    assert "/tmp/s b" not in script and "/var/cache/c" not in script
    assert argv[8:] == ["cephmaint-chroot", "/var/cache/c", "/tmp/s b", "ceph-osd", "-i", "3"]
    assert script.rstrip().endswith('exec chroot "$c" "$@"')


def test_the_layout_remembers_its_release_and_runs_its_daemons_through_it() -> None:
    layout = make_layout("s", Path("/tmp/s"), "f" * 36, "127.1.1", "redis://x", True, "py",
                         release="reef", chroot="/var/cache/c")
    again = type(layout).from_json(layout.to_json())
    assert (again.release, again.chroot) == ("reef", "/var/cache/c")
    assert again.daemon_argv(["ceph-mon"])[-1] == "ceph-mon"
    assert again.daemon_argv(["ceph-mon"])[0] == "unshare"


def test_down_forgets_the_sandboxs_empty_folders_in_the_chroot_but_not_its_tmp(
        tmp_path: Path) -> None:
    chroot = tmp_path / "chroot"
    (chroot / "tmp" / "boxes" / "a").mkdir(parents=True)
    (chroot / "tmp" / "boxes" / "b").mkdir()
    forget(str(chroot), Path("/tmp/boxes/a"))
    assert sorted(p.name for p in (chroot / "tmp" / "boxes").iterdir()) == ["b"]
    forget(str(chroot), Path("/tmp/boxes/b"))
    assert (chroot / "tmp").is_dir() and not (chroot / "tmp" / "boxes").exists()
