"""Registers the harness plugins; fixtures live in fixtures/ (see ARCHITECTURE.md)."""

pytest_plugins = [
    "fixtures.config",
    "fixtures.findings",
    "fixtures.contract.exchanges",
    "fixtures.backend_coverage",
    "fixtures.stack",
    "fixtures.data",
    "fixtures.sandbox",
    "fixtures.callers",
    "fixtures.images",
    # the contract tier, each module after those it imports: a plugin module imported before
    # its turn here escapes assertion rewriting, which warns (and warnings are errors)
    "fixtures.contract.profile",
    "fixtures.contract.schema",
    "fixtures.contract.checks",
    "fixtures.contract.identity",
    "fixtures.contract.failures",
    "fixtures.contract.pools",
    "fixtures.contract.generation",
    "fixtures.contract.run",
    "fixtures.contract.coverage",
    "fixtures.contract.summary",
    "fixtures.orders",
    "fixtures.chat",
    "fixtures.ws",
    "fixtures.gateway",
    "fixtures.payments",
    "fixtures.ledger",
    "fixtures.reporting",
    "fixtures.privileges",
]
