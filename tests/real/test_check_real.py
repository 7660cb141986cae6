"""`cockpit check --json` against a real registry, Prometheus and Alertmanager on loopback.

The fixtures dictate the verdicts: a signed image and an unsigned one, a multi-arch index, burn
rates of 0.4 (checkout) and 2.5 (payments) in Prometheus' backfilled history, a firing critical
alert on checkout and a silenced one on payments. The query time is the history's (injected).
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from cockpit.clock import FakeClock
from cockpit.commands.check import cmd_check
from tests.real.alertmanager_server import FIRING, SILENCED, AlertmanagerServer, alertmanager
from tests.real.prometheus_server import QUERY_TIME, PrometheusServer, prometheus
from tests.real.registry_server import (
    RegistryServer,
    push_cosign_signature,
    push_image,
    push_index,
    registry_server,
)

pytestmark = pytest.mark.real
__all__ = ["alertmanager", "prometheus", "registry_server"]  # fixtures, for pytest


@pytest.fixture(scope="module")
def pushed(registry_server: RegistryServer) -> dict[str, str]:
    """Digests of what the registry holds: a signed and an unsigned image, and an index."""
    with httpx.Client(timeout=10) as client:
        url = registry_server.url
        checkout, _ = push_image(client, url, "acme/checkout", "v2.14.0")
        push_cosign_signature(client, url, "acme/checkout", checkout)
        payments, _ = push_image(client, url, "acme/payments", "v2.14.0")
        multi = push_index(client, url, "acme/multi", "v2.14.0")
    return {"checkout": checkout, "payments": payments, "multi": multi}


def run_check(
    tmp_path: Path,
    servers: tuple[RegistryServer, PrometheusServer, AlertmanagerServer],
    gates: list[dict[str, Any]],
) -> tuple[int, dict[str, Any], str]:
    registry, prom, am = servers
    config = {
        "environment": "production",
        "release": {"name": "checkout 2.14.0", "ref": "v2.14.0"},
        "sources": {
            "registry": {"kind": "oci-registry", "url": registry.url},
            "prom": {"kind": "prometheus", "url": prom.url},
            "am": {"kind": "alertmanager", "url": am.url},
        },
        "services": [
            {"name": name, "artifact": {"source": "registry", "image": f"acme/{name}"}}
            for name in ("checkout", "payments", "multi")
        ],
        "gates": gates,
    }
    path = tmp_path / "cockpit.yaml"
    path.write_text(yaml.safe_dump(config))
    out, err = io.StringIO(), io.StringIO()
    code = cmd_check(str(path), None, True, out, err, {}, clock=FakeClock(QUERY_TIME))
    return code, json.loads(out.getvalue()) if out.getvalue() else {}, err.getvalue()


@pytest.fixture
def servers(
    registry_server: RegistryServer,
    prometheus: PrometheusServer,
    alertmanager: AlertmanagerServer,
    pushed: dict[str, str],
) -> tuple[RegistryServer, PrometheusServer, AlertmanagerServer]:
    return registry_server, prometheus, alertmanager


CHECKOUT_ALERTS = ['service="checkout"', 'severity=~"critical|page"']


def test_a_release_the_fixtures_block_is_no_go_with_every_reason(
    tmp_path: Path,
    servers: tuple[RegistryServer, PrometheusServer, AlertmanagerServer],
    pushed: dict[str, str],
) -> None:
    gates = [
        {"kind": "artifact_present", "service": "checkout"},
        {"kind": "artifact_signed", "service": "checkout"},
        {"kind": "artifact_signed", "service": "payments"},
        {"kind": "artifact_present", "service": "multi"},
        {
            "kind": "error_budget",
            "source": "prom",
            "query": 'slo:burn_rate1h{service="checkout"}',
            "max": 1,
        },
        {
            "kind": "error_budget",
            "source": "prom",
            "query": 'slo:burn_rate1h{service="payments"}',
            "max": 1,
        },
        {"kind": "error_budget", "source": "prom", "query": "sum(rate(x[5m])", "max": 1},
        {"kind": "alerts_quiet", "source": "am", "matchers": CHECKOUT_ALERTS},
        {"kind": "alerts_quiet", "source": "am", "matchers": ['service="payments"']},
    ]
    code, document, err = run_check(tmp_path, servers, gates)
    assert code == 1, err
    assert document["verdict"] == "no-go"
    assert {s["name"]: s["state"] for s in document["sources"]} == {
        "registry": "fresh",
        "prom": "fresh",
        "am": "fresh",
    }
    got = [(g["kind"], g["verdict"]) for g in document["gates"]]
    assert got == [
        ("artifact_present", "pass"),
        ("artifact_signed", "pass"),
        ("artifact_signed", "fail"),
        ("artifact_present", "pass"),
        ("error_budget", "pass"),
        ("error_budget", "fail"),
        ("error_budget", "unknown"),
        ("alerts_quiet", "fail"),
        ("alerts_quiet", "pass"),
    ]
    present, _, unsigned, multi, budget, over, bad, firing, quiet = document["gates"]
    assert present["evidence"]["digest"] == pushed["checkout"]
    assert present["source"] == "registry" and present["fetched_at"]
    assert pushed["payments"] in unsigned["reason"]
    assert multi["evidence"]["index_digest"] == pushed["multi"]
    assert budget["evidence"]["value"] == pytest.approx(0.4)
    assert "2.5" in over["reason"]
    # Prometheus' own error text, word for word.
    raw = httpx.get(
        f"{servers[1].url}/api/v1/query",
        params={"query": "sum(rate(x[5m])", "time": QUERY_TIME.timestamp()},
    ).json()["error"]
    assert raw in bad["reason"]
    assert FIRING["alertname"] in firing["reason"]
    assert [a["name"] for a in quiet["evidence"]["silenced"]] == [SILENCED["alertname"]]
    for gate in document["gates"]:
        assert gate["verdict"] == "pass" or gate["reason"], gate


def test_a_release_the_fixtures_allow_is_go(
    tmp_path: Path,
    servers: tuple[RegistryServer, PrometheusServer, AlertmanagerServer],
) -> None:
    gates = [
        {"kind": "artifact_present", "service": "checkout"},
        {"kind": "artifact_signed", "service": "checkout"},
        {
            "kind": "error_budget",
            "source": "prom",
            "query": 'slo:burn_rate1h{service="checkout"}',
            "max": 1,
        },
        {"kind": "alerts_quiet", "source": "am", "matchers": ['service="payments"']},
    ]
    code, document, err = run_check(tmp_path, servers, gates)
    assert (code, document["verdict"]) == (0, "go"), err


def test_a_missing_tag_is_a_fail_not_unknown(
    tmp_path: Path,
    servers: tuple[RegistryServer, PrometheusServer, AlertmanagerServer],
) -> None:
    registry = servers[0]
    gates = [{"kind": "artifact_present", "service": "checkout"}]
    path = tmp_path / "c.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                "release": {"ref": "v9.9.9"},
                "sources": {"registry": {"kind": "oci-registry", "url": registry.url}},
                "services": [
                    {
                        "name": "checkout",
                        "artifact": {"source": "registry", "image": "acme/checkout"},
                    }
                ],
                "gates": gates,
            }
        )
    )
    out, err = io.StringIO(), io.StringIO()
    code = cmd_check(str(path), None, True, out, err, {}, clock=FakeClock(QUERY_TIME))
    (gate,) = json.loads(out.getvalue())["gates"]
    assert (code, gate["verdict"]) == (1, "fail")
    assert "v9.9.9" in gate["reason"]
