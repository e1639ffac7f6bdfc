"""The audit trail: every operator action and every change cephmaint makes, kept for good."""

from ceph_tasks.audit.entry import Entry, Kind, Outcome, Query, Record, Scope, changes_state
from ceph_tasks.audit.store import AuditStore, SqlAuditStore
from ceph_tasks.audit.trail import Trail, current_scope, within

__all__ = ["AuditStore", "Entry", "Kind", "Outcome", "Query", "Record", "Scope",
           "SqlAuditStore", "Trail", "changes_state", "current_scope", "within"]
