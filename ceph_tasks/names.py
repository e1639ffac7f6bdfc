"""The names of cephmaint's Celery tasks: the contract between a plan's steps and the tasks.

Planning refers to a task through one of these names, never a string built by hand; this
module imports no Celery and reads nothing, so a plan can be made without a broker. The
tasks register under the same names (ceph_tasks.tasks), and a test binds every step's
arguments against its task's signature.
"""

from __future__ import annotations

from enum import StrEnum


class TaskName(StrEnum):
    """Every elementary maintenance task, by its Celery name."""

    CHECK_HEALTHY_TO_START = "cephmaint.check_healthy_to_start"
    CHECK_REMOVAL = "cephmaint.check_removal"
    CHECK_OK_TO_STOP = "cephmaint.check_ok_to_stop"
    CHECK_SAFE_TO_DESTROY = "cephmaint.check_safe_to_destroy"
    SET_DOWNTIME = "cephmaint.set_downtime"
    SET_FLAGS = "cephmaint.set_flags"
    REWEIGHT = "cephmaint.reweight"
    WAIT_HEALTHY = "cephmaint.wait_healthy"
    REMOVE_NODE = "cephmaint.remove_node"
    ADD_NODE = "cephmaint.add_node"
    NOTIFY_TECHNICIANS = "cephmaint.notify_technicians"
    WAIT_FOR_TECHNICIAN = "cephmaint.wait_for_technician"
    PAUSE_MOVERS = "cephmaint.pause_movers"
    RESTORE = "cephmaint.restore"
    STOP_HOST_DAEMONS = "cephmaint.stop_host_daemons"
    RUN_ON_HOST = "cephmaint.run_on_host"
    WAIT_HOST_BACK = "cephmaint.wait_host_back"
    ZAP_DEVICES = "cephmaint.zap_devices"
    LOCATE_DEVICES = "cephmaint.locate_devices"
    TICKET_STAGE = "cephmaint.ticket_stage"
    DEEP_SCRUB_OSDS = "cephmaint.deep_scrub_osds"
    OUT_FAILED_OSD = "cephmaint.out_failed_osd"
    HAND_OVER_DAEMONS = "cephmaint.hand_over_daemons"
    ADD_DAEMONS = "cephmaint.add_daemons"
    PIN_PLACEMENT = "cephmaint.pin_placement"
    MOVE_OFF = "cephmaint.move_off"
    RELEASE_PINS = "cephmaint.release_pins"
    APPLY_RECOVERY_SETTINGS = "cephmaint.apply_recovery_settings"


#: The modules that register those tasks, imported by a worker when it starts.
TASK_MODULES: tuple[str, ...] = (
    "ceph_tasks.tasks.locate",
    "ceph_tasks.tasks.ticket_stage",
    "ceph_tasks.tasks.downtime",
    "ceph_tasks.tasks.flags",
    "ceph_tasks.tasks.guards",
    "ceph_tasks.tasks.handover",
    "ceph_tasks.tasks.health_wait",
    "ceph_tasks.tasks.host_work",
    "ceph_tasks.tasks.pause",
    "ceph_tasks.tasks.osd_recovery",
    "ceph_tasks.tasks.addition",
    "ceph_tasks.tasks.deep_scrub",
    "ceph_tasks.tasks.failed_disk",
    "ceph_tasks.tasks.removal",
    "ceph_tasks.tasks.restore",
    "ceph_tasks.tasks.reweight",
    "ceph_tasks.tasks.technicians",
    "ceph_tasks.tasks.upmap_moves",
    "ceph_tasks.tasks.zap",
)

#: reweight's target that puts back the weights recorded before the maintenance.
ORIGINAL_WEIGHT = "original"
#: reweight's target that gives each OSD its device's size in TiB (Ceph's convention).
DEVICE_SIZE = "device size"
#: reweight's step that takes the inventory's throttles.crush_weight_step.
INVENTORY_STEP = "inventory"


class Hold(StrEnum):
    """Why a step holds, as its progress says (`hold`) and `list`, the page and /metrics show."""

    WINDOW = "window"
    TECHNICIAN = "technician"
    HEALTH = "health"
    CLIENT_IMPACT = "client-impact"
    FULLNESS = "fullness"
    PG_CHANGE = "pg-split-or-merge"
    HOST = "host"
