"""PrometheusAdapter against httpx.MockTransport: one finite number, or exactly why not."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from cockpit.clock import FakeClock
from cockpit.config.models import Source
from cockpit.engine.http import SourceHttp
from cockpit.errors import ErrorKind, SourceError
from cockpit.sources.base import Adapter
from cockpit.sources.metrics.prometheus import NO_DATA, RANGE_VECTOR, PrometheusAdapter

NOW = datetime(2026, 11, 23, 10, 0, 0, tzinfo=UTC)
QUERY = 'slo:burn_rate1h{service="checkout"}'
PARSE_ERROR = 'invalid parameter "query": 1:18: parse error: unclosed left parenthesis'

Handler = Callable[[httpx.Request], httpx.Response]


def make(
    handler: Handler, queries: tuple[str, ...] = (QUERY,), clock: FakeClock | None = None
) -> PrometheusAdapter:
    client = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    http = SourceHttp(client, "prom", "http://prom.test:9090/", clock=clock or FakeClock(NOW))
    source = Source(kind="prometheus", url="http://prom.test:9090", interval=10.0)
    return PrometheusAdapter("prom", source, queries, http)


def ok(data: dict[str, Any]) -> httpx.Response:
    return httpx.Response(200, json={"status": "success", "data": data})


def vector(*values: str) -> httpx.Response:
    result = [
        {"metric": {"service": f"s{i}"}, "value": [NOW.timestamp(), v]}
        for i, v in enumerate(values)
    ]
    return ok({"resultType": "vector", "result": result})


async def one(handler: Handler) -> Any:
    data = await make(handler).poll()
    assert len(data.queries) == 1
    return data.queries[0]


async def test_is_an_adapter_with_the_configured_interval() -> None:
    adapter: Adapter = make(lambda r: vector("1"))
    assert (adapter.name, adapter.kind, adapter.interval_s) == ("prom", "prometheus", 10.0)


async def test_query_is_evaluated_at_the_injected_clock_time() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return vector("0.4")

    clock = FakeClock(NOW)
    await clock.advance(90.5)
    await make(handler, clock=clock).poll()
    assert seen[0].url.path == "/api/v1/query"
    assert seen[0].url.params["query"] == QUERY
    assert float(seen[0].url.params["time"]) == (NOW + timedelta(seconds=90.5)).timestamp()


async def test_one_finite_sample_is_the_value() -> None:
    result = await one(lambda r: vector("0.4"))
    assert result.value == 0.4
    assert (result.problem, result.result_type, result.series) == ("", "vector", 1)
    assert (result.query, result.source, result.evaluated_at) == (QUERY, "prom", NOW)


async def test_a_scalar_is_a_value() -> None:
    result = await one(lambda r: ok({"resultType": "scalar", "result": [NOW.timestamp(), "2.5"]}))
    assert (result.value, result.result_type, result.problem) == (2.5, "scalar", "")


async def test_an_empty_result_is_no_data() -> None:
    result = await one(lambda r: vector())
    assert result.value is None
    assert result.problem == NO_DATA == "no data: the query returned an empty result"


async def test_several_series_name_the_count() -> None:
    result = await one(lambda r: vector("0.4", "2.5", "1"))
    assert result.value is None
    assert result.series == 3
    assert result.problem == "3 series; the gate needs exactly one: aggregate with sum() or max()"


async def test_a_matrix_asks_for_an_aggregation_over_time() -> None:
    matrix = {
        "resultType": "matrix",
        "result": [{"metric": {}, "values": [[NOW.timestamp(), "1"], [NOW.timestamp(), "2"]]}],
    }
    result = await one(lambda r: ok(matrix))
    assert result.value is None
    assert result.problem == RANGE_VECTOR
    assert result.problem.startswith("a range vector: wrap it in an aggregation over time")


async def test_a_string_result_is_not_a_number() -> None:
    result = await one(lambda r: ok({"resultType": "string", "result": [NOW.timestamp(), "x"]}))
    assert result.value is None
    assert "not a number" in result.problem


@pytest.mark.parametrize(("sample", "word"), [("NaN", "NaN"), ("+Inf", "+Inf"), ("-Inf", "-Inf")])
async def test_nan_and_infinities_are_not_values(sample: str, word: str) -> None:
    result = await one(lambda r: vector(sample))
    assert result.value is None
    assert word in result.problem
    assert result.series == 1


async def test_an_infinite_scalar_is_not_a_value() -> None:
    result = await one(lambda r: ok({"resultType": "scalar", "result": [NOW.timestamp(), "+Inf"]}))
    assert result.value is None and "+Inf" in result.problem


@pytest.mark.parametrize(
    ("status", "error_type"), [(400, "bad_data"), (422, "execution"), (503, "timeout")]
)
async def test_a_prometheus_error_is_the_query_problem_word_for_word(
    status: int, error_type: str
) -> None:
    body = {"status": "error", "errorType": error_type, "error": PARSE_ERROR}
    result = await one(lambda r: httpx.Response(status, json=body))
    assert result.value is None
    assert result.problem == PARSE_ERROR


async def test_an_error_envelope_with_status_200_is_also_a_query_problem() -> None:
    body = {"status": "error", "errorType": "bad_data", "error": "something odd"}
    result = await one(lambda r: httpx.Response(200, json=body))
    assert result.problem == "something odd"


async def test_one_bad_query_does_not_hide_the_good_ones() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.params["query"] == "sum(":
            body = {"status": "error", "errorType": "bad_data", "error": PARSE_ERROR}
            return httpx.Response(400, json=body)
        return vector("0.4")

    data = await make(handler, queries=("sum(", QUERY)).poll()
    assert [(q.query, q.value, q.problem) for q in data.queries] == [
        ("sum(", None, PARSE_ERROR),
        (QUERY, 0.4, ""),
    ]


async def test_all_queries_of_a_poll_share_one_instant_and_duplicates_run_once() -> None:
    times: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        times.append(request.url.params["time"])
        return vector("1")

    data = await make(handler, queries=(QUERY, "up", QUERY)).poll()
    assert [q.query for q in data.queries] == [QUERY, "up"]
    assert len(set(times)) == 1 and len(times) == 2


async def test_connection_refused_is_an_unreachable_source_error() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("[Errno 111] Connection refused", request=request)

    with pytest.raises(SourceError) as caught:
        await make(handler).poll()
    assert caught.value.kind is ErrorKind.UNREACHABLE
    assert caught.value.source == "prom"
    assert caught.value.message.startswith("prom: ")


async def test_a_timeout_is_a_timeout_source_error() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("timed out", request=request)

    with pytest.raises(SourceError) as caught:
        await make(handler).poll()
    assert caught.value.kind is ErrorKind.TIMEOUT


@pytest.mark.parametrize("status", [502, 503, 504])
async def test_a_gateway_page_that_is_not_prometheus_json_is_unreachable(status: int) -> None:
    page = httpx.Response(
        status, text="<html>Bad Gateway</html>", headers={"content-type": "text/html"}
    )
    with pytest.raises(SourceError) as caught:
        await make(lambda r: page).poll()
    assert caught.value.kind is ErrorKind.UNREACHABLE
    assert "prom" in caught.value.message


async def test_a_500_with_prometheus_json_is_a_source_error_keeping_the_text() -> None:
    body = {"status": "error", "errorType": "internal", "error": "disk on fire"}
    with pytest.raises(SourceError) as caught:
        await make(lambda r: httpx.Response(500, json=body)).poll()
    assert caught.value.kind is ErrorKind.BAD_RESPONSE
    assert "disk on fire" in caught.value.message


async def test_a_500_page_is_a_bad_response() -> None:
    with pytest.raises(SourceError) as caught:
        await make(lambda r: httpx.Response(500, text="oops")).poll()
    assert caught.value.kind is ErrorKind.BAD_RESPONSE


async def test_a_login_page_with_200_is_a_bad_response() -> None:
    page = httpx.Response(200, text="<!doctype html><title>Sign in</title>")
    with pytest.raises(SourceError) as caught:
        await make(lambda r: page).poll()
    assert caught.value.kind is ErrorKind.BAD_RESPONSE
    assert "HTML" in caught.value.message


async def test_a_401_stays_an_auth_error() -> None:
    with pytest.raises(SourceError) as caught:
        await make(lambda r: httpx.Response(401, text="Unauthorized")).poll()
    assert caught.value.kind is ErrorKind.AUTH


@pytest.mark.parametrize(
    "payload",
    [
        {"status": "success"},
        {"status": "success", "data": {"resultType": "vector", "result": {}}},
        {"status": "success", "data": {"resultType": "vector", "result": [{"value": [1]}]}},
        {"status": "success", "data": {"resultType": "vector", "result": [{"value": [1, "x"]}]}},
        {"status": "success", "data": {"resultType": "histogram", "result": []}},
        {"hello": "world"},
        [1, 2],
    ],
)
async def test_json_that_is_not_the_query_api_is_a_bad_response(payload: Any) -> None:
    with pytest.raises(SourceError) as caught:
        await make(lambda r: httpx.Response(200, content=json.dumps(payload))).poll()
    assert caught.value.kind is ErrorKind.BAD_RESPONSE
    assert caught.value.source == "prom"


async def test_query_range_returns_series_as_time_value_tuples() -> None:
    seen: list[httpx.Request] = []
    start = NOW - timedelta(minutes=2)

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        t0 = start.timestamp()
        return ok(
            {
                "resultType": "matrix",
                "result": [
                    {"metric": {"track": "canary"}, "values": [[t0, "0.5"], [t0 + 60, "NaN"]]},
                    {"metric": {"track": "stable"}, "values": [[t0, "0.25"]]},
                ],
            }
        )

    result = await make(handler).query_range("rate(x[1m])", start, NOW, 60)
    params = seen[0].url.params
    assert seen[0].url.path == "/api/v1/query_range"
    assert float(params["start"]) == start.timestamp()
    assert float(params["end"]) == NOW.timestamp()
    assert params["step"] == "60"
    assert result.problem == ""
    canary, stable = result.series
    assert canary.labels == {"track": "canary"}
    assert canary.points[0] == (start.timestamp(), 0.5)
    assert math.isnan(canary.points[1][1])
    assert stable.points == ((start.timestamp(), 0.25),)


async def test_query_range_keeps_prometheus_error_text() -> None:
    error = (
        'invalid parameter "step": zero or negative query resolution step widths are not accepted'
    )
    body = {"status": "error", "errorType": "bad_data", "error": error}
    result = await make(lambda r: httpx.Response(400, json=body)).query_range("up", NOW, NOW, 0)
    assert result.series == () and result.problem == error


async def test_query_range_of_a_non_matrix_says_so() -> None:
    result = await make(lambda r: vector("1")).query_range("up", NOW, NOW, 15)
    assert "matrix" in result.problem
