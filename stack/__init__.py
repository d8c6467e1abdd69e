"""The reference stack's process launcher: starts the sandbox and the backend, and stops them.

`python -m stack serve` runs the stack in the foreground for people (`make serve`);
`python -m stack boot --state-file F --watch-pid P` is how the harness starts it
(`fixtures/stack.py`): free loopback ports, F written once every part is healthy, everything
stopped when P is gone or on SIGTERM. ARCHITECTURE.md ("The process contract") is the spec.

The scaled profile also runs moto's standalone S3 server (`python -m moto.server`) as the
media storage, unless LC_S3_ENDPOINT_URL names one; the embedded profile keeps media in local
files. `--coverage-data DIR` runs the backend's processes under coverage.py.

- `cli`: the command line (`serve`, `boot`, their options), the state file and the banner;
- `launcher`: the `Stack` of one run, booted in named steps, watched and stopped;
- `processes`: children in process groups of their own, stopping them whole, ports;
- `services`: PostgreSQL, Redis and moto's S3 server for the scaled profile;
- `coverage_hook`: what makes the backend's processes measure themselves;
- `http`: origins, health probes and the sandbox's webhook setting;
- `errors`: `StackError`, with the tail of the failing child's log.

It imports neither Django nor the sandbox nor anything else of the project: it only runs
them, with `sys.executable`, from the repository root.
"""
