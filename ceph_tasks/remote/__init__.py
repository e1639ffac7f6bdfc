"""Commands on hosts: argv quoting, the executor seam, SSH, daemon control, disk reports."""
