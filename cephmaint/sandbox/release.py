"""Which Ceph release a sandbox's daemons run: the host's packages, or a cached chroot.

Debian carries one Ceph release per suite (bookworm: 16 Pacific, trixie: 18 Reef). A
release the host does not have runs from a chroot of the suite that has it, built once by
`build-chroot.sh` into a cache folder. Each daemon then starts in a mount namespace of its
own (`unshare --mount`): the host's /proc and /dev and the sandbox's root are bound into the
chroot for that process only, so nothing stays mounted once it ends, however it ends, and
no `sandbox down` has mounts to undo. The tools, the workers and the tests stay on the
host; the host's client talks to the chroot's daemons over loopback.
"""

from __future__ import annotations

import argparse
import fcntl
import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from ceph_tasks.ceph.models.versions import DaemonVersion, Release
from ceph_tasks.settings import DEFAULT_SANDBOX_CACHE
from cephmaint.errors import SandboxError

#: The releases a sandbox can run, by the Debian suite that carries each.
SUITES = {Release.PACIFIC: "bookworm", Release.REEF: "trixie"}
#: The file written last by the build: a chroot without it is incomplete.
COMPLETE = ".cephmaint-complete"
#: Runs inside the daemon's own mount namespace: binds, then becomes the daemon (exec keeps
#: the pid, so the pid file names the daemon). Paths arrive as arguments, never as code.
_LAUNCH = ('c=$1; r=$2; shift 2; mount --rbind /proc "$c/proc" && mount --rbind /dev "$c/dev"'
           ' && mkdir -p "$c$r" && mount --bind "$r" "$c$r" && exec chroot "$c" "$@"')
_BUILD = Path(__file__).with_name("build-chroot.sh")


def host_release() -> Release:
    """The release of the host's own Ceph packages (`ceph-osd --version`)."""
    try:
        out = subprocess.run(["ceph-osd", "--version"], capture_output=True, text=True,
                             timeout=30, check=True).stdout
    except (OSError, subprocess.SubprocessError) as e:
        raise SandboxError(f"cannot tell the host's Ceph release: {e}") from e
    return release_of(out)


def release_of(version: str) -> Release:
    """The release a `ceph --version` line names ("ceph version 18.2.7 (...) reef (stable)")."""
    try:
        release = DaemonVersion.parse(version, 1).release
    except ValueError as e:
        raise SandboxError(f"cannot tell the Ceph release: {e}") from e
    if release not in SUITES:
        raise SandboxError(f"Ceph {release} ({version.strip()!r}) is not one the sandbox runs: "
                           f"{', '.join(map(str, SUITES))}")
    return release


def named(codename: str) -> Release:
    """The release the sandbox runs called codename ("reef"); SandboxError naming the others."""
    for release in SUITES:
        if release.codename == codename:
            return release
    raise SandboxError(f"the sandbox runs no Ceph release {codename!r}: "
                       f"{', '.join(map(str, SUITES))}")


def chroot_dir(cache: Path, release: Release) -> Path:
    """Where the chroot of a release is kept."""
    return cache / f"chroot-{release.codename}"


def complete(chroot: Path) -> bool:
    """Whether the chroot's build finished."""
    return (chroot / COMPLETE).is_file()


def ensure_chroot(cache: Path, release: Release, timeout: float = 900) -> Path:
    """The chroot of a release, built first when missing or incomplete (one build at a time:
    a second caller waits for the first's)."""
    chroot = chroot_dir(cache, release)
    if complete(chroot):
        return chroot
    if os.geteuid() != 0:
        raise SandboxError(f"the {release.codename} chroot at {chroot} is missing; building it "
                           "needs root (debootstrap and chroot)")
    cache.mkdir(parents=True, exist_ok=True)
    with open(cache / f"chroot-{release.codename}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if complete(chroot):
            return chroot
        try:
            done = subprocess.run(["bash", str(_BUILD), SUITES[release], str(chroot)],
                                  capture_output=True, text=True, timeout=timeout, check=False)
        except subprocess.TimeoutExpired as e:
            raise SandboxError(f"building the {release.codename} chroot took over "
                               f"{timeout:.0f} s") from e
        if done.returncode != 0 or not complete(chroot):
            raise SandboxError(f"building the {release.codename} chroot at {chroot} failed:\n"
                               + (done.stderr.strip() or done.stdout.strip())[-2000:])
    return chroot


def in_chroot(chroot: str | None, root: Path, argv: Sequence[str]) -> list[str]:
    """argv as run for a sandbox whose daemons live in chroot (unchanged without one)."""
    if chroot is None:
        return list(argv)
    return ["unshare", "--mount", "--propagation", "private", "--", "sh", "-c", _LAUNCH,
            "cephmaint-chroot", chroot, str(root), *argv]


def forget(chroot: str, root: Path) -> None:
    """Remove the empty folders a sandbox's binds made inside the chroot (root's path there),
    up to the chroot's own top folder (its /tmp stays)."""
    top = Path(chroot) / root.parts[1]
    folder = Path(chroot + str(root))
    while folder != top and top in folder.parents:
        try:
            folder.rmdir()
        except OSError:
            return  # not empty: another sandbox's, or a daemon still bound there
        folder = folder.parent


def main(argv: Sequence[str] | None = None) -> int:
    """Build a release's chroot into the cache unless it is there (CI starts it early)."""
    parser = argparse.ArgumentParser(prog="python -m cephmaint.sandbox.release",
                                     description=main.__doc__)
    parser.add_argument("release", choices=[r.codename for r in SUITES])
    parser.add_argument("--cache", type=Path, default=DEFAULT_SANDBOX_CACHE)
    args = parser.parse_args(argv)
    release = named(args.release)
    if release == host_release():
        print(f"{release.codename} is the host's own release: no chroot needed")
        return 0
    try:
        print(ensure_chroot(args.cache, release))
    except SandboxError as e:
        print(e, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
