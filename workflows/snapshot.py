"""Reading a cluster's state once, before planning: the one place planning touches Ceph."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace

from ceph_tasks.ceph import Ceph, CephClient, RadosClient
from ceph_tasks.ceph.models.pools import ERASURE
from ceph_tasks.ceph.placement import PlacementSimulator
from ceph_tasks.decisions.capacity import CapacityProjection, copy_divisors, project
from ceph_tasks.decisions.upmaps import UpmapReadiness, client_releases
from ceph_tasks.errors import CephBadOutput
from ceph_tasks.tasks.osd_recovery import recovery_view
from inventory import Cluster
from workflows.state import ClusterState

Connect = Callable[[Cluster], CephClient]
#: The OSDs a maintenance drains, given the cluster's state (see workflows.planning).
Drained = Callable[[ClusterState], Iterable[int]]


def read_state(ceph: Ceph) -> ClusterState:
    """Read everything a builder needs from a live cluster."""
    return ClusterState(status=ceph.status(), tree=ceph.osd_tree(), df=ceph.osd_df(),
                        pools=ceph.pool_ls_detail(), rules=ceph.crush_rule_dump(),
                        pgs=ceph.pg_dump_brief(), daemons=ceph.daemons())


def read_cluster_state(cluster: Cluster, connect: Connect = RadosClient.for_cluster, *,
                       drained: Drained | None = None, stopped: Drained | None = None,
                       simulator: PlacementSimulator | None = None,
                       upmaps: bool = False) -> ClusterState:
    """Connect to a cluster, read its state once, disconnect.

    With drained, the state also holds every OSD's fullness projected after those OSDs are
    drained to weight 0 (see project_capacity); with stopped, Ceph's `osd ok-to-stop` for
    those OSDs (a host's work without a drain); with upmaps, whether upmap items may be
    used (a replace that moves each copy once). Always the releases the daemons run; when
    the throttles ask for recovery settings, each up OSD's scheduler and the config
    database too.
    """
    client = connect(cluster)
    try:
        ceph = Ceph(client)
        state = replace(read_state(ceph), versions=ceph.versions())
        halted = tuple(stopped(state)) if stopped is not None else ()
        if halted:
            state = replace(state, ok_to_stop=ceph.ok_to_stop(halted))
        if upmaps:
            state = replace(state, upmap_readiness=read_upmap_readiness(ceph))
        if cluster.throttles.recovery is not None:
            state = replace(state, recovery=recovery_view(ceph))
        if drained is None:
            return state
        # Only OSDs CRUSH holds can be reweighted; a plan naming others is refused anyway.
        osds = tuple(sorted(o for o in set(drained(state)) if state.tree.host_of(o)))
        if not osds:
            return state
        return replace(state, capacity=project_capacity(ceph, state, osds,
                                                        simulator or PlacementSimulator()))
    finally:
        client.close()


def read_upmap_readiness(ceph: Ceph) -> UpmapReadiness:
    """The oldest client release the cluster admits and the releases connected now."""
    return UpmapReadiness(ceph.osd_dump().require_min_compat_client,
                          client_releases(ceph.features()))


def project_capacity(ceph: Ceph, state: ClusterState, osds: tuple[int, ...],
                     simulator: PlacementSimulator) -> CapacityProjection:
    """Every OSD's fullness after these OSDs go to CRUSH weight 0, mapped by osdmaptool."""
    weights = dict.fromkeys(osds, 0.0)
    # Bytes and ratios are read next to the map so that they describe the same moment.
    placements = simulator.simulate(ceph.osdmap(), weights)
    sizes = ceph.pg_bytes()
    ratios = ceph.osd_dump()
    chunks = {}
    for profile in sorted({p.erasure_code_profile for p in state.pools
                           if p.type == ERASURE and p.erasure_code_profile}):
        k = ceph.erasure_code_profile(profile).get("k", "")
        if not k.isdigit() or int(k) < 1:
            raise CephBadOutput("osd erasure-code-profile get", 0,
                                f"profile {profile} has no valid k: {k!r}")
        chunks[profile] = int(k)
    return project(state.df, placements.before, placements.after, sizes, state.pools,
                   weights, divisors=copy_divisors(state.pools, chunks),
                   nearfull_ratio=ratios.nearfull_ratio)
