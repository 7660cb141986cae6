"""The run screen, as pure functions: job and step rows, the failing step, the highlighted log.

What the drill-down shows of one `PipelineRun`:

- a summary (`run_summary`): status, pipeline, service, branch, commit, age, the duration
  against the median of the last 20 runs, the pass rate, and the triage with its evidence;
- one row per job and per step (`job_rows`), and which row starts selected (`initial_row`):
  the first failed step of the first failed job, else the step running now;
- the log tail (`log_line`), display-safe and with a two-cell gutter that marks the triage's
  evidence lines (`▶`, drawn as errors) and typical failure markers (`!`, warnings), so the
  lines that matter read in 16 colours and with `NO_COLOR` too. CI timestamps are dropped and
  GitHub's `##[group]` markers become `▸ Run test` headings;
What a re-run will do, and failed requests as screen state, are in `run_actions`.

Every piece of remote text is sanitised here, again, whatever the adapter did.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from rich.text import Text

from cockpit.ci_actions import display_safe
from cockpit.models import Job, PipelineRun, RunStatus, Step, Triage
from cockpit.present.ago import format_ago, format_elapsed, seconds_between
from cockpit.present.pipelines import (
    concat,
    duration_text,
    pass_count,
    triage_label,
    triage_tone,
)
from cockpit.present.status import run_badge
from cockpit.present.tone import Palette, Tone, styled
from cockpit.text import sanitize
from cockpit.triage.classifier import MAX_EVIDENCE_CHARS
from cockpit.triage.tail import strip_ci_prefix

PROVIDER_NAMES = {"github": "GitHub Actions", "gitlab": "GitLab CI", "jenkins": "Jenkins"}
"""How each provider is named on screen."""

NO_LIVE_LOG = "{provider} has no live log API: the log appears when the job completes"
"""What the run screen says for a running job whose system cannot stream its log."""

FAILURE_MARKERS = re.compile(
    r"""(?ix)
    ^\#\#\[error\]
  | \b(?:error|errors|failed|failure|fatal|panic|exception|traceback)\b
  | \bexit\s+(?:code|status)\s+[1-9]\d*
  | ^npm\s+ERR!
  | ^E\s{2,}
  | \bassert(?:ion)?(?:error)?\b
  | \bkilled\b
  | \b(?:timed\s+out|timeout)\b
    """
)
"""Lines that typically say why a job failed, highlighted even when triage cited others."""

_GROUP = re.compile(r"^##\[group\]\s*")
_HIDDEN = re.compile(r"^##\[endgroup\]\s*$")
_COMMAND = re.compile(r"^##\[(?:error|warning|notice|debug|command)\]\s*")

GUTTER_EVIDENCE = "▶ "
GUTTER_MARKER = "! "
GUTTER_PLAIN = "  "


class LineKind(StrEnum):
    """How a log line is drawn."""

    EVIDENCE = "evidence"
    MARKER = "marker"
    HEADING = "heading"
    PLAIN = "plain"
    HIDDEN = "hidden"


# -- jobs and steps ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class JobRow:
    """One row of the jobs table.

    Attributes:
        key: Unique and stable: `job:<id>` or `step:<job id>:<index>`.
        job_id: The job the row belongs to (its log is shown when the row is selected).
        step: The step's index within the job, None for the job's own row.
        cells: status, name, duration, as `Text`.
    """

    key: str
    job_id: str
    step: int | None
    cells: tuple[Text, Text, Text]


def job_key(job: Job) -> str:
    """The row key of a job."""
    return f"job:{job.job_id}"


def step_key(job: Job, index: int) -> str:
    """The row key of a job's `index`-th step."""
    return f"step:{job.job_id}:{index}"


def span_s(
    started: datetime | None, completed: datetime | None, status: RunStatus, now: datetime
) -> float | None:
    """Seconds a job or step took, or has been running; None when it never started."""
    if started is None:
        return None
    if completed is not None:
        return max(0.0, (completed - started).total_seconds())
    if status is RunStatus.RUNNING:
        return max(0.0, (now - started).total_seconds())
    return None


