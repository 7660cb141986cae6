from __future__ import annotations

import ssl
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from cockpit.clock import FakeClock
from cockpit.sim import GitHubSim, Scenario

START = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
TOKEN = "sim-token"
AUTH = {"Authorization": f"Bearer {TOKEN}", "Accept": "application/vnd.github+json"}

ServeFactory = Callable[..., tuple[GitHubSim, httpx.Client]]
# One TLS context for every test client: building one per client costs ~60 ms of CA loading.
TLS = ssl.create_default_context()


def fetch(url: str, **kwargs: Any) -> httpx.Response:
    """A one-off GET (no keep-alive), as `httpx.get` but with the shared TLS context."""
    return httpx.get(url, verify=TLS, **kwargs)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START)


@pytest.fixture
def scenario(clock: FakeClock) -> Scenario:
    return Scenario(clock)


@pytest.fixture
def serve(clock: FakeClock) -> Iterator[ServeFactory]:
    """Start a GitHub sim whose scenario is `at` seconds in (T+at now); stopped after the test."""
    started: list[tuple[GitHubSim, httpx.Client]] = []

    def factory(at: float = 0.0, **kwargs: Any) -> tuple[GitHubSim, httpx.Client]:
        kwargs.setdefault("token", TOKEN)
        scenario = Scenario(clock, start=clock.now() - timedelta(seconds=at))
        sim = GitHubSim(scenario, **kwargs).start()
        client = httpx.Client(base_url=sim.api_url, headers=AUTH, timeout=10, verify=TLS)
        started.append((sim, client))
        return sim, client

    yield factory
    for sim, client in started:
        client.close()
        sim.stop()
