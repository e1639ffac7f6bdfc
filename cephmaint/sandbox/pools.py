"""The sandbox's pools: a CRUSH rule (or an erasure-code profile) each, as the topology says."""

from __future__ import annotations

from cephmaint.sandbox.cluster import Mon
from cephmaint.sandbox.topology import Erasure, PoolSpec, Topology


def rule_name(pool: PoolSpec) -> str:
    """The CRUSH rule of a pool: its own, named after it (as Ceph names an EC pool's rule)."""
    return pool.name if pool.erasure is not None else f"{pool.name}-rule"


def create_pools(mon: Mon, topology: Topology) -> None:
    """Create every pool of the topology that does not exist yet, with its rule and sizes."""
    existing = {p["poolname"] for p in mon.command("osd pool ls", detail="detail") or []}
    for pool in topology.pools:
        if pool.name in existing:
            continue
        if pool.erasure is not None:
            _create_erasure(mon, pool, pool.erasure)
        else:
            _create_replicated(mon, pool)
        mon.command("osd pool set", pool=pool.name, var="min_size",
                    val=str(pool.copies_needed))
        mon.command("osd pool application enable", pool=pool.name, app="rados")


def _create_replicated(mon: Mon, pool: PoolSpec) -> None:
    rule = {"name": rule_name(pool), "root": "default", "type": str(pool.failure_domain)}
    if pool.device_class:
        rule["class"] = pool.device_class
    mon.command("osd crush rule create-replicated", **rule)
    mon.command("osd pool create", pool=pool.name, pg_num=pool.pg_num, pgp_num=pool.pg_num,
                pool_type="replicated", rule=rule_name(pool))
    mon.command("osd pool set", pool=pool.name, var="size", val=str(pool.width))


def _create_erasure(mon: Mon, pool: PoolSpec, code: Erasure) -> None:
    profile = [f"k={code.k}", f"m={code.m}",
               f"crush-failure-domain={pool.failure_domain}"]
    if pool.device_class:
        profile.append(f"crush-device-class={pool.device_class}")
    mon.command("osd erasure-code-profile set", name=f"{pool.name}-profile", profile=profile)
    # `osd pool create` makes the pool's rule from the profile, named after the pool.
    mon.command("osd pool create", pool=pool.name, pg_num=pool.pg_num, pgp_num=pool.pg_num,
                pool_type="erasure", erasure_code_profile=f"{pool.name}-profile")


#: The sandbox's file system, when a host runs an MDS, and its two pools.
FILESYSTEM = "cephfs"
FS_POOLS = ("cephfs.meta", "cephfs.data")


def create_filesystem(mon: Mon, topology: Topology) -> None:
    """A small CephFS for the MDS daemons to serve, when the topology places any."""
    mds = topology.daemon_hosts("mds")
    if not mds or FILESYSTEM in {f["name"] for f in mon.command("fs ls") or []}:
        return
    for pool in FS_POOLS:
        mon.command("osd pool create", pool=pool, pg_num=8, pgp_num=8)
    mon.command("fs new", fs_name=FILESYSTEM, metadata=FS_POOLS[0], data=FS_POOLS[1])
    if len(mds) == 1:
        # One MDS has no standby: wanting one would keep the cluster in HEALTH_WARN.
        mon.command("fs set", fs_name=FILESYSTEM, var="standby_count_wanted", val="0")
