"""Builders of the host and disk maintenance workflows (pure: inventory and state in, plan out).

Each builder returns a MaintenancePlan: the runbook to read, and the workflow to submit.
Nothing is read or changed while building; a maintenance that cannot be done safely is
refused here, before anything runs, and again by the guard steps when it runs.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass

from ceph_tasks.ceph.models.service_daemons import Daemon, DaemonKind
from ceph_tasks.decisions.capacity import capacity_problems
from ceph_tasks.decisions.host_daemons import daemon_id, daemons_on, handover_problems
from ceph_tasks.decisions.restoration import Kind
from ceph_tasks.decisions.weights import size_weight
from ceph_tasks.names import DEVICE_SIZE
from ceph_tasks.reference import check_reference
from ceph_tasks.remote.services import ServiceAction, service_commands
from inventory import Cluster, CommandsControl, CommandTemplateError
from workflows.domain_weights import replacement_weights
from workflows.errors import PlanRefused
from workflows.impact import addition_impact, landing, removal_impact
from workflows.move_once import (
    Strategy,
    empty_by_moves,
    move_to_new_host,
    raise_pinned,
    uses_move_once,
    with_target_joined,
)
from workflows.plan import MaintenancePlan, Phase
from workflows.recovery_plan import recovery_lines
from workflows.state import ClusterState, DomainCheck, domain_problems
from workflows.steps import StepMaker

#: Default limits; a plan's Timing can change each.
HOUR = 3600.0


@dataclass(frozen=True)
class Timing:
    """How long steps may take and how often repeating steps look again."""

    drain: float = 72 * HOUR
    healthy: float = 24 * HOUR
    health_interval: float = 10.0
    technician: float = 7 * 24 * HOUR
    #: Seconds between two looks for the technicians' confirmation.
    technician_interval: float = 60.0
    downtime: float = 7 * 24 * HOUR


DEFAULT_TIMING = Timing()


#: Characters of a host's label kept in a reference: enough to recognise it in a list.
LABEL_LENGTH = 24


def host_label(host: str) -> str:
    """A host's short label for a reference: its first DNS label, at most 24 characters."""
    first = host.split(".", 1)[0] or host
    return re.sub(r"[^A-Za-z0-9_-]", "-", first)[:LABEL_LENGTH] or "host"


def new_reference(kind: str, label: str, token: str | None = None) -> str:
    """A maintenance reference (also the workflow id): kind, label, a random suffix.

    At most 64 characters, readable in a list, and looked up, never parsed: the hosts of
    a maintenance are in its plan, not in its reference.
    """
    suffix = token or secrets.token_hex(4)
    return check_reference(f"{kind}.{label}.{suffix}")


def plan_decommission(
    host: str, *, cluster: Cluster, state: ClusterState,
    check_domains: DomainCheck = domain_problems,
    timing: Timing = DEFAULT_TIMING, reference: str | None = None,
    strategy: Strategy = Strategy.AUTO,
) -> MaintenancePlan:
    """Retire a host: downtime on, its data moved off (each copy once where the cluster
    allows it, else drained in steps), guards, remove it, downtime off."""
    ref = reference or new_reference("decommission", host_label(host))
    moving = Moving.of(cluster, state, host)
    once, why = uses_move_once(strategy, state, host, None, cluster.name, kind="decommission")
    plan = _plan("decommission", host, cluster, state, ref, check_domains, moving)
    plan.notes += (why,)
    steps = StepMaker(cluster.name, ref)
    _decommission(plan, steps, host, cluster, state, timing, moving, once=once)
    restore(plan, steps, [host], drained=plan.osds)
    return plan


