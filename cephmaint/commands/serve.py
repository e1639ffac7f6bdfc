"""`cephmaint serve [--host 127.0.0.1] [--port 8080]`: the operators' and technicians' pages,
and /metrics for Prometheus, over plain HTTP.

TLS is terminated in front of it: keep it on loopback (the default) behind nginx or
haproxy on the same host, and tell it how it is reached, so that its cookies get the
Secure flag and any other Host header is refused (400):

    CEPHMAINT_PUBLIC_URL=https://cephmaint.example.com
    CEPHMAINT_ALLOWED_HOSTS=cephmaint.example.com

With nginx, for instance:

    server {
        listen 443 ssl;
        server_name cephmaint.example.com;
        ssl_certificate /etc/ssl/cephmaint.pem;
        ssl_certificate_key /etc/ssl/private/cephmaint.key;
        location / {
            proxy_pass http://127.0.0.1:8080;
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-For $remote_addr;
            proxy_set_header X-Forwarded-Proto https;
        }
    }

Failed logins are counted per client address too: the address is taken from
X-Forwarded-For when the request comes from this host (127.0.0.1 or ::1: the proxy),
else from the connection. Prometheus scrapes /metrics through the same proxy, with the
bearer token of CEPHMAINT_METRICS_TOKEN; its host name must be in the allowed hosts too.

The fleet page shows each cluster's health, read through librados with the inventory's
access to the cluster (as the workers read it), at most every 30 s and only while someone
looks at the page.
"""

from __future__ import annotations

import copy
import ipaddress
import time
from typing import Any

import click
import redis
import uvicorn
import uvicorn.config
from prometheus_client import CollectorRegistry

from ceph_tasks.audit import SqlAuditStore
from ceph_tasks.errors import ConfigurationError
from ceph_tasks.http import strip_credentials
from ceph_tasks.redis_client import connect
from cephmaint.command import command, pass_session, shared_options
from cephmaint.session import Session
from cephmaint.web.accounts import AccountsFile
from cephmaint.web.app import create_app
from cephmaint.web.backend import InventoryFile, Maintenances
from cephmaint.web.fleet import fleet_source
from cephmaint.web.health_cache import HealthCache, rados_reader
from dyrygent.errors import StoreUnavailable
from workflows.gauges import FleetCollector, fleet_reader

#: The only peers whose X-Forwarded-For is believed: a proxy on this host.
TRUSTED_PROXY = "127.0.0.1,::1"


def is_loopback(host: str) -> bool:
    """Whether host is a loopback address (or localhost): reachable from this host only."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def exposure_warning(host: str, public_url: str) -> str | None:
    """What to warn of before serving on host: plain HTTP reachable from other hosts."""
    if is_loopback(host) or public_url.lower().startswith("https://"):
        return None
    return (f"warning: serving plain HTTP on {host}, reachable from other hosts, and "
            "CEPHMAINT_PUBLIC_URL is not https://: passwords and session cookies would cross "
            "the network in clear. Serve on 127.0.0.1 behind a proxy terminating TLS (see "
            "cephmaint serve --help).")


def log_config() -> dict[str, Any]:
    """uvicorn's logging, with this package's loggers (logins, refusals) beside its own."""
    config = copy.deepcopy(uvicorn.config.LOGGING_CONFIG)
    config["loggers"]["cephmaint"] = {"handlers": ["default"], "level": "INFO",
                                      "propagate": False}
    return config


@command("serve")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on; keep loopback behind a proxy terminating TLS.")
@click.option("--port", type=click.IntRange(1, 65535), default=8080, show_default=True,
              help="Port to listen on.")
@shared_options
@pass_session
def serve_command(session: Session, host: str, port: int) -> int:
    """Serve the fleet's pages to operators and technicians, and /metrics to Prometheus.

    Users and roles come from CEPHMAINT_USERS (`cephmaint users set`); sessions and failed
    logins are kept in the state Redis. Plain HTTP only: put nginx or haproxy in front to
    terminate TLS, set CEPHMAINT_PUBLIC_URL=https://... and CEPHMAINT_ALLOWED_HOSTS to the
    names it is reached by.

    \b
    Example:
      CEPHMAINT_USERS=/etc/cephmaint/users.yaml cephmaint serve --port 8080
    """
    settings = session.settings
    if settings.users_path is None:
        raise ConfigurationError("no users file: set CEPHMAINT_USERS (`cephmaint users set "
                                 "NAME --role ROLE` makes one)")
    users = AccountsFile(settings.users_path.expanduser())
    inventory = InventoryFile(settings)
    inventory()  # a bad inventory is refused here, before serving

    def clusters() -> list[str]:
        # The clusters follow the inventory file as it changes.
        return [cluster.name for cluster in inventory().clusters]
    client = connect(settings.redis_url)
    try:
        client.ping()
    except redis.RedisError as e:
        raise StoreUnavailable(f"cannot reach the state Redis at "
                               f"{strip_credentials(settings.redis_url)}: {e}") from e
    if (warning := exposure_warning(host, settings.public_url)) is not None:
        click.echo(warning, err=True)
    # The pages read and control the maintenances through the app that runs them, and read
    # the audit trail its operators' actions are written to.
    maintenances = Maintenances(session.app, inventory,
                                SqlAuditStore.from_url(settings.audit_location))
    registry = CollectorRegistry()
    registry.register(FleetCollector(fleet_reader(session.app, clusters), time.time))
    # Each cluster's health, read through librados when a page shows it stale.
    health = HealthCache(lambda: inventory().clusters, rados_reader(), time.time)
    app = create_app(settings, redis=client, clock=time.time, registry=registry,
                     users=users.current, fleet=fleet_source(session.app, clusters),
                     health=health, maintenances=maintenances)
    try:
        uvicorn.run(app, host=host, port=port, proxy_headers=True,
                    forwarded_allow_ips=TRUSTED_PROXY, server_header=False,
                    log_config=log_config())
    finally:
        health.close()
    return 0


COMMANDS = (serve_command,)
