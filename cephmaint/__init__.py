"""The cephmaint command line and the local sandbox."""
