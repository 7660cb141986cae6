"""The `ci_green` gate: the release ref's required workflows or pipelines succeeded.

Required runs are the service's `ci.workflows` when given (a run counts for a workflow when its
name equals the entry, or the entry is a workflow file such as `ci.yml` whose stem or path names
the run), else every pipeline run of the service. With a release ref, only runs whose branch
equals the ref or whose commit starts with it count. For each required workflow the newest
matching run decides, so a green re-run supersedes an older failure.

Precedence: any failed or cancelled run fails the gate (naming the run); then anything still
running or queued is unknown ("still running"); then a run whose status is not understood, or
a required workflow without a run, is unknown; only all-green passes.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import PurePosixPath
from typing import Any

from cockpit.config.models import CiGreenGate, Config
from cockpit.models import PipelineRun, RunStatus, Snapshot
from cockpit.models.readiness import GateResult, GateVerdict
from cockpit.readiness.common import one_line, result, unknown

_FAILED = (RunStatus.FAILURE, RunStatus.CANCELLED)
_IN_PROGRESS = (RunStatus.RUNNING, RunStatus.QUEUED)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def workflow_matches(run: PipelineRun, workflow: str) -> bool:
    """Whether `run` is a run of the configured `workflow` (a name or a workflow file)."""
    wanted = workflow.strip()
    if run.name == wanted:
        return True
    path = PurePosixPath(wanted)
    name = PurePosixPath(run.name)
    if path.suffix in (".yml", ".yaml"):
        return run.name.casefold() == path.stem.casefold() or name.name == path.name
    return False


def on_ref(run: PipelineRun, ref: str) -> bool:
    """Whether `run` ran for the ref: its branch is the ref or its commit starts with it."""
    return run.branch == ref or (bool(run.commit) and run.commit.startswith(ref))


def _newest(runs: Iterable[PipelineRun]) -> PipelineRun | None:
    return max(runs, key=lambda r: r.started_at or _EPOCH, default=None)


def _label(run: PipelineRun) -> str:
    return f"{one_line(run.name) or 'pipeline'} #{one_line(run.run_id)}"


def _run_evidence(run: PipelineRun) -> dict[str, Any]:
    return {
        "name": run.name,
        "run_id": run.run_id,
        "status": run.status.value,
        "commit": run.commit,
        "branch": run.branch,
        "url": run.url,
    }


def ci_green_result(config: Config, gate: CiGreenGate, snapshot: Snapshot, ref: str) -> GateResult:
    """The `ci_green` verdict for `gate` from the pipelines in `snapshot` (staleness not applied).

    Args:
        config: The config (for the service's CI target).
        gate: The gate.
        snapshot: What the engine polled.
        ref: The release ref ("" when none is configured: every run of the service counts).
    """
    service = config.service(gate.service)
    if service is None:
        return unknown(gate, f"service {gate.service} is not defined")
    if service.ci is None:
        return unknown(gate, f"service {gate.service} has no `ci` configured")
    source = service.ci.source
    runs = [r for r in snapshot.pipelines if r.service == service.name]
    if ref:
        runs = [r for r in runs if on_ref(r, ref)]
    target = ref or service.name
    required = service.ci.workflows
    evidence: dict[str, Any] = {"ref": ref, "required": list(required)}
    deciding: list[PipelineRun] = []
    missing: list[str] = []
    if required:
        for workflow in required:
            newest = _newest(r for r in runs if workflow_matches(r, workflow))
            if newest is None:
                missing.append(workflow)
            else:
                deciding.append(newest)
    else:
        for name in dict.fromkeys(r.name for r in runs):
            newest = _newest(r for r in runs if r.name == name)
            if newest is not None:
                deciding.append(newest)
    evidence["runs"] = [_run_evidence(r) for r in deciding]
    status = snapshot.source(source)
    fetched_at = None if status is None else status.fetched_at
    common: dict[str, Any] = {"source": source, "fetched_at": fetched_at}

    if not deciding:
        return unknown(gate, f"no CI run found for {one_line(target)}", evidence, **common)
    failed = [r for r in deciding if r.status in _FAILED]
    if failed:
        first = failed[0]
        word = "was cancelled" if first.status is RunStatus.CANCELLED else "failed"
        reason = f"{_label(first)} {word} on {one_line(first.branch or first.short_sha)}"
        if len(failed) > 1:
            reason += f" (+{len(failed) - 1} more failed)"
        return result(gate, GateVerdict.FAIL, reason, evidence, link=first.url, **common)
    running = [r for r in deciding if r.status in _IN_PROGRESS]
    if running:
        names = ", ".join(_label(r) for r in running)
        return unknown(gate, f"still running: {names}", evidence, link=running[0].url, **common)
    odd = [r for r in deciding if r.status is not RunStatus.SUCCESS]
    if odd:
        return unknown(
            gate, f"{_label(odd[0])} has status {odd[0].status.value}", evidence, **common
        )
    if missing:
        names = ", ".join(one_line(m) for m in missing)
        return unknown(
            gate, f"no CI run of {names} found for {one_line(target)}", evidence, **common
        )
    noun = "run" if len(deciding) == 1 else "runs"
    reason = f"{len(deciding)} {noun} green for {one_line(target)}"
    return result(gate, GateVerdict.PASS, reason, evidence, **common)
