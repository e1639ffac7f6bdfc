#!/usr/bin/env bash
# Set up everything and run the test suite, in one of three tiers:
#   scripts/test.sh --quick   lint, types, unit and component tests (a couple of minutes)
#   scripts/test.sh           what CI runs: the above and the integration tests (real Redis,
#                             real Ceph sandboxes, sshd hosts, Alertmanager), each workflow kind
#                             but the fleet's once on a non-default topology, on Reef
#   scripts/test.sh --full    the above and the heavy matrices (every kind on every topology)
# Other arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."

tier=ci
args=()
for arg in "$@"; do
    case "$arg" in
        --quick) tier=quick ;;
        --full) tier=full; args+=(--full) ;;
        *) args+=("$arg") ;;
    esac
done
if [[ $tier == quick ]]; then
    paths=(tests/unit tests/component)
    for arg in "${args[@]}"; do
        if [[ $arg == tests/* ]]; then paths=(); fi
    done
    args=("${paths[@]}" "${args[@]}")
fi
bash scripts/bootstrap.sh
if [[ $tier != quick ]]; then
    # The Reef sandboxes run their daemons from a chroot built once (about a minute and a
    # half, mostly downloads): started now, it is ready by the time the first one comes up,
    # which waits for it (the build holds a lock).
    .venv/bin/python -m cephmaint.sandbox.release reef >"${TMPDIR:-/tmp}/cephmaint-chroot-reef.log" 2>&1 &
fi
printf '\033[1m==> %s\033[0m\n' "Lint (ruff) and types (mypy on the pure core)"
.venv/bin/ruff check .
.venv/bin/mypy --strict --no-incremental inventory dyrygent workflows ceph_tasks/ceph/models \
    ceph_tasks/decisions ceph_tasks/ledger.py ceph_tasks/names.py \
    ceph_tasks/audit/entry.py
.venv/bin/mypy --no-incremental ceph_tasks cephmaint
printf '\033[1m==> %s\033[0m\n' "Running the test suite ($tier tier)"
# The slowest tests are listed at the end: where the CI tier's minutes go.
exec .venv/bin/python -m pytest -p no:cacheprovider --durations=15 "${args[@]}"
