"""Bad input to the command line: one line on stderr, the right exit code, nothing written.

The commands run in-process against a real, private Redis (broker and state store). Two
workflows are submitted to it from the paper cluster's plans, with no worker: they stay
RUNNING, their steps waiting, which is what the control commands are tried on. Every
case compares Redis's keys before and after: a refused command writes nothing. The
inventory's cluster cannot be reached, so a command that got as far as the cluster would
exit 3, not 2.
"""

from __future__ import annotations

import getpass
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import redis

from ceph_tasks.settings import Settings
from cephmaint.cli import main
from tests.support.lab import INVENTORY, healthy_state, lab_cluster
from workflows.builders import plan_decommission, plan_replace
from workflows.concurrency import Concurrency
from workflows.engine import worker_app
from workflows.registry import RedisRegistry
from workflows.submission import submit

DEAD_REDIS = "redis://127.0.0.1:1/0"


@dataclass
class Outcome:
    """What a command did: exit code, output, and whether Redis changed."""

    code: int
    out: str
    err: str
    keys_changed: bool


@dataclass(frozen=True)
class Lab:
    """A Redis with two waiting workflows, and the inventory describing their cluster."""

    inventory: Path
    redis_url: str
    decommission: str
    replace: str


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory, redis_url: str) -> Lab:
    """Submit a decommission and a replacement (no technician step waiting yet)."""
    inventory = tmp_path_factory.mktemp("cli") / "inventory.yaml"
    inventory.write_text(INVENTORY)
    settings = Settings(broker_url=redis_url, redis_url=redis_url, inventory_path=inventory)
    app = worker_app(settings, name="cli-test")
    cluster, state = lab_cluster(), healthy_state()
    quiet = {"check_domains": lambda *_: []}
    # Two maintenances at once: the cluster has no guard to ask, so it is told they pass.
    two = Concurrency(limit=2, check=lambda hosts: [])
    old = submit(plan_decommission("node1", cluster=cluster, state=state, **quiet), app,
                 concurrency=two)
    new = submit(plan_replace("node2", "node3", cluster=cluster, state=state, **quiet), app,
                 concurrency=two)
    return Lab(inventory, redis_url, old.id, new.id)


@pytest.fixture
def cephmaint(lab: Lab, monkeypatch: pytest.MonkeyPatch,
              capsys: pytest.CaptureFixture[str]) -> Iterator[Callable[..., Outcome]]:
    """Run `cephmaint WORDS` with the lab's settings in the environment."""
    monkeypatch.setenv("CEPHMAINT_INVENTORY", str(lab.inventory))
    monkeypatch.setenv("CEPHMAINT_BROKER_URL", lab.redis_url)
    monkeypatch.setenv("CEPHMAINT_REDIS_URL", lab.redis_url)
    client = redis.Redis.from_url(lab.redis_url)

    def keys() -> dict[bytes, object]:
        # Contents, not DUMP: reading a hash may rehash it and reorder its dump.
        return {key: read_key(client, key) for key in sorted(client.keys("*"))}

    def run(*words: str) -> Outcome:
        capsys.readouterr()
        before = keys()
        code = main(list(words))
        out, err = capsys.readouterr()
        return Outcome(code, out, err, keys() != before)

    yield run
    client.close()


def read_key(client: redis.Redis, key: bytes) -> object:
    """A key's contents, whatever its type."""
    kind = client.type(key)
    readers: dict[bytes, Callable[[bytes], object]] = {
        b"string": client.get, b"hash": client.hgetall,
        b"list": lambda k: client.lrange(k, 0, -1), b"set": client.smembers,
        b"zset": lambda k: client.zrange(k, 0, -1, withscores=True)}
    return kind, readers[kind](key) if kind in readers else None


def refused(outcome: Outcome, code: int, *words: str) -> None:
    """The command exited code with one line naming words, no traceback, nothing written."""
    assert outcome.code == code, outcome
    lines = outcome.err.strip().splitlines()
    assert len(lines) == 1, outcome.err
    assert "Traceback" not in outcome.err
    for word in words:
        assert word in lines[0], lines[0]
    assert not outcome.keys_changed


def write(path: Path, text: str) -> str:
    path.write_text(text)
    return str(path)


