"""`cockpit validate` checks what gates point at: matcher syntax and freeze calendar files."""

from __future__ import annotations

from pathlib import Path

import pytest

from cockpit.config.loader import check_config_text

HEAD = 'sources:\n  am: {kind: alertmanager, url: "http://127.0.0.1:9093"}\ngates:\n'


def test_a_bad_matcher_is_located_at_the_matcher() -> None:
    text = HEAD + '  - {kind: alerts_quiet, source: am, matchers: [\'service="a"\', "x==y"]}\n'
    config, problems = check_config_text(text, "c.yaml")
    assert config is None
    (problem,) = problems
    assert (problem.line, problem.key_path) == (4, "gates.0.matchers.1")
    assert "'==' is not an operator" in problem.message


def test_a_missing_calendar_names_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    _, problems = check_config_text(
        HEAD + "  - {kind: freeze_window, calendar: freeze.yaml}\n", "c.yaml"
    )
    (problem,) = problems
    assert problem.key_path == "gates.0.calendar"
    assert str(tmp_path / "freeze.yaml") in problem.message


def test_calendar_problems_are_reported_in_the_calendar_at_their_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "freeze.yaml").write_text(
        "timezone: Europe/Berlin\nwindows:\n"
        "  - name: Weekly\n    start: 2026-01-02 16:00\n    rrule: FREQ=WEEKLYY\n"
        "    duration: 64h\n"
    )
    config, problems = check_config_text(
        HEAD + "  - {kind: freeze_window, calendar: freeze.yaml}\n", "c.yaml"
    )
    assert config is None
    (problem,) = problems
    assert problem.file.endswith("freeze.yaml")
    assert problem.line == 5
    assert "rrule" in problem.key_path


def test_a_good_calendar_and_matchers_load(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "freeze.yaml").write_text(
        "timezone: UTC\nwindows:\n  - name: X\n    start: 2026-01-01 00:00\n"
        "    end: 2026-01-02 00:00\n"
    )
    text = (
        HEAD
        + "  - {kind: alerts_quiet, source: am, matchers: ['severity=~\"critical|page\"']}\n"
        + "  - {kind: freeze_window, calendar: freeze.yaml}\n"
    )
    config, problems = check_config_text(text, "c.yaml")
    assert problems == []
    assert config is not None and len(config.gates) == 2


def test_a_broken_triage_rule_file_is_located_at_its_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "rules.yaml").write_text("rules:\n  - id: x\n    class: nonsense\n")
    config, problems = check_config_text("triage:\n  rules: rules.yaml\n", "c.yaml")
    assert config is None
    (problem,) = problems
    assert (problem.line, problem.key_path) == (2, "triage.rules")
    assert "rules.yaml" in problem.message


def test_a_good_triage_rule_file_reaches_the_adapters(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cockpit.sources.factory import triage_rules

    monkeypatch.chdir(tmp_path)
    (tmp_path / "rules.yaml").write_text(
        "rules:\n  - id: our-vault-outage\n    class: infra\n    patterns: ['vault sealed']\n"
    )
    config, problems = check_config_text("triage:\n  rules: rules.yaml\n", "c.yaml")
    assert problems == [] and config is not None
    assert "our-vault-outage" in {rule.id for rule in triage_rules(config).rules}
