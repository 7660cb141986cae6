"""Model errors rewritten into plain English and located at the right key or value."""

from __future__ import annotations

import re

import pytest

from cockpit.config.problems import INLINE_SECRET, INLINE_SECRET_HINT

from .conftest import FIXTURES, lines_of, problems_of

GH = "sources:\n  gh: {kind: github, url: https://api.github.com}\n"


def test_five_mistakes_give_five_located_problems() -> None:
    path = FIXTURES / "five_mistakes.yaml"
    lines = lines_of(path.read_text(), "five.yaml")
    assert lines == [
        f"five.yaml:7:12: sources.gh.token: {INLINE_SECRET} ({INLINE_SECRET_HINT})",
        "five.yaml:8:5: sources.gh.intervl: unknown key `intervl` (did you mean `interval`?)",
        "five.yaml:12:23: services.0.rollout.source: rollout needs a kubernetes source; "
        "`gh` is a github source",
        "five.yaml:14:31: gates.0.service: service `checkuot` is not defined "
        "(did you mean `checkout`? defined services: checkout)",
        "five.yaml:15:47: gates.1.min: expected a whole number, got text",
    ]


def test_unknown_key_without_a_close_match_lists_the_allowed_keys() -> None:
    assert lines_of("release:\n  name: x\n  bogus: 1\n") == [
        "c.yaml:3:3: release.bogus: unknown key `bogus` (allowed keys: name, ref, repo)"
    ]


def test_unknown_top_level_key_is_located_at_the_key() -> None:
    assert lines_of("environment: x\ngatse: []\n") == [
        "c.yaml:2:1: gatse: unknown key `gatse` (did you mean `gates`?)"
    ]


def test_a_typo_of_a_required_key_is_one_problem_not_two() -> None:
    text = GH + "services:\n  - name: a\n    ci: {source: gh, repo: a/b}\n"
    text += "gates:\n  - {kind: ci_green, servce: a}\n"
    assert lines_of(text) == [
        "c.yaml:7:22: gates.0.servce: unknown key `servce` (did you mean `service`?)"
    ]


def test_a_missing_key_points_at_its_parent() -> None:
    assert lines_of("sources:\n  prom:\n    kind: prometheus\n") == [
        "c.yaml:2:3: sources.prom: a prometheus source needs `url` (the base URL of its API)"
    ]
    assert lines_of("services:\n  - {ci: null}\n") == [
        "c.yaml:2:5: services.0.name: missing required key `name`"
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("environment: [a]\n", "c.yaml:1:14: environment: expected text, got a list"),
        (
            "read_only: maybe\n",
            "c.yaml:1:12: read_only: expected true or false, got text",
        ),
        ("runbooks: x.yaml\n", "c.yaml:1:11: runbooks: expected a list, got text"),
        (
            "release: 5\n",
            "c.yaml:1:10: release: expected a mapping with keys `name`, `ref`, `repo`, "
            "got a number",
        ),
        (
            "release: {ref: 2.14}\n",
            "c.yaml:1:16: release.ref: expected text, got a number "
            "(YAML read this as a number, date or true/false: put it in quotes)",
        ),
        (
            "release: {ref: 2024-06-01}\n",
            "c.yaml:1:16: release.ref: expected text, got a date "
            "(YAML read this as a number, date or true/false: put it in quotes)",
        ),
    ],
)
def test_wrong_types_in_plain_english(text: str, expected: str) -> None:
    assert lines_of(text) == [expected]


def test_an_unquoted_template_gets_a_quoting_hint() -> None:
    text = "services:\n  - name: a\n    artifact: {source: r, image: a, tag: {release.ref}}\n"
    [problem] = problems_of(text)
    assert (problem.line, problem.col, problem.key_path) == (3, 42, "services.0.artifact.tag")
    assert '"{release.ref}"' in problem.hint


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("15x", "'15x' is not a duration (use forms like 500ms, 15s, 2m, 1h, 1m30s)"),
        ("-3", "a duration cannot be negative"),
        ("true", "expected a duration like 15s, got a boolean"),
    ],
)
def test_bad_durations(value: str, message: str) -> None:
    text = f"sources:\n  prom: {{kind: prometheus, url: http://p, interval: {value}}}\n"
    assert lines_of(text) == [f"c.yaml:2:53: sources.prom.interval: {message}"]


