"""The account pool of one Locust process, and how the master shares the pool among workers.

Each simulated user takes a free account when it starts and gives it back when it stops, so
that no two users of a process share an account while there are enough (a shared account
would log in too often for the backend's per-account login limit, and two wallets users on one
wallet would race). With more users than accounts, accounts are shared round-robin, with a
warning.

Standalone (`LocalRunner`) the process reads the whole file. Distributed, the master reads it
and, when the test starts, sends each worker its own slice through Locust's messaging
(`runner.send_message`), so the workers never overlap and need no copy of the file (they may
run on other machines). A worker that joins after the start finds no slice and falls back to
the file named by `--accounts-file`, if it has one.
"""

from __future__ import annotations

import itertools
import logging
from collections import deque
from typing import TYPE_CHECKING

from locust.runners import MasterRunner, WorkerRunner

from load.accounts import AccountsError, accounts_read

if TYPE_CHECKING:
    from locust.env import Environment
    from locust.rpc.protocol import Message

MESSAGE = "lc_accounts"
logger = logging.getLogger("load.pool")


class NoAccounts(Exception):
    """This process has no account to give (the file was not read or the slice was empty)."""


class AccountPool:
    def __init__(self) -> None:
        self.every: list[dict] = []
        self.free: deque[dict] = deque()
        self._shared = itertools.count()
        self._warned = False

    def fill(self, accounts: list[dict]) -> None:
        self.every = list(accounts)
        self.free = deque(accounts)

    def take(self) -> dict:
        if self.free:
            return self.free.popleft()
        if not self.every:
            raise NoAccounts("no accounts in this Locust process: give --accounts-file (or "
                             "LC_ACCOUNTS_FILE), made with `python -m load.accounts`")
        if not self._warned:
            logger.warning("more users than the %d accounts of this process: accounts are "
                           "now shared (make a larger pool with `python -m load.accounts`)",
                           len(self.every))
            self._warned = True
        return self.every[next(self._shared) % len(self.every)]

    def give_back(self, account: dict) -> None:
        if account not in self.free:
            self.free.append(account)


POOL = AccountPool()


def _on_slice(environment: Environment, msg: Message, **kwargs: object) -> None:
    POOL.fill(msg.data)
    logger.info("received %d accounts from the master", len(msg.data))


def register(environment: Environment) -> None:
    """On a worker, listen for the master's slice (call from an `init` listener)."""
    if isinstance(environment.runner, WorkerRunner):
        environment.runner.register_message(MESSAGE, _on_slice)


def distribute(environment: Environment, path: str | None) -> None:
    """At test start: the master slices the pool among its workers; a standalone process
    reads it all; a worker without a slice reads the file if it can."""
    runner = environment.runner
    if isinstance(runner, WorkerRunner):
        if not POOL.every and path:
            try:
                POOL.fill(accounts_read(path))
            except AccountsError as error:
                logger.error("no accounts from the master and %s", error)
        return
    if not path:
        logger.error("no --accounts-file (LC_ACCOUNTS_FILE): the users cannot log in")
        return
    accounts = accounts_read(path)
    if isinstance(runner, MasterRunner):
        workers = sorted(runner.clients.values(), key=lambda worker: worker.id)
        for index, worker in enumerate(workers):
            part = accounts[index::len(workers)]
            runner.send_message(MESSAGE, part, client_id=worker.id)
        logger.info("sent %d accounts to %d worker(s)", len(accounts), len(workers))
    else:
        POOL.fill(accounts)