def plan_replace(
    host: str, new_host: str | None = None, *, cluster: Cluster, state: ClusterState,
    check_domains: DomainCheck = domain_problems, timing: Timing = DEFAULT_TIMING,
    reference: str | None = None, strategy: Strategy = Strategy.AUTO,
) -> MaintenancePlan:
    """Replace a host: its data to the new hardware, technicians, the old host removed.

    Moving each copy once (workflows.move_once) where the cluster allows it, else (or
    asked for) draining the old host, then filling the new one.
    """
    target = new_host or host
    new = cluster.host(target)
    ref = reference or new_reference("replace", host_label(host))
    moving = Moving.of(cluster, state, host, target)
    once, why = uses_move_once(strategy, state, host, target, cluster.name)
    if once:
        check_domains = with_target_joined(check_domains, cluster, target)
    plan = _plan("replace", host, cluster, state, ref, check_domains, moving)
    steps = StepMaker(cluster.name, ref)
    weights, each, how = new_osd_weights(cluster, target, _old_weight(state, plan.osds))
    domains = replacement_weights(state.tree, cluster.failure_domain_type, host, target,
                                  new.rack, each)
    plan.notes += (why, how, *domains.describe())
    plan.warnings += tuple(w for w in (domains.warning(),) if w)
    plan.hosts = (host,) if target == host else (host, target)
    if once:
        _replace_moving_once(plan, steps, host, target, weights, cluster, state, timing,
                             moving)
    else:
        _replace_draining(plan, steps, host, target, weights, cluster, state, timing, moving)
    restore(plan, steps, list(plan.hosts), drained=plan.osds)
    # A bad new disk is found now, not at the next failure.
    plan.add(steps.deep_scrub(plan.last(), host=new.name))
    return plan


def _replace_draining(plan: MaintenancePlan, steps: StepMaker, host: str, target: str,
                      weights: float | str, cluster: Cluster, state: ClusterState,
                      timing: Timing, moving: Moving) -> None:
    """Drain the old host and remove it, technicians, the new host added and raised."""
    _decommission(plan, steps, host, cluster, state, timing, moving)
    action = (f"replace the hardware of {host}" if target == host
              else f"retire {host} and make {target} ready in rack {cluster.host(target).rack}")
    hands_on(plan, steps, host, action, timing)
    if target != host and not moving.first:
        plan.add(steps.downtime_on(target, timing.downtime, plan.last()))
    elif target == host and moving.kinds:
        # The same daemons back on the new hardware before its OSDs take data.
        plan.add(steps.add_daemons(host, moving.kinds, plan.last(), fs=moving.fs))
    add_and_raise(plan, steps, target, weights, timing, plan.last())


def _replace_moving_once(plan: MaintenancePlan, steps: StepMaker, host: str, target: str,
                         weights: float | str, cluster: Cluster, state: ClusterState,
                         timing: Timing, moving: Moving) -> None:
    """Technicians ready the new host; its OSDs take the old host's copies; the old goes."""
    plan.add(steps.healthy_to_start())
    plan.add(steps.downtime_on(target, timing.downtime, plan.last()))
    if moving.first:
        plan.add(steps.add_daemons(target, moving.first, plan.last(), fs=moving.fs))
    hands_on(plan, steps, target, f"make {target} ready in rack {cluster.host(target).rack}: "
             f"{host}'s data moves to it, then {host} is retired", timing)
    plan.add(steps.downtime_on(host, timing.downtime, plan.last()))
    new_osds(plan, steps, target, plan.last())
    osds = state.osds_of(host)
    last = move_to_new_host(plan, steps, host, target, osds, weights,
                            drain_timeout=timing.drain, after=plan.last())
    remove_emptied(plan, steps, host, osds, timing, last, moving.entities,
                   moving.stops_left(cluster))


