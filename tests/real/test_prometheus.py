"""PrometheusAdapter (and the simulator's fidelity) against a real Prometheus on loopback."""

from __future__ import annotations

import math
from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest

from cockpit.clock import FakeClock
from cockpit.config.models import Source
from cockpit.engine.http import SourceHttp
from cockpit.errors import ErrorKind, SourceError
from cockpit.models.release_data import QueryResult
from cockpit.sim.prometheus import PrometheusSim
from cockpit.sources.metrics.prometheus import NO_DATA, RANGE_VECTOR, PrometheusAdapter
from tests.real.prometheus_server import (
    BURN_RATES,
    ERRORS_PER_S,
    INSTALL_HINT,
    OKS_PER_S,
    QUERY_TIME,
    PrometheusServer,
    free_port,
    prometheus,
    require_binary,
)

pytestmark = pytest.mark.real
__all__ = ["prometheus"]  # the fixture, imported so pytest finds it here

BAD_QUERIES = [
    "sum(rate(http_requests_total[5m])",
    "slo:burn_rate1h)",
    'slo:burn_rate1h{service="checkout"',
    'slo:burn_rate1h{service="checkout}',
    "queue_depth[5m",
    "",
]


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient() as http_client:
        yield http_client


def adapter(url: str, client: httpx.AsyncClient, *queries: str) -> PrometheusAdapter:
    http = SourceHttp(client, "prom", url, clock=FakeClock(QUERY_TIME), timeout=5)
    return PrometheusAdapter("prom", Source(kind="prometheus", url=url), queries, http)


async def evaluate(server: PrometheusServer, client: httpx.AsyncClient, query: str) -> QueryResult:
    (result,) = (await adapter(server.url, client, query).poll()).queries
    return result


async def test_one_series_gives_its_exact_value(
    prometheus: PrometheusServer, client: httpx.AsyncClient
) -> None:
    result = await evaluate(prometheus, client, 'slo:burn_rate1h{service="checkout"}')
    assert result.value == BURN_RATES["checkout"] == 0.4
    assert (result.problem, result.result_type, result.series) == ("", "vector", 1)
    assert result.evaluated_at == QUERY_TIME


async def test_a_counter_rate_ratio(
    prometheus: PrometheusServer, client: httpx.AsyncClient
) -> None:
    query = (
        'sum(rate(http_requests_total{service="checkout",code="500"}[5m]))'
        ' / sum(rate(http_requests_total{service="checkout"}[5m]))'
    )
    result = await evaluate(prometheus, client, query)
    assert result.value == pytest.approx(ERRORS_PER_S / (ERRORS_PER_S + OKS_PER_S))


async def test_an_empty_result_is_no_data(
    prometheus: PrometheusServer, client: httpx.AsyncClient
) -> None:
    result = await evaluate(prometheus, client, 'slo:burn_rate1h{service="nobody"}')
    assert (result.value, result.problem) == (None, NO_DATA)


async def test_before_the_history_there_is_no_data(
    prometheus: PrometheusServer, client: httpx.AsyncClient
) -> None:
    http = SourceHttp(
        client, "prom", prometheus.url, clock=FakeClock(QUERY_TIME - timedelta(days=1))
    )
    source = Source(kind="prometheus", url=prometheus.url)
    query = 'slo:burn_rate1h{service="checkout"}'
    (result,) = (await PrometheusAdapter("prom", source, [query], http).poll()).queries
    assert result.problem == NO_DATA


async def test_several_series_name_the_count(
    prometheus: PrometheusServer, client: httpx.AsyncClient
) -> None:
    result = await evaluate(prometheus, client, 'queue_depth{service="search"}')
    assert result.value is None
    assert result.series == 2
    assert result.problem.startswith("2 series; the gate needs exactly one")
    aggregated = await evaluate(prometheus, client, 'max(queue_depth{service="search"})')
    assert aggregated.value == 5


async def test_nan_is_not_a_value(prometheus: PrometheusServer, client: httpx.AsyncClient) -> None:
    result = await evaluate(prometheus, client, 'slo:error_ratio{service="idle"}')
    assert result.value is None
    assert "NaN" in result.problem


