"""The flags of `osd dump`: cluster-wide osdmap flags and per-CRUSH-node flags (pure)."""

from __future__ import annotations

from typing import Any

from pydantic import Field, model_validator

from ceph_tasks.ceph.models.common import CephModel


class OsdDump(CephModel):
    """The osdmap epoch, its flags and its fullness ratios; the rest of `osd dump` is not read."""

    epoch: int
    #: Cluster-wide flags, e.g. noout, noscrub (and the always-on ones such as sortbitwise).
    flags: frozenset[str] = frozenset()
    #: Flags set on CRUSH nodes by `osd set-group`, by node name (e.g. a host).
    crush_node_flags: dict[str, frozenset[str]] = Field(default_factory=dict)
    #: The fullness ratios the cluster warns and stops at; None when the answer lacks them.
    full_ratio: float | None = None
    backfillfull_ratio: float | None = None
    nearfull_ratio: float | None = None

    @model_validator(mode="before")
    @classmethod
    def _flag_list(cls, data: Any) -> Any:
        # Pacific prints both "flags" (a comma-separated string) and "flags_set" (a list);
        # older releases print only the string. Prefer the list when it is there.
        if not isinstance(data, dict):
            return data
        flags = data.get("flags_set")
        if flags is None:
            text = data.get("flags", "")
            flags = [f for f in text.split(",") if f] if isinstance(text, str) else text
        return {**data, "flags": flags}

    def host_flags(self, host: str) -> frozenset[str]:
        """The flags set on one CRUSH node (e.g. a host bucket) by `osd set-group`."""
        return self.crush_node_flags.get(host, frozenset())