def plan_add(
    host: str, *, cluster: Cluster, state: ClusterState, weight: float | None = None,
    timing: Timing = DEFAULT_TIMING, reference: str | None = None,
    strategy: Strategy = Strategy.AUTO,
) -> MaintenancePlan:
    """Add a host: OSDs on its free devices at weight 0, raised (pinned, or in steps).

    Raised to weight, else to their device sizes (TiB) when the inventory has them all.
    """
    new = cluster.host(host)
    if weight is None:
        target, _, how = new_osd_weights(cluster, host, 1.0)
    else:
        target, how = weight, f"new OSDs of {host} raised to weight {weight:g}"
    ref = reference or new_reference("add", host_label(host))
    classes = [o.device_class for o in cluster.osds_on(host)]
    under = landing(state.tree, host, new.rack)
    once, why = uses_move_once(strategy, state, host, None, cluster.name, kind="add")
    plan = MaintenancePlan(
        kind="add", cluster=cluster.name, reference=ref, hosts=(host,),
        pools=addition_impact(state, host, new.rack, classes),
        guards=("cluster healthy before anything changes",),
        # Where new OSDs land is the host's own CRUSH location: the pools above assume this.
        notes=(f"new OSDs of {host} expected under CRUSH bucket {under}", how, why),
        recovery=recovery_lines(cluster, state))
    steps = StepMaker(cluster.name, ref)
    plan.add(steps.healthy_to_start())
    plan.add(steps.downtime_on(host, timing.downtime, plan.last()))
    before_moving(plan, steps)
    if once:
        added = (new_osds(plan, steps, host, plan.last()),)
        last = raise_pinned(plan, steps, host, target, drain_timeout=timing.drain, after=added)
        plan.add(steps.wait_healthy(last, timing.healthy, timing.health_interval,
                                    phase=Phase.ADD))
    else:
        add_and_raise(plan, steps, new.name, target, timing, plan.last())
    restore(plan, steps, [host])
    return plan


def before_moving(plan: MaintenancePlan, steps: StepMaker, phase: Phase = Phase.PREPARE
                  ) -> None:
    """Scrubs paused on the pools whose data moves, Ceph's own movers paused, and the
    per-OSD recovery settings the throttles ask for (if any)."""
    pools = moving_pools(plan)
    if pools:
        plan.add(steps.flags_on(plan.last(), pools, phase=phase))
    plan.add(steps.movers_off(plan.last(), phase=phase))
    if plan.recovery is not None:
        plan.add(steps.recovery_settings(plan.last(), phase=phase))


def moving_pools(plan: MaintenancePlan) -> list[str]:
    """The pools whose PGs the maintenance moves (all it touches where that is not known)."""
    return [p.pool for p in plan.pools if p.pgs_to_move is None or p.pgs_to_move > 0]


def new_osds(plan: MaintenancePlan, steps: StepMaker, host: str, after: Sequence[str],
             devices: list[str] | None = None) -> str:
    """The host's new OSDs, at weight 0; then the per-OSD recovery settings the throttles ask
    for given to them too (those set before they existed missed them, and they receive)."""
    last = plan.add(steps.add_node(host, after, devices=devices))
    if plan.recovery is not None:
        last = plan.add(steps.recovery_settings((last,), phase=Phase.ADD))
    return last


def hands_on(plan: MaintenancePlan, steps: StepMaker, host: str, action: str, timing: Timing,
             *, device_paths: list[str] | None = None, expect_serials: int | None = None,
             ticket: str | None = None) -> None:
    """Technicians asked and waited for, with no cluster-wide flag set meanwhile.

    The wait can last days: scrub flags held that long leave every PG of the cluster behind
    on scrubs, so they are lifted before it and set again for the data to come back.
    """
    # The recovery settings too: other recovery during a wait of days is not throttled.
    kinds = [Kind.FLAGS, Kind.MOVERS] + ([Kind.RECOVERY] if plan.recovery is not None else [])
    plan.add(steps.restore(plan.last(), kinds, phase=Phase.HARDWARE))
    plan.add(steps.notify(host, action, plan.last(), device_paths=device_paths,
                          ticket=ticket))
    plan.add(steps.wait_technician(host, timing.technician, plan.last(),
                                   device_paths=device_paths, expect_serials=expect_serials,
                                   interval=timing.technician_interval))
    before_moving(plan, steps, phase=Phase.ADD)


