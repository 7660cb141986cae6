"""The classifier: evidence, actions, history, recency, and hostile input."""

from __future__ import annotations

import dataclasses
import random
import re
from pathlib import Path

import pytest

from cockpit.models.pipeline import RunStatus
from cockpit.triage import (
    CLASSES,
    Rule,
    RuleSet,
    RunHistory,
    RunRecord,
    analyse,
    classify,
    default_ruleset,
)
from cockpit.triage.classifier import MAX_EVIDENCE_CHARS
from cockpit.triage.tail import DEFAULT_TAIL_BYTES

from .corpus_cases import CORPUS

SHA = "abc1234def5678abc1234def5678abc1234def56"
CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f-\x9f]")

PYTEST_FAILURE = (
    "2024-11-20T10:15:15.4482698Z E       AssertionError: assert 40 == 60\n"
    "2024-11-20T10:15:15.4484355Z FAILED tests/test_cart.py::test_cap - AssertionError: assert\n"
    "2024-11-20T10:15:15.4484712Z 1 failed, 173 passed in 7.41s\n"
    "2024-11-20T10:15:15.5901221Z ##[error]Process completed with exit code 1.\n"
)


def assert_display_safe(lines: tuple[str, ...]) -> None:
    for line in lines:
        assert not CONTROL.search(line), repr(line)
        assert len(line) <= MAX_EVIDENCE_CHARS


def test_code_failure_cites_the_matching_lines_and_routes_to_the_short_commit() -> None:
    triage = classify(PYTEST_FAILURE, commit=SHA)
    assert triage.failure_class == "code"
    assert triage.evidence == (
        "E       AssertionError: assert 40 == 60",
        "FAILED tests/test_cart.py::test_cap - AssertionError: assert",
        "1 failed, 173 passed in 7.41s",
    )
    assert triage.action == "code: route to the author of abc1234"
    assert SHA not in triage.action
    assert triage.to_json() == {"class": "code", "evidence": list(triage.evidence)}


def test_the_author_is_named_when_known_and_the_commit_may_be_unknown() -> None:
    assert classify(PYTEST_FAILURE, commit=SHA, author="Dana Okafor").action == (
        "code: route to Dana Okafor, author of abc1234"
    )
    assert classify(PYTEST_FAILURE).action == "code: route to the author of the failing commit"


def test_author_and_commit_are_sanitised_in_the_action() -> None:
    action = classify(PYTEST_FAILURE, commit="\x1b[2Jabc1234ff", author="Eve\x1b]0;pwn\x07").action
    assert action == "code: route to Eve, author of abc1234"


def test_infra_action_is_re_run() -> None:
    log = "step 3/9\n##[error]The runner has received a shutdown signal.\n"
    triage = classify(log, commit=SHA)
    assert (triage.failure_class, triage.action) == ("infra", "infra: re-run")
    assert triage.evidence == ("##[error]The runner has received a shutdown signal.",)


def test_a_rule_action_can_use_its_named_groups() -> None:
    triage = classify("##[error]Input required and not supplied: token\n")
    assert triage.failure_class == "permission"
    assert triage.action == "permission: provide the `token` input (is the secret behind it set?)"


def test_evidence_from_a_coloured_log_has_no_escape_sequences() -> None:
    log = (
        b"\x1b]0;\xe2\x9c\x97 build\x07\x1b[1m\x1b[31m FAIL \x1b[39m\x1b[22m src/a.test.ts\n"
        b"  \x1b[1m\xe2\x97\x8f \x1b[22mcart \xe2\x80\xba adds an item\n"
        b"\x1b[1mTests:       \x1b[22m\x1b[1m\x1b[31m1 failed\x1b[39m\x1b[22m, 3 passed\n"
        b"\x1b[31;1mERROR: Job failed: exit code 1\n\x1b[0;m\n"
    )
    triage = classify(log, commit=SHA)
    assert triage.failure_class == "code"
    assert triage.evidence == (
        "FAIL  src/a.test.ts",
        "● cart \u203a adds an item",
        "Tests:       1 failed, 3 passed",
    )
    assert_display_safe(triage.evidence)


@pytest.mark.parametrize("path", sorted(CORPUS.glob("*.log")), ids=lambda p: p.name)
def test_every_corpus_log_gives_display_safe_evidence_and_an_action(path: Path) -> None:
    triage = classify(path.read_bytes(), commit=SHA)
    assert triage.failure_class in CLASSES
    assert triage.action.startswith(f"{triage.failure_class}: ")
    assert_display_safe(triage.evidence)
    assert 1 <= len(triage.evidence) <= 5 or path.name == "empty.log"


def test_the_last_fatal_lines_weigh_more_than_an_early_infra_warning() -> None:
    log = (CORPUS / "gha-disk-warning-then-compile.log").read_bytes()
    analysis = analyse(log, commit=SHA)
    assert analysis.triage.failure_class == "code"
    assert analysis.scores["infra"] < analysis.scores["code"]
    assert all("disk space" not in line for line in analysis.triage.evidence)


def test_and_the_other_way_round_an_infra_cause_after_test_noise_is_infra() -> None:
    log = (
        "E       AssertionError: assert 1 == 2\n"
        "FAILED tests/test_a.py::test_a - AssertionError\n"
        + "collecting more tests ...\n"
        * 20
        + "/home/runner/work/_temp/x.sh: line 1:  2187 Killed     pytest -n auto\n"
        "##[error]Process completed with exit code 137.\n"
    )
    assert classify(log).failure_class == "infra"