def test_a_missing_inventory_file(cephmaint: Callable[..., Outcome], tmp_path: Path) -> None:
    refused(cephmaint("plan", "replace", "node2", "--inventory", str(tmp_path / "none.yaml")),
            2, "none.yaml")


def test_malformed_yaml(cephmaint: Callable[..., Outcome], tmp_path: Path) -> None:
    path = write(tmp_path / "bad.yaml", "clusters:\n  - name: [lab\n")
    refused(cephmaint("plan", "replace", "node2", "--inventory", path), 2, "bad.yaml:")


def test_a_wrong_type_in_the_inventory(cephmaint: Callable[..., Outcome],
                                       tmp_path: Path) -> None:
    path = write(tmp_path / "typed.yaml", INVENTORY.replace("bay: '1'", "bay: [1]", 1))
    refused(cephmaint("run", "replace", "node2", "--inventory", path), 2, "typed.yaml:", "bay")


def test_a_duplicate_host(cephmaint: Callable[..., Outcome], tmp_path: Path) -> None:
    path = write(tmp_path / "twice.yaml", INVENTORY.replace("name: node1", "name: node0"))
    refused(cephmaint("plan", "decommission", "node0", "--inventory", path), 2, "node0")


def test_an_unknown_host(cephmaint: Callable[..., Outcome]) -> None:
    refused(cephmaint("plan", "decommission", "node9"), 2, "host node9")


def test_a_host_name_with_shell_metacharacters_is_an_unknown_host(
        cephmaint: Callable[..., Outcome], tmp_path: Path) -> None:
    canary = tmp_path / "canary"
    canary.touch()
    refused(cephmaint("run", "replace", f"node2; rm -f {canary}"), 2, "is in no cluster")
    refused(cephmaint("plan", "replace", "$(touch /tmp/pwned)"), 2, "is in no cluster")
    assert canary.exists() and not Path("/tmp/pwned").exists()


@pytest.mark.parametrize("words", [("status",), ("cancel",), ("confirm",),
                                   ("skip", "-", "wait-healthy"), ("retry",), ("pause",)])
def test_an_unknown_workflow_reference(cephmaint: Callable[..., Outcome],
                                       words: tuple[str, ...]) -> None:
    command = [w if w != "-" else "replace.node7.0000aaaa" for w in words]
    if len(command) == 1:
        command.append("replace.node7.0000aaaa")
    refused(cephmaint(*command), 2, f"cephmaint {words[0]}", "replace.node7.0000aaaa")


def test_an_unknown_step(cephmaint: Callable[..., Outcome], lab: Lab) -> None:
    refused(cephmaint("skip", lab.replace, "no-such-step"), 2, "no-such-step")


def test_redis_unreachable_for_status_list_and_run(cephmaint: Callable[..., Outcome],
                                                   lab: Lab) -> None:
    refused(cephmaint("status", lab.replace, "--redis-url", DEAD_REDIS), 3, "127.0.0.1:1")
    refused(cephmaint("list", "--redis-url", DEAD_REDIS), 3,
            "cannot read the maintenances of cluster lab", "127.0.0.1:1")
    refused(cephmaint("run", "replace", "node2", "--redis-url", DEAD_REDIS), 3,
            "Redis at redis://127.0.0.1:1/0 cannot be reached")


def test_the_broker_unreachable_for_run(cephmaint: Callable[..., Outcome]) -> None:
    refused(cephmaint("run", "replace", "node2", "--broker-url", "amqp://127.0.0.1:1//"), 3,
            "broker at amqp://127.0.0.1:1// cannot be reached")


def test_an_unknown_command_and_an_invalid_option_value(
        cephmaint: Callable[..., Outcome]) -> None:
    refused(cephmaint("frobnicate"), 2, "No such command 'frobnicate'")
    refused(cephmaint("plan", "rebuild", "node2"), 2, "'rebuild' is not one of")
    refused(cephmaint("status", "x", "--interval", "soon"), 2, "'soon' is not a valid float")
    refused(cephmaint("list", "--state", "stuck"), 2, "'stuck' is not one of")
    refused(cephmaint("list", "--since", "7 days"), 2, "--since", "'7 days' is not an age")
    refused(cephmaint("list", "--cluster", "ceph-nowhere"), 2, "'ceph-nowhere'")
    refused(cephmaint("audit", "--since", "7 days"), 2, "--since", "'7 days' is not an age")
    refused(cephmaint("audit", "--cluster", "ceph-nowhere"), 2, "'ceph-nowhere'")
    refused(cephmaint("audit", "--kind", "gossip"), 2, "'gossip' is not one of")


