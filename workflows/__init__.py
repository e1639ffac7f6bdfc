"""Builders that compose ceph_tasks into dyrygent workflows."""