def test_a_zero_interval_is_located_at_the_interval() -> None:
    text = "sources:\n  prom:\n    kind: prometheus\n    url: http://p\n    interval: 0s\n"
    assert lines_of(text) == ["c.yaml:5:15: sources.prom.interval: interval must be positive"]


def test_unknown_source_kind_suggests_and_lists() -> None:
    [problem] = problems_of("sources:\n  gh: {kind: githb, url: https://x}\n")
    assert (problem.line, problem.col, problem.key_path) == (2, 14, "sources.gh.kind")
    assert problem.message.startswith("unknown source kind `githb`: use one of github, gitlab,")
    assert problem.hint == "did you mean `github`?"


def test_unknown_gate_kind_is_one_message_listing_the_valid_kinds() -> None:
    assert lines_of("gates:\n  - {kind: green, service: a}\n") == [
        "c.yaml:2:12: gates.0.kind: unknown gate kind `green`: use one of ci_green, "
        "artifact_present, artifact_signed, approvals, ticket_linked, freeze_window, "
        "error_budget, alerts_quiet, manual, command (did you mean `ci_green`?)"
    ]


def test_a_gate_without_kind() -> None:
    [problem] = problems_of("gates:\n  - {service: a}\n")
    assert (problem.line, problem.col, problem.key_path) == (2, 5, "gates.0")
    assert problem.message.startswith("missing `kind`: use one of ci_green, ")


def test_a_gate_written_as_a_word() -> None:
    assert lines_of("gates:\n  - ci_green\n") == [
        "c.yaml:2:5: gates.0: expected a mapping such as {kind: ci_green, ...}, got text"
    ]


def test_gate_field_errors_are_located_inside_the_gate() -> None:
    text = "gates:\n  - {kind: command, title: Smoke, run: ./smoke.sh, timeout: 2x}\n"
    assert lines_of(text) == [
        "c.yaml:2:40: gates.0.run: expected a list, got text",
        "c.yaml:2:61: gates.0.timeout: '2x' is not a duration "
        "(use forms like 500ms, 15s, 2m, 1h, 1m30s)",
    ]


def test_an_error_budget_without_bounds() -> None:
    text = "gates:\n  - {kind: error_budget, source: p, query: q}\n"
    assert lines_of(text) == [
        "c.yaml:2:5: gates.0: give `max` or `min` (the bound the value must respect)"
    ]


def test_logs_pick_the_alternative_the_user_meant() -> None:
    text = (
        "services:\n  - name: a\n    logs:\n"
        "      - {source: loki, qurey: x}\n"
        "      - /var/log/a.log\n"
        "      - {command: []}\n"
    )
    assert lines_of(text) == [
        "c.yaml:4:24: services.0.logs.0.qurey: unknown key `qurey` (did you mean `query`?)",
        "c.yaml:5:9: services.0.logs.1: expected a log: {source: NAME, query: QUERY}, "
        "{file: PATH} or {command: [PROGRAM, ARG, ...]}, got text",
        "c.yaml:6:19: services.0.logs.2.command: needs at least 1 item",
    ]


def test_pattern_errors_say_what_form_is_expected() -> None:
    text = "services:\n  - name: a\n    ci: {source: gh, repo: 'not a repo'}\n"
    assert lines_of(text) == [
        "c.yaml:3:28: services.0.ci.repo: "
        "expected a GitHub repository as OWNER/NAME, such as acme/checkout"
    ]


def test_bounds_in_plain_english() -> None:
    text = "gates:\n  - {kind: approvals, service: a, min: 0}\n"
    [problem] = problems_of(text)
    assert problem.message == "must be at least 1"


def test_an_empty_name() -> None:
    assert lines_of("services:\n  - name: ''\n") == [
        "c.yaml:2:11: services.0.name: must not be empty"
    ]


# -- secrets -------------------------------------------------------------------------------------

SECRET = "ghp_DoNotPrintMe123"


@pytest.mark.parametrize(
    "token",
    [
        SECRET,
        f'"{SECRET}"',
        "12345678",
    ],
)
def test_an_inline_secret_is_one_problem(token: str) -> None:
    text = f"sources:\n  gh:\n    kind: github\n    url: https://x\n    token: {token}\n"
    assert lines_of(text) == [
        f"c.yaml:5:12: sources.gh.token: {INLINE_SECRET} ({INLINE_SECRET_HINT})"
    ]


