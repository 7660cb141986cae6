"""GitHubActionsAdapter's re-run, approvals, check runs and combined status.

The counting rules are tested as a pure function; the HTTP side against httpx.MockTransport
(request shapes, status codes, pagination; every served body schema-checked) and against the
live GitHub sim on loopback.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import httpx
import pytest

from cockpit.clock import FakeClock
from cockpit.errors import ErrorKind, SourceError
from cockpit.models import PipelineRun, RunStatus
from cockpit.models.review import Review, ReviewState
from cockpit.sim import GitHubSim, Scenario
from cockpit.sim import github_payloads as payloads
from cockpit.sim.github_reruns import RERUN_QUEUE_S, attempt_job_id, is_flaky
from cockpit.sources.ci.github import GitHubActionsAdapter, RerunRefused
from cockpit.sources.ci.github_reviews import MAX_PAGES, count_approvals, pick_pull

from .conftest import START, TOKEN, AdapterFactory, target
from .fixtures import API, mock_adapter, respond
from .schemas import _schemas, error_problems

REVIEWS = "GET /repos/{owner}/{repo}/pulls/{pull_number}/reviews"
CHECKS = "GET /repos/{owner}/{repo}/commits/{ref}/check-runs"
COMBINED = "GET /repos/{owner}/{repo}/commits/{ref}/status"
SHA = "a" * 40
WEB = "https://github.com"
Handler = Callable[[httpx.Request], httpx.Response]
A, C, D, P, X = (
    ReviewState.APPROVED,
    ReviewState.COMMENTED,
    ReviewState.DISMISSED,
    ReviewState.PENDING,
    ReviewState.CHANGES_REQUESTED,
)


def _review(review_id: int, who: str, state: ReviewState, minute: int | None = None) -> Review:
    """A review submitted `minute` (default: `review_id`) minutes after START."""
    at = START + timedelta(minutes=review_id if minute is None else minute)
    return Review(review_id, who, state, at)


def _tally(*reviews: tuple[str, ReviewState], author: str = "ana") -> tuple[tuple[str, ...], ...]:
    """(approvers, deciding reviews as "who:STATE") for reviews given in submission order."""
    tally = count_approvals([_review(i, w, s) for i, (w, s) in enumerate(reviews, 1)], author)
    return tally.approvers, tuple(f"{r.reviewer}:{r.state}" for r in tally.latest_by_reviewer)


# count_approvals: the rules -------------------------------------------------------------


def test_each_distinct_approver_counts_once() -> None:
    assert _tally(("bo", A), ("cy", A), ("bo", A))[0] == ("bo", "cy")


def test_the_latest_deciding_review_per_reviewer_wins() -> None:
    assert _tally(("bo", X), ("bo", A))[0] == ("bo",)
    assert _tally(("bo", A), ("bo", X)) == ((), ("bo:CHANGES_REQUESTED",))


def test_a_comment_after_an_approval_still_approves() -> None:
    assert _tally(("bo", A), ("bo", C), ("bo", C)) == (("bo",), ("bo:APPROVED",))


def test_a_comment_does_not_lift_a_change_request() -> None:
    assert _tally(("bo", X), ("bo", C)) == ((), ("bo:CHANGES_REQUESTED",))


def test_a_dismissed_approval_no_longer_counts() -> None:
    # GitHub rewrites a dismissed review's state in place: the approval reads DISMISSED.
    assert _tally(("bo", D), ("cy", A)) == (("cy",), ("bo:DISMISSED", "cy:APPROVED"))
    assert _tally(("bo", A), ("bo", D))[0] == ()


def test_approving_again_after_a_dismissal_counts() -> None:
    assert _tally(("bo", D), ("bo", C), ("bo", A))[0] == ("bo",)


def test_only_commenting_is_recorded_but_not_counted() -> None:
    assert _tally(("bo", C), ("bo", C)) == ((), ("bo:COMMENTED",))


def test_pending_drafts_are_ignored() -> None:
    assert _tally(("bo", A), ("bo", P)) == (("bo",), ("bo:APPROVED",))
    assert _tally(("cy", P)) == ((), ())


def test_an_unknown_future_state_never_approves() -> None:
    assert _tally(("bo", A), ("bo", ReviewState.parse("ESCALATED")))[0] == ()
    assert ReviewState.parse("approved") is A and ReviewState.parse(None) is ReviewState.UNKNOWN


def test_the_authors_own_reviews_never_count() -> None:
    reviews = [_review(1, "ANA", A), _review(2, "bo", A), _review(3, "ana", C)]
    tally = count_approvals(reviews, "ana")
    assert (tally.approvers, tally.self_approved, tally.count) == (("bo",), True, 1)
    assert [r.reviewer for r in tally.latest_by_reviewer] == ["bo"]
    assert not count_approvals([_review(1, "bo", A)], "ana").self_approved


def test_logins_compare_case_insensitively() -> None:
    assert _tally(("Bo", A), ("bo", X))[0] == ()


def test_order_is_by_submission_time_not_listing_order() -> None:
    later_approval = _review(1, "bo", A, 30)
    earlier_change_request = _review(2, "bo", X, 10)
    tally = count_approvals([later_approval, earlier_change_request], "ana")
    assert tally.approvers == ("bo",)


def test_deleted_accounts_are_skipped_and_changes_requested_are_listed() -> None:
    tally = count_approvals([_review(1, "", A), _review(2, "cy", X), _review(3, "bo", A)], "ana")
    assert (tally.approvers, tally.changes_requested_by) == (("bo",), ("cy",))


def test_pick_pull_prefers_the_pull_merged_as_the_commit() -> None:
    merged = {"number": 3, "merged_at": "x", "merge_commit_sha": SHA, "head": {"sha": "b"}}
    headed = {"number": 5, "merged_at": None, "state": "open", "head": {"sha": SHA}}
    other = {"number": 9, "merged_at": None, "state": "open", "head": {"sha": "c"}}
    assert pick_pull([other, headed, merged], SHA) is merged
    assert pick_pull([other, headed], SHA) is headed
    assert pick_pull([other, {"number": 2, "state": "closed"}], SHA) is other
    assert pick_pull([], SHA) is None


# Re-run: the request and the answers ------------------------------------------------------


def _pipeline(run_id: str = "42", service: str = "checkout") -> PipelineRun:
    return PipelineRun(
        service=service, provider="github", run_id=run_id, name="ci", status=RunStatus.FAILURE
    )


def _answer(status: int, message: str | None = None, **headers: str) -> Handler:
    def handler(request: httpx.Request) -> httpx.Response:
        if message is None:
            return respond({}, status, headers)
        body = payloads.error(message, status)
        assert error_problems(body) == []
        return respond(body, status, headers)

    return handler


async def test_rerun_posts_to_rerun_failed_jobs_and_accepts_201(clock: FakeClock) -> None:
    mock = mock_adapter(_answer(201), [target("checkout")], clock=clock)
    assert GitHubActionsAdapter.SUPPORTS_RERUN is True
    await mock.adapter.rerun_failed(_pipeline())
    (request,) = mock.seen
    assert request.method == "POST"
    assert request.url == f"{API}/repos/acme/checkout/actions/runs/42/rerun-failed-jobs"
    assert request.headers["authorization"] == "Bearer t0ken"
    assert request.headers["x-github-api-version"] == "2022-11-28"


@pytest.mark.parametrize(
    "message",
    [
        "Resource not accessible by integration",
        "Resource not accessible by personal access token",
        "Must have admin rights to Repository.",
        None,
    ],
)
async def test_rerun_403_for_permissions_is_an_auth_error_with_the_hint(
    clock: FakeClock, message: str | None
) -> None:
    mock = mock_adapter(_answer(403, message), [target("checkout")], clock=clock)
    with pytest.raises(SourceError) as caught:
        await mock.adapter.rerun_failed(_pipeline())
    error = caught.value
    assert type(error) is SourceError and error.kind is ErrorKind.AUTH
    assert "token lacks actions:write" in error.hint and error.source == "gh"
    assert error.message.startswith("gh: not allowed to re-run run 42 of acme/checkout")


@pytest.mark.parametrize(
    "message", ["This workflow is already running", "This workflow run cannot be retried"]
)
async def test_rerun_403_for_the_runs_state_is_refused_not_auth(
    clock: FakeClock, message: str
) -> None:
    mock = mock_adapter(_answer(403, message), [target("checkout")], clock=clock)
    with pytest.raises(RerunRefused) as caught:
        await mock.adapter.rerun_failed(_pipeline())
    assert caught.value.kind is not ErrorKind.AUTH and message in caught.value.message
    assert caught.value.title == "Re-run refused"


@pytest.mark.parametrize(
    ("handler", "kind"),
    [
        (_answer(404, "Not Found"), ErrorKind.NOT_FOUND),
        (_answer(401, "Bad credentials"), ErrorKind.AUTH),
        (
            _answer(403, "API rate limit exceeded", **{"x-ratelimit-remaining": "0"}),
            ErrorKind.RATE_LIMITED,
        ),
        (_answer(502), ErrorKind.UNREACHABLE),
    ],
)
async def test_rerun_other_failures_keep_their_kind(
    clock: FakeClock, handler: Handler, kind: ErrorKind
) -> None:
    mock = mock_adapter(handler, [target("checkout")], clock=clock)
    with pytest.raises(SourceError) as caught:
        await mock.adapter.rerun_failed(_pipeline())
    assert caught.value.kind is kind and not isinstance(caught.value, RerunRefused)


async def test_rerun_of_an_unconfigured_service_is_a_config_error(clock: FakeClock) -> None:
    mock = mock_adapter(_answer(201), [target("checkout")], clock=clock)
    with pytest.raises(SourceError) as caught:
        await mock.adapter.rerun_failed(_pipeline(service="ghost"))
    assert caught.value.kind is ErrorKind.CONFIG and mock.seen == []


# Re-run against the sim ----------------------------------------------------------------


async def test_sim_rerun_of_a_flaky_failure_passes_on_attempt_two(
    adapter_for: AdapterFactory, clock: FakeClock, scenario: Scenario, sim: GitHubSim
) -> None:
    adapter = adapter_for("search")
    failed = next(
        r for r in scenario.ci_runs("search") if r.conclusion == "failure" and is_flaky(r.plan)
    )
    run = _pipeline(str(failed.plan.run_id), "search")
    (before,) = await adapter.jobs(run)
    assert before.status is RunStatus.FAILURE
    await adapter.rerun_failed(run)
    assert sim.reruns.view(failed, clock.now()).attempt == 2
    (queued,) = await adapter.jobs(run)
    assert (queued.job_id, queued.status) == (
        str(attempt_job_id(failed.plan.run_id, 2)),
        RunStatus.QUEUED,
    )
    await clock.advance(RERUN_QUEUE_S + 400)
    (passed,) = await adapter.jobs(run)
    assert passed.status is RunStatus.SUCCESS and passed.job_id == queued.job_id
    assert {s.status for s in passed.steps} == {RunStatus.SUCCESS}
    assert "passed on re-run" in await adapter.job_log(run, passed)


async def test_sim_rerun_refusals_reach_the_adapter_typed(
    clock: FakeClock, scenario: Scenario, adapter_for: AdapterFactory
) -> None:
    await clock.advance(100)
    (running,) = (await adapter_for("checkout").poll()).pipelines
    with pytest.raises(RerunRefused):
        await adapter_for("checkout").rerun_failed(running)
    with GitHubSim(scenario, token=TOKEN, actions_write=False) as read_only:
        adapter = adapter_for("checkout", base_url=read_only.api_url)
        with pytest.raises(SourceError) as caught:
            await adapter.rerun_failed(running)
    assert caught.value.kind is ErrorKind.AUTH and "actions:write" in caught.value.hint


# Approvals against the sim -------------------------------------------------------------


async def test_checkout_has_two_approvals_by_others(
    adapter_for: AdapterFactory, sim: GitHubSim
) -> None:
    approvals = await adapter_for("checkout").approvals("acme/checkout", ref="v2.14.0")
    assert approvals.count == 2 and approvals.author not in approvals.approvers
    assert approvals.url == f"{sim.url}/acme/checkout/pull/{approvals.pr_number}"
    assert approvals.title == "Release checkout 2.14.0" and not approvals.self_approved
    states = {r.state for r in approvals.latest_by_reviewer}
    assert states == {
        ReviewState.APPROVED
    }  # a change request then an approval; an approval then a comment
    assert approvals.to_json()["approvals"] == 2


async def test_payments_self_approval_does_not_count(adapter_for: AdapterFactory) -> None:
    approvals = await adapter_for("payments").approvals("payments", ref="v2.14.0")
    assert (approvals.count, approvals.self_approved) == (1, True)
    assert approvals.author not in {r.reviewer for r in approvals.latest_by_reviewer}


async def test_billing_dismissed_approval_does_not_count(adapter_for: AdapterFactory) -> None:
    approvals = await adapter_for("billing").approvals("acme/billing", ref="v2.14.0")
    states = sorted(r.state.value for r in approvals.latest_by_reviewer)
    assert (approvals.count, states) == (1, ["APPROVED", "DISMISSED"])
    assert approvals.to_json()["reviews"][approvals.approvers[0]] == "APPROVED"


async def test_search_changes_requested_are_reported(adapter_for: AdapterFactory) -> None:
    approvals = await adapter_for("search").approvals("acme/search", ref="v2.14.0")
    assert approvals.count == 1 and len(approvals.changes_requested_by) == 1


async def test_the_pull_is_found_by_number_sha_branch_and_tag_alike(
    adapter_for: AdapterFactory, scenario: Scenario
) -> None:
    adapter = adapter_for("checkout")
    by_tag = await adapter.approvals("acme/checkout", ref="v2.14.0")
    by_sha = await adapter.approvals("acme/checkout", ref=scenario.release_commit("checkout"))
    by_branch = await adapter.approvals("acme/checkout", ref="release/2.14.0")
    by_number = await adapter.approvals("acme/checkout", pr=by_tag.pr_number)
    assert by_tag == by_sha == by_branch == by_number


async def test_reviews_are_read_across_pages(adapter_for: AdapterFactory, sim: GitHubSim) -> None:
    adapter = adapter_for("checkout")
    adapter.reviews_per_page = 1  # type: ignore[misc]
    charged = sim.stats.charged
    approvals = await adapter.approvals("acme/checkout", ref="v2.14.0")
    assert approvals.count == 2
    assert sim.stats.charged - charged == 2 + 4  # sha + commit pulls, then 4 pages of reviews


async def test_unknown_refs_and_pulls_are_not_found(adapter_for: AdapterFactory) -> None:
    adapter = adapter_for("checkout")
    for call in (
        adapter.approvals("acme/checkout", ref="v9.9.9"),
        adapter.approvals("acme/checkout", pr=1),
        adapter.checks("acme/checkout", "nope"),
        adapter.combined_status("acme/checkout", "nope"),
    ):
        with pytest.raises(SourceError) as caught:
            await call
        assert caught.value.kind is ErrorKind.NOT_FOUND and caught.value.source == "gh"
    with pytest.raises(SourceError) as caught:
        await adapter.approvals("acme/checkout")
    assert caught.value.kind is ErrorKind.CONFIG


# Approvals: the requests --------------------------------------------------------------


def _user(login: str) -> dict[str, Any]:
    return payloads.user(login, API, WEB)


def _review_json(review_id: int, login: str, state: str, minute: int) -> dict[str, Any]:
    at = (START + timedelta(minutes=minute)).strftime("%Y-%m-%dT%H:%M:%SZ")
    html = f"https://github.com/acme/checkout/pull/7#pullrequestreview-{review_id}"
    pull = f"{API}/repos/acme/checkout/pulls/7"
    return {
        "id": review_id,
        "node_id": f"PRR_{review_id}",
        "user": _user(login),
        "body": "",
        "state": state,
        "html_url": html,
        "pull_request_url": pull,
        "_links": {"html": {"href": html}, "pull_request": {"href": pull}},
        "submitted_at": at,
        "commit_id": SHA,
        "author_association": "MEMBER",
    }


def _pull_json(number: int, **extra: Any) -> dict[str, Any]:
    body = {
        "number": number,
        "user": _user("ana"),
        "title": "Release",
        "html_url": f"https://github.com/acme/checkout/pull/{number}",
        "state": "closed",
        "merged_at": None,
        "merge_commit_sha": None,
        "head": {"sha": "f" * 40, "ref": "release/2.14.0"},
    }
    return body | extra


def _pages(
    pages: list[list[dict[str, Any]]], path: str
) -> Callable[[httpx.Request], httpx.Response]:
    def page(request: httpx.Request) -> httpx.Response:
        number = int(request.url.params.get("page", "1"))
        body = pages[number - 1]
        assert _schemas.problems(body, REVIEWS) == []
        links = {}
        if number < len(pages):
            links["link"] = (
                f'<https://api.github.com{path}?per_page=100&page={number + 1}>; rel="next"'
            )
        return respond(body, headers=links)

    return page


async def test_pull_lookup_by_commit_then_paginated_reviews(clock: FakeClock) -> None:
    reviews_path = "/repos/acme/checkout/pulls/7/reviews"
    reviews = _pages(
        [
            [_review_json(1, "bo", "APPROVED", 1), _review_json(2, "cy", "APPROVED", 2)],
            [_review_json(3, "bo", "CHANGES_REQUESTED", 3)],
            [_review_json(4, "dee", "APPROVED", 4), _review_json(5, "ana", "APPROVED", 5)],
        ],
        reviews_path,
    )

    def handler(request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path == "/repos/acme/checkout/commits/v2.14.0":
            assert request.headers["accept"] == "application/vnd.github.sha"
            return httpx.Response(200, text=SHA)
        if path == f"/repos/acme/checkout/commits/{SHA}/pulls":
            merged = _pull_json(7, merged_at="2026-11-23T09:00:00Z", merge_commit_sha=SHA)
            return respond([_pull_json(9, state="open"), merged])
        if path == reviews_path:
            return reviews(request)
        raise AssertionError(path)

    mock = mock_adapter(handler, [target("checkout")], clock=clock)
    approvals = await mock.adapter.approvals("checkout", ref="v2.14.0")
    assert (approvals.pr_number, approvals.author) == (7, "ana")
    assert (approvals.approvers, approvals.self_approved) == (("cy", "dee"), True)
    assert approvals.changes_requested_by == ("bo",)
    assert [str(r.url.params.get("page", "1")) for r in mock.seen[2:]] == ["1", "2", "3"]
    assert mock.paths[:2] == [
        "/repos/acme/checkout/commits/v2.14.0",
        f"/repos/acme/checkout/commits/{SHA}/pulls",
    ]


async def test_a_branch_without_associated_pulls_falls_back_to_the_head_filter(
    clock: FakeClock,
) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path.endswith("/commits/release/2.14.0"):
            return httpx.Response(200, text=SHA)
        if path.endswith("/pulls") and "commits" in path:
            return respond([])
        if path == "/repos/acme/checkout/pulls":
            params = dict(request.url.params)
            assert params == {"head": "acme:release/2.14.0", "state": "all", "per_page": "100"}
            return respond([_pull_json(11, head={"sha": SHA})])
        return respond([])

    mock = mock_adapter(handler, [target("checkout")], clock=clock)
    approvals = await mock.adapter.approvals("acme/checkout", ref="release/2.14.0")
    assert (approvals.pr_number, approvals.count) == (11, 0)
    assert mock.paths[-1] == "/repos/acme/checkout/pulls/11/reviews"


async def test_a_commit_without_pulls_is_not_found(clock: FakeClock) -> None:
    mock = mock_adapter(lambda r: respond([]), [target("checkout")], clock=clock)
    with pytest.raises(SourceError) as caught:
        await mock.adapter.approvals("acme/checkout", ref=SHA)
    assert caught.value.kind is ErrorKind.NOT_FOUND and "aaaaaaa" in caught.value.message
    assert mock.paths == [f"/repos/acme/checkout/commits/{SHA}/pulls"]  # a SHA: no head lookup


async def test_endless_review_pages_are_refused_rather_than_miscounted(clock: FakeClock) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/pulls/7"):
            return respond(_pull_json(7))
        link = f'<{API}/repos/acme/checkout/pulls/7/reviews?page=2>; rel="next"'
        return respond([_review_json(1, "bo", "APPROVED", 1)], headers={"link": link})

    mock = mock_adapter(handler, [target("checkout")], clock=clock)
    with pytest.raises(SourceError) as caught:
        await mock.adapter.approvals("acme/checkout", pr=7)
    assert caught.value.kind is ErrorKind.BAD_RESPONSE
    assert len(mock.seen) == 1 + MAX_PAGES


async def test_a_malformed_review_is_a_bad_response(clock: FakeClock) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/pulls/7"):
            return respond(_pull_json(7))
        return respond({"reviews": []})

    mock = mock_adapter(handler, [target("checkout")], clock=clock)
    with pytest.raises(SourceError) as caught:
        await mock.adapter.approvals("acme/checkout", pr=7)
    assert caught.value.kind is ErrorKind.BAD_RESPONSE and "reviews" in caught.value.message


# Checks and combined status ------------------------------------------------------------


async def test_checks_and_combined_status_from_the_sim(
    adapter_for: AdapterFactory, clock: FakeClock, scenario: Scenario
) -> None:
    adapter = adapter_for("payments")
    await clock.advance(5)
    (queued,) = await adapter.checks("acme/payments", "v2.14.0")
    pending = await adapter.combined_status("payments", "v2.14.0")
    assert (queued.status, queued.raw_status, queued.app) == (
        RunStatus.QUEUED,
        "queued",
        "github-actions",
    )
    assert (pending.state, pending.status) == ("pending", RunStatus.RUNNING)
    await clock.advance(200)
    (failed,) = await adapter.checks("acme/payments", scenario.release_commit("payments"))
    combined = await adapter.combined_status("acme/payments", "v2.14.0")
    assert (failed.status, failed.conclusion, failed.name) == (
        RunStatus.FAILURE,
        "failure",
        "build",
    )
    assert failed.head_sha == combined.sha == scenario.release_commit("payments")
    assert failed.completed_at == scenario.at(156)
    assert (combined.state, combined.status) == ("failure", RunStatus.FAILURE)
    by_context = {s.context: (s.state, s.description) for s in combined.statuses}
    assert by_context == {
        "license/cla": ("success", "All contributors have signed the CLA"),
        "security/scan": ("failure", "1 high severity vulnerability (urllib3)"),
    }
    assert combined.to_json()["state"] == "failure"


@pytest.mark.parametrize(
    ("status", "conclusion", "expected"),
    [
        ("completed", "success", RunStatus.SUCCESS),
        ("completed", "neutral", RunStatus.SUCCESS),
        ("completed", "skipped", RunStatus.SUCCESS),
        ("completed", "timed_out", RunStatus.FAILURE),
        ("completed", "action_required", RunStatus.UNKNOWN),
        ("completed", "cancelled", RunStatus.CANCELLED),
        ("waiting", None, RunStatus.QUEUED),
        ("in_progress", None, RunStatus.RUNNING),
    ],
)
async def test_check_run_status_mapping(
    clock: FakeClock, status: str, conclusion: str | None, expected: RunStatus
) -> None:
    scenario = Scenario(FakeClock(START))
    state = scenario.ci_runs("checkout", scenario.at(400))[0]
    check = payloads.check_run(state, "acme/checkout", API, WEB)
    check |= {"status": status, "conclusion": conclusion, "name": "lint\x1b[31m"}
    body = {"total_count": 1, "check_runs": [check]}
    assert _schemas.problems(body, CHECKS) == []
    mock = mock_adapter(lambda r: respond(body), [target("checkout")], clock=clock)
    (run,) = await mock.adapter.checks("acme/checkout", "main")
    assert (run.status, run.name) == (expected, "lint")
    (request,) = mock.seen
    assert request.url.path == "/repos/acme/checkout/commits/main/check-runs"
    assert dict(request.url.params) == {"per_page": "100", "filter": "latest"}


async def test_combined_status_statuses_are_read_across_pages(clock: FakeClock) -> None:
    def status(context: str, state: str) -> dict[str, Any]:
        return payloads.commit_status(
            ord(context), context=context, state=state, description="", target_url=None,
            creator="bot", at=START, full_name="acme/checkout", sha=SHA, api=API, web=WEB,
        )  # fmt: skip

    first = [status("a", "success"), status("b", "success")]
    everything = [*first, status("c", "error")]
    pages = [
        payloads.combined_status(first, everything, "acme/checkout", SHA, API, WEB),
        payloads.combined_status([everything[2]], everything, "acme/checkout", SHA, API, WEB),
    ]
    assert all(_schemas.problems(p, COMBINED) == [] for p in pages)

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.params.get("page") == "2":
            return respond(pages[1])
        link = f'<{API}/repos/acme/checkout/commits/heads/release/2.14/status?page=2>; rel="next"'
        return respond(pages[0], headers={"link": link})

    mock = mock_adapter(handler, [target("checkout")], clock=clock)
    combined = await mock.adapter.combined_status("acme/checkout", "heads/release/2.14")
    assert [s.context for s in combined.statuses] == ["a", "b", "c"]
    assert (combined.state, combined.status) == ("failure", RunStatus.FAILURE)
    assert mock.seen[0].url.path == "/repos/acme/checkout/commits/heads/release/2.14/status"


def test_recorded_bodies_are_the_vendor_shapes() -> None:
    """The MockTransport bodies above follow the published schemas (they cannot drift)."""
    reviews = [_review_json(1, "bo", "APPROVED", 1), _review_json(2, "ana", "DISMISSED", 2)]
    assert _schemas.problems(reviews, REVIEWS) == []
    broken = [{k: v for k, v in reviews[0].items() if k != "user"}]
    assert any("'user' is a required property" in p for p in _schemas.problems(broken, REVIEWS))
