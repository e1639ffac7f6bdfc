"""A throw-away Ceph cluster, SSH hosts and Redis on loopback."""
