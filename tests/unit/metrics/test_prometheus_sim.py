"""The Prometheus simulator: the query API's shape, Prometheus' error wording, the demo story."""

from __future__ import annotations

import math
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from cockpit.clock import FakeClock
from cockpit.config.models import Source
from cockpit.engine.http import SourceHttp
from cockpit.sim.prometheus import (
    PrometheusSim,
    SimQueryError,
    SimValue,
    check_syntax,
    format_value,
    scenario_values,
)
from cockpit.sim.scenario import Scenario
from cockpit.sources.metrics.prometheus import NO_DATA, PrometheusAdapter

NOW = datetime(2026, 11, 23, 10, 0, 0, tzinfo=UTC)


def values(expr: str, at: datetime) -> SimValue:
    if expr == 'slo:burn_rate1h{service="checkout"}':
        return 0.4
    if expr == "sum(up)":
        return 3.0
    if expr == "up":
        return [({"job": "a"}, 1.0), ({"job": "b"}, 0.0)]
    if expr == "ratio":
        return math.nan
    if expr == "too_many":
        raise SimQueryError("query processing would load too many samples into memory")
    return None


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(NOW)


@pytest.fixture
def sim(clock: FakeClock) -> Iterator[PrometheusSim]:
    with PrometheusSim(values, clock) as server:
        yield server


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient() as http_client:
        yield http_client


def adapter(
    sim: PrometheusSim, client: httpx.AsyncClient, clock: FakeClock, *queries: str
) -> PrometheusAdapter:
    http = SourceHttp(client, "prom", sim.url, clock=clock)
    return PrometheusAdapter("prom", Source(kind="prometheus", url=sim.url), queries, http)


async def test_the_adapter_reads_the_sim(
    sim: PrometheusSim, client: httpx.AsyncClient, clock: FakeClock
) -> None:
    data = await adapter(
        sim,
        client,
        clock,
        'slo:burn_rate1h{service="checkout"}',
        "sum(up)",
        "up",
        "nothing",
        "ratio",
    ).poll()
    got = {q.query: (q.value, q.series) for q in data.queries}
    assert got['slo:burn_rate1h{service="checkout"}'] == (0.4, 1)
    assert got["sum(up)"] == (3.0, 1)
    assert got["up"] == (None, 2)
    assert data.queries[3].problem == NO_DATA
    assert "NaN" in data.queries[4].problem


async def test_vector_response_follows_the_api_field_for_field(
    sim: PrometheusSim, client: httpx.AsyncClient
) -> None:
    response = await client.get(
        f"{sim.url}/api/v1/query",
        params={"query": 'slo:burn_rate1h{service="checkout"}', "time": "1795409340"},
    )
    assert response.status_code == 200
    assert response.json() == {
        "status": "success",
        "data": {
            "resultType": "vector",
            "result": [
                {
                    "metric": {"__name__": "slo:burn_rate1h", "service": "checkout"},
                    "value": [1795409340, "0.4"],
                }
            ],
        },
    }


async def test_time_defaults_to_the_clock(sim: PrometheusSim, client: httpx.AsyncClient) -> None:
    response = await client.get(f"{sim.url}/api/v1/query", params={"query": "sum(up)"})
    assert response.json()["data"]["result"][0]["value"] == [int(NOW.timestamp()), "3"]


async def test_post_form_queries_work_too(sim: PrometheusSim, client: httpx.AsyncClient) -> None:
    response = await client.post(f"{sim.url}/api/v1/query", data={"query": "sum(up)"})
    assert response.json()["data"]["result"][0]["value"][1] == "3"


@pytest.mark.parametrize(
    ("query", "error"),
    # Recorded from Prometheus 2.42's own answers.
    [
        ("sum(rate(foo[5m])", "1:18: parse error: unclosed left parenthesis"),
        ("abs(", "1:5: parse error: unclosed left parenthesis"),
        ("", "1:1: parse error: no expression found in input"),
        ("foo)", "1:5: parse error: unexpected right parenthesis ')'"),
        ('foo{a="b"', "1:10: parse error: unexpected end of input inside braces"),
        ('foo{a="b}', "1:7: parse error: unterminated quoted string"),
        ("foo[5m", "1:7: parse error: unclosed left bracket"),
    ],
)
async def test_syntax_errors_answer_like_prometheus(
    sim: PrometheusSim, client: httpx.AsyncClient, query: str, error: str
) -> None:
    response = await client.get(f"{sim.url}/api/v1/query", params={"query": query})
    assert response.status_code == 400
    assert response.json() == {
        "status": "error",
        "errorType": "bad_data",
        "error": f'invalid parameter "query": {error}',
    }