async def test_an_infinite_scalar_is_not_a_value(
    prometheus: PrometheusServer, client: httpx.AsyncClient
) -> None:
    result = await evaluate(prometheus, client, "1/0")
    assert (result.value, result.result_type) == (None, "scalar")
    assert "+Inf" in result.problem


async def test_a_range_vector_asks_for_an_aggregation(
    prometheus: PrometheusServer, client: httpx.AsyncClient
) -> None:
    result = await evaluate(prometheus, client, 'slo:burn_rate1h{service="checkout"}[5m]')
    assert (result.value, result.result_type, result.problem) == (None, "matrix", RANGE_VECTOR)


async def test_a_syntax_error_is_prometheus_own_text(
    prometheus: PrometheusServer, client: httpx.AsyncClient
) -> None:
    query = "sum(rate(http_requests_total[5m])"
    raw = await client.get(
        f"{prometheus.url}/api/v1/query",
        params={"query": query, "time": str(QUERY_TIME.timestamp())},
    )
    assert raw.status_code == 400
    result = await evaluate(prometheus, client, query)
    assert result.value is None
    assert result.problem == raw.json()["error"]
    assert "unclosed left parenthesis" in result.problem


async def test_an_execution_error_is_prometheus_own_text(
    prometheus: PrometheusServer, client: httpx.AsyncClient
) -> None:
    # Many-to-many matching: parses, then fails to execute (HTTP 422).
    query = "slo:burn_rate1h / on() slo:burn_rate1h"
    raw = await client.get(
        f"{prometheus.url}/api/v1/query",
        params={"query": query, "time": str(QUERY_TIME.timestamp())},
    )
    assert raw.status_code == 422
    result = await evaluate(prometheus, client, query)
    assert result.problem == raw.json()["error"]


async def test_query_range_over_the_history(
    prometheus: PrometheusServer, client: httpx.AsyncClient
) -> None:
    result = await adapter(prometheus.url, client).query_range(
        "slo:burn_rate1h", QUERY_TIME - timedelta(minutes=2), QUERY_TIME, 60
    )
    assert result.problem == ""
    by_service = {s.labels["service"]: s.points for s in result.series}
    assert set(by_service) == set(BURN_RATES)
    assert [v for _, v in by_service["payments"]] == [2.5, 2.5, 2.5]
    assert by_service["checkout"][-1][0] == QUERY_TIME.timestamp()
    nan = await adapter(prometheus.url, client).query_range(
        "slo:error_ratio", QUERY_TIME - timedelta(minutes=1), QUERY_TIME, 60
    )
    assert all(math.isnan(v) for _, v in nan.series[0].points)


async def test_prometheus_down_is_unreachable(client: httpx.AsyncClient) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(SourceError) as caught:
        await adapter(url, client, "up").poll()
    assert caught.value.kind is ErrorKind.UNREACHABLE
    assert caught.value.source == "prom"
    assert "prom" in caught.value.message


@pytest.mark.parametrize("query", BAD_QUERIES)
async def test_the_simulator_words_syntax_errors_as_prometheus_does(
    prometheus: PrometheusServer, client: httpx.AsyncClient, query: str
) -> None:
    params = {"query": query, "time": str(QUERY_TIME.timestamp())}
    real = await client.get(f"{prometheus.url}/api/v1/query", params=params)
    with PrometheusSim(lambda expr, at: None, FakeClock(QUERY_TIME)) as sim:
        simulated = await client.get(f"{sim.url}/api/v1/query", params=params)
    assert (simulated.status_code, simulated.json()) == (real.status_code, real.json())


async def test_the_simulator_vector_matches_prometheus(
    prometheus: PrometheusServer, client: httpx.AsyncClient
) -> None:
    query = 'slo:burn_rate1h{service="checkout"}'
    params = {"query": query, "time": str(QUERY_TIME.timestamp())}
    real = await client.get(f"{prometheus.url}/api/v1/query", params=params)
    with PrometheusSim(lambda expr, at: 0.4, FakeClock(QUERY_TIME)) as sim:
        simulated = await client.get(f"{sim.url}/api/v1/query", params=params)
    assert simulated.json() == real.json()


def test_a_missing_binary_fails_with_the_install_hint() -> None:
    with pytest.raises(pytest.fail.Exception, match="scripts/install-and-test installs it"):
        require_binary("no-such-binary-for-the-cockpit", INSTALL_HINT)
