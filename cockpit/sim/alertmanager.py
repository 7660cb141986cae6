"""An Alertmanager simulator (API v2) with a mutable alert list the demo scenario drives.

`fire(name, labels, summary)` raises or refreshes an alert, `resolve(name)` ends it, and
`silence(name)` creates a silence for it, exactly as an operator would in Alertmanager's UI: the
alert's state becomes `suppressed` with the silence id in `silencedBy`. The HTTP side answers
`GET /api/v2/alerts` (with the active/silenced/inhibited/unprocessed and `filter` parameters),
`POST /api/v2/alerts`, `GET`/`POST /api/v2/silences`, `DELETE /api/v2/silence/{id}` and
`/-/ready`, field for field as Alertmanager 0.25 does (alerts sorted by fingerprint, times as
`2026-11-23T10:00:00.000Z`, fingerprints computed as Alertmanager computes them).

Methods are thread-safe: the scenario mutates from the event loop while server threads read.
"""

from __future__ import annotations

import json
import re
import threading
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from cockpit.clock import Clock
from cockpit.sim.server import Request, Response, Router, SimServer, SimService
from cockpit.sources.alerts.matchers import Matcher, MatchType, matches_all, parse_matcher

# Alertmanager's default `resolve_timeout`: an alert not re-sent within it resolves.
RESOLVE_TIMEOUT = timedelta(minutes=5)
_FNV_OFFSET = 14695981039346656037
_FNV_PRIME = 1099511628211


@dataclass(slots=True)
class SimAlert:
    """One alert as the simulator stores it."""

    labels: dict[str, str]
    annotations: dict[str, str]
    starts_at: datetime
    updated_at: datetime
    ends_at: datetime | None = None  # None: firing until resolved (re-sent, as by Prometheus)
    generator_url: str = ""

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.labels)


@dataclass(slots=True)
class SimSilence:
    """One silence."""

    id: str
    matchers: tuple[Matcher, ...]
    starts_at: datetime
    ends_at: datetime
    updated_at: datetime
    created_by: str = "release-cockpit demo"
    comment: str = ""

    def state(self, now: datetime) -> str:
        if now < self.starts_at:
            return "pending"
        return "active" if now < self.ends_at else "expired"


