"""The load benchmark's generator test (`make bench-load`): FastHttpUsers that do nothing but
GET `/api/health/`, without pause, so that the request rate of one Locust process can be put
next to wrk's against the same trivial endpoint. Not part of the journeys' load test."""

from __future__ import annotations

from http import HTTPStatus

from locust import constant, task
from locust.contrib.fasthttp import FastHttpUser


class HealthUser(FastHttpUser):
    wait_time = constant(0)

    @task
    def health(self) -> None:
        with self.client.get("/api/health/", catch_response=True) as response:
            if response.status_code != HTTPStatus.OK:
                response.failure(f"expected 200, got {response.status_code}")
