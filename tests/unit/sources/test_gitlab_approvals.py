"""GitLab merge-request approvals for the `approvals` gate: against the GitLab sim on loopback,
against `httpx.MockTransport` for the edge cases, and through readiness evaluation."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from cockpit.clock import FakeClock
from cockpit.config.models import CiTarget, Config, Source
from cockpit.engine.http import SourceHttp
from cockpit.errors import ErrorKind, SourceError
from cockpit.models.readiness import GateVerdict
from cockpit.models.review import ApprovalLookup, ReviewState
from cockpit.readiness import evaluate
from cockpit.sim.gitlab import GitLabSim
from cockpit.sim.gitlab_payloads import merge_requests
from cockpit.sim.scenario import Scenario
from cockpit.sources.ci.gitlab import GitLabCIAdapter, gitlab_headers
from cockpit.sources.factory import build_adapters
from tests.unit.readiness.helpers import NOW, fresh, make_config, snapshot

from .conftest import START

TOKEN = "glpat-sim"
SHA = "c0ffee" + "0" * 34
Factory = Callable[..., GitLabCIAdapter]


def ledger() -> tuple[str, CiTarget]:
    return "ledger", CiTarget(source="gl", project="acme/ledger", branch="main")


@pytest.fixture
def gitlab(scenario: Scenario) -> Iterator[GitLabSim]:
    with GitLabSim(scenario, token=TOKEN) as running:
        yield running


@pytest.fixture
def adapter_for(client: httpx.AsyncClient, clock: FakeClock, gitlab: GitLabSim) -> Factory:
    def factory(**kwargs: Any) -> GitLabCIAdapter:
        token = kwargs.pop("token", TOKEN)
        http = SourceHttp(client, "gl", gitlab.url, headers=gitlab_headers(token), clock=clock)
        source = Source(kind="gitlab", url=gitlab.url, interval=10.0)
        kwargs.setdefault("approvals_for", ["ledger"])
        return GitLabCIAdapter("gl", source, [ledger()], http, **kwargs)

    return factory


# Against the sim ------------------------------------------------------------------------------


async def test_poll_reads_the_release_merge_request_and_drops_the_self_approval(
    adapter_for: Factory, scenario: Scenario, gitlab: GitLabSim, clock: FakeClock
) -> None:
    adapter = adapter_for(release_ref=scenario.release_ref)
    await clock.advance(5)
    data = await adapter.poll()
    assert len(data.pipelines) == 1
    (lookup,) = data.approvals
    assert (lookup.service, lookup.ref, lookup.source) == ("ledger", "v2.14.0", "gl")
    assert lookup.problem == "" and not lookup.missing
    found = lookup.approvals
    assert found is not None
    (mr,) = merge_requests(scenario, "ledger", scenario.now())
    others = tuple(sorted(who for who, _ in mr.approvals if who != mr.author))
    assert found.count == 2 and found.approvers == others
    assert found.author == mr.author and found.author not in found.approvers
    assert found.self_approved is True
    assert found.pr_number == mr.iid
    assert found.url == f"{gitlab.url}/acme/ledger/-/merge_requests/{mr.iid}"
    assert found.title == "Release ledger 2.14.0" and found.head_sha == mr.sha
    assert [r.reviewer for r in found.latest_by_reviewer] == list(others)
    assert {r.state for r in found.latest_by_reviewer} == {ReviewState.APPROVED}


async def test_a_second_poll_revalidates_with_etags(
    adapter_for: Factory, scenario: Scenario, gitlab: GitLabSim
) -> None:
    adapter = adapter_for(release_ref=scenario.release_ref)
    first = (await adapter.poll()).approvals
    before = gitlab.stats.not_modified
    second = (await adapter.poll()).approvals
    assert second == first
    # The commit, its merge requests and the approvals all answer 304 the second time.
    assert gitlab.stats.not_modified - before >= 3


async def test_the_release_branch_and_the_commit_sha_find_the_same_merge_request(
    adapter_for: Factory, scenario: Scenario
) -> None:
    adapter = adapter_for()
    (mr,) = merge_requests(scenario, "ledger", scenario.now())
    by_branch = await adapter.approvals("ledger", ref="release/2.14.0")
    by_sha = await adapter.approvals("ledger", ref=scenario.release_commit("ledger"))
    assert by_branch.pr_number == by_sha.pr_number == mr.iid
    assert by_branch.count == by_sha.count == 2


async def test_an_unknown_ref_is_a_missing_lookup(adapter_for: Factory) -> None:
    adapter = adapter_for(release_ref="v9.9.9")
    (lookup,) = (await adapter.poll()).approvals
    assert lookup.approvals is None and lookup.missing is True
    assert "'v9.9.9' is not a commit, branch or tag of acme/ledger" in lookup.problem


async def test_a_refused_token_is_a_problem_not_a_missing_merge_request(
    adapter_for: Factory, scenario: Scenario
) -> None:
    adapter = adapter_for(release_ref=scenario.release_ref, token="glpat-wrong")
    lookup = await adapter._lookup("ledger")
    assert lookup.approvals is None and lookup.missing is False
    assert "HTTP 401" in lookup.problem


async def test_no_release_ref_is_a_config_problem(adapter_for: Factory) -> None:
    lookup = await adapter_for()._lookup("ledger")
    assert lookup.approvals is None and lookup.missing is False
    assert "need a release ref" in lookup.problem


# Against MockTransport --------------------------------------------------------------------------

Route = Callable[[httpx.Request], httpx.Response]


def _mr(**fields: Any) -> dict[str, Any]:
    body = {
        "id": 9001,
        "iid": 12,
        "title": "Release ledger 2.14.0",
        "state": "merged",
        "sha": "d" * 40,
        "merge_commit_sha": SHA,
        "squash_commit_sha": None,
        "author": {"id": 1, "username": "carol", "name": "Carol"},
        "web_url": "https://gitlab.example.com/acme/ledger/-/merge_requests/12",
    }
    return {**body, **fields}


def _mock(routes: dict[str, Route]) -> Callable[[httpx.Request], httpx.Response]:
    def handler(request: httpx.Request) -> httpx.Response:
        path = request.url.raw_path.decode().split("?", 1)[0]
        for suffix, route in routes.items():
            if path.endswith(suffix):
                return route(request)
        return httpx.Response(404, json={"message": "404 Not Found"})

    return handler


def _commit(_: httpx.Request) -> httpx.Response:
    return httpx.Response(200, json={"id": SHA, "short_id": SHA[:8]})


async def _mock_adapter(routes: dict[str, Route]) -> GitLabCIAdapter:
    client = httpx.AsyncClient(transport=httpx.MockTransport(_mock(routes)))
    url = "https://gitlab.example.com"
    http = SourceHttp(client, "gl", url, headers=gitlab_headers("t"), clock=FakeClock(START))
    source = Source(kind="gitlab", url=url, interval=10.0)
    return GitLabCIAdapter("gl", source, [ledger()], http, release_ref="v2.14.0")


async def test_no_merge_request_for_the_commit_or_the_branch_is_not_found() -> None:
    asked: list[str] = []

    def empty(request: httpx.Request) -> httpx.Response:
        asked.append(str(request.url.params))
        return httpx.Response(200, json=[])

    adapter = await _mock_adapter(
        {
            "/repository/commits/v2.14.0": _commit,
            f"/repository/commits/{SHA}/merge_requests": empty,
            "/projects/acme%2Fledger/merge_requests": empty,
        }
    )
    with pytest.raises(SourceError) as caught:
        await adapter.approvals("ledger", ref="v2.14.0")
    assert caught.value.kind is ErrorKind.NOT_FOUND
    assert caught.value.message == "gl: no merge request for v2.14.0 in acme/ledger"
    assert any("source_branch=v2.14.0&state=merged" in a for a in asked)
    lookup = await adapter._lookup("ledger")
    assert lookup.missing is True and "no merge request for v2.14.0" in lookup.problem


async def test_a_closed_merge_request_does_not_count_and_an_open_one_does() -> None:
    listed = [_mr(iid=11, state="closed"), _mr(iid=12, state="opened", merge_commit_sha=None)]
    approvals = {"approved_by": [{"user": {"id": 2, "username": "dave"}}]}
    adapter = await _mock_adapter(
        {
            "/repository/commits/v2.14.0": _commit,
            f"/repository/commits/{SHA}/merge_requests": lambda _: httpx.Response(200, json=listed),
            "/merge_requests/12/approvals": lambda _: httpx.Response(200, json=approvals),
        }
    )
    found = await adapter.approvals("ledger", ref="v2.14.0")
    assert (found.pr_number, found.approvers, found.self_approved) == (12, ("dave",), False)


async def test_a_forbidden_approvals_endpoint_is_an_auth_problem() -> None:
    adapter = await _mock_adapter(
        {
            "/repository/commits/v2.14.0": _commit,
            f"/repository/commits/{SHA}/merge_requests": lambda _: httpx.Response(
                200, json=[_mr()]
            ),
            "/merge_requests/12/approvals": lambda _: httpx.Response(
                403, json={"message": "403 Forbidden"}
            ),
        }
    )
    with pytest.raises(SourceError) as caught:
        await adapter.approvals("ledger", ref="v2.14.0")
    assert caught.value.kind is ErrorKind.AUTH
    assert "not allowed to read the approvals of !12 in acme/ledger (HTTP 403)" in (
        caught.value.message
    )
    lookup = await adapter._lookup("ledger")
    assert lookup.approvals is None and lookup.missing is False


async def test_a_server_error_fails_the_poll_instead_of_deciding() -> None:
    adapter = await _mock_adapter(
        {"/repository/commits/v2.14.0": lambda _: httpx.Response(503, text="down")}
    )
    with pytest.raises(SourceError) as caught:
        await adapter._lookup("ledger")
    assert caught.value.kind is ErrorKind.UNREACHABLE


async def test_a_mistyped_approved_by_is_a_bad_response() -> None:
    adapter = await _mock_adapter(
        {
            "/repository/commits/v2.14.0": _commit,
            f"/repository/commits/{SHA}/merge_requests": lambda _: httpx.Response(
                200, json=[_mr()]
            ),
            "/merge_requests/12/approvals": lambda _: httpx.Response(
                200, content=json.dumps({"approved_by": "everyone"}).encode()
            ),
        }
    )
    with pytest.raises(SourceError) as caught:
        await adapter.approvals("ledger", ref="v2.14.0")
    assert caught.value.kind is ErrorKind.BAD_RESPONSE


# Through readiness --------------------------------------------------------------------------------


async def test_the_gitlab_lookup_passes_min_2_and_fails_min_3(
    adapter_for: Factory, scenario: Scenario
) -> None:
    lookup = await adapter_for(release_ref=scenario.release_ref)._lookup("ledger")
    assert isinstance(lookup, ApprovalLookup) and lookup.approvals is not None
    services = [{"name": "ledger", "ci": {"source": "gl", "project": "acme/ledger"}}]
    sources = {"gl": {"kind": "gitlab", "url": "https://gitlab.example.com", "interval": "10s"}}
    verdicts = []
    for minimum in (2, 3):
        gate = {"kind": "approvals", "service": "ledger", "min": minimum}
        config = make_config([gate], services=services, sources=sources)
        state = snapshot(approvals=(lookup,), sources=(fresh("gl", "gitlab"),))
        results, _ = evaluate(config, state, now=NOW)
        verdicts.append(results[0].verdict)
        assert f"of {minimum} approvals on #{lookup.approvals.pr_number}" in results[0].reason
        assert "own approval does not count" in results[0].reason
        assert results[0].source == "gl"
    assert verdicts == [GateVerdict.PASS, GateVerdict.FAIL]


async def test_the_factory_gives_the_gitlab_adapter_the_ref_and_its_approvals_gates() -> None:
    cfg = Config.model_validate(
        {
            "release": {"ref": "v2.14.0"},
            "sources": {
                "gl": {"kind": "gitlab", "url": "https://gitlab.example.com"},
                "gh": {"kind": "github", "url": "https://api.github.com"},
            },
            "services": [
                {"name": "ledger", "ci": {"source": "gl", "project": "acme/ledger"}},
                {"name": "checkout", "ci": {"source": "gh", "repo": "acme/checkout"}},
            ],
            "gates": [
                {"kind": "approvals", "service": "ledger", "min": 2},
                {"kind": "approvals", "service": "checkout", "min": 1},
            ],
        }
    )
    async with httpx.AsyncClient() as client:
        adapters = build_adapters(cfg, client, FakeClock(), environ={})
    gitlab = next(a for a in adapters if isinstance(a, GitLabCIAdapter))
    assert gitlab.release_ref == "v2.14.0"
    assert gitlab.approvals_for == ("ledger",)