def test_an_inline_jenkins_user_is_an_inline_secret_too() -> None:
    text = "sources:\n  jk: {kind: jenkins, url: https://j, user: admin, token: {env: T}}\n"
    [problem] = problems_of(text)
    assert (problem.key_path, problem.message) == ("sources.jk.user", INLINE_SECRET)


@pytest.mark.parametrize(
    ("token", "expected"),
    [
        (
            f"{{keyring: {SECRET}}}",
            "sources.gh.token.keyring: expected SERVICE/NAME, such as cockpit/gh",
        ),
        (
            f"{{env: {SECRET}-x}}",
            "sources.gh.token.env: expected an environment variable name (letters, digits and _)",
        ),
        (
            f"{{keyrng: cockpit/{SECRET}}}",
            "sources.gh.token.keyrng: unknown key `keyrng` (did you mean `keyring`?)",
        ),
        (
            f"{{keyring: cockpit/gh, env: {SECRET}}}",
            "sources.gh.token: expected a secret reference: {keyring: cockpit/NAME} or "
            "{env: VAR}, got a mapping with keys `keyring`, `env`",
        ),
        (
            f"[{SECRET}]",
            "sources.gh.token: expected a secret reference: {keyring: cockpit/NAME} or "
            "{env: VAR}, got a list",
        ),
    ],
)
def test_bad_secret_references_never_echo_the_value(token: str, expected: str) -> None:
    text = f"sources:\n  gh: {{kind: github, url: https://x, token: {token}}}\n"
    [line] = lines_of(text)
    assert expected in line
    assert SECRET not in line


@pytest.mark.parametrize(
    ("token", "key_path"),
    [
        ("{ghp_abcdefghijklmnopqrstuvwxyz0123}", "sources.gh.token"),  # YAML: {token: null}
        ("{env: ghp_abcdefghijklmnopqrstuvwxyz0123}", "sources.gh.token.env"),
        ("{keyring: cockpit/glpat-abcdefghij}", "sources.gh.token.keyring"),
    ],
)
def test_a_token_pasted_into_a_reference_is_an_inline_secret(token: str, key_path: str) -> None:
    text = f"sources:\n  gh: {{kind: github, url: https://x, token: {token}}}\n"
    [problem] = problems_of(text)
    assert (problem.key_path, problem.message) == (key_path, INLINE_SECRET)
    assert "abcdef" not in str(problem)


def test_unknown_keys_in_a_secret_reference_are_not_quoted() -> None:
    text = "sources:\n  gh: {kind: github, url: https://x, token: {keyring: cockpit/gh, s3: x}}\n"
    assert lines_of(text) == [
        "c.yaml:2:45: sources.gh.token: expected a secret reference: {keyring: cockpit/NAME} "
        "or {env: VAR}, got a mapping with other keys"
    ]


def test_secret_references_that_are_right_pass() -> None:
    text = (
        "sources:\n"
        "  gh: {kind: github, url: https://x, token: {keyring: cockpit/gh}}\n"
        "  jk: {kind: jenkins, url: https://j, user: {env: JK_USER}, token: {env: JK_TOKEN}}\n"
    )
    assert problems_of(text) == []


def test_no_pydantic_wording_leaks_into_any_message() -> None:
    text = (
        "environment: [a]\nread_only: maybe\nrelease: 5\njournal: {a: 1}\n"
        "sources:\n"
        "  a: {kind: nope, url: 1}\n"
        "  b: {kind: github, url: https://x, token: [1], timeout: x}\n"
        "  c: 7\n"
        "services:\n  - 5\n  - {name: s, logs: [7], metrics: [{name: m}]}\n"
        "gates:\n  - 3\n  - {kind: x}\n  - {kind: approvals, service: s, min: 1.5}\n"
    )
    lines = lines_of(text)
    assert len(lines) >= 12
    for line in lines:
        for leak in ("Input should", "instance of", "KeyringRef", "EnvRef", "pydantic", "http"):
            assert leak not in line, line
        assert re.match(r"^c\.yaml:\d+:\d+: \S", line), line
