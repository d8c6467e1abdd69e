"""Mutation testing of the reference backend with the suites as the test command
(`python -m mutation.run`, `make mutation`; mutation/README.md)."""
