"""Paths of the backend that the load side finds by string, each in one place. Imports nothing:
Locust's users and the standalone benchmarks both take it."""

# The orders calls (contract v1.1: the app's own paths): the collection, `{ORDERS}{id}/`,
# `{ORDERS}{id}/track/`, `{ORDERS}history/`...
ORDERS = "/api/orders/"
