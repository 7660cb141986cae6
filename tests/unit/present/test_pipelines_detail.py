"""Pipeline context (median, sparkline, pass rate, triage) and the run screen's presenters."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from rich.style import Style

from cockpit.config.models import CiTarget
from cockpit.errors import CockpitError, ErrorKind, SourceError
from cockpit.models import Job, PipelineRun, RunStatus, Step, Triage
from cockpit.present.pipelines import (
    CELL_PADDING,
    FULL_COLUMNS,
    MIN_LAST_WIDTH,
    SPARK_BLOCKS,
    columns,
    duration_text,
    format_change,
    is_compact,
    median_duration,
    natural_widths,
    pass_count,
    pipeline_row,
    sparkline,
    triage_label,
    vs_median,
)
from cockpit.present.run_actions import error_text, rerun_plan
from cockpit.present.run_detail import (
    GUTTER_EVIDENCE,
    GUTTER_MARKER,
    LineKind,
    evidence_set,
    initial_job,
    initial_row,
    job_rows,
    line_kind,
    log_line,
    log_lines,
    no_live_log_note,
    run_summary,
    triage_summary,
)
from cockpit.present.tone import NO_PALETTE, Tone

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
S, F, C = RunStatus.SUCCESS, RunStatus.FAILURE, RunStatus.CANCELLED

RUN = PipelineRun(
    service="checkout",
    provider="github",
    run_id="9001",
    name="ci",
    status=RunStatus.FAILURE,
    commit="abc1234def5678",
    branch="main",
    url="https://github.com/acme/checkout/actions/runs/9001",
    started_at=NOW - timedelta(minutes=12),
    duration_s=246,
    recent_durations_s=(200, 220, 240),
    recent_outcomes=(S,) * 18 + (F, F),
    triage=Triage("code", ("E   assert 1 == 2",), "code: route to the author of abc1234"),
    source="gh",
)


def plain(cells: tuple[object, ...]) -> list[str]:
    return [cell.plain for cell in cells]  # type: ignore[attr-defined]


# -- duration against the median -------------------------------------------------------------


def test_duration_against_the_median_short_and_long() -> None:
    assert median_duration(RUN) == 220
    assert duration_text(RUN, NO_PALETTE).plain == "4m06s +12%"
    assert duration_text(RUN, NO_PALETTE, long=True).plain == "4m06s, +12% vs median"
    faster = replace(RUN, duration_s=198)
    assert duration_text(faster, NO_PALETTE).plain == "3m18s -10%"
    assert format_change(0.001) == "±0%"


def test_median_uses_only_the_last_20_runs() -> None:
    old_and_slow = replace(RUN, recent_durations_s=(10_000,) * 30 + (100,) * 20)
    assert median_duration(old_and_slow) == 100


def test_no_history_or_no_duration_shows_the_duration_alone() -> None:
    assert duration_text(replace(RUN, recent_durations_s=()), NO_PALETTE).plain == "4m06s"
    assert duration_text(replace(RUN, duration_s=None), NO_PALETTE).plain == "-"
    assert vs_median(100, 0) is None


def test_a_running_run_shows_a_change_only_once_it_overruns() -> None:
    running = replace(RUN, status=RunStatus.RUNNING, duration_s=100)
    assert duration_text(running, NO_PALETTE).plain == "1m40s"
    overrun = replace(running, duration_s=440)
    assert duration_text(overrun, NO_PALETTE).plain == "7m20s +100%"


def test_much_slower_than_the_median_is_a_warning() -> None:
    palette = {Tone.WARNING: Style(bold=True), Tone.MUTED: Style(dim=True)}
    slow = duration_text(replace(RUN, duration_s=400), palette)
    assert slow.plain == "6m40s +82%"
    assert [span.style for span in slow.spans][-1] == Style(bold=True)
    usual = duration_text(RUN, palette)
    assert [span.style for span in usual.spans][-1] == Style(dim=True)


# -- sparkline and pass rate -----------------------------------------------------------------


def test_sparkline_scales_between_lowest_and_highest() -> None:
    assert sparkline([1, 2, 3, 4, 5, 6, 7, 8], 8) == SPARK_BLOCKS
    assert sparkline([10, 80, 10], 8) == "▁█▁"
    assert sparkline([5, 5, 5], 8) == "▄▄▄"


def test_sparkline_shows_only_the_newest_values_that_fit() -> None:
    assert sparkline([100, 1, 2], 2) == "▁█"
    assert sparkline([], 8) == ""
    assert sparkline([1, 2], 0) == ""
    assert sparkline([1.0, float("nan"), 2.0, float("inf")], 8) == "▁█"


def test_sparkline_plain_fallback_is_ascii() -> None:
    line = sparkline([1, 2, 3, 4, 5, 6, 7, 8], 8, plain=True)
    assert line == "_.-:=+*#"
    assert line.isascii()


def test_pass_count_of_the_last_20_decided_runs() -> None:
    assert pass_count(RUN.recent_outcomes) == (18, 20)
    older_failures = (F,) * 10 + (S,) * 20
    assert pass_count(older_failures) == (20, 20)
    assert pass_count((S, C, F, RunStatus.UNKNOWN)) == (1, 2)
    assert pass_count(()) == (0, 0)


# -- triage ----------------------------------------------------------------------------------


def test_triage_label_leads_with_the_class() -> None:
    assert triage_label(Triage("infra", (), "infra: re-run")) == "infra: re-run"
    assert triage_label(Triage("infra", (), "re-run")) == "infra: re-run"
    assert triage_label(Triage("unknown")) == "unknown"
    hostile = Triage("code\x1b[31m", (), "route to \x1b]0;pwned\x07eve")
    assert triage_label(hostile) == "code: route to eve"


def test_failed_rows_carry_the_triage_else_their_duration() -> None:
    full = plain(pipeline_row(RUN, NOW, NO_PALETTE, FULL_COLUMNS))
    assert full[-1] == "code: route to the author of abc1234"
    assert full[6:9] == ["4m06s +12%", "▁▅█", "18/20"]
    bare = replace(RUN, triage=None)
    assert plain(pipeline_row(bare, NOW, NO_PALETTE, columns(79)))[-1] == "4m06s +12%"
    assert plain(pipeline_row(bare, NOW, NO_PALETTE, FULL_COLUMNS))[-1] == ""


# -- widths ----------------------------------------------------------------------------------


def test_80_columns_fit_every_compact_cell_and_cut_long_ones() -> None:
    cols = columns(79)  # 80 columns, narrow layout: no side border, one scrollbar cell
    assert [c.key for c in cols] == ["service", "status", "name", "age", "trend", "pass", "step"]
    assert sum((c.width or 0) + 2 * CELL_PADDING for c in cols) <= 79
    row = plain(pipeline_row(RUN, NOW, NO_PALETTE, cols))
    detail_width = cols[-1].width
    assert detail_width is not None and len(row[-1]) == detail_width
    assert row[-1].startswith("code: route to") and row[-1].endswith("…")
    assert row[4] == "▁▅█" and row[5] == "18/20"


def test_wide_tables_give_the_triage_exactly_the_room_left() -> None:
    cells = [pipeline_row(RUN, NOW, NO_PALETTE, FULL_COLUMNS)]
    natural = natural_widths(cells, FULL_COLUMNS)
    cols = columns(117, natural)
    assert not is_compact(cols)
    used = sum(max(natural[c.key], len(c.label)) for c in cols[:-1])
    assert used + (cols[-1].width or 0) + 2 * len(cols) == 117
    snug = columns(used + MIN_LAST_WIDTH + 2 * len(cols), natural)
    assert not is_compact(snug) and snug[-1].width == MIN_LAST_WIDTH
    cramped = columns(used + MIN_LAST_WIDTH - 1 + 2 * len(cols), natural)
    assert is_compact(cramped), "rather than scroll sideways, the compact set"
    assert sum((c.width or 0) + 2 for c in columns(100, {k: 30 for k in natural})) <= 100


# -- the run screen: jobs and steps ----------------------------------------------------------


def _job(job_id: str, status: RunStatus, *steps: tuple[str, RunStatus]) -> Job:
    return Job(
        job_id,
        f"job {job_id}",
        status,
        NOW - timedelta(seconds=300),
        None if status is RunStatus.RUNNING else NOW - timedelta(seconds=60),
        steps=tuple(Step(name, st, i + 1) for i, (name, st) in enumerate(steps)),
    )


JOBS = (
    _job("1", S, ("lint", S)),
    _job("2", F, ("build", S), ("test", F), ("publish", C)),
    _job("3", F, ("other", F)),
)


def test_the_first_failed_step_of_the_first_failed_job_is_selected() -> None:
    assert initial_row(JOBS) == "step:2:1"
    job = initial_job(JOBS)
    assert job is not None and job.job_id == "2"


def test_without_failures_the_running_step_then_the_first_job() -> None:
    running = (
        _job("1", S, ("a", S)),
        _job("2", RunStatus.RUNNING, ("a", S), ("b", RunStatus.RUNNING)),
    )
    assert initial_row(running) == "step:2:1"
    assert initial_row((_job("9", F),)) == "job:9"  # a failed job without steps
    assert initial_row((_job("1", S), _job("2", S))) == "job:1"
    assert initial_row(()) is None


def test_job_rows_list_jobs_then_their_steps_sanitised() -> None:
    hostile = replace(JOBS[1], name="build\x1b]0;owned\x07 [b]x[/b]")
    rows = job_rows((JOBS[0], hostile), NOW, NO_PALETTE)
    assert [row.key for row in rows] == [
        "job:1", "step:1:0", "job:2", "step:2:0", "step:2:1", "step:2:2",
    ]  # fmt: skip
    assert rows[2].cells[1].plain == "build [b]x[/b]"
    assert plain(rows[4].cells) == ["✖ failure", "  2. test", "-"]
    assert rows[2].cells[2].plain == "4m00s"


# -- the run screen: the log -----------------------------------------------------------------


def test_evidence_lines_and_failure_markers_are_highlighted() -> None:
    evidence = evidence_set(RUN.triage)
    palette = {Tone.ERROR: Style(color="red"), Tone.WARNING: Style(color="yellow")}
    cited = log_line("2026-11-23T09:59:00.0000000Z E   assert 1 == 2", evidence, palette)
    marker = log_line("error: linker failed", evidence, palette)
    quiet = log_line("collected 12 items", evidence, palette)
    assert cited is not None and marker is not None and quiet is not None
    assert cited.plain == f"{GUTTER_EVIDENCE}E   assert 1 == 2"  # timestamp dropped
    assert cited.style == Style(color="red") and "bold" in str(cited.spans)
    assert marker.plain == f"{GUTTER_MARKER}error: linker failed"
    assert marker.style == Style(color="yellow")
    assert quiet.plain == "  collected 12 items"


@pytest.mark.parametrize(
    ("line", "kind"),
    [
        ("##[error]Process completed with exit code 1.", LineKind.MARKER),
        ("npm ERR! code E404", LineKind.MARKER),
        ("Traceback (most recent call last):", LineKind.MARKER),
        ("script returned exit code 137", LineKind.MARKER),
        ("exit code 0", LineKind.PLAIN),
        ("##[group]Run test", LineKind.HEADING),
        ("##[endgroup]", LineKind.HIDDEN),
        ("Downloading errorprone-2.1.jar", LineKind.PLAIN),
    ],
)
def test_line_kinds(line: str, kind: LineKind) -> None:
    assert line_kind(line, frozenset()) is kind


def test_log_lines_strip_escapes_and_drop_group_ends() -> None:
    raw = [
        "##[group]Run test",
        "\x1b[31mred\x1b[0m \x1b]52;c;Y29weQ==\x07clip \x1b[2J\x1b[Hhome",
        "##[endgroup]",
        "bad \udcff bytes \x00\x07 bell",
    ]
    shown = [text.plain for text in log_lines(raw, frozenset(), NO_PALETTE)]
    # Control characters become spaces; a lone surrogate (valid in JSON, unencodable on a
    # terminal) becomes U+FFFD.
    assert shown == ["▸ Run test", "  red clip home", "  bad \ufffd bytes    bell"]
    assert not any("\x1b" in line or "\x07" in line for line in shown)


def test_very_long_lines_are_cut() -> None:
    text = log_line("x" * 50_000, frozenset(), NO_PALETTE)
    assert text is not None and len(text.plain) <= 4002


# -- the run screen: summary, states, re-run -------------------------------------------------


def test_summary_says_status_where_how_long_against_the_median_and_pass_rate() -> None:
    lines = run_summary(RUN, NOW, NO_PALETTE).plain.split("\n")
    assert lines[0] == "✖ failure  ci #9001 · checkout · main @ abc1234 · started 12m ago"
    assert lines[1] == "took 4m06s, +12% vs median · passed 18/20 recent · GitHub Actions"
    summary = triage_summary(RUN, NO_PALETTE)
    assert summary is not None
    assert summary.plain == "triage  code: route to the author of abc1234  (▶ 1 evidence line)"
    assert triage_summary(replace(RUN, status=S), NO_PALETTE) is None


def test_github_says_it_has_no_live_log() -> None:
    assert no_live_log_note("github") == (
        "GitHub has no live log API: the log appears when the job completes"
    )


GH = CiTarget(source="gh", repo="acme/checkout")
GL = CiTarget(source="gl", project="acme/payments")
JK = CiTarget(source="jk", job="billing/main")


@pytest.mark.parametrize(
    ("provider", "target", "expected"),
    [
        ("github", GH, ("repository", "acme/checkout", "run")),
        ("gitlab", GL, ("project", "acme/payments", "pipeline")),
        ("jenkins", JK, ("job", "billing/main", "build")),
    ],
)
def test_rerun_plan_names_system_target_run_and_action(
    provider: str, target: CiTarget, expected: tuple[str, str, str]
) -> None:
    plan = rerun_plan(replace(RUN, provider=provider), target)
    lines = dict(plan.lines())
    label, where, run_label = expected
    assert lines[label] == where
    assert lines[run_label] == "9001"
    assert lines["commit"] == "abc1234"
    assert "re-run failed jobs" in lines["action"]


def test_rate_limited_says_until_when() -> None:
    error = SourceError(
        ErrorKind.RATE_LIMITED, "gh: API rate limit exceeded", source="gh", retry_after_s=754
    )
    assert error_text(error, NOW, NO_PALETTE).plain == (
        "✖ gh: rate limited until 10:12 (gh: API rate limit exceeded)"
    )
    other = CockpitError("gh: not found", hint="check the repo")
    assert error_text(other, NOW, NO_PALETTE).plain == "✖ gh: not found (check the repo)"


def test_a_service_with_several_rows_names_its_branch_in_a_compact_table() -> None:
    from datetime import UTC, datetime

    from cockpit.models import PipelineRun, RunStatus
    from cockpit.present.pipelines import columns, pipeline_row, services_with_several_rows
    from cockpit.present.tone import NO_PALETTE

    main = PipelineRun("checkout", "github", "1", "ci", RunStatus.RUNNING, branch="main")
    tag = PipelineRun("checkout", "github", "2", "ci", RunStatus.RUNNING, branch="v2.14.0")
    other = PipelineRun("billing", "github", "3", "ci", RunStatus.SUCCESS, branch="main")
    assert services_with_several_rows([main, tag, other]) == {"checkout"}
    now = datetime(2026, 11, 23, 10, tzinfo=UTC)
    compact = columns(58)  # a quarter pane of a 120-column terminal
    keys = [c.key for c in compact]
    assert "branch" not in keys
    cells = pipeline_row(tag, now, NO_PALETTE, compact, with_branch=True)
    assert cells[keys.index("name")].plain == "ci v2.14.0"
    assert pipeline_row(other, now, NO_PALETTE, compact)[keys.index("name")].plain == "ci"