@pytest.mark.parametrize(("words", "says"), [
    (("--now",), "--now and --reason go together"),
    (("--reason", "why"), "--now and --reason go together"),
    (("--now", "--reason", " "), "--reason is empty"),
    (("--queue", "--now", "--reason", "why"), "give one"),
])
def test_window_options_that_do_not_fit_together(cephmaint: Callable[..., Outcome],
                                                 words: tuple[str, ...], says: str) -> None:
    refused(cephmaint("run", "replace", "node2", *words), 2, says)


@pytest.mark.parametrize(("words", "says"), [
    (("maintenance", "node1", "--reason", "kernel"), "needs one of --reboot, --command CMD"),
    (("maintenance", "node1", "--reboot", "--technician", "--reason", "x"), "needs one of"),
    (("maintenance", "node1", "--reboot"), "maintenance needs --reason TEXT"),
    (("maintenance", "node1", "--command", "fwupd 'x", "--reason", "x"),
     "cannot be split into words"),
    (("maintenance", "node1", "--command", " ", "--reason", "x"), "--command is empty"),
    (("replace", "node2", "--reboot"), "for maintenance only"),
    (("maintenance", "--reboot", "--reason", "x"), "give the HOST (or, for maintenance"),
    (("maintenance", "node1", "--all-hosts", "--reboot", "--reason", "x"), "without HOST"),
    (("replace", "--rack", "r1"), "for maintenance only"),
    (("maintenance", "--rack", "nowhere", "--reboot", "--reason", "x"),
     "no host with OSDs in rack nowhere"),
    (("replace", "node2", "--failed"), "--failed is for disk and decommission only"),
    (("disk", "osd.5", "--strategy", "move-once"),
     "--strategy is for replace, add and decommission only"),
    (("decommission", "node2", "--failed", "--strategy", "drain-fill"),
     "--strategy is not for --failed"),
    (("replace", "node2", "--strategy", "fast"), "Invalid value for '--strategy'"),
])
def test_a_maintenance_needs_one_work_and_its_reason(cephmaint: Callable[..., Outcome],
                                                     words: tuple[str, ...], says: str) -> None:
    refused(cephmaint("run", *words), 2, says)


def test_extending_the_time_down_of_a_maintenance_that_takes_no_host_down(
        cephmaint: Callable[..., Outcome], lab: Lab) -> None:
    refused(cephmaint("extend", lab.replace, "--minutes", "30", "--reason", "BIOS"), 2,
            "takes no host down without a drain")
    refused(cephmaint("extend", lab.replace, "--minutes", "0", "--reason", "x"), 2,
            "0.0 is not in the range x>=1")


def test_giving_up_a_host_of_a_maintenance_that_holds_none(
        cephmaint: Callable[..., Outcome], lab: Lab) -> None:
    refused(cephmaint("decommission-instead", lab.replace, "--reason", "dead"), 2,
            "holds no host down past its time (hosts held: none)")
    refused(cephmaint("decommission-instead", lab.replace, "--reason", " "), 2,
            "--by and --reason must say something")


def test_retry_of_a_running_workflow(cephmaint: Callable[..., Outcome], lab: Lab) -> None:
    refused(cephmaint("retry", lab.replace), 2, "is RUNNING", "only a failed workflow")


def test_confirm_without_a_technician_step(cephmaint: Callable[..., Outcome],
                                           lab: Lab) -> None:
    refused(cephmaint("confirm", lab.decommission, "--by", "tech"), 2, "no technician step")


def test_confirm_before_the_technicians_were_asked(cephmaint: Callable[..., Outcome],
                                                   lab: Lab) -> None:
    refused(cephmaint("confirm", lab.replace, "--by", "tech"), 2,
            "is not waiting for a technician", "confirm-node2 is pending")


