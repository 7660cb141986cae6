"""Builders for readiness tests: configs, snapshots and fresh/stale sources at a fixed time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from cockpit.config.models import Config
from cockpit.models import Freshness, SourceFailure, SourceStatus
from cockpit.models.snapshot import Snapshot

NOW = datetime(2026, 11, 23, 10, 0, 0, tzinfo=UTC)

SERVICES: list[dict[str, Any]] = [
    {
        "name": "checkout",
        "ci": {"source": "gh", "repo": "acme/checkout", "branch": "main"},
        "artifact": {"source": "registry", "image": "acme/checkout", "tag": "{release.ref}"},
    },
]
SOURCES: dict[str, Any] = {
    "gh": {"kind": "github", "url": "https://api.github.com", "interval": "15s"},
    "registry": {"kind": "oci-registry", "url": "https://ghcr.io", "interval": "15s"},
    "prom": {"kind": "prometheus", "url": "http://127.0.0.1:9090", "interval": "10s"},
    "am": {"kind": "alertmanager", "url": "http://127.0.0.1:9093", "interval": "10s"},
}


def make_config(gates: list[dict[str, Any]], **overrides: Any) -> Config:
    data: dict[str, Any] = {
        "release": {"name": "checkout 2.14.0", "ref": "v2.14.0"},
        "sources": SOURCES,
        "services": SERVICES,
        "gates": gates,
    }
    data.update(overrides)
    return Config.model_validate(data)


def fresh(name: str, kind: str = "github", age_s: float = 2.0) -> SourceStatus:
    fetched = NOW - timedelta(seconds=age_s)
    return SourceStatus(
        name=name, kind=kind, state=Freshness.FRESH, fetched_at=fetched, age_s=age_s
    )


def stale(name: str, kind: str = "prometheus", age_s: float = 180.0) -> SourceStatus:
    fetched = NOW - timedelta(seconds=age_s)
    return SourceStatus(
        name=name, kind=kind, state=Freshness.STALE, fetched_at=fetched, age_s=age_s
    )


def failing(name: str, message: str, kind: str = "prometheus") -> SourceStatus:
    from cockpit.errors import ErrorKind

    error = SourceFailure(kind=ErrorKind.UNREACHABLE, message=message)
    return SourceStatus(name=name, kind=kind, state=Freshness.FAILING, error=error)


def all_fresh() -> tuple[SourceStatus, ...]:
    return tuple(fresh(name, source["kind"]) for name, source in SOURCES.items())


def snapshot(**fields: Any) -> Snapshot:
    fields.setdefault("sources", all_fresh())
    return Snapshot(taken_at=NOW, **fields)
