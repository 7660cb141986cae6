"""Recorded-shape GitHub bodies for httpx.MockTransport tests, validated against the schema.

Bodies start from the sim's payload builders (the recorded shape of a real run, every required
property present) and are then edited per test; every body is checked against GitHub's published
schema before it is served, so a fixture can never drift into a shape GitHub does not send.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import httpx

from cockpit.clock import FakeClock
from cockpit.config.models import CiTarget, Source
from cockpit.engine.http import SourceHttp
from cockpit.sim import Scenario
from cockpit.sim import github_payloads as payloads
from cockpit.sources.ci.github import GitHubActionsAdapter, github_headers

from .conftest import START
from .schemas import jobs_list_problems, run_problems, runs_list_problems

API = "https://api.github.com"
WEB = "https://github.com"
Handler = Callable[[httpx.Request], httpx.Response]


def iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _recorded() -> tuple[dict[str, Any], dict[str, Any]]:
    scenario = Scenario(FakeClock(START))
    state = scenario.ci_runs("checkout", scenario.at(100))[0]  # the release run, in progress
    run = payloads.workflow_run(state, "acme/checkout", API, WEB)
    job = payloads.job(state, "acme/checkout", API, WEB)
    return run, job


_RUN, _JOB = _recorded()


def run_json(run_id: int, **overrides: Any) -> dict[str, Any]:
    """A schema-valid workflow run; `status`, `conclusion`, times etc. as given."""
    body: dict[str, Any] = json.loads(json.dumps(_RUN))
    body.update({"id": run_id, "run_number": run_id, "node_id": f"WFR_{run_id}"})
    body.update(overrides)
    assert run_problems(body) == [], run_problems(body)
    return body


def completed(
    run_id: int, started: datetime, seconds: int, conclusion: str = "success", **kw: Any
) -> dict[str, Any]:
    """A completed run that took `seconds` from `started`."""
    return run_json(
        run_id,
        status="completed",
        conclusion=conclusion,
        created_at=iso(started),
        run_started_at=iso(started),
        updated_at=iso(started + timedelta(seconds=seconds)),
        **kw,
    )


def runs_page(runs: list[dict[str, Any]], total: int | None = None) -> dict[str, Any]:
    body = {"total_count": len(runs) if total is None else total, "workflow_runs": runs}
    assert runs_list_problems(body) == [], runs_list_problems(body)
    return body


def jobs_page(*jobs: dict[str, Any]) -> dict[str, Any]:
    body = {"total_count": len(jobs), "jobs": list(jobs)}
    assert jobs_list_problems(body) == [], jobs_list_problems(body)
    return body


def job_json(
    job_id: int, name: str, status: str, steps: list[tuple[str, str, str | None]]
) -> dict[str, Any]:
    """A job with `(name, status, conclusion)` steps."""
    body: dict[str, Any] = json.loads(json.dumps(_JOB))
    body.update({"id": job_id, "name": name, "status": status})
    body["conclusion"] = None if status != "completed" else "success"
    body["steps"] = [
        {
            "name": step_name,
            "status": step_status,
            "conclusion": conclusion,
            "number": number,
            "started_at": None if step_status == "queued" else body["started_at"],
            "completed_at": body["started_at"] if step_status == "completed" else None,
        }
        for number, (step_name, step_status, conclusion) in enumerate(steps, 1)
    ]
    return body


def respond(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.Response(
        status, json=body, headers={"x-ratelimit-limit": "5000", **(headers or {})}
    )


@dataclass
class Mock:
    """An adapter over an httpx.MockTransport, with the requests it sent."""

    adapter: GitHubActionsAdapter
    http: SourceHttp
    seen: list[httpx.Request] = field(default_factory=list)

    @property
    def paths(self) -> list[str]:
        return [r.url.path for r in self.seen]


def mock_adapter(
    handler: Handler,
    targets: list[tuple[str, CiTarget]],
    *,
    clock: FakeClock,
    base_url: str = API,
    token: str | None = "t0ken",
    **kwargs: Any,
) -> Mock:
    seen: list[httpx.Request] = []

    def recording(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return handler(request)

    client = httpx.AsyncClient(transport=httpx.MockTransport(recording))
    http = SourceHttp(client, "gh", base_url, headers=github_headers(token), clock=clock)
    source = Source(kind="github", url=base_url)
    adapter = GitHubActionsAdapter("gh", source, targets, http, **kwargs)
    return Mock(adapter, http, seen)
