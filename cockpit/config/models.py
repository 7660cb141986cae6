"""Typed config models (the public contract of ../shared/CONFIG.md). Unknown keys are errors."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from cockpit.config.durations import parse_duration

Seconds = Annotated[
    float,
    BeforeValidator(parse_duration),
    Field(json_schema_extra={"type": "string", "examples": ["500ms", "15s", "2m", "1h"]}),
]


class Strict(BaseModel):
    """Base of every config model: frozen, unknown keys forbidden."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class KeyringRef(Strict):
    """A secret in the OS keyring as `service/name` (`cockpit secret set NAME` puts it there)."""

    keyring: str = Field(pattern=r"^[^/\s]+/[^\s]+$", description="service/name in the keyring")


class EnvRef(Strict):
    """A secret read from an environment variable at run time."""

    env: str = Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$", description="environment variable name")


SecretRef = KeyringRef | EnvRef

SOURCE_KINDS = (
    "github",
    "gitlab",
    "jenkins",
    "oci-registry",
    "prometheus",
    "alertmanager",
    "kubernetes",
    "loki",
    "grafana",
    "datadog",
    "webhook",
)
HTTP_DEFAULT_INTERVAL = 15.0


class Source(Strict):
    """A named connection to a real system."""

    kind: Literal[
        "github",
        "gitlab",
        "jenkins",
        "oci-registry",
        "prometheus",
        "alertmanager",
        "kubernetes",
        "loki",
        "grafana",
        "datadog",
        "webhook",
    ]
    url: str | None = Field(default=None, description="base URL of the API")
    token: SecretRef | None = None
    user: SecretRef | None = Field(
        default=None, description="Jenkins or registry user (a secret reference)"
    )
    interval: Seconds = Field(default=HTTP_DEFAULT_INTERVAL, description="poll interval")
    timeout: Seconds = Field(default=10.0, description="request timeout")
    kubeconfig: str | None = None
    context: str | None = None

    @model_validator(mode="after")
    def _check_kind_fields(self) -> Source:
        if self.kind != "kubernetes" and not self.url:
            raise ValueError(f"a {self.kind} source needs `url` (the base URL of its API)")
        if self.url and not self.url.startswith(("http://", "https://")):
            raise ValueError(f"url {self.url!r} must start with http:// or https://")
        if self.user is not None and self.kind not in ("jenkins", "oci-registry"):
            raise ValueError("`user` is only used by jenkins and oci-registry sources")
        if self.interval <= 0:
            raise ValueError("interval must be positive")
        if self.timeout <= 0:
            raise ValueError("timeout must be positive")
        return self


class Release(Strict):
    """What is being shipped."""

    name: str = ""
    ref: str = ""
    repo: str | None = None


class CiTarget(Strict):
    """Where a service's CI lives: `repo` (GitHub), `project` (GitLab) or `job` (Jenkins)."""

    source: str
    repo: str | None = Field(default=None, pattern=r"^[\w.-]+/[\w.-]+$")
    project: str | None = None
    job: str | None = None
    branch: str | None = None
    workflows: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _one_target(self) -> CiTarget:
        given = [k for k in ("repo", "project", "job") if getattr(self, k)]
        if len(given) != 1:
            raise ValueError(
                "give exactly one of `repo` (GitHub owner/name), `project` (GitLab path or id) "
                "or `job` (Jenkins job path)"
            )
        return self


class ArtifactTarget(Strict):
    source: str
    image: str
    tag: str = "{release.ref}"


class RolloutTarget(Strict):
    source: str
    kind: Literal["argo-rollout", "deployment", "fleet"] = "argo-rollout"
    namespace: str = "default"
    name: str


class MetricPair(Strict):
    name: str
    canary: str
    baseline: str
    direction: Literal["increase", "decrease", "either"] = "increase"
    critical: bool = False


class SourceLog(Strict):
    source: str
    query: str


class FileLog(Strict):
    file: str


class CommandLog(Strict):
    command: tuple[str, ...] = Field(min_length=1)


LogSpec = SourceLog | FileLog | CommandLog


class Service(Strict):
    name: str = Field(min_length=1)
    ci: CiTarget | None = None
    artifact: ArtifactTarget | None = None
    rollout: RolloutTarget | None = None
    metrics: tuple[MetricPair, ...] = ()
    logs: tuple[LogSpec, ...] = ()


class _Gate(Strict):
    title: str | None = None


class CiGreenGate(_Gate):
    kind: Literal["ci_green"]
    service: str


class ArtifactPresentGate(_Gate):
    kind: Literal["artifact_present"]
    service: str


class ArtifactSignedGate(_Gate):
    kind: Literal["artifact_signed"]
    service: str


class ApprovalsGate(_Gate):
    kind: Literal["approvals"]
    service: str
    min: int = Field(default=1, ge=1)


class TicketLinkedGate(_Gate):
    kind: Literal["ticket_linked"]
    pattern: str


class FreezeWindowGate(_Gate):
    kind: Literal["freeze_window"]
    calendar: str


class ErrorBudgetGate(_Gate):
    kind: Literal["error_budget"]
    source: str
    query: str
    max: float | None = None
    min: float | None = None

    @model_validator(mode="after")
    def _bound(self) -> ErrorBudgetGate:
        if self.max is None and self.min is None:
            raise ValueError("give `max` or `min` (the bound the value must respect)")
        return self


class AlertsQuietGate(_Gate):
    kind: Literal["alerts_quiet"]
    source: str
    matchers: tuple[str, ...] = ()


class ManualGate(_Gate):
    kind: Literal["manual"]
    title: str


class CommandGate(_Gate):
    kind: Literal["command"]
    title: str
    run: tuple[str, ...] = Field(min_length=1)
    timeout: Seconds = 120.0
    shell: bool = False


Gate = Annotated[
    CiGreenGate
    | ArtifactPresentGate
    | ArtifactSignedGate
    | ApprovalsGate
    | TicketLinkedGate
    | FreezeWindowGate
    | ErrorBudgetGate
    | AlertsQuietGate
    | ManualGate
    | CommandGate,
    Field(discriminator="kind"),
]


class TriageSettings(Strict):
    """Failure triage: the user's rule file is merged over the shipped defaults."""

    rules: str | None = Field(
        default=None, description="a triage rule file merged over config/triage-rules.yaml"
    )


class Config(Strict):
    """The whole config file."""

    environment: str = "development"
    read_only: bool = False
    release: Release = Release()
    sources: dict[str, Source] = Field(default_factory=dict)
    services: tuple[Service, ...] = ()
    gates: tuple[Gate, ...] = ()
    runbooks: tuple[str, ...] = ()
    journal: str | None = None
    triage: TriageSettings = TriageSettings()

    @property
    def is_production(self) -> bool:
        return self.environment.strip().lower() in {"production", "prod"}

    def service(self, name: str) -> Service | None:
        return next((s for s in self.services if s.name == name), None)


def json_schema() -> dict[str, Any]:
    """The JSON Schema editors use to validate configs."""
    schema = Config.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "Release Cockpit config"
    return schema
