"""Confirmations, their evidence of a disk swap, and when the technician gate opens."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

import pytest

from ceph_tasks.decisions.technician_gate import (
    Confirmation,
    GateVerdict,
    TicketView,
    assess_gate,
    check_evidence,
    confirmation_key,
    needs_host_report,
    parse_evidence,
)
from ceph_tasks.errors import InvalidInput

AT = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
OLD = {"/dev/sdb": "OLD-B", "/dev/sdc": "KEEP-C"}
AFTER_SWAP = {"/dev/sda": "BOOT", "/dev/sdb": "NEW-B", "/dev/sdc": "KEEP-C"}


def evidence(serials: list[str], *, expected: int = 1, paths: tuple[str, ...] = ("/dev/sdb",),
             reported: Mapping[str, str | None] | None = None) -> tuple[str, ...]:
    old = {p: OLD[p] for p in paths} if paths else OLD
    return check_evidence(serials, expected=expected, device_paths=paths,
                          reported=AFTER_SWAP if reported is None else reported, old=old)


def test_the_new_serial_on_the_swapped_device_is_accepted() -> None:
    assert evidence(["NEW-B"]) == ()


def test_a_serial_the_host_does_not_report_is_rejected_naming_it() -> None:
    assert evidence(["NEW-X"]) == ("the host reports no disk with serial NEW-X on /dev/sdb",)


def test_the_old_disks_serial_is_rejected_as_such() -> None:
    still_old = {**AFTER_SWAP, "/dev/sdb": "OLD-B"}
    assert evidence(["OLD-B"], reported=still_old) == (
        "serial OLD-B is the old disk's, of /dev/sdb",)


def test_a_serial_of_another_device_does_not_prove_the_swap() -> None:
    assert evidence(["KEEP-C"]) == ("the host reports no disk with serial KEEP-C on /dev/sdb",)


def test_without_device_paths_a_new_serial_anywhere_on_the_host_counts() -> None:
    assert evidence(["NEW-B"], paths=()) == ()
    assert evidence(["KEEP-C"], paths=()) == ("serial KEEP-C is the old disk's, of /dev/sdc",)


def test_too_few_serials_are_rejected() -> None:
    both = ("/dev/sdb", "/dev/sdc")
    assert evidence(["NEW-B"], expected=2, paths=both) == (
        "the confirmation carries 1 serial(s), 2 expected",)
    assert evidence(["NEW-B", "NEW-B"], expected=2, paths=both)[0].startswith(
        "the confirmation carries 1 serial(s)")


def test_a_device_the_host_no_longer_reports_is_named() -> None:
    gone = {"/dev/sda": "BOOT"}
    assert evidence(["NEW-B"], reported=gone) == (
        "the host reports no device /dev/sdb",
        "the host reports no disk with serial NEW-B on /dev/sdb")


def test_evidence_items_are_serials_in_order_without_repeats() -> None:
    assert parse_evidence(["serial=B2", "SERIAL= A1 ", "serial=B2"]) == ("B2", "A1")
    assert parse_evidence([]) == ()


@pytest.mark.parametrize("item", ["B2", "bay=3", "serial=", "serial=two words", "serial=a\x07"])
def test_malformed_evidence_is_refused(item: str) -> None:
    with pytest.raises(InvalidInput, match="serial"):
        parse_evidence([item])


def test_a_confirmation_survives_the_ledger_round_trip() -> None:
    c = Confirmation("dana", AT, ("NEW-B",))
    assert Confirmation.from_json(c.to_json()) == c
    assert c.describe() == "confirmation by dana at 2026-03-02T09:30:00+00:00 with serial(s) NEW-B"
    with pytest.raises(ValueError, match="not a confirmation"):
        Confirmation.from_json({"by": "dana"})


def test_confirmations_are_kept_per_host_or_for_the_whole_maintenance() -> None:
    assert confirmation_key("node2") == "confirmation:node2"
    assert confirmation_key(None) == "confirmation"


def gate(confirmation: Confirmation | None, *, expected: int = 0,
         ticket: TicketView | None = None, problems: tuple[str, ...] = ()) -> GateVerdict:
    return assess_gate(reference="wf-7", expected=expected, confirmation=confirmation,
                       ticket=ticket, problems=problems)


def test_without_a_confirmation_or_ticket_the_gate_waits_for_the_confirm_command() -> None:
    verdict = gate(None, expected=1)
    assert not verdict.released and verdict.rejected is None
    assert verdict.waiting_for == ("a technician's confirmation "
                                   "(cephmaint confirm wf-7 --evidence serial=NEW_SERIAL)")


def test_a_plain_confirmation_opens_a_gate_that_expects_no_evidence() -> None:
    verdict = gate(Confirmation("dana", AT))
    assert verdict.released and verdict.by.startswith("confirmation by dana")


def test_a_confirmation_with_evidence_problems_is_rejected_with_the_reasons() -> None:
    verdict = gate(Confirmation("dana", AT, ("OLD-B",)), expected=1,
                   problems=("serial OLD-B is the old disk's, of /dev/sdb",))
    assert not verdict.released
    assert verdict.rejected is not None
    assert verdict.rejected.endswith("rejected: serial OLD-B is the old disk's, of /dev/sdb")


def test_a_confirmation_whose_evidence_holds_opens_the_gate() -> None:
    assert gate(Confirmation("dana", AT, ("NEW-B",)), expected=1).released


def test_a_done_ticket_opens_the_gate_only_when_no_serials_are_expected() -> None:
    done = TicketView("OPS-3", "Closed", done=True)
    assert gate(None, ticket=done).by == "ticket OPS-3 is Closed"
    verdict = gate(None, expected=1, ticket=done)
    assert not verdict.released
    assert verdict.rejected == ("ticket OPS-3 is Closed, but the new disks' serials "
                                "must be confirmed")


def test_an_open_ticket_is_named_among_what_the_gate_waits_for() -> None:
    verdict = gate(None, ticket=TicketView("OPS-3", "In Progress", done=False))
    assert not verdict.released and verdict.rejected is None
    assert verdict.waiting_for.endswith("or ticket OPS-3 done (now In Progress)")


def test_the_host_is_read_only_to_check_a_confirmations_serials() -> None:
    assert needs_host_report(1, Confirmation("dana", AT))
    assert not needs_host_report(1, None)
    assert not needs_host_report(0, Confirmation("dana", AT))
