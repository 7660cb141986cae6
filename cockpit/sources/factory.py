"""From config to adapters: one place that knows which adapter serves which source kind.

Adding a system means adding its adapter file and one entry in `_BUILDERS`. Each builder takes
what it needs from the config (the services and gates that use its source).
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable, Mapping

import httpx

from cockpit.clock import Clock
from cockpit.config.models import ArtifactTarget, CiTarget, Config, Source
from cockpit.config.secrets import resolve_secret
from cockpit.engine.engine import PollEngine
from cockpit.engine.http import SourceHttp
from cockpit.engine.transport import AiohttpTransport
from cockpit.errors import ErrorKind, SecretError, SourceError
from cockpit.sources.base import Adapter
from cockpit.sources.unavailable import UnavailableSource, unsupported_kind
from cockpit.triage import RuleSet

# Requests in flight at once across every source of an engine (a 500-service poll queues).
# GitHub's secondary rate limit refuses more than 100 concurrent requests per user: stay under.
MAX_IN_FLIGHT = 64


class Secrets:
    """Resolves a source's secret references late, once, and never shows the values."""

    def __init__(self, source: Source, environ: Mapping[str, str]) -> None:
        self.source = source
        self.environ = environ

    def token(self) -> str | None:
        ref = self.source.token
        return None if ref is None else resolve_secret(ref, self.environ)

    def user(self) -> str | None:
        ref = self.source.user
        return None if ref is None else resolve_secret(ref, self.environ)


Builder = Callable[[str, Source, Config, SourceHttp, Secrets], Adapter]


@functools.cache
def _ruleset(user_path: str | None) -> RuleSet:
    from cockpit.triage import load_ruleset

    return load_ruleset(user_path)


def triage_rules(config: Config) -> RuleSet:
    """The shipped triage rules with the user's rule file (`triage.rules`) merged over them."""
    return _ruleset(config.triage.rules)


def approval_services(config: Config, targets: list[tuple[str, CiTarget]]) -> list[str]:
    """The services among `targets` that an `approvals` gate asks about."""
    served = {service for service, _ in targets}
    return [g.service for g in config.gates if g.kind == "approvals" and g.service in served]


def ci_targets(config: Config, source_name: str) -> list[tuple[str, CiTarget]]:
    return [(s.name, s.ci) for s in config.services if s.ci and s.ci.source == source_name]


def artifact_targets(config: Config, source_name: str) -> list[tuple[str, ArtifactTarget]]:
    return [
        (s.name, s.artifact)
        for s in config.services
        if s.artifact and s.artifact.source == source_name
    ]


def _github(name: str, source: Source, config: Config, http: SourceHttp, sec: Secrets) -> Adapter:
    from cockpit.sources.ci.github import GitHubActionsAdapter, github_headers

    http.headers.update(github_headers(sec.token()))
    targets = ci_targets(config, name)
    return GitHubActionsAdapter(
        name,
        source,
        targets,
        http,
        release_ref=config.release.ref,
        approvals_for=approval_services(config, targets),
        triage_rules=triage_rules(config),
    )


def _gitlab(name: str, source: Source, config: Config, http: SourceHttp, sec: Secrets) -> Adapter:
    from cockpit.sources.ci.gitlab import GitLabCIAdapter, gitlab_headers

    http.headers.update(gitlab_headers(sec.token()))
    targets = ci_targets(config, name)
    return GitLabCIAdapter(
        name,
        source,
        targets,
        http,
        release_ref=config.release.ref,
        approvals_for=approval_services(config, targets),
        triage_rules=triage_rules(config),
    )


def _jenkins(name: str, source: Source, config: Config, http: SourceHttp, sec: Secrets) -> Adapter:
    from cockpit.sources.ci.jenkins import JenkinsAdapter, jenkins_auth_headers

    http.headers.update(jenkins_auth_headers(sec.user(), sec.token()))
    return JenkinsAdapter(
        name, source, ci_targets(config, name), http, triage_rules=triage_rules(config)
    )


def _oci(name: str, source: Source, config: Config, http: SourceHttp, sec: Secrets) -> Adapter:
    from cockpit.sources.oci.registry import OciRegistryAdapter

    targets = artifact_targets(config, name)
    return OciRegistryAdapter(
        name, source, targets, config.release.ref, http, token=sec.token(), user=sec.user()
    )


def _prometheus(
    name: str, source: Source, config: Config, http: SourceHttp, sec: Secrets
) -> Adapter:
    from cockpit.sources.metrics.prometheus import PrometheusAdapter

    _bearer(http, sec)
    queries = [g.query for g in config.gates if g.kind == "error_budget" and g.source == name]
    return PrometheusAdapter(name, source, queries, http)


def _alertmanager(
    name: str, source: Source, config: Config, http: SourceHttp, sec: Secrets
) -> Adapter:
    from cockpit.sources.alerts.alertmanager import AlertmanagerAdapter

    _bearer(http, sec)
    matcher_sets = [
        list(g.matchers) for g in config.gates if g.kind == "alerts_quiet" and g.source == name
    ]
    return AlertmanagerAdapter(name, source, matcher_sets, http)


def _bearer(http: SourceHttp, sec: Secrets) -> None:
    """Prometheus and Alertmanager behind an auth proxy take a bearer token, when configured."""
    token = sec.token()
    if token:
        http.headers["Authorization"] = f"Bearer {token}"


_BUILDERS: dict[str, Builder] = {
    "github": _github,
    "gitlab": _gitlab,
    "jenkins": _jenkins,
    "oci-registry": _oci,
    "prometheus": _prometheus,
    "alertmanager": _alertmanager,
}


def build_adapters(
    config: Config, client: httpx.AsyncClient, clock: Clock, environ: Mapping[str, str]
) -> list[Adapter]:
    """One adapter per configured source; sources that cannot be built say why when polled."""
    adapters: list[Adapter] = []
    limiter = asyncio.Semaphore(MAX_IN_FLIGHT)
    for name, source in config.sources.items():
        http = SourceHttp(
            client, name, source.url or "", clock=clock, timeout=source.timeout, limiter=limiter
        )
        builder = _BUILDERS.get(source.kind)
        if builder is None:
            error = unsupported_kind(name, source.kind)
            adapters.append(UnavailableSource(name, source.kind, error, http))
            continue
        try:
            adapters.append(builder(name, source, config, http, Secrets(source, environ)))
        except SecretError as exc:
            error = SourceError(
                ErrorKind.AUTH, f"{name}: {exc.message}", source=name, hint=exc.hint
            )
            adapters.append(UnavailableSource(name, source.kind, error, http))
    return adapters


def build_engine(config: Config, clock: Clock, environ: Mapping[str, str]) -> PollEngine:
    """The engine for a config, with one shared HTTP client that the engine closes."""
    client = httpx.AsyncClient(
        transport=AiohttpTransport(max_connections=MAX_IN_FLIGHT),
        timeout=httpx.Timeout(10.0),
        headers={"User-Agent": "release-cockpit"},
    )
    adapters = build_adapters(config, client, clock, environ)
    return PollEngine(adapters, clock, client=client, owns_client=True)
