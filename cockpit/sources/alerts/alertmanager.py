"""Alertmanager (API v2): every alert it knows, active, silenced, inhibited or unprocessed.

One poll is one `GET /api/v2/alerts?active=true&silenced=true&inhibited=true&unprocessed=true`.
All alerts are kept, normalised into `Alert`s; the alerts_quiet gate picks its own with
`matching(alerts, matchers)`. Labels are kept verbatim (matchers must see the exact values);
the summary and the name are sanitized because they are shown as they are.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from cockpit.config.models import Source
from cockpit.engine.http import SourceHttp
from cockpit.errors import ErrorKind, SourceError
from cockpit.models.release_data import Alert
from cockpit.sources.alerts.matchers import Matcher, matches_all, parse_matchers
from cockpit.sources.base import SourceData
from cockpit.text import sanitize

ALERTS_PATH = "/api/v2/alerts"
ALERTS_PARAMS: dict[str, str | int] = {
    "active": "true",
    "silenced": "true",
    "inhibited": "true",
    "unprocessed": "true",
}
STATES = ("active", "suppressed", "unprocessed")


class AlertmanagerAdapter:
    """Polls one Alertmanager.

    Args:
        name: The configured source name.
        source: Its config (interval).
        matcher_sets: The matchers of each alerts_quiet gate on this source, as `Matcher`s or
            matcher strings (`'service="checkout"'`); kept for the gates, not sent.
        http: The source's HTTP face.

    Raises:
        ValueError: A matcher string does not parse (the config validator reports it first).
    """

    kind = "alertmanager"

    def __init__(
        self,
        name: str,
        source: Source,
        matcher_sets: Sequence[Sequence[Matcher | str]],
        http: SourceHttp,
    ) -> None:
        self.name = name
        self.source = source
        self.interval_s = float(source.interval)
        self.http = http
        self.matcher_sets: tuple[tuple[Matcher, ...], ...] = tuple(
            _to_matchers(matchers) for matchers in matcher_sets
        )

    async def poll(self) -> SourceData:
        """Every alert, in Alertmanager's order; `SourceError` when it cannot be asked."""
        payload = await self.http.get_json(ALERTS_PATH, params=ALERTS_PARAMS)
        return SourceData(alerts=parse_alerts(payload, self.name))


def matching(alerts: Iterable[Alert], matchers: Iterable[Matcher]) -> tuple[Alert, ...]:
    """The alerts every matcher selects (all of them when there are no matchers)."""
    wanted = tuple(matchers)
    return tuple(alert for alert in alerts if matches_all(wanted, alert.labels))


def parse_alerts(payload: Any, source: str) -> tuple[Alert, ...]:
    """`gettableAlerts` (a JSON array) into `Alert`s; `bad_response` if it is not that shape."""
    if not isinstance(payload, list):
        raise _bad(source, f"expected a JSON array of alerts, got {type(payload).__name__}")
    return tuple(parse_alert(item, source) for item in payload)


def parse_alert(item: Any, source: str) -> Alert:
    """One `gettableAlert`."""
    if not isinstance(item, dict):
        raise _bad(source, f"expected an alert object, got {type(item).__name__}")
    labels = _string_map(item.get("labels"))
    annotations = _string_map(item.get("annotations"))
    raw_status = item.get("status")
    status: dict[str, Any] = raw_status if isinstance(raw_status, dict) else {}
    state = status.get("state")
    return Alert(
        name=sanitize(labels.get("alertname", "")) or "(no alertname)",
        labels=labels,
        state=state if state in STATES else "unprocessed",
        silenced_by=_strings(status.get("silencedBy")),
        inhibited_by=_strings(status.get("inhibitedBy")),
        starts_at=_timestamp(item.get("startsAt")),
        summary=sanitize(annotations.get("summary", "")),
        fingerprint=str(item.get("fingerprint") or ""),
        source=source,
    )


def _to_matchers(matchers: Sequence[Matcher | str]) -> tuple[Matcher, ...]:
    out: list[Matcher] = []
    for matcher in matchers:
        out.extend(parse_matchers(matcher) if isinstance(matcher, str) else (matcher,))
    return tuple(out)


def _string_map(value: Any) -> dict[str, str]:
    if not isinstance(value, dict):
        return {}
    return {str(k): str(v) for k, v in value.items()}


def _strings(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list):
        return ()
    return tuple(str(v) for v in value)


def _timestamp(value: Any) -> datetime | None:
    """An RFC 3339 time as Alertmanager writes it (`...T07:19:55.000Z`, up to nanoseconds)."""
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def _bad(source: str, what: str) -> SourceError:
    return SourceError(
        ErrorKind.BAD_RESPONSE,
        f"{source}: {ALERTS_PATH} answered something that is not Alertmanager's v2 API ({what})",
        source=source,
        hint="check the source's url points at Alertmanager (not Prometheus or a proxy page)",
    )
