"""Whether a maintenance may join those live on its cluster: hosts, limit, guard together."""

from __future__ import annotations

from functools import partial

from workflows.concurrency import Concurrency, Holder, join_refusal
from workflows.state import ClusterState, domain_problems

DECOMMISSION_NODE1 = Holder("decommission.node1.aaaa", ("node1",), token=7)


def test_a_free_cluster_admits_a_maintenance() -> None:
    assert join_refusal("replace.node2.bbbb", ("node2",), [], Concurrency()) is None


def test_a_busy_cluster_refuses_naming_the_holder_and_waiting_helps() -> None:
    refusal = join_refusal("replace.node2.bbbb", ("node2",), [DECOMMISSION_NODE1],
                           Concurrency())
    assert refusal is not None
    assert refusal.queueable
    assert refusal.holders == ("decommission.node1.aaaa",)
    assert "workflow decommission.node1.aaaa (hosts node1) holds its lease" in refusal.reason
    assert "at most 1 maintenance at once" in refusal.reason


def test_a_host_already_in_a_live_maintenance_is_refused_whatever_the_limit() -> None:
    never_asked = Concurrency(limit=5, check=lambda hosts: ["the guard was asked"])
    refusal = join_refusal("replace.node1.cccc", ("node1", "node3"), [DECOMMISSION_NODE1],
                           never_asked)
    assert refusal is not None
    assert not refusal.queueable
    assert refusal.reason == ("host node1 is already in workflow decommission.node1.aaaa "
                              "(hosts node1)")


def test_a_host_waiting_in_the_queue_is_refused_too() -> None:
    queued = [Holder("replace.node2.dddd", ("node2", "node3"))]
    refusal = join_refusal("disk.node2.eeee", ("node2",), [], Concurrency(), queued)
    assert refusal is not None and not refusal.queueable
    assert "node2 is already queued in workflow replace.node2.dddd" in refusal.reason


def test_the_maintenance_s_own_lease_and_queue_entry_do_not_count() -> None:
    own = Holder("replace.node2.bbbb", ("node2",), token=3)
    assert join_refusal(own.reference, own.hosts, [own], Concurrency(), [own]) is None


def test_within_the_limit_a_second_maintenance_joins_when_the_hosts_together_pass(
        healthy: ClusterState) -> None:
    asked: list[tuple[str, ...]] = []

    def guard(hosts: tuple[str, ...]) -> list[str]:
        asked.append(hosts)
        return domain_problems(healthy, hosts)

    # node3 is the spare: it holds no data, so the pools keep node0, node1 and node2.
    assert join_refusal("add.node3.ffff", ("node3",), [DECOMMISSION_NODE1],
                        Concurrency(limit=2, check=guard)) is None
    assert asked == [("node1", "node3")]


def test_two_decommissions_that_pass_alone_are_refused_together(
        healthy: ClusterState) -> None:
    check = partial(domain_problems, healthy)
    assert check(("node1",)) == [] and check(("node2",)) == []
    refusal = join_refusal("decommission.node2.gggg", ("node2",), [DECOMMISSION_NODE1],
                           Concurrency(limit=2, check=check))
    assert refusal is not None and refusal.queueable
    assert "together with workflow decommission.node1.aaaa" in refusal.reason
    assert "pool data (size 2)" in refusal.reason and "only 1 host would be left" in \
        refusal.reason


def test_the_limit_holds_even_when_the_guard_would_pass() -> None:
    live = [DECOMMISSION_NODE1, Holder("add.node3.hhhh", ("node3",))]
    refusal = join_refusal("disk.node0.iiii", ("node0",), live,
                           Concurrency(limit=2, check=lambda hosts: []))
    assert refusal is not None and refusal.queueable
    assert "at most 2 maintenances at once" in refusal.reason
    assert refusal.holders == ("decommission.node1.aaaa", "add.node3.hhhh")


def test_without_a_guard_a_second_maintenance_is_refused() -> None:
    refusal = join_refusal("add.node3.jjjj", ("node3",), [DECOMMISSION_NODE1],
                           Concurrency(limit=2))
    assert refusal is not None and "no guard" in refusal.reason
