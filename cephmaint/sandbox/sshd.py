"""One sshd per sandbox host, listening on that host's own loopback address."""

from __future__ import annotations

from pathlib import Path

from cephmaint.sandbox.layout import Layout, SandboxHost
from cephmaint.sandbox.procs import Daemon, run

SSHD = "/usr/sbin/sshd"


def host_dir(layout: Layout, host: SandboxHost) -> Path:
    """The folder holding a host's sshd config and host key."""
    return layout.root / "hosts" / host.name


def sshd_daemon(layout: Layout, host: SandboxHost) -> Daemon:
    """The sshd of host, in the foreground under our own pid file."""
    conf = host_dir(layout, host) / "sshd_config"
    return Daemon(
        f"sshd.{host.name}", [SSHD, "-D", "-e", "-f", str(conf)],
        layout.root / "run", layout.root / "log" / f"sshd.{host.name}.log",
    )


def create_client_key(layout: Layout) -> None:
    """Create the key pair the inventory logs in with (first start only)."""
    key = layout.ssh_key_path
    key.parent.mkdir(parents=True, exist_ok=True)
    if not key.exists():
        run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", f"cephmaint-{layout.name}",
             "-f", str(key)], "creating the sandbox SSH key")


def configure_host(layout: Layout, host: SandboxHost) -> None:
    """Write a host's sshd config and host key, and record the key in known_hosts."""
    d = host_dir(layout, host)
    d.mkdir(parents=True, exist_ok=True)
    host_key = d / "ssh_host_ed25519_key"
    if not host_key.exists():
        run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", host.name,
             "-f", str(host_key)], f"creating the host key of {host.name}")
    authorized = layout.root / "ssh" / "authorized_keys"
    authorized.write_text(Path(f"{layout.ssh_key_path}.pub").read_text())
    (d / "sshd_config").write_text(
        f"""ListenAddress {host.address}:{host.ssh_port}
HostKey {host_key}
AuthorizedKeysFile {authorized}
PidFile {d}/sshd.pid
PasswordAuthentication no
KbdInteractiveAuthentication no
PubkeyAuthentication yes
PermitRootLogin prohibit-password
UsePAM no
# The sandbox's files live under /tmp, whose modes sshd's strict checks would refuse.
StrictModes no
PrintMotd no
LogLevel INFO
"""
    )
    public = host_key.with_suffix(".pub").read_text().split()
    entry = f"[{host.address}]:{host.ssh_port} {public[0]} {public[1]}\n"
    known = layout.known_hosts_path
    lines = known.read_text().splitlines(keepends=True) if known.exists() else []
    if entry not in lines:
        known.write_text("".join(lines) + entry)


def ensure_privsep_dir() -> None:
    """sshd refuses to start without its privilege separation folder."""
    Path("/run/sshd").mkdir(mode=0o755, parents=True, exist_ok=True)