def test_confirm_with_malformed_evidence(cephmaint: Callable[..., Outcome],
                                         lab: Lab) -> None:
    refused(cephmaint("confirm", lab.replace, "--evidence", "bay=3"), 2, "serial=SERIAL")


def test_debug_adds_the_traceback(cephmaint: Callable[..., Outcome]) -> None:
    shown = cephmaint("status", "replace.node7.0000aaaa", "--debug")
    assert shown.code == 2
    assert "Traceback" in shown.err and "UnknownWorkflowError" in shown.err
    assert shown.err.strip().splitlines()[-1].startswith("cephmaint status: no workflow")


def test_status_of_a_waiting_workflow_reads_fine(cephmaint: Callable[..., Outcome],
                                                 lab: Lab) -> None:
    shown = cephmaint("status", lab.replace)
    assert shown.code == 0 and not shown.keys_changed, shown
    assert f"workflow {lab.replace}: RUNNING" in shown.out
    assert "wait for the technicians' confirmation on node2  (pending)" in shown.out


def test_list_shows_every_maintenance_of_the_inventory_and_writes_nothing(
        cephmaint: Callable[..., Outcome], lab: Lab) -> None:
    shown = cephmaint("list", "--json")
    assert shown.code == 0 and not shown.keys_changed, shown
    rows = {row["reference"]: row for row in json.loads(shown.out)}
    assert set(rows) >= {lab.decommission, lab.replace}
    replace = rows[lab.replace]
    assert (replace["kind"], replace["hosts"], replace["state"], replace["by"]) == (
        "replace", ["node2", "node3"], "running", getpass.getuser())
    assert replace["done"] == 0 and replace["total"] > 10
    assert cephmaint("list", "--state", "done").out.strip() == "no maintenance matches"
    table = cephmaint("list", "--cluster", "lab")
    assert table.code == 0 and lab.replace in table.out and "running" in table.out, table


def test_audit_shows_who_started_each_maintenance_and_writes_nothing(
        cephmaint: Callable[..., Outcome], lab: Lab) -> None:
    shown = cephmaint("audit", "--kind", "operator", "--json")
    assert shown.code == 0 and not shown.keys_changed, shown
    started = {r["reference"]: r for r in json.loads(shown.out) if r["action"] == "start"}
    replace = started[lab.replace]
    assert (replace["actor"], replace["cluster"], replace["outcome"]) == (
        getpass.getuser(), "lab", "done")
    assert replace["details"]["hosts"] == ["node2", "node3"]
    table = cephmaint("audit", "--reference", lab.replace)
    assert table.code == 0, table
    [line] = [line for line in table.out.splitlines() if " start " in line]
    assert f"operator  done     {getpass.getuser()}" in line and lab.replace in line, line
    assert cephmaint("audit", "--since", "1s", "--host", "nowhere").out.strip() == \
        "no audit entry matches"


def test_list_finds_a_maintenance_started_without_a_recorded_start_by_its_lease(
        cephmaint: Callable[..., Outcome], lab: Lab) -> None:
    registry = RedisRegistry.from_url(lab.redis_url)
    kept = registry.started("lab")
    registry.remove("lab", [s.reference for s in kept])
    try:
        rows = {r["reference"]: r for r in json.loads(cephmaint("list", "--json").out)}
        assert (rows[lab.replace]["state"], rows[lab.replace]["since"],
                rows[lab.replace]["by"]) == ("running", None, "")
        # Its start time is not known: an age cannot take it in or leave it out.
        assert lab.replace not in cephmaint("list", "--since", "1h").out
    finally:
        for started in kept:
            registry.add("lab", started)


def test_a_topology_that_cannot_be_placed_starts_nothing(cephmaint: Callable[..., Outcome],
                                                          tmp_path: Path) -> None:
    path = write(tmp_path / "shape.yaml", "hosts:\n  a: {osds: 1}\npools:\n"
                                          "  - {name: p, size: 2, pg_num: 8}\n")
    refused(cephmaint("sandbox", "--home", str(tmp_path), "up", "--topology", path), 2,
            "shape.yaml:4: pools[0].size", "needs 2 hosts (size) but the topology has 1")
    assert not (tmp_path / "default").exists()
