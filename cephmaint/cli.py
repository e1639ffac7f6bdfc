"""The `cephmaint` command line."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from cephmaint.commands import confirm as confirm_cmd
from cephmaint.commands import control as control_cmd
from cephmaint.commands import demo as demo_cmd
from cephmaint.commands import inventory as inventory_cmd
from cephmaint.commands import maintenance as maintenance_cmd
from cephmaint.commands import sandbox as sandbox_cmd


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every subcommand."""
    parser = argparse.ArgumentParser(
        prog="cephmaint", description="Automated Ceph hardware maintenance."
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    inventory_cmd.register(sub)
    sandbox_cmd.register(sub)
    maintenance_cmd.register(sub)
    control_cmd.register(sub)
    demo_cmd.register(sub)
    confirm_cmd.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code."""
    args = build_parser().parse_args(argv)
    try:
        code: int = args.func(args)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # Output piped into `head` and the like: the reader left, nothing to report.
        sys.stderr.close()
        return 0
    return code


if __name__ == "__main__":
    sys.exit(main())
