"""Rollout, Logs and header text: honest about what is not known or not configured.

Readiness rows are tested in `test_readiness.py`.
"""

from __future__ import annotations

from datetime import UTC, datetime

from cockpit.config.models import Config
from cockpit.models import Freshness, SourceStatus
from cockpit.present.config_rows import log_row, log_spec_label, rollout_row
from cockpit.present.header import environment_label, release_label
from cockpit.present.tone import NO_PALETTE

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


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