async def test_an_execution_error_is_422(sim: PrometheusSim, client: httpx.AsyncClient) -> None:
    response = await client.get(f"{sim.url}/api/v1/query", params={"query": "too_many"})
    assert response.status_code == 422
    assert response.json()["errorType"] == "execution"


async def test_a_bad_time_is_bad_data(sim: PrometheusSim, client: httpx.AsyncClient) -> None:
    response = await client.get(
        f"{sim.url}/api/v1/query", params={"query": "up", "time": "notatime"}
    )
    assert response.status_code == 400
    assert response.json()["error"] == (
        "invalid parameter \"time\": Invalid time value for 'time': "
        'cannot parse "notatime" to a valid timestamp'
    )


async def test_the_adapter_shows_the_sim_error_word_for_word(
    sim: PrometheusSim, client: httpx.AsyncClient, clock: FakeClock
) -> None:
    data = await adapter(sim, client, clock, "sum(rate(foo[5m])").poll()
    assert data.queries[0].problem == (
        'invalid parameter "query": 1:18: parse error: unclosed left parenthesis'
    )


async def test_query_range_builds_a_matrix(
    sim: PrometheusSim, client: httpx.AsyncClient, clock: FakeClock
) -> None:
    result = await adapter(sim, client, clock).query_range(
        "up", NOW - timedelta(minutes=2), NOW, 60
    )
    assert [s.labels for s in result.series] == [{"job": "a"}, {"job": "b"}]
    assert [p[0] for p in result.series[0].points] == [
        (NOW - timedelta(minutes=m)).timestamp() for m in (2, 1, 0)
    ]
    assert {p[1] for p in result.series[1].points} == {0.0}


async def test_query_range_step_errors(sim: PrometheusSim, client: httpx.AsyncClient) -> None:
    params = {"query": "up", "start": "0", "end": "60", "step": "0"}
    response = await client.get(f"{sim.url}/api/v1/query_range", params=params)
    assert response.status_code == 400
    assert "zero or negative query resolution step" in response.json()["error"]


async def test_ready_and_unknown_paths(sim: PrometheusSim, client: httpx.AsyncClient) -> None:
    assert (await client.get(f"{sim.url}/-/ready")).status_code == 200
    missing = await client.get(f"{sim.url}/api/v1/nope")
    assert missing.status_code == 404 and missing.text == "404 page not found\n"


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (0.4, "0.4"),
        (10.0, "10"),
        (2.5, "2.5"),
        (1e-7, "0.0000001"),
        (1e20, "100000000000000000000"),
        (math.nan, "NaN"),
        (math.inf, "+Inf"),
        (-math.inf, "-Inf"),
        (-3.0, "-3"),
    ],
)
def test_values_are_formatted_as_prometheus_does(value: float, text: str) -> None:
    assert format_value(value) == text


@pytest.mark.parametrize("query", ['sum(rate(x{a="(b"}[5m]))', "a / on(b) c", "`raw(`"])
def test_brackets_inside_strings_do_not_count(query: str) -> None:
    check_syntax(query)


async def test_scenario_values_tell_the_demo_story(clock: FakeClock) -> None:
    scenario = Scenario(clock)
    story = scenario_values(scenario)
    burn = story('slo:burn_rate1h{service="checkout"}', scenario.at(0))
    assert isinstance(burn, float) and burn == pytest.approx(0.4, abs=0.03)
    over = story('slo:burn_rate1h{service="payments"}', scenario.at(0))
    assert isinstance(over, float) and over > 1
    canary = 'sum(rate(http_requests_total{app="checkout",track="canary",code=~"5.."}[1m]))'
    early, late = story(canary, scenario.at(60)), story(canary, scenario.at(400))
    assert isinstance(early, float) and isinstance(late, float) and late > 10 * early
    assert story("up", scenario.at(0)) is None
    # Pure: the same moment gives the same number.
    assert story(canary, scenario.at(400)) == late
