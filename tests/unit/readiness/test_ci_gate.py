"""ci_green: the release ref's required workflows succeeded, from the polled pipeline runs."""

from __future__ import annotations

from datetime import timedelta

from cockpit.models import PipelineRun, RunStatus
from cockpit.models.readiness import GateVerdict
from cockpit.readiness import evaluate

from .helpers import NOW, SERVICES, make_config, snapshot

GATE = [{"kind": "ci_green", "service": "checkout"}]


def run(
    name: str = "ci",
    status: RunStatus = RunStatus.SUCCESS,
    *,
    run_id: str = "101",
    branch: str = "v2.14.0",
    commit: str = "abc1234def",
    minutes_ago: int = 10,
) -> PipelineRun:
    return PipelineRun(
        service="checkout",
        provider="github",
        run_id=run_id,
        name=name,
        status=status,
        commit=commit,
        branch=branch,
        url=f"https://github.com/acme/checkout/actions/runs/{run_id}",
        started_at=NOW - timedelta(minutes=minutes_ago),
        source="gh",
    )


def with_workflows(*workflows: str) -> list[dict[str, object]]:
    service = dict(SERVICES[0])
    service["ci"] = {"source": "gh", "repo": "acme/checkout", "workflows": list(workflows)}
    return [service]


def gate_result(*runs: PipelineRun, ref: str | None = None, services=None):  # type: ignore[no-untyped-def]
    config = make_config(GATE, **({"services": services} if services else {}))
    results, _ = evaluate(config, snapshot(pipelines=runs), now=NOW, release_ref=ref)
    return results[0]


def test_all_runs_green_for_the_ref_pass() -> None:
    result = gate_result(run("ci"), run("lint", run_id="102"))
    assert result.verdict is GateVerdict.PASS
    assert result.reason == "2 runs green for v2.14.0"
    assert result.source == "gh"
    assert result.fetched_at == NOW - timedelta(seconds=2)
    assert [r["run_id"] for r in result.evidence["runs"]] == ["101", "102"]


def test_a_failed_run_fails_naming_it_even_when_another_still_runs() -> None:
    result = gate_result(
        run("ci", RunStatus.FAILURE, run_id="7"), run("e2e", RunStatus.RUNNING, run_id="8")
    )
    assert result.verdict is GateVerdict.FAIL
    assert result.reason == "ci #7 failed on v2.14.0"
    assert result.link.endswith("/runs/7")


def test_a_cancelled_run_fails() -> None:
    result = gate_result(run("ci", RunStatus.CANCELLED, run_id="9"))
    assert result.verdict is GateVerdict.FAIL
    assert result.reason == "ci #9 was cancelled on v2.14.0"


def test_running_or_queued_is_unknown_still_running() -> None:
    result = gate_result(run("ci"), run("e2e", RunStatus.QUEUED, run_id="12"))
    assert result.verdict is GateVerdict.UNKNOWN
    assert result.reason == "still running: e2e #12"


def test_no_run_for_the_ref_is_unknown() -> None:
    result = gate_result(run(branch="main", commit="ffff000"))
    assert result.verdict is GateVerdict.UNKNOWN
    assert result.reason == "no CI run found for v2.14.0"


def test_a_run_whose_commit_starts_with_the_ref_counts() -> None:
    result = gate_result(run(branch="main", commit="abc1234def"), ref="abc1234")
    assert result.verdict is GateVerdict.PASS
    assert result.reason == "1 run green for abc1234"


def test_newest_run_of_a_workflow_decides_so_a_green_rerun_supersedes() -> None:
    old = run("ci", RunStatus.FAILURE, run_id="1", minutes_ago=30)
    new = run("ci", RunStatus.SUCCESS, run_id="2", minutes_ago=5)
    assert gate_result(old, new).verdict is GateVerdict.PASS


def test_required_workflows_match_by_file_name_and_a_missing_one_is_unknown() -> None:
    services = with_workflows("ci.yml", "release.yml")
    result = gate_result(run("ci"), run("lint", RunStatus.FAILURE), services=services)
    # lint is not required: its failure does not count; release.yml has no run.
    assert result.verdict is GateVerdict.UNKNOWN
    assert result.reason == "no CI run of release.yml found for v2.14.0"
    assert result.evidence["required"] == ["ci.yml", "release.yml"]


def test_required_workflow_by_name_passes() -> None:
    result = gate_result(run("CI Pipeline"), services=with_workflows("CI Pipeline"))
    assert result.verdict is GateVerdict.PASS


def test_without_a_release_ref_every_run_of_the_service_counts() -> None:
    result = gate_result(run(branch="main"), ref="")
    assert result.verdict is GateVerdict.PASS
    assert result.reason == "1 run green for checkout"


def test_unknown_run_status_is_unknown() -> None:
    result = gate_result(run("ci", RunStatus.UNKNOWN, run_id="5"))
    assert result.verdict is GateVerdict.UNKNOWN
    assert result.reason == "ci #5 has status unknown"


def test_remote_run_names_are_sanitised_in_the_reason() -> None:
    result = gate_result(run("ci\x1b]0;pwned\x07", RunStatus.FAILURE, run_id="3"))
    assert "\x1b" not in result.reason
    assert result.reason == "ci #3 failed on v2.14.0"
