"""`Problem` prints as `file:line:col: key.path: what is wrong (hint)`."""

from __future__ import annotations

import pytest

from cockpit.config.problems import Problem, did_you_mean, dotted, echo, kind_of, summary


def test_problem_with_key_path_and_hint() -> None:
    problem = Problem("c.yaml", 3, 7, "sources.gh.token", "inline secret", "use {env: VAR}")
    assert str(problem) == "c.yaml:3:7: sources.gh.token: inline secret (use {env: VAR})"


def test_problem_without_hint_has_no_parentheses() -> None:
    problem = Problem("c.yaml", 1, 2, "environment", "expected text, got a list")
    assert str(problem) == "c.yaml:1:2: environment: expected text, got a list"


def test_file_level_problem_has_no_key_path() -> None:
    assert str(Problem("c.yaml", 1, 1, "", "file not found")) == "c.yaml:1:1: file not found"


def test_problem_text_never_carries_terminal_escapes() -> None:
    problem = Problem("c.yaml", 1, 1, "a", "unknown key `\x1b]0;pwned\x07x`")
    assert "\x1b" not in str(problem)
    assert "\x07" not in str(problem)


def test_problems_sort_by_file_then_position() -> None:
    late = Problem("a.yaml", 9, 1, "", "late")
    early = Problem("a.yaml", 2, 5, "", "early")
    other = Problem("b.yaml", 1, 1, "", "other")
    assert sorted([other, late, early]) == [early, late, other]


@pytest.mark.parametrize(
    ("counts", "expected"),
    [
        (["a"], "1 problem in 1 file"),
        (["a", "a", "b"], "3 problems in 2 files"),
    ],
)
def test_summary_counts_problems_and_files(counts: list[str], expected: str) -> None:
    problems = [Problem(f, 1, 1, "", "x") for f in counts]
    assert summary(problems) == expected


def test_dotted_key_paths_keep_list_indexes() -> None:
    assert dotted(("services", 0, "ci", "repo")) == "services.0.ci.repo"


def test_did_you_mean_finds_typos_and_not_strangers() -> None:
    assert did_you_mean("intervl", ["interval", "timeout"]) == "interval"
    assert did_you_mean("zzz", ["interval", "timeout"]) == ""


def test_echo_quotes_identifiers_but_not_free_text() -> None:
    assert echo("githb") == "githb"
    assert echo("a value with `backticks`") is None
    assert echo("x" * 41) is None
    assert echo(["list"]) is None


def test_kind_of_describes_without_quoting() -> None:
    assert kind_of("s3cret") == "text"
    assert kind_of([1]) == "a list"
    assert kind_of(None) == "nothing (null)"
    assert kind_of({"a": 1}) == "a mapping with keys `a`"
