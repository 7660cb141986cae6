"""A scripted feed, a fixed config and fixed snapshots: what the pilot and snapshot tests need.

Times are relative to `START`, the `FakeClock`'s frozen start, so every age on screen is fixed.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from cockpit.clock import FakeClock
from cockpit.config.models import Config
from cockpit.engine.feed import SnapshotCallback
from cockpit.errors import ErrorKind
from cockpit.models import (
    Freshness,
    PipelineRun,
    RateLimit,
    RunStatus,
    Snapshot,
    SourceFailure,
    SourceStatus,
)

START = datetime(2026, 11, 23, 10, 0, 0, tzinfo=UTC)


class FakeFeed:
    """A `SnapshotFeed` that publishes the snapshots it is given, when told to.

    `start()` publishes the first scripted snapshot (as an engine's first poll would); each
    `refresh()` publishes the next one. Tests can also `publish()` any snapshot at any time.
    """

    def __init__(self, script: Iterable[Snapshot] = ()) -> None:
        self.script = list(script)
        self.current = Snapshot(taken_at=START)
        self.subscribers: list[SnapshotCallback] = []
        self.starts = 0
        self.stops = 0
        self.refreshes: list[str | None] = []

    def snapshot(self) -> Snapshot:
        return self.current

    def subscribe(self, callback: SnapshotCallback) -> None:
        self.subscribers.append(callback)

    async def start(self) -> None:
        self.starts += 1
        self.publish_next()

    async def stop(self) -> None:
        self.stops += 1

    async def refresh(self, source: str | None = None) -> None:
        self.refreshes.append(source)
        self.publish_next()

    def publish_next(self) -> None:
        """Publish the next scripted snapshot, if any is left."""
        if self.script:
            self.publish(self.script.pop(0))

    def publish(self, snapshot: Snapshot) -> None:
        """Publish `snapshot` to every subscriber, as the engine does after a poll."""
        self.current = snapshot
        for callback in self.subscribers:
            callback(snapshot)


def make_config(*, environment: str = "staging", read_only: bool = False) -> Config:
    """The CONFIG.md example, trimmed: three CI systems, one rollout, three log specs, ten gates."""
    document: dict[str, Any] = {
        "environment": environment,
        "read_only": read_only,
        "release": {"name": "checkout 2.14.0", "ref": "v2.14.0"},
        "sources": {
            "gh": {"kind": "github", "url": "https://api.github.com"},
            "gl": {"kind": "gitlab", "url": "https://gitlab.example.com"},
            "jk": {"kind": "jenkins", "url": "https://jenkins.example.com"},
            "registry": {"kind": "oci-registry", "url": "https://ghcr.io"},
            "prom": {"kind": "prometheus", "url": "http://127.0.0.1:9090"},
            "am": {"kind": "alertmanager", "url": "http://127.0.0.1:9093"},
            "k8s": {"kind": "kubernetes", "context": "prod-eu"},
            "loki": {"kind": "loki", "url": "http://127.0.0.1:3100"},
        },
        "services": [
            {
                "name": "checkout",
                "ci": {"source": "gh", "repo": "acme/checkout", "branch": "main"},
                "artifact": {"source": "registry", "image": "acme/checkout"},
                "rollout": {"source": "k8s", "namespace": "shop", "name": "checkout"},
                "logs": [
                    {"source": "loki", "query": '{app="checkout"}'},
                    {"file": "/var/log/checkout/app.log"},
                    {"command": ["kubectl", "logs", "-f", "deploy/checkout", "-n", "shop"]},
                ],
            },
            {"name": "payments", "ci": {"source": "gl", "project": "acme/payments"}},
            {"name": "billing", "ci": {"source": "jk", "job": "billing/main"}},
        ],
        "gates": [
            {"kind": "ci_green", "service": "checkout"},
            {"kind": "artifact_present", "service": "checkout"},
            {"kind": "artifact_signed", "service": "checkout"},
            {"kind": "approvals", "service": "checkout", "min": 2},
            {"kind": "ticket_linked", "pattern": "[A-Z]+-\\d+"},
            {"kind": "error_budget", "source": "prom", "query": "slo:burn_rate1h", "max": 1},
            {"kind": "alerts_quiet", "source": "am"},
            {"kind": "manual", "title": "Support team informed"},
            {"kind": "command", "title": "Smoke test", "run": ["./scripts/smoke.sh"]},
        ],
    }
    return Config.model_validate(document)


def ago(seconds: float) -> datetime:
    """`START` minus `seconds`."""
    return START - timedelta(seconds=seconds)


RUNS: tuple[PipelineRun, ...] = (
    PipelineRun(
        service="billing",
        provider="jenkins",
        run_id="812",
        name="billing/main",
        status=RunStatus.SUCCESS,
        commit="9f1c2d3e4b5a69788796a5b4c3d2e1f0a9b8c7d6",
        branch="main",
        started_at=ago(25 * 60),
        duration_s=312,
        source="jk",
    ),
    PipelineRun(
        service="payments",
        provider="gitlab",
        run_id="5531",
        name="build-and-test",
        status=RunStatus.RUNNING,
        commit="1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d",
        branch="main",
        started_at=ago(3 * 60 + 5),
        duration_s=185,
        running_step="integration tests",
        source="gl",
    ),
    PipelineRun(
        service="checkout",
        provider="github",
        run_id="9001",
        name="ci",
        status=RunStatus.FAILURE,
        commit="abc1234def5678901234567890abcdef12345678",
        branch="main",
        started_at=ago(12 * 60),
        duration_s=431,
        source="gh",
    ),
    PipelineRun(
        service="checkout",
        provider="github",
        run_id="9002",
        name="release-images",
        status=RunStatus.QUEUED,
        commit="abc1234def5678901234567890abcdef12345678",
        branch="release/2.14",
        started_at=ago(40),
        source="gh",
    ),
)


def fresh_sources() -> tuple[SourceStatus, ...]:
    """Every CI source fresh (gh with its rate limit); the rest not polled yet."""
    return (
        SourceStatus(
            "gh",
            "github",
            Freshness.FRESH,
            fetched_at=ago(12),
            age_s=12,
            rate_limit=RateLimit(4812, 5000, START + timedelta(minutes=42)),
        ),
        SourceStatus("gl", "gitlab", Freshness.FRESH, fetched_at=ago(5), age_s=5),
        SourceStatus("jk", "jenkins", Freshness.FRESH, fetched_at=ago(31), age_s=31),
        SourceStatus("loki", "loki", Freshness.FRESH, fetched_at=ago(8), age_s=8),
    )


def troubled_sources() -> tuple[SourceStatus, ...]:
    """gh failing on auth (data 3m old), jk stale 4m, k8s unreachable before any data."""
    return (
        SourceStatus(
            "gh",
            "github",
            Freshness.FAILING,
            fetched_at=ago(3 * 60 + 4),
            age_s=184,
            error=SourceFailure(ErrorKind.AUTH, "401 Bad credentials", at=ago(4)),
        ),
        SourceStatus("gl", "gitlab", Freshness.FRESH, fetched_at=ago(5), age_s=5),
        SourceStatus("jk", "jenkins", Freshness.STALE, fetched_at=ago(4 * 60 + 2), age_s=242),
        SourceStatus(
            "k8s",
            "kubernetes",
            Freshness.FAILING,
            error=SourceFailure(ErrorKind.UNREACHABLE, "connection refused", at=ago(2)),
        ),
    )


def fresh_snapshot() -> Snapshot:
    """Four runs (one failing, one running, one queued, one passed), every CI source fresh."""
    return Snapshot(taken_at=START, sources=fresh_sources(), pipelines=RUNS)


def troubled_snapshot() -> Snapshot:
    """The same runs, kept as last good data, while gh fails, jk is stale and k8s is down."""
    return Snapshot(taken_at=START, sources=troubled_sources(), pipelines=RUNS)


def fake_clock() -> FakeClock:
    """A clock frozen at `START` until a test advances it."""
    return FakeClock(START)
