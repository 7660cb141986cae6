"""What the readiness sources report: artifacts in a registry, PromQL values, alerts."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True, slots=True)
class ArtifactStatus:
    """An image tag looked up in an OCI registry.

    Attributes:
        service: The configured service.
        image: Repository name (e.g. acme/checkout).
        tag: The resolved tag (after `{release.ref}` substitution).
        present: True: the tag exists; False: the registry said it does not (a fail, not unknown).
        digest: The manifest digest served for our Accept types (the index digest for multi-arch).
        media_type: The manifest media type served.
        signed: True/False when checked; None when it could not be checked.
        signature: Where the signature was found (referrers API or the cosign tag).
        platforms: For an index, the platforms it lists (os/arch).
        detail: A note for the evidence (e.g. "referrers API not supported; used cosign tag").
        source: The registry source name.
        fetched_at: When the lookup was made.
    """

    service: str
    image: str
    tag: str
    present: bool
    digest: str = ""
    media_type: str = ""
    signed: bool | None = None
    signature: str = ""
    platforms: tuple[str, ...] = ()
    detail: str = ""
    source: str = ""
    fetched_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class QueryResult:
    """A PromQL expression evaluated once.

    `value` is set only when the answer is exactly one finite sample; anything else (an empty
    result, several series, a matrix, NaN, +Inf, a Prometheus error) leaves it None and says why in
    `problem` (Prometheus' own error text word for word when it answered an error).
    """

    query: str
    value: float | None
    result_type: str = ""
    series: int = 0
    problem: str = ""
    evaluated_at: datetime | None = None
    source: str = ""


@dataclass(frozen=True, slots=True)
class Alert:
    """An Alertmanager alert (v2 API)."""

    name: str
    labels: dict[str, str] = field(default_factory=dict)
    state: str = "active"  # active | suppressed | unprocessed
    silenced_by: tuple[str, ...] = ()
    inhibited_by: tuple[str, ...] = ()
    starts_at: datetime | None = None
    summary: str = ""
    fingerprint: str = ""
    source: str = ""

    @property
    def silenced(self) -> bool:
        return self.state == "suppressed" or bool(self.silenced_by)

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "state": self.state,
            "labels": self.labels,
            "silenced_by": list(self.silenced_by),
            "source": self.source,
        }
