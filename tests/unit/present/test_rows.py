"""Readiness, Rollout, Logs and header text: honest about what is not known or not configured."""

from __future__ import annotations

from datetime import UTC, datetime

from cockpit.config.models import Config
from cockpit.models import Freshness, SourceStatus
from cockpit.present.config_rows import log_row, log_spec_label, rollout_row
from cockpit.present.header import environment_label, release_label
from cockpit.present.readiness import gate_label, unevaluated_gate_row, verdict_text
from cockpit.present.tone import NO_PALETTE

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


def test_gates_are_unknown_and_not_evaluated(config: Config) -> None:
    rows = [unevaluated_gate_row(g, NO_PALETTE).plain for g in config.gates]
    assert rows[0] == "? unknown  ci_green checkout  not evaluated yet"
    assert rows[4] == "? unknown  ticket_linked  not evaluated yet"
    assert rows[7] == "? unknown  Support team informed  not evaluated yet"
    assert all(row.startswith("? unknown") for row in rows)
    assert not any("pass" in row or "✔" in row for row in rows)


def test_gate_title_is_sanitised() -> None:
    config = Config.model_validate({"gates": [{"kind": "manual", "title": "ok\x1b[2J go"}]})
    assert gate_label(config.gates[0]) == "ok go"


def test_verdict_is_unknown() -> None:
    assert verdict_text(9, NO_PALETTE).plain == "verdict ? UNKNOWN  0 of 9 gates evaluated"
    assert verdict_text(1, NO_PALETTE).plain.endswith("0 of 1 gate evaluated")
    assert verdict_text(0, NO_PALETTE).plain.endswith("no gates configured")


def test_rollout_row_splits_rather_than_wraps_mid_phrase(config: Config) -> None:
    service = config.services[0]
    status = SourceStatus("k8s", "kubernetes", Freshness.UNKNOWN)
    one_line = rollout_row(service, status, NOW, NO_PALETTE).plain
    assert one_line == "checkout  argo-rollout shop/checkout  k8s ? unknown: no data yet"
    two_lines = rollout_row(service, status, NOW, NO_PALETTE, width=50).plain
    assert two_lines.split("\n") == [
        "checkout  argo-rollout shop/checkout",
        "    k8s ? unknown: no data yet",
    ]


def test_log_rows(config: Config) -> None:
    service = config.services[0]
    assert [log_spec_label(spec) for spec in service.logs] == [
        ("loki", '{app="checkout"}'),
        ("file", "/var/log/checkout/app.log"),
        ("command", "kubectl logs -f deploy/checkout -n shop"),
    ]
    assert log_row(service, service.logs[1], NO_PALETTE).plain == (
        "checkout  file  /var/log/checkout/app.log"
    )


def test_production_is_spelled_out_in_capitals() -> None:
    assert environment_label(Config(environment="production")) == "PRODUCTION"
    assert environment_label(Config(environment=" Prod ")) == "PRODUCTION"
    assert environment_label(Config(environment="staging")) == "staging"


def test_release_label(config: Config) -> None:
    assert release_label(config) == "checkout 2.14.0 @ v2.14.0"
    assert release_label(Config()) == "no release set"
    only_ref = Config.model_validate({"release": {"ref": "v1\x1b[31m"}})
    assert release_label(only_ref) == "v1"