@dataclass(frozen=True)
class Moving:
    """The monitors, managers and MDS daemons a leaving host runs, and where they go."""

    host: str
    #: The host that gets the same kinds of daemon: a replacement's; None when retired.
    to: str | None
    daemons: tuple[Daemon, ...]

    @classmethod
    def of(cls, cluster: Cluster, state: ClusterState, host: str, to: str | None = None
           ) -> Moving:
        """What a host's daemons need when it leaves, for a new host (to) or for none."""
        return cls(host, to, host_daemons(cluster, state, host))

    @property
    def kinds(self) -> tuple[str, ...]:
        """The kinds of daemon the host runs, in DaemonKind's order."""
        return tuple(str(k) for k in DaemonKind if any(d.kind is k for d in self.daemons))

    @property
    def entities(self) -> list[str]:
        """The daemons by Ceph's names (mon.a1), for the handover step."""
        return [d.entity for d in self.daemons]

    @property
    def fs(self) -> str:
        """The file system of the host's MDS (cephadm adds an MDS for one)."""
        return next((d.fs for d in self.daemons if d.kind is DaemonKind.MDS), "")

    @property
    def first(self) -> tuple[str, ...]:
        """The kinds brought up on another host before this one hands over: 3 -> 4 -> 3."""
        return self.kinds if self.to not in (None, self.host) else ()

    def problems(self, cluster: Cluster) -> list[str]:
        """Why the new host's daemon control could not bring these daemons up there."""
        if not self.kinds or self.to is None:
            return []
        problems = []
        for kind in self.kinds:
            try:
                service_commands(cluster.host(self.to).daemon_control, ServiceAction.ADD,
                                 self.to, kind, daemon_id(self.to), self.fs)
            except (CommandTemplateError, ValueError) as e:
                problems.append(f"{kind}.{daemon_id(self.host)} runs on {self.host} and the "
                                f"replacement must bring one up on {self.to}, but: {e}")
        return problems

    def stops_left(self, cluster: Cluster) -> bool:
        """Whether the host's daemon control can stop what is left of them after handover."""
        control = cluster.host(self.host).daemon_control
        return not isinstance(control, CommandsControl) or control.remove_daemon is not None


def _plan(kind: str, host: str, cluster: Cluster, state: ClusterState, ref: str,
          check_domains: DomainCheck, moving: Moving) -> MaintenancePlan:
    cluster.host(host)  # UnknownHostError names the cluster and the host
    osds = state.osds_of(host)
    problems = list(check_domains(state, (host,)))
    problems += inventory_problems(cluster, state, (host,))
    problems += fullness_problems(cluster, state, osds)
    problems += daemon_problems(cluster, state, (host,), joining=moving.first)
    problems += moving.problems(cluster)
    if problems:
        raise PlanRefused(f"{kind} of {host} on cluster {cluster.name} refused, nothing "
                          f"changed: {'; '.join(problems)}")
    return MaintenancePlan(
        kind=kind, cluster=cluster.name, reference=ref, hosts=(host,), osds=osds,
        data_to_move_bytes=state.bytes_on(osds), pools=removal_impact(state, osds),
        guards=("cluster healthy before anything changes",
                f"every pool keeps enough {cluster.failure_domain_type}s without {host}",
                f"{', '.join(f'osd.{i}' for i in osds) or 'its OSDs'} safe to destroy "
                "before removal"),
        capacity=state.capacity,
        notes=(daemons_note(cluster, state, host),),
        recovery=recovery_lines(cluster, state),
    )


def host_daemons(cluster: Cluster, state: ClusterState, host: str) -> tuple[Daemon, ...]:
    """The monitors, managers and MDS daemons on a host, as the state read them."""
    if state.daemons is None:
        return ()
    return daemons_on(state.daemons, [host], [h.name for h in cluster.hosts])


