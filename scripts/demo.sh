#!/usr/bin/env bash
# The main job on the local sandbox: install what is missing, bring up a real Ceph
# cluster with its SSH hosts and Redis, prove the sandbox data intact, and show the
# cluster's health and the inventory that describes it.
# Idempotent: a sandbox that is already up is reused. `cephmaint sandbox down` removes it.
set -euo pipefail
cd "$(dirname "$0")/.."
say() { printf '\033[1m==> %s\033[0m\n' "$*"; }

bash scripts/bootstrap.sh
say "Bringing the sandbox up (a real Ceph cluster: 1 mon, 1 mgr, 6 OSDs on node0-2, spare node3)"
.venv/bin/cephmaint sandbox up
say "Checking every object of the sandbox data pool against its recorded checksum"
.venv/bin/cephmaint sandbox verify
say "The inventory that describes the sandbox (cephmaint sandbox inventory)"
.venv/bin/cephmaint sandbox inventory
say "Done. Health again: cephmaint sandbox status; remove it all: cephmaint sandbox down"
