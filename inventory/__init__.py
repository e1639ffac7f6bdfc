"""Typed models of Ceph clusters, hosts, OSDs and their maintenance settings."""
