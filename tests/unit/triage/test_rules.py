"""The rule file: strict validation with located errors, and the user-over-defaults merge."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from cockpit.errors import ConfigError
from cockpit.triage import (
    CLASSES,
    DEFAULT_RULES_PATH,
    RULE_CLASSES,
    classify,
    default_ruleset,
    load_ruleset,
    parse_rule_file,
)

KNOWN_FLAKY_LOG = (
    '    @pytest.mark.flaky(reason="known flaky: clock skew")\n'
    "E       assert None is not None\n"
    "FAILED tests/test_q.py::test_requeue - assert None is not None\n"
    "1 failed, 14 passed in 3.20s\n"
)


def write(tmp_path: Path, text: str, name: str = "user-rules.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def problems_of(excinfo: pytest.ExceptionInfo[ConfigError]) -> list[str]:
    return excinfo.value.problems


def test_the_default_rule_file_loads_and_is_complete() -> None:
    rules = default_ruleset()
    assert DEFAULT_RULES_PATH.name == "triage-rules.yaml"
    assert DEFAULT_RULES_PATH.parent.name == "config"
    assert {rule.failure_class for rule in rules.rules} == set(RULE_CLASSES)
    assert set(rules.actions) == set(CLASSES)
    assert rules.actions["infra"] == "infra: re-run"
    ids = [rule.id for rule in rules.rules]
    assert len(ids) == len(set(ids))
    assert rules.test_names


# ------------------------------------------------------------------------------------ merging


def test_a_user_rule_with_a_new_id_extends_the_defaults(tmp_path: Path) -> None:
    user = write(
        tmp_path,
        """\
        rules:
          - id: acme-license-server
            class: infra
            weight: 9
            action: "infra: page the build team, then re-run"
            patterns: ['FLEXlm license checkout failed']
        """,
    )
    rules = load_ruleset(user)
    assert rules.rules[-1].id == "acme-license-server"
    assert len(rules.rules) == len(default_ruleset().rules) + 1
    triage = classify("Error: FLEXlm license checkout failed (-15)\nexit 1\n", rules=rules)
    assert triage.failure_class == "infra"
    assert triage.action == "infra: page the build team, then re-run"
    assert triage.evidence == ("Error: FLEXlm license checkout failed (-15)",)
    assert rules.sources == (str(DEFAULT_RULES_PATH), str(user))


def test_a_user_rule_with_an_existing_id_replaces_it_in_place(tmp_path: Path) -> None:
    user = write(
        tmp_path,
        """\
        rules:
          - id: disk-full
            class: infra
            weight: 9
            action: "infra: prune the Docker cache on {rule}, then re-run"
            patterns: ['No space left on device']
        """,
    )
    defaults = [rule.id for rule in default_ruleset().rules]
    rules = load_ruleset(user)
    assert [rule.id for rule in rules.rules] == defaults
    triage = classify("write /var/lib/docker: No space left on device\n", rules=rules)
    assert triage.action == "infra: prune the Docker cache on disk-full, then re-run"


def test_disable_removes_default_rules(tmp_path: Path) -> None:
    assert classify(KNOWN_FLAKY_LOG).failure_class == "flaky"
    user = write(tmp_path, "disable: [flaky-marker]\n")
    rules = load_ruleset(user)
    assert "flaky-marker" not in {rule.id for rule in rules.rules}
    assert classify(KNOWN_FLAKY_LOG, rules=rules).failure_class == "code"


def test_replace_defaults_starts_from_nothing_but_keeps_default_scoring(tmp_path: Path) -> None:
    user = write(
        tmp_path,
        """\
        replace_defaults: true
        rules:
          - {id: only, class: permission, patterns: ['ACCESS_DENIED'], weight: 5}
        """,
    )
    rules = load_ruleset(user)
    assert [rule.id for rule in rules.rules] == ["only"]
    assert rules.test_names == ()
    assert rules.scoring == default_ruleset().scoring
    assert classify("FAILED tests/t.py::test_x - assert 1 == 2\n", rules=rules).failure_class == (
        "unknown"
    )
    assert rules.action_template("permission") == "permission: read the evidence"


def test_actions_and_scoring_override_only_what_they_name(tmp_path: Path) -> None:
    user = write(
        tmp_path,
        """\
        actions:
          infra: "infra: re-run on the large runners"
        scoring:
          max_evidence: 2
        test_names: ['^NOT OK \\d+ - (?P<test>.+)$']
        """,
    )
    rules = load_ruleset(user)
    assert rules.actions["infra"] == "infra: re-run on the large runners"
    assert rules.actions["code"] == default_ruleset().actions["code"]
    assert rules.scoring.max_evidence == 2
    assert rules.scoring.min_score == default_ruleset().scoring.min_score
    assert len(rules.test_names) == len(default_ruleset().test_names) + 1


# ---------------------------------------------------------------------------- located errors


def test_a_bad_regex_names_the_rule_index_and_its_location(tmp_path: Path) -> None:
    user = write(
        tmp_path,
        """\
        rules:
          - id: fine
            class: code
            patterns: ['error TS\\d+']
          - id: broken
            class: infra
            patterns:
              - 'ok'
              - 'unbalanced (group'
        """,
    )
    with pytest.raises(ConfigError) as excinfo:
        load_ruleset(user)
    (problem,) = problems_of(excinfo)
    assert problem.startswith(f"{user}:9:")
    assert "rules.1.patterns.1" in problem
    assert "rule #1 ('broken')" in problem
    assert "bad regular expression: missing ), unterminated subpattern" in problem


def test_an_unknown_key_is_located_at_the_key_with_the_known_keys_as_hint(tmp_path: Path) -> None:
    user = write(
        tmp_path,
        """\
        rules:
          - id: typo
            class: code
            patern: ['x']
        """,
    )
    with pytest.raises(ConfigError) as excinfo:
        load_ruleset(user)
    missing, unknown = problems_of(excinfo)  # sorted by position
    assert unknown.startswith(f"{user}:4:5: rules.0.patern: rule #0 ('typo'): unknown key 'patern'")
    assert "(known keys: id, class, patterns, weight" in unknown
    assert missing.startswith(f"{user}:2:5: rules.0.patterns: rule #0 ('typo'): missing required")


def test_an_unknown_class_and_a_bad_template_are_reported_together(tmp_path: Path) -> None:
    user = write(
        tmp_path,
        """\
        actions:
          infra: "infra: re-run {runner}"
        rules:
          - id: a
            class: network
            patterns: ['x']
          - id: b
            class: code
            action: "code: ask {owner}"
            patterns: ['(?P<file>\\S+):\\d+']
        """,
    )
    with pytest.raises(ConfigError) as excinfo:
        load_ruleset(user)
    found = problems_of(excinfo)
    assert len(found) == 3
    joined = "\n".join(found)
    assert f"{user}:2:10: actions.infra: action template uses unknown field(s) ['runner']" in joined
    assert f"{user}:5:12: rules.0.class: rule #0 ('a'): Input should be 'code'" in joined
    assert "rules.1: rule #1 ('b'): action uses ['owner']" in joined
    assert "2 files" not in str(excinfo.value) and "3 problems in 1 file" in str(excinfo.value)


def test_a_named_group_of_every_pattern_may_be_used_in_the_action() -> None:
    rule_file = parse_rule_file(
        "rules:\n"
        "  - id: g\n"
        "    class: code\n"
        "    action: 'code: fix {file}'\n"
        "    patterns: ['(?P<file>\\S+\\.kt):\\d+', 'in (?P<file>\\S+\\.kts)']\n",
        "inline.yaml",
    )
    assert rule_file.spec.rules[0].action == "code: fix {file}"


def test_duplicate_ids_and_disabling_a_missing_rule_are_errors(tmp_path: Path) -> None:
    dupes = write(
        tmp_path,
        """\
        rules:
          - {id: same, class: code, patterns: ['a']}
          - {id: same, class: code, patterns: ['b']}
        """,
        "dupes.yaml",
    )
    with pytest.raises(ConfigError) as excinfo:
        load_ruleset(dupes)
    assert problems_of(excinfo) == [
        f"{dupes}:3:10: rules.1.id: rule #1 repeats id 'same' of rule #0 "
        "(ids must be unique within a file)"
    ]

    missing = write(tmp_path, "disable: [disk-full, disk-ful]\n", "missing.yaml")
    with pytest.raises(ConfigError) as excinfo:
        load_ruleset(missing)
    assert problems_of(excinfo) == [
        f"{missing}:1:22: disable.1: there is no rule 'disk-ful' to disable "
        "(check the id against the default rule file)"
    ]


def test_test_name_patterns_need_a_test_group(tmp_path: Path) -> None:
    user = write(tmp_path, "test_names: ['^FAIL (\\S+)']\n")
    with pytest.raises(ConfigError) as excinfo:
        load_ruleset(user)
    assert "test_names.0: a test-name pattern needs a named group" in problems_of(excinfo)[0]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("rules:\n  - id: x\n    class: [code\n", ":4:1: not valid YAML"),
        ("- just\n- a list\n", ":1:1: a rule file is a mapping"),
        ("version: 2\n", ":1:10: version: Input should be 1"),
        (
            "rules:\n  - {id: Bad Id, class: code, patterns: [x]}\n",
            "rules.0.id: rule #0 ('Bad Id')",
        ),
        ("rules:\n  - {id: w, class: code, patterns: [x], weight: 0}\n", "rules.0.weight"),
        ("rules:\n  - {id: e, class: code, patterns: []}\n", "rules.0.patterns"),
        ("actions: {code: 'code: {'}\n", "actions.code: bad action template"),
        ("scoring: {recency_floor: 2}\n", "scoring.recency_floor"),
    ],
)
def test_other_invalid_files_give_located_problems(
    tmp_path: Path, text: str, expected: str
) -> None:
    user = write(tmp_path, text)
    with pytest.raises(ConfigError) as excinfo:
        load_ruleset(user)
    assert any(p.startswith(str(user)) and expected in p for p in problems_of(excinfo)), (
        problems_of(excinfo)
    )


def test_a_missing_rule_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read the rule file"):
        load_ruleset(tmp_path / "nope.yaml")
