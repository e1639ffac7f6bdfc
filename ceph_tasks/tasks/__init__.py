"""The elementary maintenance tasks, registered on ceph_tasks.app."""