def daemons_note(cluster: Cluster, state: ClusterState, host: str) -> str:
    """Every Ceph daemon on a host, for the plan."""
    listed = [*(d.describe() for d in host_daemons(cluster, state, host)),
              *(f"osd.{o}" for o in state.osds_of(host))]
    return f"daemons on {host}: {', '.join(listed) or 'none'}"


def daemon_problems(cluster: Cluster, state: ClusterState, hosts: Sequence[str],
                    joining: Sequence[str] = ()) -> list[str]:
    """Why the monitors, managers and MDS of these hosts could not be handed over.

    joining: the kinds a replacement brings up on its new host before they leave.
    """
    if state.daemons is None:
        return []
    return handover_problems(state.daemons, hosts, [h.name for h in cluster.hosts],
                             cluster.min_monitors, [DaemonKind(k) for k in joining])


def inventory_problems(cluster: Cluster, state: ClusterState,
                       hosts: Sequence[str]) -> list[str]:
    """Hosts whose OSDs differ between the inventory and CRUSH, one line each."""
    problems = []
    for host in hosts:
        listed = tuple(sorted(o.id for o in cluster.osds_on(host)))
        live = state.osds_of(host)
        if listed != live:
            # The drain works on the OSDs both sides agree on: a host changed behind the
            # inventory's back (or by an earlier maintenance) needs the inventory updated.
            problems.append(
                f"the inventory lists OSDs {list(listed)} on {host} but CRUSH has "
                f"{list(live)}; update the inventory (cephmaint inventory check shows the "
                "differences)")
    return problems


def fullness_problems(cluster: Cluster, state: ClusterState,
                      drained: Sequence[int]) -> list[str]:
    """OSDs the drain would push past nearfull less the inventory's margin, one line each.

    Checked when the state holds a projection of draining exactly these OSDs; a state
    read without one (or for other OSDs) checks nothing here.
    """
    projection = state.capacity
    if projection is None or set(projection.weights) != set(drained):
        return []
    return capacity_problems(projection, cluster.throttles.capacity_margin_points)


def _decommission(plan: MaintenancePlan, steps: StepMaker, host: str, cluster: Cluster,
                  state: ClusterState, timing: Timing, moving: Moving,
                  once: bool = False) -> None:
    plan.add(steps.healthy_to_start())
    plan.add(steps.removal_guard([host], plan.last()))
    if moving.first and moving.to is not None:
        # The new host's monitor joins (and its manager and MDS stand by) before any data
        # moves: one that cannot is found while nothing has changed yet.
        plan.add(steps.downtime_on(moving.to, timing.downtime, plan.last()))
        plan.add(steps.add_daemons(moving.to, moving.first, plan.last(), fs=moving.fs))
    before_moving(plan, steps)
    stop_left = moving.stops_left(cluster)
    osds = state.osds_of(host)
    if once and osds:
        down = (plan.add(steps.downtime_on(host, timing.downtime, plan.last())),)
        last = empty_by_moves(plan, steps, host, None, osds, drain_timeout=timing.drain,
                              after=down)
        remove_emptied(plan, steps, host, osds, timing, last, moving.entities, stop_left)
    else:
        drain_and_remove(plan, steps, host, osds, timing, plan.last(),
                         hand_over=moving.entities, stop_left=stop_left)
    if moving.kinds and not stop_left:
        plan.notes += (f"the daemons left on {host} after the handover are not stopped: its "
                       "daemon control has no remove_daemon command",)


