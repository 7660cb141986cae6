"""A Prometheus simulator: the query API answered from a value function of (query, time).

It does not evaluate PromQL. A `ValueFunction` decides what each expression returns at a moment:
`None` (an empty vector), a number (one sample), or several `(labels, value)` series. Before that,
a small checker rejects the syntax mistakes people make in release configs (unbalanced brackets,
unterminated strings, an empty query) with Prometheus' own JSON error, status and wording, e.g.
`invalid parameter "query": 1:18: parse error: unclosed left parenthesis`. A value function may
also raise `SimQueryError` to answer an execution error (HTTP 422).

Responses follow the HTTP API v1 field for field: `{"status": "success", "data": {"resultType":
"vector", "result": [{"metric": {...}, "value": [<unix seconds>, "<value>"]}]}}`, values
formatted as Prometheus formats them ("0.4", "NaN", "+Inf").
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs

from cockpit.clock import Clock
from cockpit.sim.scenario import Scenario
from cockpit.sim.server import Request, Response, Router, SimServer, SimService

Series = tuple[Mapping[str, str], float]
SimValue = float | None | Sequence[Series]
ValueFunction = Callable[[str, datetime], SimValue]

# Prometheus' limit on points per series in a range query.
MAX_POINTS = 11_000
_SELECTOR = re.compile(r"\s*(?P<name>[a-zA-Z_:][a-zA-Z0-9_:]*)\s*(?:\{(?P<labels>[^{}]*)\})?\s*")
_EQUAL_LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)\s*=\s*"((?:[^"\\]|\\.)*)"')
_SERVICE = re.compile(r'service\s*=\s*"([^"]*)"')


class SimQueryError(Exception):
    """Raised by a value function to answer a Prometheus error instead of data."""

    def __init__(self, error: str, error_type: str = "execution", status: int = 422) -> None:
        super().__init__(error)
        self.error = error
        self.error_type = error_type
        self.status = status


class PrometheusSim(SimService):
    """A loopback Prometheus answering `/api/v1/query`, `/api/v1/query_range` and `/-/ready`.

    Args:
        values: What each expression evaluates to at a moment.
        clock: The moment used when a request omits `time` / `end`.
        name: For thread names.

    Attributes:
        queries: Every expression received, in order (for tests).
    """

    def __init__(self, values: ValueFunction, clock: Clock, *, name: str = "prometheus") -> None:
        self.values = values
        self.clock = clock
        self.queries: list[str] = []
        router = Router()
        for method in ("GET", "POST"):
            router.add(method, r"/api/v1/query", self._query)
            router.add(method, r"/api/v1/query_range", self._query_range)
        router.get(r"/-/ready", lambda _: Response.text("Prometheus Server is Ready.\n"))
        router.get(r"/-/healthy", lambda _: Response.text("Prometheus Server is Healthy.\n"))
        router.fallback = lambda _: Response.text("404 page not found\n", 404)
        self.server = SimServer(router, name=name)

    # Handlers ---------------------------------------------------------------------------

    def _query(self, request: Request) -> Response:
        params = _params(request)
        expr = params.get("query", "")
        self.queries.append(expr)
        try:
            at = _time(params.get("time"), "time", self.clock.now())
            check_syntax(expr)
            series = _series(expr, self.values(expr, at))
        except SimQueryError as exc:
            return error_response(exc)
        result = [{"metric": dict(labels), "value": sample(at, value)} for labels, value in series]
        return _success({"resultType": "vector", "result": result})

    def _query_range(self, request: Request) -> Response:
        params = _params(request)
        expr = params.get("query", "")
        self.queries.append(expr)
        try:
            start = _time(params.get("start"), "start", None)
            end = _time(params.get("end"), "end", None)
            step = _step(params.get("step", ""))
            if end < start:
                raise _bad('invalid parameter "end": end timestamp must not be before start time')
            if (end - start).total_seconds() / step > MAX_POINTS:
                raise _bad(
                    "exceeded maximum resolution of 11,000 points per timeseries. "
                    "Try decreasing the query resolution (?step=XX)"
                )
            check_syntax(expr)
            points: dict[tuple[tuple[str, str], ...], list[list[Any]]] = {}
            moment, index = start, 0
            while moment <= end:
                for labels, value in _series(expr, self.values(expr, moment)):
                    key = tuple(sorted(labels.items()))
                    points.setdefault(key, []).append(sample(moment, value))
                index += 1
                moment = datetime.fromtimestamp(start.timestamp() + index * step, UTC)
        except SimQueryError as exc:
            return error_response(exc)
        result = [{"metric": dict(key), "values": values} for key, values in sorted(points.items())]
        return _success({"resultType": "matrix", "result": result})


def check_syntax(expr: str) -> None:
    """Reject the common PromQL syntax mistakes with Prometheus' own messages.

    Raises:
        SimQueryError: `bad_data`, HTTP 400, as Prometheus answers a parse error.
    """
    if not expr.strip():
        raise _parse_error(1, "no expression found in input")
    closers = {")": "(", "]": "[", "}": "{"}
    names = {"(": "parenthesis", "[": "bracket", "{": "brace"}
    stack: list[str] = []
    position = 0
    while position < len(expr):
        char = expr[position]
        if char in "\"'`":
            end = _string_end(expr, position)
            if end < 0:
                raise _parse_error(position + 1, "unterminated quoted string")
            position = end + 1
            continue
        if char in "([{":
            stack.append(char)
        elif char in closers:
            if not stack or stack[-1] != closers[char]:
                side = {")": "right parenthesis", "]": "right bracket", "}": "right brace"}[char]
                raise _parse_error(position + 2, f"unexpected {side} {char!r}")
            stack.pop()
        position += 1
    if stack:
        if stack[-1] == "{":
            raise _parse_error(len(expr) + 1, "unexpected end of input inside braces")
        raise _parse_error(len(expr) + 1, f"unclosed left {names[stack[-1]]}")


def format_value(value: float) -> str:
    """A sample value as Prometheus writes it (Go's `FormatFloat(v, 'f', -1, 64)`)."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    text = format(Decimal(repr(float(value))), "f")
    return text.removesuffix(".0")


def sample(at: datetime, value: float) -> list[Any]:
    """`[<unix seconds>, "<value>"]` with the time as a JSON number (ms precision)."""
    seconds = round(at.timestamp(), 3)
    return [int(seconds) if seconds.is_integer() else seconds, format_value(value)]


def error_response(exc: SimQueryError) -> Response:
    """Prometheus' JSON error envelope."""
    payload = {"status": "error", "errorType": exc.error_type, "error": exc.error}
    return Response.json(payload, exc.status)


def scenario_values(scenario: Scenario) -> ValueFunction:
    """The demo's metrics: SLO burn rates per service and request error ratios per track.

    `slo:burn_rate1h{service="X"}`-style queries: checkout 0.4, payments 2.5 (over budget),
    billing 0.2, search 0.7, each with a small deterministic wobble. Error-ratio queries (they
    mention `http_requests_total` and a `track`): about 0.2%, and the checkout canary climbs to
    about 4% from T+6m. Anything else has no data.
    """
    burn = {"checkout": 0.4, "payments": 2.5, "billing": 0.2, "search": 0.7}

    def values(expr: str, at: datetime) -> SimValue:
        elapsed = scenario.elapsed(at)
        wobble = 0.02 * math.sin(elapsed / 60.0)
        service_match = _SERVICE.search(expr) or re.search(r'app\s*=\s*"([^"]*)"', expr)
        service = service_match.group(1) if service_match else ""
        if "burn_rate" in expr:
            return round(burn[service] + wobble, 4) if service in burn else None
        if "http_requests_total" in expr:
            if service not in burn:
                return None
            canary = re.search(r'track\s*=\s*"canary"', expr) is not None
            if canary and service == "checkout" and elapsed >= 360:
                return round(0.04 + wobble / 10, 5)
            return round(0.002 + wobble / 100, 5)
        return None

    return values


def _series(expr: str, value: SimValue) -> list[Series]:
    if value is None:
        return []
    if isinstance(value, int | float):
        return [(_selector_labels(expr), float(value))]
    return [(dict(labels), float(v)) for labels, v in value]


def _selector_labels(expr: str) -> dict[str, str]:
    """A bare selector keeps its name and equality labels (as Prometheus returns them)."""
    match = _SELECTOR.fullmatch(expr)
    if match is None:
        return {}
    labels = {"__name__": match["name"]}
    labels.update(_EQUAL_LABEL.findall(match["labels"] or ""))
    return labels


def _params(request: Request) -> dict[str, str]:
    """Query-string parameters, plus a form body (the API takes POST forms too)."""
    params = dict(request.query)
    if request.method == "POST" and request.body:
        form = parse_qs(request.body.decode("utf-8", "replace"), keep_blank_values=True)
        params.update({k: v[0] for k, v in form.items()})
    return params


def _time(text: str | None, name: str, default: datetime | None) -> datetime:
    if text is None or text == "":
        if default is not None:
            return default
        raise _bad(f'invalid parameter "{name}": cannot parse "" to a valid timestamp')
    try:
        return datetime.fromtimestamp(float(text), UTC)
    except (ValueError, OverflowError, OSError):
        pass
    try:
        moment = datetime.fromisoformat(text)
        return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    except ValueError:
        raise _bad(
            f"invalid parameter \"{name}\": Invalid time value for '{name}': "
            f'cannot parse "{text}" to a valid timestamp'
        ) from None


def _step(text: str) -> float:
    units = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800, "y": 31536000}
    try:
        step = float(text)
    except ValueError:
        match = re.fullmatch(r"(\d+)(ms|s|m|h|d|w|y)", text)
        if match is None:
            raise _bad(
                f'invalid parameter "step": cannot parse "{text}" to a valid duration'
            ) from None
        step = int(match[1]) * units[match[2]]
    if step <= 0:
        raise _bad(
            'invalid parameter "step": zero or negative query resolution step widths are not '
            "accepted. Try a positive integer"
        )
    return step


def _string_end(expr: str, start: int) -> int:
    """The index of the quote closing the string opened at `start`, or -1."""
    quote = expr[start]
    position = start + 1
    while position < len(expr):
        char = expr[position]
        if char == "\\" and quote != "`":
            position += 2
            continue
        if char == quote:
            return position
        if char == "\n" and quote != "`":
            return -1
        position += 1
    return -1


def _parse_error(column: int, message: str) -> SimQueryError:
    return _bad(f'invalid parameter "query": 1:{column}: parse error: {message}')


def _bad(error: str) -> SimQueryError:
    return SimQueryError(error, "bad_data", 400)


def _success(data: Mapping[str, Any]) -> Response:
    return Response.json({"status": "success", "data": dict(data)})
