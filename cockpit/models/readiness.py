"""Readiness: gate results with evidence, and the go/no-go verdict."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from cockpit.models.freshness import iso


class GateVerdict(StrEnum):
    """One gate's verdict. `unknown` is never a pass."""

    PASS = "pass"
    FAIL = "fail"
    UNKNOWN = "unknown"
    WAIVED = "waived"


class Verdict(StrEnum):
    """The release verdict: GO only when every gate passed or was waived."""

    GO = "go"
    NO_GO = "no-go"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class Waiver:
    """Who waived a failing gate, when and why (recorded, shown, journaled)."""

    by: str
    at: datetime
    reason: str


@dataclass(frozen=True, slots=True)
class GateResult:
    """A gate's verdict with its one-line reason and the evidence seen.

    Attributes:
        kind: The gate kind (ci_green, artifact_present, ...).
        title: The configured title, or a generated one.
        verdict: pass | fail | unknown | waived.
        reason: One line; non-empty unless pass.
        evidence: What was seen (digests, values, alert names, offending commits...), JSON-able.
        source: The configured source the evidence came from ("" for local gates).
        fetched_at: When the evidence was fetched.
        link: A URL to look at, when there is one.
        waiver: Set when verdict is waived.
    """

    kind: str
    title: str
    verdict: GateVerdict
    reason: str = ""
    evidence: dict[str, Any] = field(default_factory=dict)
    source: str = ""
    fetched_at: datetime | None = None
    link: str = ""
    waiver: Waiver | None = None

    def to_json(self) -> dict[str, Any]:
        document: dict[str, Any] = {
            "kind": self.kind,
            "title": self.title,
            "verdict": self.verdict.value,
            "reason": self.reason,
            "evidence": self.evidence,
            "source": self.source,
            "fetched_at": iso(self.fetched_at),
        }
        if self.waiver is not None:
            document["waiver"] = {
                "by": self.waiver.by,
                "at": iso(self.waiver.at),
                "reason": self.waiver.reason,
            }
        return document
