"""The benchmark's simulator wrapper: fleet paths, memo answers, GitHub's charging rules."""

from __future__ import annotations

from bench.sim_server import MeteredRouter, endpoint, fleet_path
from cockpit.sim.server import Request, Response, Router


def _request(path: str, etag: str = "") -> Request:
    headers = {"if-none-match": etag} if etag else {}
    return Request("GET", path, {"per_page": "20"}, headers)


def _inner() -> tuple[Router, list[str]]:
    seen: list[str] = []
    router = Router()

    def runs(request: Request) -> Response:
        seen.append(request.path)
        if request.header("if-none-match") == '"v1"':
            return Response(304, {"ETag": '"v1"'})
        return Response(200, {"ETag": '"v1"', "x-ratelimit-remaining": "4999"}, b"[]")

    router.get(r"/repos/[^/]+/[^/]+/actions/runs", runs)
    router.get(r"/limited", lambda r: Response(403, {}, b"API rate limit exceeded"))
    return router, seen


def test_fleet_paths_map_to_the_scenario_repository() -> None:
    assert (
        fleet_path("/repos/acme/checkout--017/actions/runs") == "/repos/acme/checkout/actions/runs"
    )
    assert fleet_path("/repos/acme/pay--3") == "/repos/acme/pay"
    assert fleet_path("/repos/acme/checkout/actions/runs") == "/repos/acme/checkout/actions/runs"


def test_endpoint_kinds_hide_repositories_and_ids() -> None:
    assert endpoint("/repos/a/b/actions/runs/71/jobs") == "/repos/{repo}/actions/runs/{id}/jobs"
    assert endpoint("/repos/a/b/actions/runs") == "/repos/{repo}/actions/runs"


def test_without_memo_every_request_reaches_the_simulator_and_304s_are_free() -> None:
    inner, seen = _inner()
    router = MeteredRouter(inner, latency_s=0)
    assert router.dispatch(_request("/repos/acme/checkout--1/actions/runs")).status == 200
    assert router.dispatch(_request("/repos/acme/checkout--1/actions/runs", '"v1"')).status == 304
    assert router.dispatch(_request("/limited")).status == 403
    assert seen == ["/repos/acme/checkout/actions/runs"] * 2
    counters = router.counters()
    assert (counters["requests"], counters["not_modified"]) == (3, 1)
    assert (counters["charged"], counters["rate_limited"]) == (1, 1)
    assert counters["endpoints"] == {"/repos/{repo}/actions/runs": 2, "/limited": 1}


def test_memo_answers_repeats_without_the_simulator_with_the_same_validators() -> None:
    inner, seen = _inner()
    router = MeteredRouter(inner, latency_s=0, memo=True)
    first = router.dispatch(_request("/repos/acme/checkout--1/actions/runs"))
    again = router.dispatch(_request("/repos/acme/checkout--2/actions/runs"))
    cached = router.dispatch(_request("/repos/acme/checkout--1/actions/runs", '"v1"'))
    assert len(seen) == 1
    assert (first.status, again.status, cached.status) == (200, 200, 304)
    assert again.body == b"[]" and again.header("ETag") == '"v1"'
    assert cached.body == b""
    assert again.header("x-ratelimit-remaining") == str(router.rate_limit - 1)
    assert router.counters()["charged"] == 2


def test_reset_zeroes_the_counters() -> None:
    inner, _ = _inner()
    router = MeteredRouter(inner, latency_s=0)
    router.dispatch(_request("/repos/a/b/actions/runs"))
    router.reset()
    assert router.counters()["requests"] == 0
    assert router.counters()["max_in_flight"] == 0
