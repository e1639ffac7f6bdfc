"""Ceph's own background data movers, paused while a maintenance moves data (pure).

The mgr balancer and the PG autoscaler move data by themselves: a balancer round or a PG
split in the middle of a drain adds movement the maintenance did not plan, and undoes the
weights it is setting. While data moves, the balancer is off and every pool whose
autoscaler is `on` is set to `warn`; what each was before is recorded in the ledger first,
and put back from there, pool by pool (a global `noautoscale` flag is not used: on some
releases clearing it turned every pool `on`). A split or merge already under way holds the
weight steps until it ends.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from ceph_tasks.ceph.models import Pool
from ceph_tasks.decisions.change import Change
from inventory import FailingDevices

#: The ledger key prefix of every mover's state before the maintenance.
LEDGER_PREFIX = "movers"
#: Ledger key of the balancer as it was: {"active": bool, "mode": str}.
BALANCER_KEY = f"{LEDGER_PREFIX}:balancer"
#: The autoscaler mode a pause sets; `warn` still reports, it only stops changing pg_num.
PAUSED_MODE = "warn"


def autoscale_key(pool: str) -> str:
    """Ledger key of a pool's pg_autoscale_mode as it was."""
    return f"{LEDGER_PREFIX}:autoscale:{pool}"


def pause_changes(balancer: Mapping[str, Any], pools: Iterable[Pool]) -> list[Change]:
    """What to send to pause the movers as the cluster has them now."""
    changes = []
    if balancer.get("active"):
        changes.append(Change("balancer off", {}, "balancer off", mgr=True))
    for pool in pools:
        if pool.pg_autoscale_mode == "on":
            changes.append(Change("osd pool set", {"pool": pool.pool_name,
                                                   "var": "pg_autoscale_mode",
                                                   "val": PAUSED_MODE},
                                  f"pool {pool.pool_name} pg_autoscale_mode {PAUSED_MODE}"))
    return changes


def restore_changes(recorded: Mapping[str, Any], balancer: Mapping[str, Any],
                    pools: Iterable[Pool]) -> list[Change]:
    """What to send to put back what was recorded, leaving what someone changed since.

    recorded maps ledger keys (BALANCER_KEY, autoscale_key(pool)) to the values before.
    """
    changes = []
    before = recorded.get(BALANCER_KEY)
    if isinstance(before, Mapping) and before.get("active") and not balancer.get("active"):
        changes.append(Change("balancer on", {}, "balancer on", mgr=True))
    for pool in pools:
        mode = recorded.get(autoscale_key(pool.pool_name))
        if isinstance(mode, str) and mode != PAUSED_MODE and pool.pg_autoscale_mode == PAUSED_MODE:
            changes.append(Change("osd pool set", {"pool": pool.pool_name,
                                                   "var": "pg_autoscale_mode", "val": mode},
                                  f"pool {pool.pool_name} pg_autoscale_mode {mode}"))
    return changes


def resizing_pools(pools: Iterable[Pool]) -> list[str]:
    """The pools whose PG split or merge is still under way, one line each."""
    return [f"pool {pool.pool_name}: {what}" for pool in pools
            if (what := pool.resizing()) is not None]


#: The devicehealth module's switch that marks out the OSDs of devices predicted to fail.
#: https://docs.ceph.com/en/pacific/rados/operations/devices/#failure-prediction
SELF_HEAL_OPTION = "mgr/devicehealth/self_heal"
#: Ledger key (under the watch's reference) of self_heal as it was before cephmaint took over.
SELF_HEAL_KEY = f"{LEDGER_PREFIX}:self-heal"


def config_flag(text: str) -> bool:
    """A boolean option as `config get` prints it (true, false, 1, 0)."""
    return text.strip().strip('"').lower() in {"true", "1", "yes", "on"}


def self_heal_change(acting: FailingDevices, current: bool, recorded: Any) -> Change | None:
    """What to send so that self_heal is as the policy wants: off while cephmaint acts,
    back on (once) when the inventory hands failing devices back to Ceph after it was."""
    if acting is FailingDevices.CEPHMAINT and current:
        return _self_heal(False)
    if acting is FailingDevices.CEPH and recorded is True and not current:
        return _self_heal(True)
    return None


def _self_heal(on: bool) -> Change:
    value = "true" if on else "false"
    return Change("config set", {"who": "mgr", "name": SELF_HEAL_OPTION, "value": value},
                  f"devicehealth self_heal {'on' if on else 'off'}")
