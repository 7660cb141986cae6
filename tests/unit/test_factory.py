"""Config -> adapters: every configured source is polled or says exactly why it cannot be."""

from __future__ import annotations

import httpx
import pytest

from cockpit.clock import FakeClock
from cockpit.config.models import Config
from cockpit.errors import ErrorKind, SourceError
from cockpit.sources.factory import build_adapters


def config(**sources: dict[str, object]) -> Config:
    return Config.model_validate(
        {
            "sources": sources,
            "services": [{"name": "checkout", "ci": {"source": "gh", "repo": "acme/checkout"}}],
        }
    )


async def test_missing_env_secret_becomes_an_auth_failure_naming_the_variable() -> None:
    cfg = config(gh={"kind": "github", "url": "https://api.github.com", "token": {"env": "NOPE"}})
    async with httpx.AsyncClient() as client:
        (adapter,) = build_adapters(cfg, client, FakeClock(), environ={})
        with pytest.raises(SourceError) as caught:
            await adapter.poll()
    assert caught.value.kind is ErrorKind.AUTH
    assert "NOPE" in caught.value.message
    assert adapter.kind == "github"


async def test_unsupported_kind_fails_with_config_error_and_keeps_its_kind() -> None:
    cfg = config(
        gh={"kind": "github", "url": "https://api.github.com"},
        dd={"kind": "datadog", "url": "https://api.datadoghq.com"},
    )
    async with httpx.AsyncClient() as client:
        adapters = build_adapters(cfg, client, FakeClock(), environ={})
        dd = next(a for a in adapters if a.name == "dd")
        with pytest.raises(SourceError) as caught:
            await dd.poll()
    assert dd.kind == "datadog"
    assert caught.value.kind is ErrorKind.CONFIG
    assert "datadog" in caught.value.message


async def test_github_token_is_sent_as_bearer_and_never_in_the_url() -> None:
    cfg = config(gh={"kind": "github", "url": "https://api.github.com", "token": {"env": "GH"}})
    async with httpx.AsyncClient() as client:
        (adapter,) = build_adapters(cfg, client, FakeClock(), environ={"GH": "s3cret"})
    assert adapter.http.headers["Authorization"] == "Bearer s3cret"
    assert "s3cret" not in adapter.http.base_url


def test_sanitize_replaces_lone_surrogates_so_the_terminal_can_encode_them() -> None:
    from cockpit.text import sanitize

    clean = sanitize("job \udcff name")
    assert clean == "job \ufffd name"
    clean.encode("utf-8")


async def test_github_adapter_gets_the_release_ref_and_the_services_needing_approvals() -> None:
    cfg = Config.model_validate(
        {
            "release": {"ref": "v2.14.0"},
            "sources": {"gh": {"kind": "github", "url": "https://api.github.com"}},
            "services": [{"name": "checkout", "ci": {"source": "gh", "repo": "acme/checkout"}}],
            "gates": [{"kind": "approvals", "service": "checkout", "min": 2}],
        }
    )
    async with httpx.AsyncClient() as client:
        (adapter,) = build_adapters(cfg, client, FakeClock(), environ={})
    assert adapter.release_ref == "v2.14.0"  # type: ignore[attr-defined]
    assert adapter.approvals_for == ("checkout",)  # type: ignore[attr-defined]
