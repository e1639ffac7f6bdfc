"""The `cephmaint` command line (click): shared options, commands, and one error path.

Every command takes --inventory, --redis-url and --broker-url (before or after its
name), which fall back to CEPHMAINT_INVENTORY, CEPHMAINT_REDIS_URL and
CEPHMAINT_BROKER_URL; the session (cephmaint.session) reads the settings once. Any error
of the packages ends the command with one line on stderr and the exit code of
cephmaint.exit_codes; --debug adds the traceback.
"""

from __future__ import annotations

import sys
import traceback
from collections.abc import Sequence

import click

from cephmaint.command import CommandFailed, Group, shared_options
from cephmaint.commands import (
    audit,
    confirm,
    control,
    demo,
    extend,
    inventory,
    listing,
    maintenance,
    recover,
    sandboxes,
    serve,
    users,
    watch,
    workers,
)
from cephmaint.exit_codes import ExitCode, exit_code_of, one_line


@click.group(cls=Group, context_settings={"help_option_names": ["-h", "--help"]})
@shared_options
def cli() -> None:
    """Automated Ceph hardware maintenance: plan, run and follow maintenance workflows.

    \b
    Exit status: 0 done; 1 refused or failed (unsafe, unhealthy, a step failed);
    2 bad usage or input; 3 a service could not be reached (Redis, broker, cluster, SSH).

    \b
    Example:
      cephmaint plan replace node2 --new-host spare-3.dc1
    """


for _module in (maintenance, control, listing, watch, audit, confirm, extend, recover,
                inventory, workers, serve, users, sandboxes, demo):
    for _command in _module.COMMANDS:
        cli.add_command(_command)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code."""
    args = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args
    try:
        result = cli.main(args=args, prog_name="cephmaint", standalone_mode=False)
    except CommandFailed as e:
        if debug:
            traceback.print_exception(e.error)
        click.echo(f"{e.command}: {one_line(e.error)}", err=True)
        return exit_code_of(e.error)
    except click.exceptions.Exit as e:
        return int(e.exit_code)
    except click.ClickException as e:
        # Usage errors too: one line, the exit code click gives them (2).
        ctx = getattr(e, "ctx", None)
        hint = f" (try {ctx.command_path} --help)" if ctx is not None else ""
        message = " ".join(e.format_message().split())
        click.echo(f"cephmaint: {message}{hint}", err=True)
        return e.exit_code
    except (click.Abort, KeyboardInterrupt):
        click.echo("interrupted", err=True)
        return ExitCode.INTERRUPTED
    except BrokenPipeError:
        # Output piped into `head` and the like: the reader left, nothing to report.
        sys.stderr.close()
        return ExitCode.OK
    return int(result or 0)


if __name__ == "__main__":
    sys.exit(main())