class AlertmanagerSim(SimService):
    """A loopback Alertmanager.

    Args:
        clock: Alert and silence times come from it.
        name: For thread names.
        receiver: The one receiver every alert is routed to.
    """

    def __init__(
        self, clock: Clock, *, name: str = "alertmanager", receiver: str = "release-cockpit"
    ) -> None:
        self.clock = clock
        self.receiver = receiver
        self._lock = threading.Lock()
        self._alerts: dict[str, SimAlert] = {}
        self._silences: dict[str, SimSilence] = {}
        router = Router()
        router.get(r"/api/v2/alerts", self._get_alerts)
        router.add("POST", r"/api/v2/alerts", self._post_alerts)
        router.get(r"/api/v2/silences", self._get_silences)
        router.add("POST", r"/api/v2/silences", self._post_silence)
        router.add("DELETE", r"/api/v2/silence/(?P<id>[^/]+)", self._delete_silence)
        router.get(r"/-/ready", lambda _: Response.text("OK"))
        router.get(r"/-/healthy", lambda _: Response.text("OK"))
        router.fallback = lambda _: Response.text("404 page not found\n", 404)
        self.server = SimServer(router, name=name)

    # Lifecycle -------------------------------------------------------------------------

    # What the scenario drives ------------------------------------------------------------

    def fire(
        self,
        name: str,
        labels: Mapping[str, str] | None = None,
        summary: str = "",
        *,
        annotations: Mapping[str, str] | None = None,
    ) -> str:
        """Raise an alert (or refresh it when the same labels already fire); its fingerprint."""
        full = {**dict(labels or {}), "alertname": name}
        notes = {**dict(annotations or {}), **({"summary": summary} if summary else {})}
        now = self.clock.now()
        key = fingerprint(full)
        with self._lock:
            existing = self._alerts.get(key)
            if existing is not None and not _resolved(existing, now):
                existing.annotations = notes or existing.annotations
                existing.updated_at = now
            else:
                self._alerts[key] = SimAlert(full, notes, now, now)
        return key

    def resolve(self, name: str) -> int:
        """End every alert named `name`; how many there were."""
        now = self.clock.now()
        with self._lock:
            ended = [
                a
                for a in self._alerts.values()
                if a.labels.get("alertname") == name and not _resolved(a, now)
            ]
            for alert in ended:
                alert.ends_at = now
                alert.updated_at = now
            return len(ended)

    def silence(
        self,
        name: str,
        *,
        duration: timedelta = timedelta(hours=1),
        created_by: str = "release-cockpit demo",
        comment: str = "silenced during the release window",
    ) -> str:
        """Silence every alert named `name` (`alertname="name"`) from now on; the silence id."""
        matcher = Matcher("alertname", MatchType.EQUAL, name)
        return self.add_silence(
            (matcher,), duration=duration, created_by=created_by, comment=comment
        )

    def add_silence(
        self,
        matchers: tuple[Matcher, ...],
        *,
        starts_at: datetime | None = None,
        duration: timedelta = timedelta(hours=1),
        created_by: str = "release-cockpit demo",
        comment: str = "",
    ) -> str:
        """A silence with any matchers; the id."""
        now = self.clock.now()
        start = starts_at or now
        silence = SimSilence(
            str(uuid.uuid4()), matchers, start, start + duration, now, created_by, comment
        )
        with self._lock:
            self._silences[silence.id] = silence
        return silence.id

    def expire(self, silence_id: str) -> bool:
        """End a silence now (as `DELETE /api/v2/silence/{id}` does); False if unknown."""
        now = self.clock.now()
        with self._lock:
            silence = self._silences.get(silence_id)
            if silence is None:
                return False
            silence.ends_at = min(silence.ends_at, now)
            silence.updated_at = now
            return True

    def clear(self) -> None:
        with self._lock:
            self._alerts.clear()
            self._silences.clear()

    def alerts(self) -> list[dict[str, Any]]:
        """The current, unresolved alerts as `GET /api/v2/alerts` returns them."""
        return self._render_alerts({})

    # HTTP handlers -----------------------------------------------------------------------

    def _get_alerts(self, request: Request) -> Response:
        try:
            return Response.json(self._render_alerts(request.query))
        except ValueError as exc:
            return Response.json(str(exc), 400)

    def _render_alerts(self, query: Mapping[str, str]) -> list[dict[str, Any]]:
        flags = {
            key: _bool(query.get(key, "true"), key)
            for key in ("active", "silenced", "inhibited", "unprocessed")
        }
        # One matcher per `filter` parameter, as Alertmanager 0.25 parses it (the sim framework
        # keeps only the first of repeated parameters).
        filters = (parse_matcher(query["filter"]),) if query.get("filter") else ()
        receiver = re.compile(query["receiver"]) if query.get("receiver") else None
        if receiver is not None and not receiver.fullmatch(self.receiver):
            return []
        now = self.clock.now()
        with self._lock:
            alerts = [a for a in self._alerts.values() if not _resolved(a, now)]
            silences = [s for s in self._silences.values() if s.state(now) == "active"]
        rendered = []
        for alert in sorted(alerts, key=lambda a: a.fingerprint):
            silenced_by = sorted(s.id for s in silences if matches_all(s.matchers, alert.labels))
            state = "suppressed" if silenced_by else "active"
            if (state == "active" and not flags["active"]) or (
                silenced_by and not flags["silenced"]
            ):
                continue
            if not matches_all(filters, alert.labels):
                continue
            rendered.append(self._alert_json(alert, state, silenced_by, now))
        return rendered

    def _alert_json(
        self, alert: SimAlert, state: str, silenced_by: list[str], now: datetime
    ) -> dict[str, Any]:
        ends_at = alert.ends_at or max(alert.updated_at, now) + RESOLVE_TIMEOUT
        body: dict[str, Any] = {
            "annotations": dict(sorted(alert.annotations.items())),
            "endsAt": rfc3339(ends_at),
            "fingerprint": alert.fingerprint,
            "receivers": [{"name": self.receiver}],
            "startsAt": rfc3339(alert.starts_at),
            "status": {"inhibitedBy": [], "silencedBy": silenced_by, "state": state},
            "updatedAt": rfc3339(alert.updated_at),
        }
        if alert.generator_url:
            body["generatorURL"] = alert.generator_url
        # Go marshals maps with sorted keys.
        body["labels"] = dict(sorted(alert.labels.items()))
        return body

    def _post_alerts(self, request: Request) -> Response:
        """postableAlerts; Alertmanager's defaults for missing startsAt/endsAt."""
        try:
            items = json.loads(request.body or b"null")
            if not isinstance(items, list):
                raise ValueError("expected a JSON array of alerts")
            now = self.clock.now()
            parsed = [_postable(item, now) for item in items]
        except ValueError as exc:
            return Response.json(str(exc), 400)
        with self._lock:
            for alert in parsed:
                self._alerts[alert.fingerprint] = alert
        return Response(200, {}, b"")

    def _get_silences(self, request: Request) -> Response:
        now = self.clock.now()
        with self._lock:
            silences = list(self._silences.values())
        return Response.json([_silence_json(s, now) for s in silences])

    def _post_silence(self, request: Request) -> Response:
        try:
            body = json.loads(request.body or b"null")
            if not isinstance(body, dict):
                raise ValueError("expected a silence object")
            matchers = tuple(_json_matcher(m) for m in body.get("matchers") or [])
            if not matchers:
                raise ValueError("silence invalid: at least one matcher required")
            starts_at = _time(body.get("startsAt"), "startsAt")
            ends_at = _time(body.get("endsAt"), "endsAt")
            if ends_at <= starts_at:
                raise ValueError("silence invalid: end time must not be before start time")
        except ValueError as exc:
            return Response.json(str(exc), 400)
        now = self.clock.now()
        silence_id = self.add_silence(
            matchers,
            starts_at=max(starts_at, now),
            duration=ends_at - max(starts_at, now),
            created_by=str(body.get("createdBy", "")),
            comment=str(body.get("comment", "")),
        )
        return Response.json({"silenceID": silence_id})

    def _delete_silence(self, request: Request) -> Response:
        if not self.expire(request.params["id"]):
            return Response.json(f"silence {request.params['id']} not found", 404)
        return Response(200, {}, b"")


