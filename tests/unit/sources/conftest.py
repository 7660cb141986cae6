from __future__ import annotations

import ssl
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from cockpit.clock import FakeClock
from cockpit.config.models import CiTarget, Source
from cockpit.engine.http import SourceHttp
from cockpit.sim import GitHubSim, Scenario
from cockpit.sources.ci.github import GitHubActionsAdapter, github_headers

START = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
TOKEN = "sim-token"

AdapterFactory = Callable[..., GitHubActionsAdapter]
# One TLS context for every test client: building one per client costs ~60 ms of CA loading.
TLS = ssl.create_default_context()


def target(service: str, **kwargs: Any) -> tuple[str, CiTarget]:
    kwargs.setdefault("repo", f"acme/{service}")
    kwargs.setdefault("branch", "main")
    return service, CiTarget(source="gh", **kwargs)


def build_adapter(
    client: httpx.AsyncClient,
    clock: FakeClock,
    base_url: str,
    targets: list[tuple[str, CiTarget]],
    *,
    token: str | None = TOKEN,
    **kwargs: Any,
) -> GitHubActionsAdapter:
    http = SourceHttp(client, "gh", base_url, headers=github_headers(token), clock=clock)
    source = Source(kind="github", url=base_url, interval=15.0)
    return GitHubActionsAdapter("gh", source, targets, http, **kwargs)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START)


@pytest.fixture
def scenario(clock: FakeClock) -> Scenario:
    return Scenario(clock)


@pytest.fixture
def sim(scenario: Scenario) -> Iterator[GitHubSim]:
    with GitHubSim(scenario, token=TOKEN, empty_repos=["acme/empty"]) as running:
        yield running


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(verify=TLS) as shared:
        yield shared


@pytest.fixture
def adapter_for(client: httpx.AsyncClient, clock: FakeClock, sim: GitHubSim) -> AdapterFactory:
    """An adapter against the live sim for the given services (or targets)."""

    def factory(*services: str | tuple[str, CiTarget], **kwargs: Any) -> GitHubActionsAdapter:
        targets = [s if isinstance(s, tuple) else target(s) for s in services]
        base_url = kwargs.pop("base_url", sim.api_url)
        return build_adapter(client, clock, base_url, targets, **kwargs)

    return factory