def job_rows(jobs: Sequence[Job], now: datetime, palette: Palette) -> list[JobRow]:
    """A row per job, each followed by its steps (indented, numbered), in the system's order."""
    rows: list[JobRow] = []
    for job in jobs:
        took = span_s(job.started_at, job.completed_at, job.status, now)
        name = styled(sanitize(job.name) or job.job_id, Tone.PLAIN, palette)
        name.stylize("bold")
        duration = styled(format_elapsed(took), Tone.MUTED, palette)
        rows.append(
            JobRow(job_key(job), job.job_id, None, (badge_of(job.status, palette), name, duration))
        )
        rows.extend(
            _step_row(job, index, step, now, palette) for index, step in enumerate(job.steps)
        )
    return rows


def badge_of(status: RunStatus, palette: Palette) -> Text:
    """`✖ failure` in its tone."""
    return run_badge(status).text(palette)


def _step_row(job: Job, index: int, step: Step, now: datetime, palette: Palette) -> JobRow:
    took = span_s(step.started_at, step.completed_at, step.status, now)
    number = step.number or index + 1
    badge = run_badge(step.status)
    name_tone = Tone.ERROR if step.status is RunStatus.FAILURE else Tone.PLAIN
    if step.status is RunStatus.RUNNING:
        name_tone = Tone.ACCENT
    return JobRow(
        step_key(job, index),
        job.job_id,
        index,
        (
            badge.text(palette),
            styled(f"  {number}. {sanitize(step.name)}", name_tone, palette),
            styled(format_elapsed(took), Tone.MUTED, palette),
        ),
    )


def initial_row(jobs: Sequence[Job]) -> str | None:
    """The row to select first: the failing step, else the running step, else the first job.

    The first failed job's first failed step; a failed job without failed steps selects the
    job itself. With no failure, the first running job's running step (or the job).
    """
    for wanted in (RunStatus.FAILURE, RunStatus.RUNNING):
        for job in jobs:
            if job.status is not wanted:
                continue
            index = next((i for i, s in enumerate(job.steps) if s.status is wanted), None)
            return job_key(job) if index is None else step_key(job, index)
    return job_key(jobs[0]) if jobs else None


def initial_job(jobs: Sequence[Job]) -> Job | None:
    """The job whose log is shown first (the one `initial_row` selects)."""
    key = initial_row(jobs)
    return next((j for j in jobs if key in (job_key(j), *_step_keys(j))), None)


def _step_keys(job: Job) -> Iterable[str]:
    return (step_key(job, i) for i in range(len(job.steps)))


def is_live(status: RunStatus) -> bool:
    """A job in this state may still write to its log."""
    return status in (RunStatus.RUNNING, RunStatus.QUEUED)


# -- the log ----------------------------------------------------------------------------------


def evidence_set(triage: Triage | None) -> frozenset[str]:
    """The triage's evidence lines, as `log_line` compares them."""
    if triage is None:
        return frozenset()
    return frozenset(sanitize(line)[:MAX_EVIDENCE_CHARS] for line in triage.evidence if line)


def line_kind(line: str, evidence: frozenset[str]) -> LineKind:
    """How to draw a display line (already sanitised and without its CI prefix)."""
    if _HIDDEN.match(line):
        return LineKind.HIDDEN
    if _GROUP.match(line):
        return LineKind.HEADING
    if line and line[:MAX_EVIDENCE_CHARS] in evidence:
        return LineKind.EVIDENCE
    if line and FAILURE_MARKERS.search(line):
        return LineKind.MARKER
    return LineKind.PLAIN


