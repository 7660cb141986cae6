"""A small config for the presenter tests (kept here: unit tests do not import other tiers)."""

from __future__ import annotations

from typing import Any

import pytest

from cockpit.config.models import Config

DOCUMENT: dict[str, Any] = {
    "environment": "staging",
    "release": {"name": "checkout 2.14.0", "ref": "v2.14.0"},
    "sources": {
        "gh": {"kind": "github", "url": "https://api.github.com"},
        "gl": {"kind": "gitlab", "url": "https://gitlab.example.com"},
        "jk": {"kind": "jenkins", "url": "https://jenkins.example.com"},
        "registry": {"kind": "oci-registry", "url": "https://ghcr.io"},
        "prom": {"kind": "prometheus", "url": "http://127.0.0.1:9090"},
        "am": {"kind": "alertmanager", "url": "http://127.0.0.1:9093"},
        "k8s": {"kind": "kubernetes"},
        "loki": {"kind": "loki", "url": "http://127.0.0.1:3100"},
    },
    "services": [
        {
            "name": "checkout",
            "ci": {"source": "gh", "repo": "acme/checkout"},
            "artifact": {"source": "registry", "image": "acme/checkout"},
            "rollout": {"source": "k8s", "namespace": "shop", "name": "checkout"},
            "logs": [
                {"source": "loki", "query": '{app="checkout"}'},
                {"file": "/var/log/checkout/app.log"},
                {"command": ["kubectl", "logs", "-f", "deploy/checkout", "-n", "shop"]},
            ],
        },
        {"name": "payments", "ci": {"source": "gl", "project": "acme/payments"}},
        {"name": "billing", "ci": {"source": "jk", "job": "billing/main"}},
    ],
    "gates": [
        {"kind": "ci_green", "service": "checkout"},
        {"kind": "artifact_present", "service": "checkout"},
        {"kind": "artifact_signed", "service": "checkout"},
        {"kind": "approvals", "service": "checkout", "min": 2},
        {"kind": "ticket_linked", "pattern": "[A-Z]+-\\d+"},
        {"kind": "error_budget", "source": "prom", "query": "slo:burn_rate1h", "max": 1},
        {"kind": "alerts_quiet", "source": "am"},
        {"kind": "manual", "title": "Support team informed"},
    ],
}


@pytest.fixture
def config() -> Config:
    """Three CI systems, a rollout, three log specs, eight gates."""
    return Config.model_validate(DOCUMENT)
