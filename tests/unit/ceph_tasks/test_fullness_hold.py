"""Holding a drain's or fill's weight steps while OSDs are near full (pure)."""

from __future__ import annotations

from ceph_tasks.ceph.models import OsdDf, OsdDump
from ceph_tasks.decisions.fullness_hold import fullness_hold, hold_expired

RATIOS = OsdDump.model_validate({"epoch": 1, "full_ratio": 0.95, "backfillfull_ratio": 0.9,
                                 "nearfull_ratio": 0.85})


def usage(**percent: float) -> OsdDf:
    return OsdDf.model_validate({"nodes": [
        {"id": int(k.removeprefix("osd")), "name": k, "kb": 100, "utilization": v}
        for k, v in percent.items()]})


def test_the_ratios_are_read_from_osd_dump() -> None:
    assert (RATIOS.full_ratio, RATIOS.backfillfull_ratio, RATIOS.nearfull_ratio) == (
        0.95, 0.9, 0.85)


def test_an_osd_past_nearfull_holds_naming_it_its_use_and_the_ratio() -> None:
    assert fullness_hold(usage(osd0=50, osd3=87), RATIOS, ()) == (
        "holding: osd.3 at 87.0% past nearfull 85.0%")


def test_an_osd_past_backfillfull_is_named_with_that_ratio() -> None:
    assert fullness_hold(usage(osd1=91, osd3=87), RATIOS, ()) == (
        "holding: osd.1 at 91.0% past backfillfull 90.0%")


def test_the_clusters_own_ratios_count_not_fixed_ones() -> None:
    low = RATIOS.model_copy(update={"nearfull_ratio": 0.3, "backfillfull_ratio": 0.4})
    assert fullness_hold(usage(osd2=35), low, ()) == "holding: osd.2 at 35.0% past nearfull 30.0%"
    assert fullness_hold(usage(osd2=35), RATIOS, ()) is None


def test_a_fullness_health_check_holds_though_no_osd_is_past_a_ratio() -> None:
    assert fullness_hold(usage(osd0=10), RATIOS, ("POOL_NEAR_FULL", "OSDMAP_FLAGS")) == (
        "holding: health shows POOL_NEAR_FULL")


def test_other_health_checks_do_not_hold() -> None:
    assert fullness_hold(usage(osd0=10), RATIOS, ("OSDMAP_FLAGS", "PG_DEGRADED")) is None


def test_a_hold_expires_at_its_limit() -> None:
    assert not hold_expired(59.0, 60.0)
    assert hold_expired(60.0, 60.0)


def test_the_osds_being_drained_do_not_hold_their_own_drain() -> None:
    # A nearly full host is drained to relieve it: its OSDs and their checks do not hold.
    assert fullness_hold(usage(osd4=92, osd5=88, osd0=50), RATIOS,
                         ("OSD_NEARFULL", "OSD_BACKFILLFULL"), draining={4, 5}) is None
    # Another OSD past a ratio still holds, and so do a full OSD or a pool near full.
    assert fullness_hold(usage(osd4=92, osd0=86), RATIOS, ("OSD_NEARFULL",),
                         draining={4}) == "holding: osd.0 at 86.0% past nearfull 85.0%"
    assert fullness_hold(usage(osd4=96), RATIOS, ("OSD_FULL", "OSD_NEARFULL"),
                         draining={4}) == "holding: health shows OSD_FULL"
    assert fullness_hold(usage(osd4=92), RATIOS, ("POOL_NEAR_FULL",), draining={4}) == (
        "holding: health shows POOL_NEAR_FULL")


def test_an_osd_check_with_no_osd_past_a_ratio_still_holds_a_drain() -> None:
    assert fullness_hold(usage(osd4=80), RATIOS, ("OSD_NEARFULL",), draining={4}) == (
        "holding: health shows OSD_NEARFULL")