def test_a_known_flaky_marker_outweighs_the_assertion_it_qualifies() -> None:
    log = (CORPUS / "gitlab-known-flaky-marker.log").read_bytes()
    analysis = analyse(log)
    assert analysis.triage.failure_class == "flaky"
    assert analysis.scores["code"] > 0
    assert analysis.triage.action == (
        "flaky: re-run, then quarantine or fix "
        "tests/queue/test_visibility.py::test_visibility_timeout_requeues"
    )


def test_history_turns_a_code_failure_into_flaky_and_cites_it_first() -> None:
    history = RunHistory((RunRecord(SHA, RunStatus.SUCCESS, attempt=2),))
    triage = classify(PYTEST_FAILURE, commit=SHA, history=history)
    assert triage.failure_class == "flaky"
    assert triage.evidence[0] == "history: the job passed on attempt 2 of the same commit abc1234"
    assert "FAILED tests/test_cart.py::test_cap - AssertionError: assert" in triage.evidence
    assert triage.action == "flaky: re-run, then quarantine or fix tests/test_cart.py::test_cap"


def test_history_does_not_override_infra_dependency_or_permission() -> None:
    history = RunHistory((RunRecord(SHA, RunStatus.SUCCESS, attempt=2),))
    for log, expected in [
        ("##[error]The runner has received a shutdown signal.\n", "infra"),
        ("npm error code E503\n", "dependency"),
        ("remote: Permission to acme/x.git denied to bot.\n", "permission"),
    ]:
        assert classify(log, commit=SHA, history=history).failure_class == expected


def test_history_that_says_regression_keeps_code() -> None:
    history = RunHistory(
        (RunRecord("1" * 40, RunStatus.SUCCESS), RunRecord("2" * 40, RunStatus.SUCCESS))
    )
    assert classify(PYTEST_FAILURE, commit=SHA, history=history).failure_class == "code"


def test_unknown_cites_the_last_error_looking_lines() -> None:
    log = (
        "deploying\nhealth check: 2/3 healthy\nsomething odd\n"
        "##[error]Process completed with exit code 1.\n"
    )
    triage = classify(log)
    assert triage.failure_class == "unknown"
    assert triage.evidence == ("##[error]Process completed with exit code 1.",)
    assert triage.action == "unknown: read the log"
    assert classify("").evidence == ()


@pytest.mark.parametrize("seed", range(12))
def test_binary_garbage_never_crashes_and_never_cites_garbage(seed: int) -> None:
    rng = random.Random(seed)
    blob = bytes(rng.randrange(256) for _ in range(rng.choice([1, 100, 5000, 70_000])))
    triage = classify(blob, commit=SHA)
    assert triage.failure_class in CLASSES
    assert_display_safe(triage.evidence)
    if len(blob) > 1000:
        assert triage.evidence == ("(the log tail is mostly binary data, not text)",)


def test_str_and_bytes_give_the_same_verdict() -> None:
    assert classify(PYTEST_FAILURE, commit=SHA) == classify(PYTEST_FAILURE.encode(), commit=SHA)


def test_only_the_tail_of_an_oversized_log_is_considered() -> None:
    head = "FAILED tests/test_a.py::test_a - AssertionError\n"
    filler = "ok\n" * (DEFAULT_TAIL_BYTES // 3 + 10)
    tail = "No space left on device\n"
    for log in (head + filler + tail, (head + filler + tail).encode()):
        analysis = analyse(log)
        assert analysis.triage.failure_class == "infra"
        assert "code" not in analysis.scores


def test_nul_padding_and_carriage_returns_do_not_hide_a_signature() -> None:
    log = b"\x00" * 4096 + b"progress 10%\rprogress 100%\r\nnpm ERR! code ETIMEDOUT\r\n"
    triage = classify(log)
    assert triage.failure_class == "dependency"
    assert triage.evidence == ("npm ERR! code ETIMEDOUT",)


def test_analysis_exposes_scores_matches_and_test_names() -> None:
    analysis = analyse(PYTEST_FAILURE, commit=SHA)
    assert set(analysis.scores) == {"code"}
    assert analysis.matches[0].rule.id == "pytest-failure"
    assert analysis.matches[0].line_no == 3
    assert analysis.failed_tests == ("tests/test_cart.py::test_cap",)
    assert analysis.flaky is None


def test_the_prefilter_never_changes_a_verdict() -> None:
    with_prefilter = default_ruleset()
    assert with_prefilter.prefilter is not None
    without = dataclasses.replace(with_prefilter, prefilter=None)
    for path in sorted(CORPUS.glob("*.log")):
        log = path.read_bytes()
        assert analyse(log, rules=with_prefilter) == analyse(log, rules=without), path.name


def test_a_back_reference_disables_the_prefilter_rather_than_breaking_it() -> None:
    rule = Rule("r", "code", (re.compile(r"(\w+) \1 again"),), 5.0)
    ruleset = RuleSet.build((rule,))
    assert ruleset.prefilter is None
    assert classify("word word again\n", rules=ruleset).failure_class == "code"


def test_the_core_never_imports_textual() -> None:
    import subprocess
    import sys

    code = (
        "import sys, cockpit.triage; print(any(m.split('.')[0] == 'textual' for m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
