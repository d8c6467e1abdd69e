"""Load tests of the mobile journeys (Locust), the SLO gate and the load benchmarks.

Locust patches the standard library with gevent when it is imported, so only the modules that
Locust itself loads import it: `locustfile.py`, `customer.py`, `locustfile_health.py`,
`client.py`, `pool.py`, `chat.py` and `shapes.py`. Everything else here (the gate, the account
pool, the target, the run, the benchmarks and the kit they share) imports no Locust, so pytest
may import it and it starts Locust as a child process. See load/README.md.
"""