def drain_and_remove(plan: MaintenancePlan, steps: StepMaker, host: str, osds: tuple[int, ...],
                     timing: Timing, after: tuple[str, ...], hand_over: Sequence[str] = (),
                     stop_left: bool = True) -> tuple[str, ...]:
    """Downtime on, drain in steps, then remove_emptied; the last step."""
    last = (plan.add(steps.downtime_on(host, timing.downtime, after)),)
    if osds:
        last = (plan.add(steps.reweight(host, 0.0, osds, last, timeout=timing.drain)),)
    return remove_emptied(plan, steps, host, osds, timing, last, hand_over, stop_left)


def remove_emptied(plan: MaintenancePlan, steps: StepMaker, host: str, osds: tuple[int, ...],
                   timing: Timing, after: tuple[str, ...], hand_over: Sequence[str] = (),
                   stop_left: bool = True) -> tuple[str, ...]:
    """Healthy, safe to destroy, the daemons handed over, remove, zap, healthy; the last step.

    For a host whose OSDs hold no data any more (drained, or moved off with upmap items).
    """
    last = after
    if osds:
        last = (plan.add(steps.wait_healthy(last, timing.healthy, timing.health_interval)),)
        last = (plan.add(steps.safe_to_destroy(osds, last)),)
    if hand_over:
        last = (plan.add(steps.hand_over(host, hand_over, last, stop_left=stop_left)),)
    last = (plan.add(steps.remove_node(host, osds, last)),)
    if osds:
        last = (plan.add(steps.zap(host, osds, last)),)
    return (plan.add(steps.wait_healthy(last, timing.healthy, timing.health_interval,
                                        phase=Phase.REMOVE)),)


def add_and_raise(plan: MaintenancePlan, steps: StepMaker, host: str, weight: float | str,
                  timing: Timing, after: tuple[str, ...]) -> tuple[str, ...]:
    """OSDs on the host's free devices at weight 0, raised in steps, healthy again."""
    last = (new_osds(plan, steps, host, after),)
    last = (plan.add(steps.reweight(host, weight, (), last, phase=Phase.ADD,
                                    timeout=timing.drain)),)
    return (plan.add(steps.wait_healthy(last, timing.healthy, timing.health_interval,
                                        phase=Phase.ADD)),)


def restore(plan: MaintenancePlan, steps: StepMaker, hosts: list[str],
            after: tuple[str, ...] | None = None, drained: Sequence[int] = ()) -> None:
    """Flags, movers and downtimes back as they were: at the end, and as finalisers."""
    plan.add(steps.restore(plan.last() if after is None else after, hosts=hosts))
    # The same restore runs when the workflow fails or is cancelled, after the OSDs it
    # drained are raised back: nothing is left at weight 0 silently.
    finals = StepMaker(steps.cluster, steps.reference, prefix="finally-")
    if drained:
        plan.finalisers.append(finals.weights_back(drained))
    plan.finalisers.append(finals.restore((), phase=Phase.FINALISE, hosts=hosts))


def new_osd_weights(cluster: Cluster, host: str, fallback: float
                    ) -> tuple[float | str, tuple[float, ...], str]:
    """The target of a host's new OSDs, their weights, and a note saying where they come from.

    Ceph's convention: each OSD weighs its device's size in TiB, whatever the old hardware
    weighed. When the inventory lacks a size, every new OSD takes the fallback.
    """
    sizes = [d.size_bytes for d in cluster.host(host).devices]
    if sizes and all(sizes):
        each = tuple(size_weight(s or 0) for s in sizes)
        return DEVICE_SIZE, each, (f"new OSDs of {host} weighted by their device size: "
                                   f"{', '.join(f'{w:g}' for w in each)} (TiB)")
    return fallback, (fallback,) * len(sizes), (
        f"device sizes of {host} not all in the inventory: its new OSDs take weight "
        f"{fallback:g}")


def _old_weight(state: ClusterState, osds: tuple[int, ...]) -> float:
    # Without device sizes, new hardware takes the weight the old host's OSDs had.
    weights = state.tree.crush_weights(frozenset(osds))
    return round(max(weights.values()), 5) if weights else 1.0
