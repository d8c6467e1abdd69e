"""The media bucket's storage: django-storages' S3Storage with one boto3 connection per process.

S3Storage keeps a boto3 session per thread (boto3 advises against sharing resources between
threads). Django under ASGI runs each request's sync code in a thread of its own, so every
request that asks the bucket whether a file exists (each upload, to find a free name; each
media read) built a whole boto3 session: about 120 ms of CPU on a quiet machine, several
hundred under load (django-storages issue #1472). The calls made through the connection go
through its client, which boto3 documents as thread-safe, and the library already shares its
bucket resource, made from the first thread's connection, between all threads: sharing the
connection too changes nothing of that.
"""

import threading
from typing import Any

from storages.backends.s3 import S3Storage


class SharedConnectionS3Storage(S3Storage):
    """S3Storage whose connection is made once and shared by every thread of the process."""

    def __init__(self, **settings: Any) -> None:
        super().__init__(**settings)
        self._shared_lock = threading.Lock()
        self._shared_connection = None

    @property
    def connection(self) -> Any:
        if self._shared_connection is None:
            with self._shared_lock:
                if self._shared_connection is None:
                    self._shared_connection = S3Storage.connection.fget(self)
        return self._shared_connection

    def __getstate__(self) -> dict:
        state = super().__getstate__()
        state.pop("_shared_lock", None)
        state.pop("_shared_connection", None)
        return state

    def __setstate__(self, state: dict) -> None:
        super().__setstate__(state)
        self._shared_lock = threading.Lock()
        self._shared_connection = None
