"""A release whose gates can all be decided: what the readiness pilot and snapshot tests need.

Seven gates in config order: CI green, image present, image signed, error budget, alerts quiet,
a manual gate and a command gate. `no_go_snapshot()` has two blockers (the image is not signed,
an alert fires); `passing_snapshot()` has none. Times are relative to `START`, the `FakeClock`'s
frozen start, so every age on screen is fixed.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from cockpit.clock import FakeClock
from cockpit.config.models import Config
from cockpit.models import Freshness, PipelineRun, RunStatus, Snapshot, SourceStatus
from cockpit.models.release_data import Alert, ArtifactStatus, QueryResult
from cockpit.readiness.live import ReadinessTracker
from screens.app import CockpitApp, make_app
from tests.pilot.fakes import START, FakeFeed, ago, fake_clock

DIGEST = "sha256:4e1f0c2a9b7d5e3f61a8c0b2d4e6f8091a2b3c4d5e6f708192a3b4c5d6e7f809"
BURN_QUERY = 'slo:burn_rate1h{service="checkout"}'
ALERT = "CheckoutLatencyHigh"

CI, PRESENT, SIGNED, BUDGET, ALERTS, MANUAL, SMOKE = range(7)
"""The gates' indexes in `config.gates`."""

SMOKE_SCRIPT = '#!/bin/sh\necho smoke test passed on "$1"\n'


def readiness_config(*, read_only: bool = False, smoke: list[str] | None = None) -> Config:
    document: dict[str, Any] = {
        "environment": "staging",
        "read_only": read_only,
        "release": {"name": "checkout 2.14.0", "ref": "v2.14.0"},
        "sources": {
            "gh": {"kind": "github", "url": "https://api.github.com", "interval": "15s"},
            "registry": {"kind": "oci-registry", "url": "https://ghcr.io", "interval": "15s"},
            "prom": {"kind": "prometheus", "url": "http://127.0.0.1:9090", "interval": "10s"},
            "am": {"kind": "alertmanager", "url": "http://127.0.0.1:9093", "interval": "10s"},
        },
        "services": [
            {
                "name": "checkout",
                "ci": {"source": "gh", "repo": "acme/checkout", "branch": "main"},
                "artifact": {"source": "registry", "image": "acme/checkout"},
            }
        ],
        "gates": [
            {"kind": "ci_green", "service": "checkout"},
            {"kind": "artifact_present", "service": "checkout"},
            {"kind": "artifact_signed", "service": "checkout"},
            {
                "kind": "error_budget",
                "title": "Checkout error budget",
                "source": "prom",
                "query": BURN_QUERY,
                "max": 1,
            },
            {"kind": "alerts_quiet", "source": "am", "matchers": ['service="checkout"']},
            {"kind": "manual", "title": "Support team informed"},
            {
                "kind": "command",
                "title": "Smoke test",
                "run": smoke or ["./scripts/smoke.sh", "staging"],
                "timeout": "2m",
            },
        ],
    }
    return Config.model_validate(document)


def sources(age_s: float = 0.0) -> tuple[SourceStatus, ...]:
    """Every readiness source fresh, `age_s` older than their polls at START."""
    polls = {"gh": ("github", 12), "registry": ("oci-registry", 5), "prom": ("prometheus", 8)}
    polls["am"] = ("alertmanager", 3)
    return tuple(
        SourceStatus(name, kind, Freshness.FRESH, fetched_at=ago(seconds + age_s), age_s=seconds)
        for name, (kind, seconds) in polls.items()
    )


CI_RUN = PipelineRun(
    service="checkout",
    provider="github",
    run_id="9001",
    name="ci",
    status=RunStatus.SUCCESS,
    commit="abc1234def5678901234567890abcdef12345678",
    branch="v2.14.0",
    started_at=ago(12 * 60),
    duration_s=431,
    source="gh",
)


def image(*, signed: bool) -> ArtifactStatus:
    return ArtifactStatus(
        service="checkout",
        image="acme/checkout",
        tag="v2.14.0",
        present=True,
        digest=DIGEST,
        media_type="application/vnd.oci.image.index.v1+json",
        signed=signed,
        signature="referrers API" if signed else "",
        platforms=("linux/amd64", "linux/arm64"),
        source="registry",
        fetched_at=ago(5),
    )


BURN = QueryResult(
    query=BURN_QUERY,
    value=0.42,
    result_type="vector",
    series=1,
    evaluated_at=ago(8),
    source="prom",
)

FIRING = Alert(
    name=ALERT,
    labels={"alertname": ALERT, "service": "checkout", "severity": "critical"},
    summary="p99 latency above 800ms on checkout",
    source="am",
)


def no_go_snapshot() -> Snapshot:
    """The image is not signed and CheckoutLatencyHigh fires: NO-GO, two blockers."""
    return Snapshot(
        taken_at=START,
        sources=sources(),
        pipelines=(CI_RUN,),
        artifacts=(image(signed=False),),
        queries=(BURN,),
        alerts=(FIRING,),
    )


def signed_snapshot() -> Snapshot:
    """The image was signed; the alert still fires: NO-GO, one blocker."""
    return replace(no_go_snapshot(), artifacts=(image(signed=True),))


def passing_snapshot() -> Snapshot:
    """Signed, and the alert resolved: every polled gate passes."""
    return replace(signed_snapshot(), alerts=())


def smoke_dir(tmp_path: Path) -> Path:
    """A release checkout with an executable `scripts/smoke.sh` that passes."""
    script = tmp_path / "scripts" / "smoke.sh"
    script.parent.mkdir(parents=True, exist_ok=True)
    script.write_text(SMOKE_SCRIPT)
    script.chmod(0o755)
    return tmp_path


def tracker(
    config: Config, clock: FakeClock, tmp_path: Path, *, operator: str = "alice"
) -> ReadinessTracker:
    """A tracker persisting to `tmp_path`, running commands there, as `operator`."""
    return ReadinessTracker(
        config,
        clock,
        operator=operator,
        base_dir=smoke_dir(tmp_path),
        environ={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
        state_path=tmp_path / "state" / "v2.14.0.jsonl",
    )


def readiness_app(
    tmp_path: Path,
    *script: Snapshot,
    clock: FakeClock | None = None,
    read_only: bool = False,
    readiness: ReadinessTracker | None = None,
) -> tuple[CockpitApp, FakeFeed, ReadinessTracker]:
    """The cockpit over the readiness config; the feed publishes `script` (NO-GO by default)."""
    clock = clock or fake_clock()
    config = readiness_config(read_only=read_only)
    tracked = readiness or tracker(config, clock, tmp_path)
    feed = FakeFeed(list(script) or [no_go_snapshot()])
    app = make_app(config, feed, clock, show_clock=False, readiness=tracked)
    return app, feed, tracked
