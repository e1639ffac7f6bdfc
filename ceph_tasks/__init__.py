"""Clients and elementary Celery tasks for Ceph maintenance."""