def log_line(raw: str, evidence: frozenset[str], palette: Palette) -> Text | None:
    """One log line ready to show, or None for lines that carry nothing (`##[endgroup]`).

    The line is made display-safe (`cockpit.ci_actions.display_safe`: sanitised, cut to
    `MAX_LINE_CHARS`, no lone surrogates) and loses its CI timestamp; a two-cell
    gutter says why it is highlighted: `▶` triage evidence (error tone, bold), `!` a typical
    failure marker (warning tone), `▸` a step heading (accent).
    """
    line = strip_ci_prefix(display_safe(raw))
    kind = line_kind(line, evidence)
    if kind is LineKind.HIDDEN:
        return None
    if kind is LineKind.HEADING:
        return styled(f"▸ {_GROUP.sub('', line)}", Tone.ACCENT, palette)
    shown = _COMMAND.sub("", line)
    if kind is LineKind.EVIDENCE:
        text = styled(GUTTER_EVIDENCE + shown, Tone.ERROR, palette)
        text.stylize("bold")
        return text
    if kind is LineKind.MARKER:
        return styled(GUTTER_MARKER + shown, Tone.WARNING, palette)
    return styled(GUTTER_PLAIN + shown, Tone.PLAIN, palette)


def log_lines(lines: Iterable[str], evidence: frozenset[str], palette: Palette) -> list[Text]:
    """`log_line` over many lines, dropping the ones that carry nothing."""
    shown = (log_line(line, evidence, palette) for line in lines)
    return [text for text in shown if text is not None]


# -- summary, states and the re-run ----------------------------------------------------------


def provider_name(provider: str) -> str:
    """`GitHub Actions`, `GitLab CI`, `Jenkins`, or the provider as given."""
    return PROVIDER_NAMES.get(provider, sanitize(provider) or "CI")


def no_live_log_note(provider: str) -> str:
    """`GitHub has no live log API: the log appears when the job completes`."""
    name = provider_name(provider).removesuffix(" Actions").removesuffix(" CI")
    return NO_LIVE_LOG.format(provider=name)


def run_summary(run: PipelineRun, now: datetime, palette: Palette) -> Text:
    """Two lines about the run.

    `✖ failure  ci #9001 · checkout · main @ abc1234 · started 12m ago`
    `took 7m11s, +12% vs median · passed 18/20 recent · GitHub Actions`
    """
    badge = run_badge(run.status)
    title = styled(f"  {sanitize(run.name)} #{sanitize(run.run_id)}", badge.tone, palette)
    title.stylize("bold")
    where = f" · {run.service} · {sanitize(run.branch) or '?'} @ {sanitize(run.short_sha) or '?'}"
    first = concat(badge.text(palette), title, styled(where, Tone.PLAIN, palette))
    if run.started_at is not None:
        age = format_ago(seconds_between(run.started_at, now))
        first.append_text(styled(f" · started {age} ago", Tone.MUTED, palette))
    label = "running for " if run.status is RunStatus.RUNNING else "took "
    second = concat(styled(label, Tone.MUTED, palette), duration_text(run, palette, long=True))
    passed, decided = pass_count(run.recent_outcomes)
    if decided:
        tone = Tone.WARNING if passed < decided * 0.8 else Tone.MUTED
        second.append_text(styled(f" · passed {passed}/{decided} recent", tone, palette))
    second.append_text(styled(f" · {provider_name(run.provider)}", Tone.MUTED, palette))
    return Text("\n", end="").join([first, second])


def triage_summary(run: PipelineRun, palette: Palette) -> Text | None:
    """`triage  code: route to the author of abc1234`; None unless the run failed.

    The evidence lines are not repeated here: they are marked `▶` in the log below.
    """
    if run.status is not RunStatus.FAILURE:
        return None
    if run.triage is None:
        return styled("not triaged: the failing step's log is below", Tone.MUTED, palette)
    text = concat(
        styled("triage  ", Tone.MUTED, palette),
        styled(triage_label(run.triage), triage_tone(run.triage), palette),
    )
    count = len(run.triage.evidence)
    if count:
        noun = "line" if count == 1 else "lines"
        text.append_text(
            styled(f"  ({GUTTER_EVIDENCE}{count} evidence {noun})", Tone.MUTED, palette)
        )
    return text
