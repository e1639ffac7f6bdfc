#!/usr/bin/env bash
# Set up everything and run the whole test suite: unit, component and integration
# (real Redis, a real Ceph sandbox, real sshd hosts, a real Alertmanager).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
printf '\033[1m==> %s\033[0m\n' "Lint (ruff) and types (mypy on the pure core)"
.venv/bin/ruff check .
.venv/bin/mypy --strict --no-incremental inventory dyrygent workflows ceph_tasks/ceph/models \
    ceph_tasks/decisions ceph_tasks/ledger.py ceph_tasks/names.py
.venv/bin/mypy --no-incremental ceph_tasks cephmaint
printf '\033[1m==> %s\033[0m\n' "Running the test suite"
exec .venv/bin/python -m pytest -p no:cacheprovider "$@"
