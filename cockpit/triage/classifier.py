"""Classify a failed job from its log tail and run history, citing the lines that decided it.

Scoring, with the rules as data (`cockpit.triage.rules`):

1. The tail is decoded, sanitised and split into lines; CI timestamps and GitLab section
   markers are stripped before matching.
2. Each rule scores its best matching line: `weight * recency`, where recency rises linearly
   from `recency_floor` on the first non-empty line to 1 on the last. The cause of a failure
   is what makes the job stop, so the last fatal lines weigh more than an early warning.
   Rules marked `anywhere` (qualifiers such as a known-flaky marker) score full weight.
3. A class scores its best rule plus `corroboration` times the sum of its other matching rules.
4. The best class wins if it reaches `min_score`; otherwise the class is `unknown`.
5. History can turn a `code` (or `unknown`) verdict into `flaky`: a test that passes on a re-run
   of the same commit, or that fails on and off across unrelated commits, is not a code
   defect. It does not override infra, dependency or permission: a runner that was lost also
   "passes on re-run", and the action for it is still "re-run", not "quarantine the test".
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field

from cockpit.models.pipeline import Triage
from cockpit.text import sanitize
from cockpit.triage.history import FlakyFinding, RunHistory
from cockpit.triage.rules import CLASSES, Rule, RuleSet, default_ruleset
from cockpit.triage.tail import DEFAULT_TAIL_BYTES, clip_tail, strip_ci_prefix, tail_text

MAX_EVIDENCE_CHARS = 240
"""Evidence lines are cut to this length."""

_FALLBACK_EVIDENCE = re.compile(r"(?i)\b(?:error|fail(?:ed|ure)?|fatal|exception|exit code)\b")
_OVERRIDABLE_BY_HISTORY = ("code", "unknown", "flaky")


@dataclass(frozen=True, slots=True)
class Match:
    """One rule matching one line of the tail.

    Attributes:
        rule: The rule that matched.
        line_no: 1-based line number within the tail that was read.
        text: The line, sanitised, CI prefix removed.
        score: `weight * recency` for this line.
        groups: Named groups the matching pattern captured (sanitised).
    """

    rule: Rule
    line_no: int
    text: str
    score: float
    groups: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Analysis:
    """The full reasoning behind a triage, for tests, `--explain` style output and tuning.

    Attributes:
        triage: The verdict: class, evidence lines, suggested action.
        scores: Score per rule class (classes that matched nothing are absent).
        matches: The best match of every rule that matched, best first.
        failed_tests: Test names found in the log.
        flaky: The history finding, when history says flaky.
    """

    triage: Triage
    scores: Mapping[str, float]
    matches: tuple[Match, ...]
    failed_tests: tuple[str, ...] = ()
    flaky: FlakyFinding | None = None


def classify(
    log_tail: str | bytes,
    *,
    history: RunHistory | None = None,
    commit: str = "",
    author: str = "",
    rules: RuleSet | None = None,
) -> Triage:
    """Classify a failed job: `code`, `flaky`, `infra`, `dependency`, `permission` or `unknown`.

    Args:
        log_tail: The end of the job's log (see `read_tail`); bytes may be invalid UTF-8 and
            may contain escape sequences. Longer input is clipped to its last 256 KiB.
        history: This job's finished runs, oldest first, for flaky detection.
        commit: The SHA that failed (shortened in the action).
        author: The commit's author, named in the action for code failures.
        rules: The rule set; the default rules when omitted.

    Returns:
        The class, the sanitised evidence lines that decided it, and a suggested action
        such as "infra: re-run" or "code: route to the author of abc1234".
    """
    return analyse(log_tail, history=history, commit=commit, author=author, rules=rules).triage


def analyse(
    log_tail: str | bytes,
    *,
    history: RunHistory | None = None,
    commit: str = "",
    author: str = "",
    rules: RuleSet | None = None,
) -> Analysis:
    """Like `classify`, returning every score and match as well (see `Analysis`)."""
    ruleset = rules if rules is not None else default_ruleset()
    lines = _lines(log_tail)
    numbered = _numbered(lines, ruleset)
    matches = _best_matches(numbered, ruleset.rules)
    scores = _class_scores(matches, ruleset.scoring.corroboration)
    failure_class = "unknown"
    if scores:
        best = max(scores, key=lambda cls: (scores[cls], -CLASSES.index(cls)))
        if scores[best] >= ruleset.scoring.min_score:
            failure_class = best
    failed_tests = _failed_tests(lines, ruleset)
    finding = None
    if history is not None and failure_class in _OVERRIDABLE_BY_HISTORY:
        finding = history.flaky(commit, failed_tests)
    limit = ruleset.scoring.max_evidence
    if finding is not None:
        cited = _evidence(numbered, matches, ("flaky", "code"), limit - 1)
        evidence = (finding.reason, *cited)
        failure_class = "flaky"
    elif failure_class == "unknown":
        evidence = _fallback_evidence(lines, min(limit, 3))
    else:
        evidence = _evidence(numbered, matches, (failure_class,), limit)
    action = _action(ruleset, failure_class, matches, commit, author, failed_tests)
    triage = Triage(failure_class, evidence, action)
    return Analysis(triage, scores, tuple(matches), tuple(failed_tests), finding)


def _lines(log_tail: str | bytes) -> list[str]:
    if isinstance(log_tail, str):
        log_tail = log_tail[-DEFAULT_TAIL_BYTES:].encode("utf-8", errors="replace")
    return [strip_ci_prefix(line) for line in tail_text(clip_tail(log_tail))]


_Numbered = list[tuple[int, str, float]]


def _numbered(lines: list[str], ruleset: RuleSet) -> _Numbered:
    """Non-empty lines some rule may match, as (index, text, recency); recency rises from
    `recency_floor` on the first non-empty line to 1 on the last."""
    floor = ruleset.scoring.recency_floor
    kept = [(index, line) for index, line in enumerate(lines) if line]
    last = max(len(kept) - 1, 1)
    prefilter = ruleset.prefilter
    return [
        (index, line, floor + (1 - floor) * pos / last)
        for pos, (index, line) in enumerate(kept)
        if prefilter is None or prefilter.search(line)
    ]


def _search(rule: Rule, line: str) -> re.Match[str] | None:
    return next((m for p in rule.patterns if (m := p.search(line)) is not None), None)


def _score(rule: Rule, recency: float) -> float:
    return rule.weight * (1.0 if rule.anywhere else recency)


def _best_matches(numbered: _Numbered, rules: tuple[Rule, ...]) -> list[Match]:
    """The highest-scoring match of every rule, best first.

    Recency only grows towards the end, so the last matching line is each rule's best: the
    lines are scanned backwards and a rule is done at its first hit.
    """
    best: dict[str, Match] = {}
    pending = list(rules)
    for index, line, recency in reversed(numbered):
        if not pending:
            break
        still: list[Rule] = []
        for rule in pending:
            found = _search(rule, line)
            if found is None:
                still.append(rule)
                continue
            groups = {k: sanitize(v)[:80] for k, v in found.groupdict().items() if v}
            text = line[:MAX_EVIDENCE_CHARS]
            best[rule.id] = Match(rule, index + 1, text, _score(rule, recency), groups)
        pending = still
    return sorted(best.values(), key=lambda m: (-m.score, m.line_no))


def _class_scores(matches: list[Match], corroboration: float) -> dict[str, float]:
    by_class: dict[str, list[float]] = defaultdict(list)
    for match in matches:
        by_class[match.rule.failure_class].append(match.score)
    return {
        cls: max(scores) + corroboration * (sum(scores) - max(scores))
        for cls, scores in by_class.items()
    }


def _evidence(
    numbered: _Numbered, matches: list[Match], classes: tuple[str, ...], limit: int
) -> tuple[str, ...]:
    """The strongest lines matched by the rules of `classes` (every line, not only each rule's
    best), at most `limit`, in log order."""
    rules = {m.rule.id: m.rule for m in matches if m.rule.failure_class in classes}
    if not rules:
        return ()
    scored: list[tuple[float, int, str]] = []
    for index, line, recency in numbered:
        hits = [_score(rule, recency) for rule in rules.values() if _search(rule, line)]
        if hits:
            scored.append((max(hits), index, line[:MAX_EVIDENCE_CHARS]))
    chosen = sorted(scored, key=lambda item: (-item[0], -item[1]))[:limit]
    return tuple(text for _, _, text in sorted(chosen, key=lambda item: item[1]))


def _fallback_evidence(lines: list[str], limit: int) -> tuple[str, ...]:
    """For `unknown`: the last error-looking lines, so a person knows where to start.

    Lines that are mostly undecodable bytes (binary output) are never cited.
    """
    undecodable = sum(line.count("\ufffd") for line in lines)
    if undecodable * 10 > sum(len(line) for line in lines):
        return ("(the log tail is mostly binary data, not text)",)
    readable = [line for line in lines if line and line.count("\ufffd") * 10 < len(line)]
    found = [line for line in readable if _FALLBACK_EVIDENCE.search(line)] or readable
    return tuple(line[:MAX_EVIDENCE_CHARS] for line in found[-limit:])


def _failed_tests(lines: list[str], ruleset: RuleSet) -> list[str]:
    names: dict[str, None] = {}
    for line in lines:
        for pattern in ruleset.test_names:
            found = pattern.search(line)
            if found is not None and found.group("test"):
                names.setdefault(found.group("test").strip(), None)
                break
    return list(names)


class _Fields(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return "?"


def _action(
    ruleset: RuleSet,
    failure_class: str,
    matches: list[Match],
    commit: str,
    author: str,
    failed_tests: list[str],
) -> str:
    top = next((m for m in matches if m.rule.failure_class == failure_class), None)
    template = ruleset.action_template(failure_class)
    if top is not None and top.rule.action:
        template = top.rule.action
    short = sanitize(commit)[:7] or "the failing commit"
    name = sanitize(author)[:80]
    who = f"{name}, author of {short}" if name else f"the author of {short}"
    fields = _Fields(
        {
            "class": failure_class,
            "commit": short,
            "sha": sanitize(commit) or short,
            "author": name or "the author",
            "who": who,
            "rule": top.rule.id if top is not None else "",
            "test": sanitize(failed_tests[0])[:120] if failed_tests else "the failing test",
        }
    )
    if top is not None:
        fields.update(top.groups)
    return template.format_map(fields)
