"""The plan names the Ceph release its cluster runs, and warns of an upgrade under way."""

from __future__ import annotations

from dataclasses import replace

from ceph_tasks.ceph.models import Versions
from inventory import Cluster
from workflows.planning import Kind, plan_maintenance
from workflows.state import ClusterState


def test_the_plan_names_the_release_or_warns_of_an_upgrade_under_way(
        cluster: Cluster, healthy: ClusterState) -> None:
    line = "ceph version {} ({}) {} (stable)"
    reef = line.format("18.2.7", "6b0e9880", "reef")
    pacific = line.format("16.2.15", "618f4402", "pacific")
    one = Versions.model_validate({"mon": {reef: 1}, "osd": {reef: 6}, "overall": {reef: 7}})
    plan = plan_maintenance(Kind.DECOMMISSION, "node2", cluster=cluster,
                            state=replace(healthy, versions=one))
    assert plan.notes[0] == "Ceph reef (18.2.7) on every daemon" and not plan.warnings
    upgrading = Versions.model_validate({"mon": {reef: 1}, "osd": {reef: 2, pacific: 4}})
    plan = plan_maintenance(Kind.DECOMMISSION, "node2", cluster=cluster,
                            state=replace(healthy, versions=upgrading))
    assert plan.warnings[-1].startswith("the daemons run more than one Ceph release "
                                        "(mon: reef; osd: pacific, reef)"), plan.warnings
