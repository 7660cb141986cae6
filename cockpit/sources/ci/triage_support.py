"""Triage inside CI adapters: classify a failed run's log tail with its history, once per run.

A failed run's log does not change, so each adapter classifies it once and keeps the verdict
(`TriageCache`), keyed by the run and job. History comes from the listing the adapter already
fetched: one `RunRecord` per finished run, oldest first, with attempt numbers counted per commit,
so a failure whose commit passed on another run is recognised as flaky
(`cockpit.triage.history`).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable, Iterable
from dataclasses import replace

from cockpit.models import RunStatus, Triage
from cockpit.text import sanitize
from cockpit.triage import RuleSet, RunHistory, RunRecord, classify

CACHE_SIZE = 64
"""Verdicts kept per adapter (one per failed run seen recently)."""


class TriageCache:
    """The last `CACHE_SIZE` verdicts, by key; the oldest is forgotten first."""

    def __init__(self, size: int = CACHE_SIZE) -> None:
        self.size = size
        self._verdicts: OrderedDict[Hashable, Triage] = OrderedDict()

    def get(self, key: Hashable) -> Triage | None:
        verdict = self._verdicts.get(key)
        if verdict is not None:
            self._verdicts.move_to_end(key)
        return verdict

    def put(self, key: Hashable, verdict: Triage) -> Triage:
        self._verdicts[key] = verdict
        self._verdicts.move_to_end(key)
        while len(self._verdicts) > self.size:
            self._verdicts.popitem(last=False)
        return verdict

    def __len__(self) -> int:
        return len(self._verdicts)


def history_records(runs: Iterable[tuple[str, RunStatus, str]]) -> RunHistory:
    """`(sha, status, run id)` of finished runs, oldest first, as a `RunHistory`.

    The n-th run of a commit is its attempt n: a re-run, whether a retry or a new pipeline
    for the same SHA.
    """
    seen: dict[str, int] = {}
    records = []
    for sha, status, run_id in runs:
        if not sha:
            continue
        seen[sha] = seen.get(sha, 0) + 1
        records.append(RunRecord(sha=sha, status=status, attempt=seen[sha], run_id=run_id))
    return RunHistory(tuple(records))


def triage_log(
    tail: str,
    history: RunHistory,
    commit: str,
    author: str = "",
    *,
    infra_reason: str | None = None,
    where: str = "",
    rules: RuleSet | None = None,
) -> Triage:
    """Classify a failed job from its log tail and history.

    Args:
        tail: The end of the job's log (already bounded and sanitised).
        history: The job's finished runs, oldest first.
        commit: The SHA that failed.
        author: The commit's author, for code failures.
        infra_reason: The CI system's own verdict that its infrastructure failed (GitLab's
            `failure_reason: runner_system_failure`, ...), used when the log says nothing.
        where: The evidence line citing that verdict.
        rules: The triage rules (the shipped defaults when omitted).
    """
    verdict = classify(tail, history=history, commit=commit, author=author, rules=rules)
    if verdict.failure_class == "unknown" and infra_reason:
        evidence = (sanitize(where or infra_reason), *verdict.evidence[:2])
        return Triage("infra", tuple(dict.fromkeys(evidence)), "infra: re-run")
    # A log often repeats its fatal line (a step's error, then the build's summary): cite it once.
    return replace(verdict, evidence=tuple(dict.fromkeys(verdict.evidence)))
