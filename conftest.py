"""Registers the harness plugins; fixtures live in fixtures/ (see ARCHITECTURE.md)."""

pytest_plugins = [
    "fixtures.config",
    "fixtures.findings",
    "fixtures.stack",
    "fixtures.data",
    "fixtures.sandbox",
    "fixtures.callers",
    "fixtures.images",
    "fixtures.orders",
    "fixtures.reporting",
]
