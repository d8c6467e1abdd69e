"""Registers the harness plugins; fixtures live in fixtures/ (see ARCHITECTURE.md)."""

pytest_plugins = [
    "fixtures.config",
    "fixtures.findings",
    "fixtures.exchanges",
    "fixtures.backend_coverage",
    "fixtures.stack",
    "fixtures.data",
    "fixtures.sandbox",
    "fixtures.callers",
    "fixtures.images",
    "fixtures.contract",
    "fixtures.orders",
    "fixtures.chat",
    "fixtures.ws",
    "fixtures.gateway",
    "fixtures.payments",
    "fixtures.ledger",
    "fixtures.reporting",
    "fixtures.privileges",
]
