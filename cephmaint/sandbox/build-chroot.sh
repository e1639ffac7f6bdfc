#!/usr/bin/env bash
# Build a chroot holding the Ceph daemons of a Debian suite, for `cephmaint sandbox up
# --release` (cephmaint/sandbox/release.py: SUITES says which suite carries which release):
#   bash cephmaint/sandbox/build-chroot.sh trixie DIR
# A minimal suite made with debootstrap, then the daemons' packages inside it, no
# recommends, no service started (policy-rc.d says no).
# DIR is complete when DIR/.cephmaint-complete exists (written last, with the versions);
# a missing or incomplete DIR is built again from nothing. Needs root (debootstrap, chroot).
set -euo pipefail

suite=${1:?usage: build-chroot.sh SUITE DIR}
dir=${2:?usage: build-chroot.sh SUITE DIR}
mirror=${CEPHMAINT_DEBIAN_MIRROR:-http://deb.debian.org/debian}
packages=(ceph-mon ceph-osd ceph-mgr ceph-mds ceph-common python3-rados)

if [[ -f $dir/.cephmaint-complete ]]; then
    exit 0
fi
if ! command -v debootstrap >/dev/null; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends debootstrap >/dev/null
fi

# /proc is mounted only while the packages install; whatever happens, it is unmounted.
cleanup() { mountpoint -q "$dir/proc" && umount -l "$dir/proc" || true; }
trap cleanup EXIT

rm -rf "$dir"
mkdir -p "$dir"
echo "==> debootstrap $suite into $dir"
debootstrap --variant=minbase "$suite" "$dir" "$mirror" >"$dir.debootstrap.log" 2>&1 || {
    tail -20 "$dir.debootstrap.log" >&2; exit 1; }
printf '#!/bin/sh\nexit 101\n' >"$dir/usr/sbin/policy-rc.d"
chmod +x "$dir/usr/sbin/policy-rc.d"
mount -t proc proc "$dir/proc"
echo "==> installing ${packages[*]} in the chroot"
chroot "$dir" apt-get update -qq
DEBIAN_FRONTEND=noninteractive chroot "$dir" apt-get install -y -qq --no-install-recommends \
    "${packages[@]}" >"$dir.apt.log" 2>&1 || { tail -20 "$dir.apt.log" >&2; exit 1; }
if [[ $suite == trixie ]]; then
    # Reef's manager runs each module in a Python subinterpreter, and every module imports
    # bcrypt (mgr_util); trixie's bcrypt 4 is built with PyO3, which refuses a second
    # interpreter: 13 modules fail (MGR_MODULE_DEPENDENCY), the balancer among them
    # (https://github.com/PyO3/pyo3/issues/576, https://github.com/pyca/bcrypt/pull/695).
    # bookworm's bcrypt 3.2 is C with a stable-ABI extension and loads in each of them.
    echo "deb $mirror bookworm main" >"$dir/etc/apt/sources.list.d/bcrypt.list"
    chroot "$dir" sh -c 'apt-get update -qq && cd /tmp && apt-get download -qq python3-bcrypt/bookworm &&
        dpkg -i --force-depends /tmp/python3-bcrypt_3.2*.deb && rm /tmp/python3-bcrypt_*.deb' \
        >"$dir.bcrypt.log" 2>&1 || { tail -20 "$dir.bcrypt.log" >&2; exit 1; }
    rm "$dir/etc/apt/sources.list.d/bcrypt.list"
fi
chroot "$dir" apt-get clean
rm -rf "$dir"/var/lib/apt/lists/*
cleanup
chroot "$dir" ceph --version >"$dir/.cephmaint-complete"
cat "$dir/.cephmaint-complete"