def fingerprint(labels: Mapping[str, str]) -> str:
    """Alertmanager's alert fingerprint: FNV-1a 64 over sorted `name 0xff value 0xff` pairs."""
    digest = _FNV_OFFSET
    for name in sorted(labels):
        for byte in name.encode() + b"\xff" + labels[name].encode() + b"\xff":
            digest = ((digest ^ byte) * _FNV_PRIME) & 0xFFFFFFFFFFFFFFFF
    return f"{digest:016x}"


def rfc3339(moment: datetime) -> str:
    """`2026-11-23T10:00:00.000Z`, as Alertmanager's API writes times."""
    utc = moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def _resolved(alert: SimAlert, now: datetime) -> bool:
    return alert.ends_at is not None and alert.ends_at <= now


def _bool(text: str, name: str) -> bool:
    if text in ("true", "1"):
        return True
    if text in ("false", "0"):
        return False
    raise ValueError(f"{name} in query must be of type boolean: {text!r}")


def _time(value: Any, name: str) -> datetime:
    if not isinstance(value, str) or not value:
        raise ValueError(f"{name} is required and must be an RFC 3339 time")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{name} is not an RFC 3339 time: {value!r}") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _postable(item: Any, now: datetime) -> SimAlert:
    if not isinstance(item, dict) or not isinstance(item.get("labels"), dict):
        raise ValueError("each alert needs a labels object")
    labels = {str(k): str(v) for k, v in item["labels"].items() if str(v)}
    if not labels:
        raise ValueError("at least one label pair required")
    annotations = {str(k): str(v) for k, v in (item.get("annotations") or {}).items()}
    starts = _time(item["startsAt"], "startsAt") if item.get("startsAt") else None
    ends = _time(item["endsAt"], "endsAt") if item.get("endsAt") else None
    # Alertmanager: a missing start is the end (or now); a missing end is now + resolve_timeout.
    starts = starts or ends or now
    ends = ends or now + RESOLVE_TIMEOUT
    if ends < starts:
        raise ValueError("start time must be before end time")
    return SimAlert(labels, annotations, starts, now, ends, str(item.get("generatorURL", "")))


def _json_matcher(item: Any) -> Matcher:
    if not isinstance(item, dict) or "name" not in item or "value" not in item:
        raise ValueError("a matcher needs name, value and isRegex")
    regex, equal = bool(item.get("isRegex")), bool(item.get("isEqual", True))
    op = {
        (False, True): MatchType.EQUAL,
        (False, False): MatchType.NOT_EQUAL,
        (True, True): MatchType.REGEX,
        (True, False): MatchType.NOT_REGEX,
    }[(regex, equal)]
    return Matcher(str(item["name"]), op, str(item["value"]))


def _silence_json(silence: SimSilence, now: datetime) -> dict[str, Any]:
    return {
        "id": silence.id,
        "status": {"state": silence.state(now)},
        "updatedAt": rfc3339(silence.updated_at),
        "comment": silence.comment,
        "createdBy": silence.created_by,
        "endsAt": rfc3339(silence.ends_at),
        "matchers": [
            {
                "isEqual": m.op in (MatchType.EQUAL, MatchType.REGEX),
                "isRegex": m.op in (MatchType.REGEX, MatchType.NOT_REGEX),
                "name": m.name,
                "value": m.value,
            }
            for m in silence.matchers
        ],
        "startsAt": rfc3339(silence.starts_at),
    }
