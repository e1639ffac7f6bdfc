#!/usr/bin/env bash
# Install what cephmaint needs on a Debian machine: Debian packages (Ceph, sshd, Redis
# and its sentinel, Alertmanager; for the tests: PostgreSQL for the audit trail, Prometheus
# for the metrics and dashboards, Chromium and its driver for the web pages; debootstrap
# for the chroot of a Ceph release the host does not carry) and a
# virtualenv in .venv with the project and its test tools.
# Idempotent: what is already there is not installed again.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }

APT_PACKAGES=(ceph-mon ceph-osd ceph-mgr ceph-mds ceph-common python3-rados openssh-server
              openssh-client redis-server redis-sentinel prometheus-alertmanager openssl
              postgresql prometheus chromium chromium-driver debootstrap)
missing=()
for p in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
    say "Installing Debian packages: ${missing[*]}"
    SUDO=""; [[ $(id -u) == 0 ]] || SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
    say "Debian packages already installed"
fi

PY=${PYTHON:-python3}
if [[ ! -x .venv/bin/python ]]; then
    say "Creating virtualenv .venv with $($PY --version)"
    $PY -m venv .venv
fi
# The Ceph bindings come from Debian's python3-rados, built for the system's CPython 3.11.
# Appending dist-packages last keeps every PyPI package in the venv ahead of Debian's copies.
site=$(.venv/bin/python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
echo "/usr/lib/python3/dist-packages" > "$site/zz-debian-ceph-bindings.pth"

stamp=.venv/.installed-$(sha256sum pyproject.toml | cut -c1-16)
if [[ ! -f $stamp ]]; then
    say "Installing cephmaint and its test tools into .venv"
    .venv/bin/python -m pip install -q --upgrade pip
    .venv/bin/python -m pip install -q -e '.[test,dev,bench]'
    rm -f .venv/.installed-*; touch "$stamp"
else
    say "Python packages up to date"
fi
