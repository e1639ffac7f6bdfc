"""Where PGs would go after CRUSH weights change, asked of Ceph's own tools (an adapter).

The cluster's binary osdmap is written to a private temporary folder; its CRUSH map is
exported (`osdmaptool --export-crush`), each changed OSD reweighted (`crushtool
--reweight-item`, which adjusts the ancestors' weights; it takes one item per run), the
map imported back (`osdmaptool --import-crush`) and every PG mapped (`osdmaptool
--test-map-pgs-dump`). The osdmap carries the cluster's `osd reweight` values and upmap
entries, so both placements honour them. Temporary PG mappings (pg_temp) are cleared in
both: a projection is about where data settles, not where it is served from meanwhile.
"""

from __future__ import annotations

import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from ceph_tasks.ceph.models.pg_mapping import PgMapping, parse_pg_mapping
from ceph_tasks.ceph.runner import CommandRunner, LocalRunner
from ceph_tasks.errors import CephToolError

#: Seconds one tool run may take; mapping a large cluster's PGs takes a few seconds.
TOOL_TIMEOUT = 120.0


@dataclass(frozen=True)
class Placements:
    """PG placements of the map as it is and after the weight changes."""

    before: PgMapping
    after: PgMapping


class PlacementSimulator:
    """Runs osdmaptool and crushtool locally on a copy of a cluster's osdmap."""

    def __init__(self, runner: CommandRunner | None = None, *, osdmaptool: str = "osdmaptool",
                 crushtool: str = "crushtool", timeout: float = TOOL_TIMEOUT) -> None:
        self.runner: CommandRunner = runner or LocalRunner()
        self.osdmaptool, self.crushtool, self.timeout = osdmaptool, crushtool, timeout

    def simulate(self, osdmap: bytes, weights: Mapping[int, float]) -> Placements:
        """Placements of every PG now and with these OSDs at these CRUSH weights."""
        with tempfile.TemporaryDirectory(prefix="cephmaint-placement-") as folder:
            work = Path(folder)
            current = work / "osdmap"
            current.write_bytes(osdmap)
            before = self._map_pgs(current)
            changed = work / "osdmap.changed"
            changed.write_bytes(osdmap)
            crush = work / "crush.0"
            self._run([self.osdmaptool, str(changed), "--export-crush", str(crush)])
            for number, (osd, weight) in enumerate(sorted(weights.items()), 1):
                reweighted = work / f"crush.{number}"
                self._run([self.crushtool, "-i", str(crush), "--reweight-item", f"osd.{osd}",
                           f"{weight:g}", "-o", str(reweighted)])
                crush = reweighted
            self._run([self.osdmaptool, str(changed), "--import-crush", str(crush)])
            return Placements(before, self._map_pgs(changed))

    def _map_pgs(self, osdmap: Path) -> PgMapping:
        out = self._run([self.osdmaptool, str(osdmap), "--clear-temp",
                         "--test-map-pgs-dump"])
        return parse_pg_mapping(out)

    def _run(self, argv: Sequence[str]) -> str:
        try:
            code, out, err = self.runner.run(argv, self.timeout)
        except TimeoutError as e:
            raise CephToolError(f"{argv[0]} did not finish within {self.timeout:g} s") from e
        except OSError as e:
            raise CephToolError(f"cannot run {argv[0]} (is ceph-base installed?): {e}") from e
        if code != 0:
            last = (err.strip() or out.strip() or f"exit status {code}").splitlines()[-1]
            raise CephToolError(f"{' '.join(argv)} failed: {last}")
        return out
