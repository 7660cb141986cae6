"""What the run screen's actions say: a re-run, word for word, and a failed request as state.

- `rerun_plan`: exactly what re-running a run asks of its CI system (provider, repository /
  project / job, run, commit, the action in the system's own terms), for the confirmation;
- `error_text`: a failed request as the line above the log, `gh: rate limited until 10:42`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from rich.text import Text

from cockpit.config.models import CiTarget
from cockpit.errors import CockpitError, ErrorKind, SourceError
from cockpit.models import PipelineRun
from cockpit.present.ago import format_clock
from cockpit.present.pipelines import concat
from cockpit.present.run_detail import provider_name
from cockpit.present.tone import Palette, Tone, styled
from cockpit.text import sanitize


@dataclass(frozen=True, slots=True)
class RerunPlan:
    """Exactly what a re-run will do, for the confirmation.

    Attributes:
        provider: `GitHub Actions`, `GitLab CI`, `Jenkins`.
        target_label: `repository`, `project` or `job`.
        target: `acme/checkout`, the GitLab project, the Jenkins job path.
        run_label: `run`, `pipeline` or `build`.
        run_id: The run's id.
        action: What the CI system will be asked to do, in its own terms.
        commit: The short SHA that will be built again.
    """

    provider: str
    target_label: str
    target: str
    run_label: str
    run_id: str
    action: str
    commit: str

    def lines(self) -> list[tuple[str, str]]:
        """(label, value) rows for the modal."""
        return [
            ("provider", self.provider),
            (self.target_label, self.target),
            (self.run_label, self.run_id),
            ("commit", self.commit or "?"),
            ("action", self.action),
        ]


def rerun_plan(run: PipelineRun, target: CiTarget | None) -> RerunPlan:
    """What re-running `run` means on its CI system (`target` from the service's config)."""
    where = ""
    if target is not None:
        where = target.repo or target.project or target.job or ""
    where = sanitize(where) or run.service
    run_id = sanitize(run.run_id)
    commit = sanitize(run.short_sha)
    provider = provider_name(run.provider)
    if run.provider == "gitlab":
        return RerunPlan(
            provider=provider,
            target_label="project",
            target=where,
            run_label="pipeline",
            run_id=run_id,
            action=f"re-run failed jobs: retry the failed jobs of pipeline {run_id}",
            commit=commit,
        )
    if run.provider == "jenkins":
        return RerunPlan(
            provider=provider,
            target_label="job",
            target=where,
            run_label="build",
            run_id=run_id,
            action=(
                f"re-run failed jobs: queue a new build of {where} with the parameters of "
                f"build {run_id} (Jenkins cannot re-run only the failed stages)"
            ),
            commit=commit,
        )
    return RerunPlan(
        provider=provider,
        target_label="repository",
        target=where,
        run_label="run",
        run_id=run_id,
        action=(
            f"re-run failed jobs of run {run_id} (and the jobs that depend on them), "
            "as a new attempt"
        ),
        commit=commit,
    )


def until(now: datetime, retry_after_s: float | None) -> str:
    """`until 10:42` (UTC) for a wait, or "" when the remote gave none."""
    if retry_after_s is None:
        return ""
    return f"until {format_clock(now + timedelta(seconds=max(0.0, retry_after_s)))}"


def error_text(error: CockpitError, now: datetime, palette: Palette) -> Text:
    """A failed request as screen state: what failed, until when to wait, what to do.

    `gh: rate limited until 10:42: GitHub API rate limit exceeded (wait, or use a token ...)`
    """
    message = sanitize(error.message)
    if isinstance(error, SourceError) and error.kind is ErrorKind.RATE_LIMITED:
        when = until(now, error.retry_after_s)
        head = f"{error.source}: rate limited {when}".strip() if error.source else "rate limited"
        return concat(
            styled(f"✖ {head}", Tone.WARNING, palette),
            styled(f" ({message})", Tone.MUTED, palette),
        )
    text = concat(styled(f"✖ {message}", Tone.ERROR, palette))
    if error.hint:
        text.append_text(styled(f" ({sanitize(error.hint)})", Tone.MUTED, palette))
    return text
