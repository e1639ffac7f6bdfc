"""Monitor, manager and MDS answers written by hand, for clusters on paper."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def daemon_answers(mons: Sequence[str], mgrs: Sequence[str], mds: Sequence[str] = (),
                   out_of_quorum: Sequence[str] = ()) -> dict[str, Any]:
    """Answers to quorum_status, mgr dump, fs dump and the metadata commands.

    The first manager is active, the others standbys; the first MDS holds rank 0 of
    cephfs, the others stand by. Daemons are named after their hosts and report no
    hostname, as on the sandbox (whose daemons all run on one machine).
    """
    quorum = [m for m in mons if m not in out_of_quorum]
    info = {f"gid_{4200 + i}": {"gid": 4200 + i, "name": name, "rank": 0,
                                "state": "up:active"} for i, name in enumerate(mds[:1])}
    return {
        "quorum_status": {"quorum_names": quorum,
                          "monmap": {"mons": [{"name": m, "rank": i}
                                              for i, m in enumerate(mons)]}},
        "mgr dump": {"active_name": mgrs[0] if mgrs else "", "available": bool(mgrs),
                     "standbys": [{"name": m} for m in mgrs[1:]]},
        "fs dump": {"filesystems": [{"mdsmap": {"fs_name": "cephfs", "info": info}}]
                    if mds else [],
                    "standbys": [{"name": m, "state": "up:standby"} for m in mds[1:]]},
        "mon metadata": [], "mgr metadata": [], "mds metadata": [],
    }
