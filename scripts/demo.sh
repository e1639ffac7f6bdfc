#!/usr/bin/env bash
# The main job on the local sandbox: install what is missing, then `cephmaint demo`:
# a fresh sandbox (a real Ceph cluster with SSH hosts and Redis), a Celery worker, and a
# full replacement of node2 by the spare spare-3.dc1 (drain, remove, technician
# confirmation, add, raise), with progress shown and every object of the sandbox checked
# at the end.
# Idempotent: each run starts from a fresh sandbox. `cephmaint sandbox --name demo down`
# removes it.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/bootstrap.sh
exec .venv/bin/cephmaint demo "$@"
