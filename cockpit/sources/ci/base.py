"""What every CI adapter (GitHub Actions, GitLab CI, Jenkins) provides, and shared pure helpers.

A CI adapter is an engine `Adapter` whose `poll()` returns one `PipelineRun` per configured
service (per workflow when several are configured): the newest run on the configured branch,
with the durations and outcomes of recent completed runs for context. Capability flags tell the
UI which controls to offer; the UI never calls a method whose flag is False.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, ClassVar, NamedTuple, Protocol, runtime_checkable

from cockpit.errors import ErrorKind, SourceError
from cockpit.models import Job, PipelineRun, RunStatus
from cockpit.sources.base import Adapter, SourceData

# How many recent completed runs the pass rate looks at by default.
PASS_RATE_WINDOW = 10


class CIAdapter(Adapter, Protocol):
    """A CI system behind one configured source (an engine `Adapter` with CI capabilities).

    Attributes:
        SUPPORTS_RERUN: The adapter can re-run a failed run.
        SUPPORTS_LIVE_LOG: The adapter can stream a running job's log.
        SUPPORTS_JOB_LOG: The adapter can fetch a job's log (`job_log`, see `SupportsJobLog`).
    """

    SUPPORTS_RERUN: ClassVar[bool]
    SUPPORTS_LIVE_LOG: ClassVar[bool]
    SUPPORTS_JOB_LOG: ClassVar[bool]

    async def poll(self) -> SourceData:
        """The newest run per configured service (and workflow), with history.

        Raises:
            SourceError: on any remote failure, with a message naming the source.
        """
        ...

    async def jobs(self, run: PipelineRun) -> tuple[Job, ...]:
        """The jobs of `run` (a run this adapter returned), with their steps."""
        ...


@runtime_checkable
class SupportsJobLog(Protocol):
    """The optional log capability of a CI adapter whose `SUPPORTS_JOB_LOG` is True."""

    async def job_log(self, run: PipelineRun, job: Job) -> str:
        """The job's log text, sanitised (terminal control sequences removed, newlines kept)."""
        ...


def pass_rate(outcomes: Sequence[RunStatus], last: int = PASS_RATE_WINDOW) -> float | None:
    """The share of successes among the last `last` decided outcomes (oldest first in `outcomes`).

    Only successes and failures are decided: a cancelled run was usually superseded by a newer
    push, and an unknown one tells nothing, so neither counts for or against. Returns None when
    there is no decided outcome.
    """
    if last <= 0:
        raise ValueError("last must be positive")
    decided = [o for o in outcomes if o in (RunStatus.SUCCESS, RunStatus.FAILURE)][-last:]
    if not decided:
        return None
    return sum(1 for o in decided if o is RunStatus.SUCCESS) / len(decided)


_LINK = re.compile(
    r'<(?P<url>[^>]*)>(?P<params>(?:\s*;\s*[^,;=\s]+\s*(?:=\s*(?:"[^"]*"|[^,;]*))?)*)'
)
_REL = re.compile(r';\s*rel\s*=\s*(?:"(?P<quoted>[^"]*)"|(?P<bare>[^\s;,]+))', re.IGNORECASE)


def parse_link_header(value: str | None) -> dict[str, str]:
    """The targets of an RFC 8288 `Link` header by relation type (`next`, `last`, ...).

    A link may carry several space-separated relations (`rel="next last"`); the first link of a
    relation wins. Malformed parts are skipped, never raised on: headers are remote input.
    """
    links: dict[str, str] = {}
    for match in _LINK.finditer(value or ""):
        rel = _REL.search(match.group("params"))
        if rel is None:
            continue
        for name in (rel.group("quoted") or rel.group("bare") or "").lower().split():
            links.setdefault(name, match.group("url").strip())
    return links


class PayloadReader:
    """Loose validation of remote JSON: a missing or mistyped key is a `bad_response` error.

    Adapters read only the keys they use, through this, so a changed or truncated body becomes
    a typed error naming the source and the listing, never a KeyError.

    Args:
        source: The configured source name.
        what: What was read, for messages ("the runs of acme/checkout").
        hint: What to check when the body is not what we expected.
    """

    def __init__(self, source: str, what: str, hint: str = "") -> None:
        self.source = source
        self.what = what
        self.hint = hint

    def fail(self, detail: str) -> SourceError:
        return SourceError(
            ErrorKind.BAD_RESPONSE,
            f"{self.source}: unexpected answer from {self.what}: {detail}",
            source=self.source,
            hint=self.hint,
        )

    def obj(self, value: Any, where: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(f"{where} is not an object")
        return value

    def items(self, body: Any, key: str) -> list[dict[str, Any]]:
        value = self.obj(body, "the body").get(key)
        if not isinstance(value, list):
            raise self.fail(f"`{key}` is missing or not a list")
        return [self.obj(item, f"an item of `{key}`") for item in value]

    def integer(self, obj: Mapping[str, Any], key: str) -> int:
        value = obj.get(key)
        if not isinstance(value, int) or isinstance(value, bool):
            raise self.fail(f"`{key}` is missing or not an integer")
        return value

    def text(self, obj: Mapping[str, Any], key: str, *, nullable: bool = False) -> str:
        value = obj.get(key)
        if value is None and nullable:
            return ""
        if not isinstance(value, str):
            raise self.fail(f"`{key}` is missing or not a string")
        return value

    def time(self, obj: Mapping[str, Any], key: str, *, nullable: bool = False) -> datetime | None:
        value = self.text(obj, key, nullable=nullable)
        if not value:
            return None
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            raise self.fail(f"`{key}` is not a timestamp ({value[:40]!r})") from None
        return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class FinishedRun(Protocol):
    """A finished run as each adapter reads it: its outcome and how long it took."""

    @property
    def status(self) -> RunStatus: ...

    def duration(self, now: datetime) -> float | None: ...


class RecentHistory(NamedTuple):
    """A PipelineRun's `recent_durations_s` and `recent_outcomes`, oldest first."""

    durations: tuple[float, ...]
    outcomes: tuple[RunStatus, ...]


def recent_history(history: Sequence[FinishedRun], now: datetime) -> RecentHistory:
    """One rule for every CI system: a run with no known duration still counts as an outcome."""
    return RecentHistory(
        tuple(d for r in history if (d := r.duration(now)) is not None),
        tuple(r.status for r in history),
    )
