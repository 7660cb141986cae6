"""Prometheus (HTTP API v1): PromQL evaluated at the injected clock's time.

A gate needs one number. `interpret` turns whatever Prometheus answered into a `QueryResult`
whose `value` is set only for exactly one finite sample, and whose `problem` says why not
otherwise: no data, several series, a range vector, NaN/±Inf, or Prometheus' own error text word
for word. A query Prometheus rejects is the query's fault, not the source's: the source stays
fresh and only that query has a problem. A Prometheus that cannot be reached (connection refused,
a 5xx page that is not its JSON) is a `SourceError`.

Every query of one poll is evaluated at the same instant, `time=<clock now>` in unix seconds, so
a `FakeClock` reproduces a backfilled history exactly.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

import httpx

from cockpit.config.models import Source
from cockpit.engine.http import HttpResult, SourceHttp
from cockpit.errors import ErrorKind, SourceError
from cockpit.models.release_data import QueryResult
from cockpit.sources.base import SourceData

QUERY_PATH = "/api/v1/query"
QUERY_RANGE_PATH = "/api/v1/query_range"
# The statuses Prometheus documents for API errors (bad parameters, unexecutable expression,
# timeout/abort). With its JSON error body they are the query's problem, not the source's.
API_ERROR_STATUSES = (400, 422, 503)

NO_DATA = "no data: the query returned an empty result"
RANGE_VECTOR = (
    "a range vector: wrap it in an aggregation over time (e.g. max_over_time(...[5m])) "
    "or drop the [range] selector"
)


@dataclass(frozen=True, slots=True)
class ApiAnswer:
    """What the API answered: `data` on success, or Prometheus' error text and type."""

    data: Any = None
    error: str = ""
    error_type: str = ""
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class RangeSeries:
    """One series of a range query: its labels and `(unix seconds, value)` points."""

    labels: dict[str, str]
    points: tuple[tuple[float, float], ...]


@dataclass(frozen=True, slots=True)
class RangeResult:
    """A PromQL expression evaluated over `[start, end]` every `step_s` seconds."""

    query: str
    series: tuple[RangeSeries, ...] = ()
    problem: str = ""
    start: datetime | None = None
    end: datetime | None = None
    step_s: float = 0.0
    source: str = ""
    warnings: tuple[str, ...] = ()


class PrometheusAdapter:
    """Evaluates a fixed set of PromQL expressions (the error_budget gates) on each poll.

    Args:
        name: The configured source name.
        source: Its config (interval).
        queries: The expressions to evaluate; duplicates are evaluated once.
        http: The source's HTTP face; `http.clock` gives the evaluation time.
    """

    kind = "prometheus"

    def __init__(self, name: str, source: Source, queries: Sequence[str], http: SourceHttp) -> None:
        self.name = name
        self.source = source
        self.queries: tuple[str, ...] = tuple(dict.fromkeys(queries))
        self.interval_s = float(source.interval)
        self.http = http

    async def poll(self) -> SourceData:
        """Every query at one instant; raises `SourceError` only when Prometheus is not there."""
        at = self.http.clock.now()
        results = [await self.query(expr, at) for expr in self.queries]
        return SourceData(queries=tuple(results))

    async def query(self, expr: str, at: datetime | None = None) -> QueryResult:
        """Evaluate one instant query at `at` (default: the clock's now)."""
        moment = at or self.http.clock.now()
        params: dict[str, str | int] = {"query": expr, "time": unix(moment)}
        answer = await api_get(self.http, QUERY_PATH, params)
        return interpret(expr, answer, moment, self.name)

    async def query_range(
        self, expr: str, start: datetime, end: datetime, step_s: float
    ) -> RangeResult:
        """Evaluate `expr` over a window (for canary analysis): one series per label set."""
        params: dict[str, str | int] = {
            "query": expr,
            "start": unix(start),
            "end": unix(end),
            "step": f"{step_s:g}",
        }
        answer = await api_get(self.http, QUERY_RANGE_PATH, params)
        base = RangeResult(expr, start=start, end=end, step_s=step_s, source=self.name)
        if answer.error:
            return replace(base, problem=answer.error)
        data = _data(answer, self.name)
        if data.get("resultType") != "matrix":
            return replace(base, problem=f"expected a matrix, got {data.get('resultType')}")
        series = tuple(
            RangeSeries(
                _labels(item.get("metric")),
                tuple(_point(p, self.name) for p in _list(item.get("values"), self.name)),
            )
            for item in _items(data.get("result"), self.name)
        )
        return replace(base, series=series, warnings=answer.warnings)


def unix(moment: datetime) -> str:
    """Unix seconds with millisecond precision, as the API takes them."""
    return f"{moment.timestamp():.3f}"


