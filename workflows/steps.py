"""The steps maintenance workflows are made of: one per ceph_tasks task, with a readable title."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ceph_tasks.decisions.health_gate import FLAG_CODES
from ceph_tasks.decisions.restoration import Kind
from ceph_tasks.names import INVENTORY_STEP, ORIGINAL_WEIGHT, TaskName
from workflows.plan import Phase, Step

#: Flags a data move sets on the pools whose data moves: their scrubs would compete with
#: backfill for the same disks, and Ceph's own osd_scrub_during_recovery=false only stops
#: an OSD starting scrubs as a primary while it recovers, not serving them as a replica.
MOVE_FLAGS = ("noscrub", "nodeep-scrub")


@dataclass
class StepMaker:
    """Makes the steps of one maintenance: ids unique within it, every task's common args."""

    cluster: str
    reference: str
    prefix: str = ""
    _used: set[str] = field(default_factory=set)

    def _step(self, name: str, title: str, task: TaskName, phase: Phase, after: Sequence[str],
              touches: Sequence[str] = (), osds: Sequence[int] = (), **kwargs: Any) -> Step:
        step_id = f"{self.prefix}{name}"
        number = 2
        while step_id in self._used:
            step_id, number = f"{self.prefix}{name}.{number}", number + 1
        self._used.add(step_id)
        return Step(id=step_id, title=title, task=task,
                    kwargs={"cluster": self.cluster, **kwargs}, phase=phase,
                    after=tuple(after), hosts=tuple(touches), osds=tuple(sorted(osds)))

    def healthy_to_start(self, after: Sequence[str] = (), failed: Sequence[int] = ()
                         ) -> Step:
        """Guard: the cluster is healthy (but for the failed OSDs) before anything changes."""
        if not failed:
            return self._step("check-healthy", f"check cluster {self.cluster} is healthy",
                              TaskName.CHECK_HEALTHY_TO_START, Phase.GUARD, after,
                              reference=self.reference)
        return self._step("check-healthy", f"check cluster {self.cluster} is healthy but for "
                          f"failed {_osds(failed)}, and that it is down",
                          TaskName.CHECK_HEALTHY_TO_START, Phase.GUARD, after, osds=failed,
                          reference=self.reference, failed_osds=sorted(failed))

    def out_failed(self, osd: int, after: Sequence[str], *, timeout: float,
                   interval: float) -> Step:
        """Mark a failed OSD out now and wait until its data is whole on other OSDs."""
        return self._step(f"out-failed-{osd}", f"mark failed osd.{osd} out, wait until Ceph "
                          "recovered its data from the other copies (safe to destroy)",
                          TaskName.OUT_FAILED_OSD, Phase.MOVE, after, osds=[osd],
                          reference=self.reference, osd_id=osd, timeout=timeout,
                          interval=interval)

    def removal_guard(self, hosts: Sequence[str], after: Sequence[str]) -> Step:
        """Guard: every pool keeps enough failure domains without these hosts."""
        return self._step("check-domains", f"check pools keep enough failure domains "
                          f"without {', '.join(hosts)}", TaskName.CHECK_REMOVAL, Phase.GUARD, after,
                          touches=hosts, hosts=list(hosts))

    def safe_to_destroy(self, osds: Sequence[int], after: Sequence[str]) -> Step:
        """Guard: Ceph says the OSDs hold no data it still needs."""
        return self._step("check-safe", f"check {_osds(osds)} safe to destroy",
                          TaskName.CHECK_SAFE_TO_DESTROY, Phase.GUARD, after, osds=osds,
                          osd_ids=sorted(osds))

    def downtime_on(self, host: str, seconds: float, after: Sequence[str]) -> Step:
        """Silence monitoring of a host for the maintenance."""
        return self._step(f"downtime-on-{host}", f"set monitoring downtime on {host}",
                          TaskName.SET_DOWNTIME, Phase.PREPARE, after, touches=[host], host=host,
                          reference=self.reference, duration_s=seconds,
                          comment=f"cephmaint {self.reference}")

    def flags_on(self, after: Sequence[str], pools: Sequence[str],
                 flags: Sequence[str] = MOVE_FLAGS, phase: Phase = Phase.PREPARE) -> Step:
        """Pause scrubs on the pools whose data moves (recorded, so only ours are undone)."""
        return self._step("flags-on", f"set {','.join(flags)} on pool(s) {', '.join(pools)}",
                          TaskName.SET_FLAGS, phase, after, reference=self.reference,
                          flags=list(flags), pools=list(pools))

    def movers_off(self, after: Sequence[str], phase: Phase = Phase.PREPARE) -> Step:
        """Pause the balancer and the PG autoscaler (recorded, put back by restore)."""
        return self._step("movers-off", "pause the balancer and the PG autoscaler",
                          TaskName.PAUSE_MOVERS, phase, after, reference=self.reference)

    def recovery_settings(self, after: Sequence[str], phase: Phase = Phase.PREPARE) -> Step:
        """Give each OSD the throttles' recovery settings for its scheduler (recorded)."""
        return self._step("recovery-settings", "set per-OSD recovery settings for each OSD's "
                          "scheduler (the operator's own kept)",
                          TaskName.APPLY_RECOVERY_SETTINGS, phase, after,
                          reference=self.reference)

    def host_noout(self, host: str, after: Sequence[str]) -> Step:
        """Keep the host's OSDs in while they are down (`osd set-group noout HOST`)."""
        return self._step(f"noout-{host}", f"set noout on host {host} only (osd set-group)",
                          TaskName.SET_FLAGS, Phase.PREPARE, after, touches=[host],
                          reference=self.reference, flags=["noout"], hosts=[host])

    def ok_to_stop(self, osds: Sequence[int], after: Sequence[str]) -> Step:
        """Guard: Ceph says stopping these OSDs leaves every PG active."""
        return self._step("check-ok-to-stop", f"check {_osds(osds)} ok to stop",
                          TaskName.CHECK_OK_TO_STOP, Phase.GUARD, after, osds=osds,
                          osd_ids=sorted(osds))

    def stop_daemons(self, host: str, after: Sequence[str]) -> Step:
        """Stop the host's OSD daemons, each recorded for the restore to start again."""
        return self._step(f"stop-{host}", f"stop the OSD daemons of {host}",
                          TaskName.STOP_HOST_DAEMONS, Phase.HARDWARE, after, touches=[host],
                          reference=self.reference, host=host)

    def run_on_host(self, host: str, after: Sequence[str], *, timeout: float,
                    command: Sequence[str] | None = None) -> Step:
        """Reboot the host (command None) and wait for it, or run a command on it."""
        title = (f"reboot {host} and wait for it over SSH" if command is None
                 else f"run on {host}: {' '.join(command)}")
        return self._step(f"work-{host}", title, TaskName.RUN_ON_HOST, Phase.HARDWARE, after,
                          touches=[host], reference=self.reference, host=host,
                          timeout=timeout, **({"reboot": True} if command is None
                                              else {"command": list(command)}))

    def wait_host_back(self, host: str, after: Sequence[str], *, timeout: float) -> Step:
        """Wait until the host's OSDs are up and in and every PG active+clean again."""
        return self._step(f"back-{host}", f"wait for {host}'s OSDs up and in and every PG "
                          "active+clean", TaskName.WAIT_HOST_BACK, Phase.HARDWARE, after,
                          touches=[host], reference=self.reference, host=host, timeout=timeout)

    def restore(self, after: Sequence[str], kinds: Sequence[Kind] | None = None,
                phase: Phase = Phase.RESTORE, hosts: Sequence[str] = ()) -> Step:
        """Put back what the maintenance recorded: these kinds of change, or all of them."""
        said = ("flags, movers and downtimes" if kinds is None
                else " and ".join(str(k) for k in kinds))
        return self._step("restore", f"restore {said} as recorded before the maintenance",
                          TaskName.RESTORE, phase, after, touches=hosts,
                          reference=self.reference,
                          kinds=None if kinds is None else [str(k) for k in kinds])

    def reweight(self, host: str, target: float | str, osds: Sequence[int],
                 after: Sequence[str], phase: Phase = Phase.MOVE,
                 timeout: float | None = None) -> Step:
        """Move a host's CRUSH weights to target in the inventory's steps, within timeout."""
        verb = "drain" if target == 0 else f"raise weight of {host}'s OSDs to {target}"
        title = f"drain {host} ({_osds(osds)}) in steps" if verb == "drain" else verb
        return self._step(f"reweight-{host}", title, TaskName.REWEIGHT, phase, after,
                          touches=[host], osds=osds, reference=self.reference, host=host,
                          target=target, step=INVENTORY_STEP,
                          **({} if timeout is None else {"timeout": timeout}))

    def reweight_at_once(self, host: str, target: float | str, osds: Sequence[int],
                         after: Sequence[str], phase: Phase = Phase.MOVE) -> Step:
        """Set a host's CRUSH weights to target in one step (data held by norebalance)."""
        return self._step(f"weights-{host}", f"set the weights of {host}'s OSDs to {target} at "
                          "once, data held where it is (norebalance)", TaskName.REWEIGHT,
                          phase, after, touches=[host], osds=osds, reference=self.reference,
                          host=host, target=target, step=None)

    def norebalance_on(self, after: Sequence[str], phase: Phase = Phase.MOVE) -> Step:
        """Set norebalance: CRUSH changes remap PGs without moving their data yet."""
        return self._step("norebalance-on", "set norebalance: the next weight change moves "
                          "no data", TaskName.SET_FLAGS, phase, after,
                          reference=self.reference, flags=["norebalance"])

    def pin_placement(self, after: Sequence[str], phase: Phase = Phase.MOVE) -> Step:
        """Pin every remapped PG where its data is, then lift our norebalance."""
        return self._step("pin", "pin every remapped PG onto the OSDs holding its data "
                          "(upmap items), then unset norebalance", TaskName.PIN_PLACEMENT,
                          phase, after, reference=self.reference)

    def move_off(self, host: str, to_host: str | None, after: Sequence[str], *,
                 timeout: float) -> Step:
        """Move each copy on host's OSDs straight to to_host's (None: the least loaded OSDs
        of the other hosts), a batch at a time."""
        where = to_host or "the least loaded OSDs of the other hosts"
        return self._step(f"move-{host}", f"move each copy on {host} straight to {where} "
                          "(upmap items), a batch at a time under the backfill cap",
                          TaskName.MOVE_OFF, Phase.MOVE, after,
                          touches=[host, to_host] if to_host else [host],
                          reference=self.reference, host=host, to_host=to_host,
                          timeout=timeout)

    def release_pins(self, host: str, after: Sequence[str], *, timeout: float) -> Step:
        """Put back the upmap items this maintenance set, a batch at a time."""
        return self._step(f"release-{host}", "release the pinned PGs a batch at a time under "
                          "the backfill cap: each goes straight to where CRUSH puts it",
                          TaskName.RELEASE_PINS, Phase.ADD, after, touches=[host],
                          reference=self.reference, host=host, timeout=timeout)

    def reweight_osds(self, osds: Sequence[int], target: float | str, after: Sequence[str],
                      phase: Phase = Phase.MOVE) -> Step:
        """Move some OSDs' CRUSH weights to target ("original": as before the maintenance)."""
        title = (f"drain {_osds(osds)} in steps" if target == 0
                 else f"raise {_osds(osds)} back to the weight before the maintenance"
                 if target == ORIGINAL_WEIGHT else f"raise {_osds(osds)} to {target} in steps")
        return self._step(f"reweight-{'-'.join(map(str, sorted(osds)))}", title, TaskName.REWEIGHT,
                          phase, after, osds=osds,
                          reference=self.reference, osd_ids=sorted(osds), target=target,
                          step=INVENTORY_STEP)

    def weights_back(self, osds: Sequence[int], after: Sequence[str] = (),
                     phase: Phase = Phase.ROLLBACK) -> Step:
        """Roll a drain back: OSDs still up raised to their recorded weights, in steps."""
        return self._step(f"weights-back-{'-'.join(map(str, sorted(osds)))}",
                          f"raise {_osds(osds)} back to their weights before the maintenance "
                          "(those still up)", TaskName.REWEIGHT, phase, after, osds=osds,
                          reference=self.reference, osd_ids=sorted(osds),
                          target=ORIGINAL_WEIGHT, step=INVENTORY_STEP, rollback=True)

    def wait_healthy(self, after: Sequence[str], timeout: float, interval: float,
                     phase: Phase = Phase.MOVE) -> Step:
        """Wait until every PG is active+clean (the workflow's own flags tolerated)."""
        return self._step("wait-healthy", "wait for HEALTH_OK and all PGs active+clean",
                          TaskName.WAIT_HEALTHY, phase, after, reference=self.reference,
                          tolerate=sorted(FLAG_CODES), timeout=timeout, interval=interval)

    def remove_node(self, host: str, osds: Sequence[int], after: Sequence[str],
                    mode: str = "purge") -> Step:
        """Mark out, stop, purge (or destroy) the host's OSDs and remove its bucket."""
        return self._step(f"remove-{host}", f"remove {host}: out, stop, {mode} {_osds(osds)}",
                          TaskName.REMOVE_NODE, Phase.REMOVE, after, touches=[host], osds=osds,
                          reference=self.reference, host=host, mode=mode)

    def deep_scrub(self, after: Sequence[str], *, host: str | None = None,
                   osds: Sequence[int] = ()) -> Step:
        """Deep-scrub the PGs of new OSDs (listed, or those created on host) and wait."""
        whose = _osds(osds) if osds else f"the new OSDs of {host}"
        return self._step(f"deep-scrub-{host or '-'.join(map(str, sorted(osds)))}",
                          f"deep-scrub the PGs of {whose}", TaskName.DEEP_SCRUB_OSDS,
                          Phase.VERIFY, after, touches=[host] if host else [], osds=osds,
                          reference=self.reference,
                          **({"osd_ids": sorted(osds)} if osds else {"host": host}))

    def hand_over(self, host: str, daemons: Sequence[str], after: Sequence[str],
                  stop_left: bool = True) -> Step:
        """Fail over the host's active manager and MDS, remove its monitor, before it goes."""
        stop = ", then what is left of them there is stopped" if stop_left else ""
        return self._step(f"hand-over-{host}", f"hand over {', '.join(daemons)} of {host}: "
                          f"standbys take over, its monitor leaves the monmap{stop}",
                          TaskName.HAND_OVER_DAEMONS, Phase.REMOVE, after, touches=[host],
                          reference=self.reference, host=host, stop_left=stop_left)

    def add_daemons(self, host: str, kinds: Sequence[str], after: Sequence[str],
                    fs: str = "") -> Step:
        """Bring up a monitor, manager or MDS on a host; wait until in quorum or standing by."""
        return self._step(f"daemons-on-{host}", f"bring up {', '.join(kinds)} on {host}: "
                          "its monitor in quorum, its manager and MDS standing by",
                          TaskName.ADD_DAEMONS, Phase.ADD, after, touches=[host],
                          reference=self.reference, host=host, kinds=list(kinds), fs=fs)

    def zap(self, host: str, osds: Sequence[int], after: Sequence[str]) -> Step:
        """Wipe the removed OSDs' devices for reuse, each recorded with its serial first."""
        return self._step(f"zap-{host}", f"zap the devices of {_osds(osds)} on {host}",
                          TaskName.ZAP_DEVICES, Phase.REMOVE, after, touches=[host], osds=osds,
                          reference=self.reference, host=host, osd_ids=sorted(osds))

    def locate(self, host: str, devices: Sequence[str], after: Sequence[str], *,
               on: bool) -> Step:
        """Light the drives' identify LEDs for the technicians (on), or put them out."""
        verb = "light" if on else "put out"
        return self._step(f"locate-{'on' if on else 'off'}-{host}",
                          f"{verb} the locate LED of {', '.join(devices)} on {host}",
                          TaskName.LOCATE_DEVICES, Phase.HARDWARE, after, touches=[host],
                          reference=self.reference, host=host, devices=list(devices), on=on)

    def ticket_stage(self, stage: str, text: str, after: Sequence[str], *, phase: Phase,
                     close: bool = False, ticket: str | None = None) -> Step:
        """Say on the maintenance's ticket where it stands; close: and close it."""
        given: dict[str, Any] = {"ticket": ticket} if ticket else {}
        return self._step(f"ticket-{stage}", f"{'close' if close else 'comment'} the "
                          f"ticket: {stage}", TaskName.TICKET_STAGE, phase, after,
                          reference=self.reference, stage=stage, text=text, close=close,
                          **given)

    def destroy_osds(self, host: str, osds: Sequence[int], after: Sequence[str]) -> Step:
        """Mark out, stop and destroy some OSDs of a host, keeping their ids for new disks."""
        return self._step(f"destroy-{'-'.join(map(str, sorted(osds)))}",
                          f"destroy {_osds(osds)} on {host} (ids kept): out, stop, destroy",
                          TaskName.REMOVE_NODE, Phase.REMOVE, after, touches=[host], osds=osds,
                          reference=self.reference, host=host, mode="destroy",
                          osd_ids=sorted(osds))

    def add_node(self, host: str, after: Sequence[str],
                 devices: Sequence[str] | None = None) -> Step:
        """Create OSDs on a host's free devices (or the given ones) at CRUSH weight 0."""
        where = f"{', '.join(devices)} of {host}" if devices else host
        return self._step(f"add-{host}", f"create OSDs on {where} at weight 0", TaskName.ADD_NODE,
                          Phase.ADD, after, touches=[host], reference=self.reference, host=host,
                          devices=list(devices) if devices else None)

    def notify(self, host: str, action: str, after: Sequence[str],
               device_paths: Sequence[str] | None = None, ticket: str | None = None) -> Step:
        """Tell the datacenter technicians what to do, where (on a ticket already open)."""
        given: dict[str, Any] = {"ticket": ticket} if ticket else {}
        return self._step(f"notify-{host}", f"ask technicians: {action}",
                          TaskName.NOTIFY_TECHNICIANS, Phase.HARDWARE, after, touches=[host],
                          host=host, reference=self.reference, action=action,
                          device_paths=list(device_paths) if device_paths else None, **given)

    def wait_technician(self, host: str, timeout: float, after: Sequence[str], *,
                        interval: float, device_paths: Sequence[str] | None = None,
                        expect_serials: int | None = None) -> Step:
        """Wait for the technicians' confirmation (with evidence when disks are swapped).

        interval has no default: every plan looks as often as its Timing says.
        """
        return self._step(f"confirm-{host}", f"wait for the technicians' confirmation on {host}",
                          TaskName.WAIT_FOR_TECHNICIAN, Phase.HARDWARE, after, touches=[host],
                          host=host, reference=self.reference, timeout=timeout,
                          device_paths=list(device_paths) if device_paths else None,
                          expect_serials=expect_serials, interval=interval)


def _osds(osds: Sequence[int]) -> str:
    return ", ".join(f"osd.{i}" for i in sorted(osds)) or "no OSDs"
