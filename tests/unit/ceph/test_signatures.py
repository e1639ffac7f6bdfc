"""Commands are checked against the cluster's signatures before librados sends them."""

from __future__ import annotations

from typing import Any

import pytest

from ceph_tasks.ceph.command import CephCommand
from ceph_tasks.ceph.signatures import CommandSignatures
from ceph_tasks.errors import CephBadOutput, CephInvalidCommand

# Entries as a Pacific monitor describes them (`get_command_descriptions`).
DESCRIPTIONS: dict[str, Any] = {
    "cmd000": {"sig": ["pg", "stat"], "flags": 8},
    "cmd001": {"sig": ["pg", "dump", {"n": "N", "name": "dumpcontents", "req": "false",
                                      "strings": "all|summary|sum|delta|pools|osds|pgs|pgs_brief",
                                      "type": "CephChoices"}], "flags": 8},
    "cmd036": {"sig": ["osd", "ok-to-stop", {"n": "N", "name": "ids", "type": "CephString"},
                       {"name": "max", "req": "false", "type": "CephInt"}], "flags": 8},
    "cmd034": {"sig": ["osd", "purge", {"name": "id", "type": "CephOsdName"},
                       {"name": "force", "req": "false", "type": "CephBool"},
                       {"name": "yes_i_really_mean_it", "req": "false", "type": "CephBool"}],
               "flags": 8},
    "cmd437": {"sig": ["osd", "crush", "reweight",
                       {"goodchars": "[A-Za-z0-9-_.]", "name": "name", "type": "CephString"},
                       {"name": "weight", "range": "0.0", "type": "CephFloat"}], "flags": 0},
    "cmd314": {"sig": ["df", {"name": "detail", "req": "false", "strings": "detail",
                              "type": "CephChoices"}], "flags": 0},
    "cmd999": {"sig": [{"name": "prefix", "type": "CephPrefix", "prefix": "health"}],
               "flags": 0},
}
SIGNATURES = CommandSignatures.from_descriptions(DESCRIPTIONS)


@pytest.mark.parametrize("command", [
    CephCommand("pg stat"),
    CephCommand("pg dump", {"dumpcontents": ["pgs_brief"]}),
    CephCommand("osd ok-to-stop", {"ids": ["4", "5"], "format": "json"}),
    CephCommand("osd purge", {"id": 4, "yes_i_really_mean_it": True}),
    CephCommand("osd crush reweight", {"name": "osd.4", "weight": 0}),
    CephCommand("df", {"detail": "detail"}),
    CephCommand("health"),
])
def test_well_formed_commands_pass(command: CephCommand) -> None:
    signature = SIGNATURES.check(command)
    assert signature.prefix == command.prefix


def test_manager_commands_are_told_apart_by_their_flag() -> None:
    assert SIGNATURES.check(CephCommand("pg stat")).mgr
    assert not SIGNATURES.check(CephCommand("df")).mgr
    assert "osd purge" in SIGNATURES and "osd nothing" not in SIGNATURES


@pytest.mark.parametrize(("command", "problem"), [
    # A Pacific monitor aborts on this one: the check must stop it.
    (CephCommand("osd crush reweight", {"name": "osd.4"}), "missing required argument weight"),
    (CephCommand("osd ok-to-stop", {"ids": "4"}), "ids takes a list"),
    (CephCommand("osd ok-to-stop", {"ids": []}), "ids needs at least one value"),
    (CephCommand("osd ok-to-stop", {"ids": [4]}), "ids must be CephString"),
    (CephCommand("osd purge", {"id": 4, "yes_i_really_mean_it": "yes"}),
     "yes_i_really_mean_it must be CephBool"),
    (CephCommand("osd crush reweight", {"name": "osd.4", "weight": "heavy"}),
     "weight must be CephFloat"),
    (CephCommand("osd ok-to-stop", {"ids": ["4"], "max": True}), "max must be CephInt"),
    (CephCommand("df", {"detail": "everything"}), "detail must be detail"),
    (CephCommand("pg dump", {"dumpcontents": "pgs_brief"}), "dumpcontents takes a list"),
    (CephCommand("pg stat", {"pool": "data"}), "unknown argument pool"),
    (CephCommand("osd destroy everything"), "command not known to the cluster"),
])
def test_malformed_commands_are_refused_naming_the_problem(command: CephCommand,
                                                           problem: str) -> None:
    with pytest.raises(CephInvalidCommand, match=problem) as caught:
        SIGNATURES.check(command)
    assert caught.value.command == command.describe() and caught.value.code == 22


def test_malformed_descriptions_are_bad_output() -> None:
    with pytest.raises(CephBadOutput):
        CommandSignatures.from_descriptions([])
    with pytest.raises(CephBadOutput):
        CommandSignatures.from_descriptions({"cmd0": {"sig": [{"type": "CephInt"}]}})
