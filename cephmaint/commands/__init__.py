"""Subcommands of the cephmaint command line."""
