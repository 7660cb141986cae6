"""Cross-references: names that must exist and kinds that must fit, each located."""

from __future__ import annotations

import pytest

from .conftest import lines_of, problems_of

SOURCES = """\
sources:
  gh: {kind: github, url: https://api.github.com}
  gl: {kind: gitlab, url: https://gitlab.example.com}
  jk: {kind: jenkins, url: https://jenkins.example.com}
  registry: {kind: oci-registry, url: https://ghcr.io}
  prom: {kind: prometheus, url: http://127.0.0.1:9090}
  am: {kind: alertmanager, url: http://127.0.0.1:9093}
  k8s: {kind: kubernetes}
  loki: {kind: loki, url: http://127.0.0.1:3100}
"""  # 9 lines: the services below start at line 10


def services(*lines: str) -> str:
    return SOURCES + "services:\n" + "".join(f"{line}\n" for line in lines)


def test_a_clean_cross_referenced_config_passes() -> None:
    text = services(
        "  - name: a",
        "    ci: {source: gh, repo: acme/a}",
        "    artifact: {source: registry, image: acme/a}",
        "    rollout: {source: k8s, name: a}",
        "    logs: [{source: loki, query: '{app=\"a\"}'}]",
        "  - name: b",
        "    ci: {source: gl, project: acme/b}",
        "  - name: c",
        "    ci: {source: jk, job: c/main}",
    )
    text += "gates:\n  - {kind: error_budget, source: prom, query: q, min: 0, max: 1}\n"
    text += "  - {kind: alerts_quiet, source: am}\n  - {kind: artifact_signed, service: a}\n"
    assert problems_of(text) == []


def test_duplicate_service_names() -> None:
    text = services("  - name: a", "  - name: b", "  - name: a")
    assert lines_of(text) == [
        "c.yaml:13:11: services.2.name: duplicate service name `a` "
        "(the first is at line 11; service names must be unique)"
    ]


def test_undefined_source_lists_the_defined_ones() -> None:
    [line] = lines_of(services("  - name: a", "    ci: {source: gh2, repo: acme/a}"))
    assert line == (
        "c.yaml:12:18: services.0.ci.source: source `gh2` is not defined in `sources` "
        "(did you mean `gh`? defined sources: gh, gl, jk, registry, prom, am, k8s, loki)"
    )


def test_undefined_source_when_there_are_no_sources() -> None:
    assert lines_of("services:\n  - name: a\n    ci: {source: gh, repo: a/b}\n") == [
        "c.yaml:3:18: services.0.ci.source: source `gh` is not defined in `sources` "
        "(add it under `sources`)"
    ]


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (
            "    ci: {source: prom, repo: acme/a}",
            "c.yaml:12:18: services.0.ci.source: ci needs a github, gitlab or jenkins source; "
            "`prom` is a prometheus source (`gh`, `gl` or `jk` would fit)",
        ),
        (
            "    artifact: {source: gh, image: acme/a}",
            "c.yaml:12:24: services.0.artifact.source: artifact needs an oci-registry source; "
            "`gh` is a github source (`registry` would fit)",
        ),
        (
            "    rollout: {source: gh, name: a}",
            "c.yaml:12:23: services.0.rollout.source: rollout needs a kubernetes source; "
            "`gh` is a github source (`k8s` would fit)",
        ),
        (
            "    logs: [{source: prom, query: up}]",
            "c.yaml:12:21: services.0.logs.0.source: a source log needs a loki source; "
            "`prom` is a prometheus source (`loki` would fit)",
        ),
    ],
)
def test_wrong_kind_of_source_for_the_use(line: str, expected: str) -> None:
    assert lines_of(services("  - name: a", line)) == [expected]


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (
            "    ci: {source: gl, repo: acme/a}",
            "c.yaml:12:22: services.0.ci.repo: `repo` is for GitHub sources; "
            "`gl` is a gitlab source (use `project` with a gitlab source)",
        ),
        (
            "    ci: {source: gh, project: acme/a}",
            "c.yaml:12:22: services.0.ci.project: `project` is for GitLab sources; "
            "`gh` is a github source (use `repo` with a github source)",
        ),
        (
            "    ci: {source: gl, job: a/main}",
            "c.yaml:12:22: services.0.ci.job: `job` is for Jenkins sources; "
            "`gl` is a gitlab source (use `project` with a gitlab source)",
        ),
    ],
)
def test_ci_target_field_must_fit_the_source_kind(line: str, expected: str) -> None:
    assert lines_of(services("  - name: a", line)) == [expected]


def gates(*lines: str) -> str:
    head = services("  - name: a", "    ci: {source: gh, repo: acme/a}")  # gates at line 14
    return head + "gates:\n" + "".join(f"{line}\n" for line in lines)


def test_gate_naming_an_undefined_service() -> None:
    assert lines_of(gates("  - {kind: approvals, service: b}")) == [
        "c.yaml:14:32: gates.0.service: service `b` is not defined (defined services: a)"
    ]


def test_gate_that_can_never_pass_because_the_service_lacks_the_part() -> None:
    assert lines_of(gates("  - {kind: artifact_present, service: a}")) == [
        "c.yaml:14:39: gates.0.service: service `a` has no `artifact`, so this gate can never "
        "pass (add `artifact:` to the service, or remove the gate)"
    ]


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (
            "  - {kind: error_budget, source: am, query: q, max: 1}",
            "c.yaml:14:34: gates.0.source: error_budget needs a prometheus source; "
            "`am` is an alertmanager source (`prom` would fit)",
        ),
        (
            "  - {kind: alerts_quiet, source: prom}",
            "c.yaml:14:34: gates.0.source: alerts_quiet needs an alertmanager source; "
            "`prom` is a prometheus source (`am` would fit)",
        ),
        (
            "  - {kind: alerts_quiet, source: nope}",
            "c.yaml:14:34: gates.0.source: source `nope` is not defined in `sources` "
            "(defined sources: gh, gl, jk, registry, prom, am, k8s, loki)",
        ),
    ],
)
def test_gate_sources_must_exist_and_fit(line: str, expected: str) -> None:
    assert lines_of(gates(line)) == [expected]


def test_gate_pattern_must_be_a_regex() -> None:
    assert lines_of(gates("  - {kind: ticket_linked, pattern: '[A-Z'}")) == [
        "c.yaml:14:36: gates.0.pattern: not a valid regular expression: "
        "unterminated character set at position 0"
    ]


def test_error_budget_min_above_max() -> None:
    assert lines_of(
        gates("  - {kind: error_budget, source: prom, query: q, min: 5, max: 1.5}")
    ) == [
        "c.yaml:14:50: gates.0.min: `min` (5) is greater than `max` (1.5): nothing can pass "
        "(swap them or fix one)"
    ]


def test_cross_references_are_checked_even_when_other_parts_are_wrong() -> None:
    text = gates("  - {kind: ci_green, service: zz}")
    text = text.replace("name: a\n", "name: a\n    metrics: 7\n")  # a schema error elsewhere
    lines = lines_of(text)
    assert len(lines) == 2
    assert "metrics: expected a list, got a number" in lines[0]
    assert "service `zz` is not defined" in lines[1]
