"""From config to adapters: one place that knows which adapter serves which source kind.

Adding a system means adding its adapter file and one entry in `_BUILDERS`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import httpx

from cockpit.clock import Clock
from cockpit.config.models import CiTarget, Config, Source
from cockpit.config.secrets import resolve_secret
from cockpit.engine.engine import PollEngine
from cockpit.engine.http import SourceHttp
from cockpit.errors import ErrorKind, SecretError, SourceError
from cockpit.sources.base import Adapter
from cockpit.sources.ci.github import GitHubActionsAdapter, github_headers
from cockpit.sources.unavailable import UnavailableSource, unsupported_kind

Targets = list[tuple[str, CiTarget]]
Builder = Callable[[str, Source, Targets, SourceHttp, "Secrets"], Adapter]


class Secrets:
    """Resolves a source's secret references late, once, and never shows the values."""

    def __init__(self, name: str, source: Source, environ: Mapping[str, str]) -> None:
        self.name = name
        self.source = source
        self.environ = environ

    def token(self) -> str | None:
        ref = self.source.token
        return None if ref is None else resolve_secret(ref, self.environ)


def _github(name: str, source: Source, targets: Targets, http: SourceHttp, sec: Secrets) -> Adapter:
    http.headers.update(github_headers(sec.token()))
    return GitHubActionsAdapter(name, source, targets, http)


_BUILDERS: dict[str, Builder] = {"github": _github}


def ci_targets(config: Config, source_name: str) -> Targets:
    return [(s.name, s.ci) for s in config.services if s.ci and s.ci.source == source_name]


def build_adapters(
    config: Config, client: httpx.AsyncClient, clock: Clock, environ: Mapping[str, str]
) -> list[Adapter]:
    """One adapter per configured source; sources that cannot be built say why when polled."""
    adapters: list[Adapter] = []
    for name, source in config.sources.items():
        http = SourceHttp(client, name, source.url or "", clock=clock, timeout=source.timeout)
        builder = _BUILDERS.get(source.kind)
        if builder is None:
            adapters.append(UnavailableSource(name, source.kind, unsupported_kind(name, source.kind), http))
            continue
        try:
            adapters.append(builder(name, source, ci_targets(config, name), http, Secrets(name, source, environ)))
        except SecretError as exc:
            error = SourceError(ErrorKind.AUTH, f"{name}: {exc.message}", source=name, hint=exc.hint)
            adapters.append(UnavailableSource(name, source.kind, error, http))
    return adapters


def build_engine(config: Config, clock: Clock, environ: Mapping[str, str]) -> PollEngine:
    """The engine for a config, with one shared HTTP client."""
    client = httpx.AsyncClient(
        timeout=httpx.Timeout(10.0),
        limits=httpx.Limits(max_connections=64, max_keepalive_connections=32),
        headers={"User-Agent": "release-cockpit"},
    )
    return PollEngine(
        build_adapters(config, client, clock, environ), clock, client=client, owns_client=True
    )
