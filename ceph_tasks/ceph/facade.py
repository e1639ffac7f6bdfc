"""Typed Ceph reads over any raw CephClient: one place turns answers into models."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from ceph_tasks.ceph.client import BinaryCephClient, CephClient
from ceph_tasks.ceph.command import CephCommand
from ceph_tasks.ceph.models import (
    CephDevice,
    CrushRule,
    Health,
    OkToStop,
    OsdDf,
    OsdDump,
    OsdPerf,
    OsdTree,
    PgBytes,
    PgDump,
    PgObjects,
    PgStat,
    Pool,
    SafeToDestroy,
    Status,
    Versions,
    parse_as,
    parse_list,
)
from ceph_tasks.ceph.models.config_db import ConfigEntry, parse_config_dump, running_value
from ceph_tasks.ceph.models.service_daemons import DaemonKind, Daemons
from ceph_tasks.errors import CephBadOutput, CephBusy, CephError, CephTryAgain


class Ceph:
    """The typed commands maintenance tasks need, over a CephClient (librados, CLI or fake)."""

    def __init__(self, client: CephClient) -> None:
        self.client = client

    def status(self) -> Status:
        """`status`: health, OSD counts, osdmap epoch, PG states and object counts."""
        return parse_as(Status, self.client.mon_command("status"), "status")

    def health_detail(self) -> Health:
        """`health detail`: every raised check with its detail lines."""
        return parse_as(Health, self.client.mon_command("health", detail="detail"),
                        "health detail")

    def osd_tree(self) -> OsdTree:
        """`osd tree`: CRUSH buckets, OSDs, their weights and states."""
        return parse_as(OsdTree, self.client.mon_command("osd tree"), "osd tree")

    def osd_df(self) -> OsdDf:
        """`osd df`: per-OSD utilisation, KiB used and PG counts."""
        return parse_as(OsdDf, self.client.mon_command("osd df"), "osd df")

    def osd_dump(self) -> OsdDump:
        """`osd dump`: the osdmap epoch, cluster-wide flags and per-CRUSH-node flags."""
        return parse_as(OsdDump, self.client.mon_command("osd dump"), "osd dump")

    def osd_dump_at(self, epoch: int) -> OsdDump:
        """`osd dump EPOCH`: an earlier map, for when it was made (CephError once trimmed)."""
        return parse_as(OsdDump, self.client.mon_command("osd dump", epoch=epoch),
                        f"osd dump {epoch}")

    def osd_perf(self) -> OsdPerf:
        """`osd perf`: each OSD's commit and apply latency in milliseconds."""
        return parse_as(OsdPerf, self.client.mon_command("osd perf"), "osd perf")

    def pg_stat(self) -> PgStat:
        """`pg stat`: PG states and degraded / misplaced / unfound object counts."""
        return parse_as(PgStat, self.client.mon_command("pg stat"), "pg stat")

    def pg_dump_brief(self) -> PgDump:
        """`pg dump pgs_brief`: every PG with its state and its up and acting OSDs."""
        return parse_as(PgDump, self.client.mon_command("pg dump", dumpcontents=["pgs_brief"]),
                        "pg dump pgs_brief")

    def pg_bytes(self) -> PgBytes:
        """`pg dump pgs`: the bytes every PG stores."""
        return parse_as(PgBytes, self.client.mon_command("pg dump", dumpcontents=["pgs"]),
                        "pg dump pgs")

    def pg_objects(self) -> PgObjects:
        """`pg dump pgs`: the objects every PG holds and has recovered, and where."""
        return parse_as(PgObjects, self.client.mon_command("pg dump", dumpcontents=["pgs"]),
                        "pg dump pgs")

    def osdmap(self) -> bytes:
        """`osd getmap`: the binary osdmap, for osdmaptool; CephError if the client can't."""
        if not isinstance(self.client, BinaryCephClient):
            raise CephError(f"{type(self.client).__name__} cannot read the binary osdmap")
        return self.client.mon_command_bytes("osd getmap")

    def erasure_code_profile(self, name: str) -> dict[str, str]:
        """`osd erasure-code-profile get`: a profile's settings (k, m, plugin...) as text."""
        answer = self.client.mon_command("osd erasure-code-profile get", name=name)
        if not isinstance(answer, dict):
            raise CephBadOutput("osd erasure-code-profile get", 0,
                                f"expected an object, got {answer!r}"[:200])
        return {str(k): str(v) for k, v in answer.items()}

    def device_ls(self) -> tuple[CephDevice, ...]:
        """`device ls` (the manager's): each device, its host, daemons and life expectancy."""
        return parse_list(CephDevice, self.client.mgr_command("device ls"), "device ls")

    def config_get(self, who: str, key: str) -> str:
        """`config get WHO KEY`: one setting as the monitors' config database has it."""
        answer = self.client.mon_command("config get", who=who, key=key)
        return str(answer).strip()

    def config_dump(self) -> tuple[ConfigEntry, ...]:
        """`config dump`: every option set in the monitors' config database."""
        return parse_config_dump(self.client.mon_command("config dump"))

    def running_config(self, who: str, key: str) -> str:
        """`config show WHO KEY` (the manager's): the value a daemon runs with now.

        CephNotFound when the manager has no report from the daemon (it is down).
        """
        try:
            answer = self.client.mgr_command("config show", who=who, key=key)
        except CephBadOutput as e:
            # With a key the manager prints the bare value ("wpq\n") whatever the format
            # asked: not JSON, so the client could not parse it, and the text is the answer.
            if not e.output.strip():
                raise
            answer = e.output
        return running_value(answer, who, key)

    def pool_ls_detail(self) -> tuple[Pool, ...]:
        """`osd pool ls detail`: every pool's size, min_size and CRUSH rule."""
        return parse_list(Pool, self.client.mon_command("osd pool ls", detail="detail"),
                          "osd pool ls detail")

    def features(self) -> dict[str, Any]:
        """`features`: the release and feature bits of each group of daemons and clients."""
        answer = self.client.mon_command("features")
        if not isinstance(answer, dict):
            raise CephBadOutput("features", 0, f"not a JSON object: {answer!r:.200}")
        return answer

    def versions(self) -> Versions:
        """`versions`: the release each kind of daemon runs, and the oldest OSDs' release."""
        return parse_as(Versions, self.client.mon_command("versions"), "versions")

    def crush_rule_dump(self) -> tuple[CrushRule, ...]:
        """`osd crush rule dump`: every rule and its steps."""
        return parse_list(CrushRule, self.client.mon_command("osd crush rule dump"),
                          "osd crush rule dump")

    def ok_to_stop(self, osd_ids: Iterable[int]) -> OkToStop:
        """`osd ok-to-stop`: a refusal (EBUSY) or PGs not known yet (EAGAIN) is "not ok"."""
        ids = _ids(osd_ids)
        command = CephCommand("osd ok-to-stop", {"ids": ids})
        try:
            answer = self.client.mon_command(command.prefix, ids=ids)
        except (CephBusy, CephTryAgain) as refusal:
            return parse_as(OkToStop, _refusal(refusal, command, ok_to_stop=False),
                            command.describe())
        return parse_as(OkToStop, answer, command.describe())

    def safe_to_destroy(self, osd_ids: Iterable[int]) -> SafeToDestroy:
        """`osd safe-to-destroy`: only OSDs in its safe_to_destroy list are safe."""
        ids = _ids(osd_ids)
        command = CephCommand("osd safe-to-destroy", {"ids": ids})
        try:
            answer = self.client.mon_command(command.prefix, ids=ids)
        except (CephBusy, CephTryAgain) as refusal:
            return parse_as(SafeToDestroy, _refusal(refusal, command), command.describe())
        return parse_as(SafeToDestroy, answer, command.describe())

    def daemons(self) -> Daemons:
        """The monitors (monmap and quorum), managers and MDS daemons, with their hosts."""
        client = self.client
        metadata = {kind: client.mon_command(f"{kind} metadata") or []
                    for kind in DaemonKind}
        return Daemons.from_answers(client.mon_command("quorum_status"),
                                    client.mon_command("mgr dump"),
                                    client.mon_command("fs dump"), metadata)

    def crush_layout(self) -> dict[str, frozenset[int]]:
        """Host buckets with their OSD ids, as inventory.compare_layout takes them."""
        return self.osd_tree().hosts()


def _ids(osd_ids: Iterable[int]) -> list[str]:
    # These commands take OSD ids as strings (they also accept "osd.N", "any", "all").
    return [str(osd_id) for osd_id in osd_ids]


def _refusal(refusal: CephBusy | CephTryAgain, command: CephCommand, **defaults: Any) -> Any:
    # The JSON a refusing command printed (if any), with the cluster's message as reason.
    answer: dict[str, Any] = dict(defaults)
    if refusal.output.strip():
        try:
            printed = _json_object(refusal.output)
        except ValueError as e:
            raise CephBadOutput(command.describe(), refusal.code,
                                f"refused with output that is not JSON: {refusal.message}",
                                refusal.output) from e
        answer.update(printed)
    answer["reason"] = refusal.message
    return answer


def _json_object(output: str) -> dict[str, Any]:
    value = json.loads(output)
    if not isinstance(value, dict):
        raise ValueError("not a JSON object")
    return value
