"""Pipeline rows: failing first, every column, compact at 80 columns, remote text sanitised."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from rich.style import Style

from cockpit.models import PipelineRun, RunStatus
from cockpit.present.pipelines import (
    COMPACT_BELOW_WIDTH,
    FULL_COLUMNS,
    NARROW_BELOW_WIDTH,
    columns,
    is_compact,
    matches,
    pipeline_count_label,
    pipeline_row,
    row_key,
    sort_runs,
)
from cockpit.present.tone import NO_PALETTE, Tone

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)

RUN = PipelineRun(
    service="checkout",
    provider="github",
    run_id="9001",
    name="ci",
    status=RunStatus.RUNNING,
    commit="abc1234def5678",
    branch="main",
    started_at=NOW - timedelta(seconds=185),
    duration_s=185,
    running_step="integration tests",
    source="gh",
)


def _plain(cells: tuple[object, ...]) -> list[str]:
    return [cell.plain for cell in cells]  # type: ignore[attr-defined]


def test_full_row_has_every_column_in_order() -> None:
    cells = pipeline_row(RUN, NOW, NO_PALETTE, FULL_COLUMNS)
    assert [c.key for c in FULL_COLUMNS] == [
        "service", "status", "name", "branch", "sha", "age", "duration", "trend", "pass", "step",
    ]  # fmt: skip
    assert _plain(cells) == [
        "checkout", "● running", "ci", "main", "abc1234", "3m", "3m05s", "", "-",
        "integration tests",
    ]  # fmt: skip


def test_step_is_only_shown_while_running() -> None:
    done = replace(RUN, status=RunStatus.SUCCESS)
    assert _plain(pipeline_row(done, NOW, NO_PALETTE, FULL_COLUMNS))[-1] == ""
    compact = columns(COMPACT_BELOW_WIDTH - 1)
    assert _plain(pipeline_row(done, NOW, NO_PALETTE, compact))[-1] == "3m05s"
    assert _plain(pipeline_row(RUN, NOW, NO_PALETTE, compact))[-1] == "integration tests"


def test_compact_columns_fit_the_width() -> None:
    for width in (57, 78, COMPACT_BELOW_WIDTH - 1):
        cols = columns(width)
        assert is_compact(cols)
        keys = ["service", "status", "name", "age", "step"]
        if width >= NARROW_BELOW_WIDTH:  # 80 columns keep the sparkline and the pass rate
            keys = ["service", "status", "name", "age", "trend", "pass", "step"]
        assert [c.key for c in cols] == keys
        total = sum((c.width or 0) + 2 for c in cols)
        assert total <= width, (width, total)
    assert columns(COMPACT_BELOW_WIDTH) is FULL_COLUMNS


def test_compact_cells_are_cut_with_an_ellipsis() -> None:
    long = replace(RUN, name="a-very-long-workflow-name-indeed")
    cols = columns(57)
    name_width = next(c.width for c in cols if c.key == "name")
    name = _plain(pipeline_row(long, NOW, NO_PALETTE, cols))[2]
    assert name_width is not None and len(name) == name_width
    assert name.endswith("…")


def test_remote_text_is_sanitised_and_never_markup() -> None:
    hostile = replace(
        RUN,
        name="ci\x1b]0;pwned\x07 [bold red]deploy[/]\x1b[2J",
        branch="main\x1b[31m",
        running_step="step\x9b2J one",
    )
    cells = _plain(pipeline_row(hostile, NOW, NO_PALETTE, FULL_COLUMNS))
    assert cells[2] == "ci [bold red]deploy[/]"
    assert cells[3] == "main"
    assert cells[9] == "step one"
    assert not any("\x1b" in cell or "\x9b" in cell for cell in cells)


def test_status_cell_is_drawn_in_its_tone() -> None:
    palette = {Tone.ERROR: Style(bold=True)}
    failed = replace(RUN, status=RunStatus.FAILURE)
    status = pipeline_row(failed, NOW, palette, FULL_COLUMNS)[1]
    assert status.plain == "✖ failure"
    assert status.style == Style(bold=True)


def test_missing_values_show_a_dash() -> None:
    bare = PipelineRun("billing", "jenkins", "1", "main", RunStatus.QUEUED)
    cells = _plain(pipeline_row(bare, NOW, NO_PALETTE, FULL_COLUMNS))
    assert cells[4:7] == ["-", "-", "-"]
    assert cells[8] == "-"  # no pass rate without history


def test_failing_first_then_unknown_running_queued_cancelled_success() -> None:
    statuses = [
        RunStatus.SUCCESS,
        RunStatus.CANCELLED,
        RunStatus.QUEUED,
        RunStatus.RUNNING,
        RunStatus.UNKNOWN,
        RunStatus.FAILURE,
    ]
    runs = [replace(RUN, service=f"s{i}", status=s) for i, s in enumerate(statuses)]
    assert [r.status for r in sort_runs(runs)] == list(reversed(statuses))


def test_same_status_sorts_by_service() -> None:
    runs = [replace(RUN, service=name) for name in ("payments", "billing", "checkout")]
    assert [r.service for r in sort_runs(runs)] == ["billing", "checkout", "payments"]


def test_filter_matches_service_name_or_branch_case_insensitively() -> None:
    assert matches(RUN, "")
    assert matches(RUN, "CHECK")
    assert matches(RUN, "ci")
    assert matches(RUN, "mai")
    assert not matches(RUN, "payments")
    assert not matches(RUN, "integration")  # the step is not a filter field


def test_row_key_is_stable_across_polls() -> None:
    later = replace(RUN, run_id="9002", duration_s=200, running_step="deploy")
    assert row_key(RUN) == row_key(later)
    assert row_key(RUN) != row_key(replace(RUN, branch="release/2.14"))


def test_count_label() -> None:
    assert pipeline_count_label(1, 1) == "1 run"
    assert pipeline_count_label(4, 4) == "4 runs"
    assert pipeline_count_label(1, 4) == "1 of 4 runs"