async def api_get(http: SourceHttp, path: str, params: Mapping[str, str | int]) -> ApiAnswer:
    """GET an API path; an API error comes back as `ApiAnswer.error`, anything else raises.

    `SourceHttp.get` would turn the documented 400/422/503 answers into a `SourceError` without
    their body, so this sends the request itself and reads Prometheus' JSON error first.
    """
    request = http.client.build_request(
        "GET", http.url(path), params=params, headers=http.headers, timeout=http.timeout
    )
    # send maps connection failures and timeouts to SourceError and counts the request.
    response = await http.send(request)
    status = response.status_code
    error = _api_error(response)
    if error is not None and (status < 300 or status in API_ERROR_STATUSES):
        return error
    if error is not None and status >= 500:
        # Prometheus itself failed (e.g. errorType "internal"): the source is not healthy.
        raise SourceError(
            ErrorKind.UNREACHABLE if status in (502, 504) else ErrorKind.BAD_RESPONSE,
            f"{http.source}: Prometheus answered HTTP {status}: {error.error}",
            source=http.source,
            hint="a server-side error; it is retried with backoff",
        )
    http.raise_for_status(response)
    payload = HttpResult(
        str(request.url),
        response.status_code,
        response.content,
        dict(response.headers),
        source=http.source,
    ).json()
    if not isinstance(payload, dict) or payload.get("status") != "success":
        raise _bad(http.source, 'no status "success" or "error" in the answer')
    return ApiAnswer(data=payload.get("data"), warnings=_strings(payload.get("warnings")))


def interpret(expr: str, answer: ApiAnswer, at: datetime, source: str) -> QueryResult:
    """The gate's view of one instant-query answer: one finite number, or why not."""
    base = QueryResult(expr, None, evaluated_at=at, source=source)
    if answer.error:
        return replace(base, problem=answer.error)
    data = _data(answer, source)
    result_type = str(data.get("resultType", ""))
    result = data.get("result")
    if result_type == "vector":
        items = _items(result, source)
        if not items:
            return replace(base, result_type=result_type, problem=NO_DATA)
        if len(items) > 1:
            return replace(
                base,
                result_type=result_type,
                series=len(items),
                problem=(
                    f"{len(items)} series; the gate needs exactly one: "
                    "aggregate with sum() or max()"
                ),
            )
        return _sample(base, result_type, items[0].get("value"), source)
    if result_type == "scalar":
        return _sample(base, result_type, result, source)
    if result_type == "matrix":
        count = len(_items(result, source))
        return replace(base, result_type=result_type, series=count, problem=RANGE_VECTOR)
    if result_type == "string":
        return replace(
            base, result_type=result_type, problem="a string, not a number: the gate needs a number"
        )
    raise _bad(source, f"unknown resultType {result_type!r}")


def _sample(base: QueryResult, result_type: str, sample: Any, source: str) -> QueryResult:
    _, value = _point(sample, source)
    if math.isnan(value):
        problem = "the value is NaN (not a number): often 0/0, a ratio with no traffic"
        return replace(base, result_type=result_type, series=1, problem=problem)
    if math.isinf(value):
        sign = "+" if value > 0 else "-"
        problem = f"the value is {sign}Inf: often a division by zero"
        return replace(base, result_type=result_type, series=1, problem=problem)
    return replace(base, value=value, result_type=result_type, series=1)


def _api_error(response: httpx.Response) -> ApiAnswer | None:
    """Prometheus' JSON error (`status: "error"`, `errorType`, `error`), if that is the body."""
    if not response.content.lstrip().startswith(b"{"):
        return None
    try:
        payload = response.json()
    except ValueError:
        return None
    if not isinstance(payload, dict) or payload.get("status") != "error":
        return None
    text = payload.get("error")
    if not isinstance(text, str) or not text:
        return None
    return ApiAnswer(
        error=text,
        error_type=str(payload.get("errorType", "")),
        warnings=_strings(payload.get("warnings")),
    )


def _data(answer: ApiAnswer, source: str) -> dict[str, Any]:
    if not isinstance(answer.data, dict):
        raise _bad(source, "no data object in the answer")
    return answer.data


def _items(value: Any, source: str) -> list[dict[str, Any]]:
    items = _list(value, source)
    if not all(isinstance(item, dict) for item in items):
        raise _bad(source, "a result entry is not an object")
    return items


def _list(value: Any, source: str) -> list[Any]:
    if not isinstance(value, list):
        raise _bad(source, f"expected a list, got {type(value).__name__}")
    return value


def _point(sample: Any, source: str) -> tuple[float, float]:
    """`[<unix seconds>, "<value>"]`; the value string may be "NaN", "+Inf" or "-Inf"."""
    if not isinstance(sample, list) or len(sample) != 2:
        raise _bad(source, f"a sample is not [time, value]: {str(sample)[:60]}")
    try:
        return float(sample[0]), float(sample[1])
    except (TypeError, ValueError) as exc:
        raise _bad(source, f"a sample is not a number: {str(sample)[:60]}") from exc


def _labels(value: Any) -> dict[str, str]:
    if not isinstance(value, dict):
        return {}
    return {str(k): str(v) for k, v in value.items()}


def _strings(value: Any) -> tuple[str, ...]:
    return tuple(str(v) for v in value) if isinstance(value, list) else ()


def _bad(source: str, what: str) -> SourceError:
    return SourceError(
        ErrorKind.BAD_RESPONSE,
        f"{source}: the answer is not Prometheus' query API format ({what})",
        source=source,
        hint="check the source's url points at Prometheus (or a compatible API), not a proxy page",
    )
