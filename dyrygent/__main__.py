"""Entry point of `python -m dyrygent`."""

from dyrygent.cli import main

raise SystemExit(main())
