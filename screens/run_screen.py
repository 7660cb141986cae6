"""The run screen: one pipeline run's jobs and steps, the failing step selected, its log below.

Opened with Enter on a Pipelines row; escape returns. What it does:

- lists the run's jobs, each followed by its steps, and selects the first failed step (else
  the running one); moving the cursor to another job shows that job's log;
- shows the log's tail (at most 256 KiB, see `cockpit.ci_actions`) with the triage's evidence
  lines (`▶`) and typical failure markers (`!`) highlighted;
- follows a running job's log live where the system allows it (GitLab traces, Jenkins
  progressive text: new lines every 2 s, written in batches); GitHub Actions has no live log
  API, so the screen says so and shows the log when the job completes;
- `o` shows the URL in a notification and opens a browser only when there is a display (never
  on a bastion over SSH, where a console browser would take the terminal over);
- `R` re-runs the failed jobs after a confirmation that says exactly what will run. It is a
  `MutatingBinding`: in read-only mode it is not bound at all.

A failed request is screen state (the line above the log says what failed, and until when a
rate limit lasts), never a modal; a failed re-run is an operator action, so it is a toast.
"""

from __future__ import annotations

import os
import sys
import webbrowser
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path
from typing import ClassVar

from rich.style import Style
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Container, Vertical
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static

from cockpit.ci_actions import CiActions, LogTail
from cockpit.clock import Clock
from cockpit.config.models import CiTarget, Config
from cockpit.errors import CockpitError
from cockpit.models import Job, PipelineRun, RunStatus
from cockpit.present import run_actions
from cockpit.present import run_detail as present
from cockpit.present.tone import Palette, Tone, styled
from cockpit.text import sanitize
from screens.confirm_rerun import ConfirmRerun
from widgets.header_bar import HeaderBar
from widgets.log_view import LogView
from widgets.mutating import MutatingBinding, unbind_mutating

HERE = Path(__file__).parent

RefreshSource = Callable[[str | None], Awaitable[None]]


def browser_available(environ: Mapping[str, str], platform: str = sys.platform) -> bool:
    """True when opening a browser will show one on this person's screen, and not hang.

    Over SSH there is no display of ours; on Linux without `DISPLAY` / `WAYLAND_DISPLAY`,
    Python's `webbrowser` falls back to console browsers (lynx, w3m) that would take the
    terminal over. macOS and Windows have a display unless we are in an SSH session.
    """
    if environ.get("SSH_CONNECTION") or environ.get("SSH_TTY"):
        return False
    if platform == "darwin" or platform.startswith("win"):
        return True
    return bool(environ.get("DISPLAY") or environ.get("WAYLAND_DISPLAY"))


def open_in_browser(url: str) -> bool:
    """Open `url` in a graphical browser, never a console one (which would take the terminal)."""
    try:
        browser = webbrowser.get()
    except webbrowser.Error:
        return False
    if type(browser) is webbrowser.GenericBrowser:  # lynx, w3m, www-browser: foreground, in here
        return False
    return bool(browser.open(url, new=2))


class RunScreen(Screen[None]):
    """One run, drilled into. Build it with the run and the `CiActions` (None: links only)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back", id="cockpit.run.back"),
        Binding("o", "open_url", "Open in browser", id="cockpit.run.open"),
        MutatingBinding("R", "rerun", "Re-run failed", id="cockpit.run.rerun"),
    ]
    COMPONENT_CLASSES: ClassVar[set[str]] = {f"tone--{tone.value}" for tone in Tone}
    CSS_PATH = HERE / "run_screen.tcss"

    def __init__(
        self,
        run: PipelineRun,
        ci: CiActions | None,
        config: Config,
        clock: Clock,
        *,
        read_only: bool,
        show_clock: bool = True,
        refresh_source: RefreshSource | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__()
        self.run = run
        self.ci = ci
        self.config = config
        self.clock = clock
        self.read_only = read_only
        self.show_clock = show_clock
        self.refresh_source = refresh_source
        self.environ = os.environ if environ is None else environ
        self.jobs: tuple[Job, ...] = run.jobs
        self.shown_job: Job | None = None
        self._row_jobs: dict[str, str] = {}
        self.state_text = Text("")
        self._palette: Palette | None = None
        self._evidence = present.evidence_set(run.triage)
        if read_only:
            unbind_mutating(self)

    # -- layout ----------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield HeaderBar(
            self.clock,
            title=f"Run · {self.run.service}",
            show_clock=self.show_clock,
            config=self.config,
            read_only=self.read_only,
        )
        yield Static("", id="summary", markup=False)
        yield Static("", id="triage", markup=False)
        with Container(id="body"):
            yield DataTable[Text](cursor_type="row", show_header=False, id="jobs")
            with Vertical(id="log-box"):
                yield Static("", id="state", markup=False)
                yield LogView(id="log")
        yield Footer()

    @property
    def table(self) -> DataTable[Text]:
        return self.query_one("#jobs", DataTable)

    @property
    def log_view(self) -> LogView:
        return self.query_one("#log", LogView)

    @property
    def palette(self) -> Palette:
        """Tones in this theme's colours (the screen's `tone--*` component classes)."""
        if self._palette is None:
            self._palette = {tone: self._tone_style(tone) for tone in Tone}
        return self._palette

    def _tone_style(self, tone: Tone) -> Style:
        name = f"tone--{tone.value}"
        resolved = self.get_component_rich_style(name)
        own = self.get_component_rich_style(name, partial=True)
        return own if own.color is None else own + Style.from_color(resolved.color)

    def on_mount(self) -> None:
        self.app.theme_changed_signal.subscribe(self, self._on_theme_changed)
        self.table.add_column("status", key="status", width=11)
        self.table.add_column("name", key="name")
        self.table.add_column("took", key="took")
        # The screen's own styles (its tone--* classes) apply once it is first laid out.
        self.call_after_refresh(self.start)

    def start(self) -> None:
        """Show what is known at once, then fetch the jobs and the failing job's log."""
        self._palette = None
        self.show_summary()
        self.show_jobs(self.jobs)
        self.table.focus()
        if self.ci is None:
            self.show_state(
                styled("no CI adapters here: o shows the run's URL", Tone.MUTED, self.palette)
            )
            return
        self.show_state(styled("loading jobs…", Tone.MUTED, self.palette))
        self.run_worker(self.load_jobs(), group="jobs", exclusive=True, exit_on_error=False)

    def _on_theme_changed(self, _theme: object) -> None:
        self._palette = None
        self.show_summary()
        self.show_jobs(self.jobs)

    # -- rendering -------------------------------------------------------------------------

    def show_summary(self) -> None:
        now = self.clock.now()
        self.query_one("#summary", Static).update(present.run_summary(self.run, now, self.palette))
        triage = present.triage_summary(self.run, self.palette)
        box = self.query_one("#triage", Static)
        box.display = triage is not None
        box.update(triage or "")

    def show_jobs(self, jobs: tuple[Job, ...], *, select: bool = False) -> None:
        """Rows for `jobs`; `select` moves the cursor to the failing (or running) step."""
        self.jobs = jobs
        table = self.table
        rows = present.job_rows(jobs, self.clock.now(), self.palette)
        keep = self._cursor_key()
        table.clear()
        for row in rows:
            table.add_row(*row.cells, key=row.key)
        self._row_jobs = {row.key: row.job_id for row in rows}
        wanted = present.initial_row(jobs) if select or keep is None else keep
        keys = [row.key for row in rows]
        if wanted not in keys:
            return
        if select:
            # The failing step's job row first, so it stays in view above the step if it fits.
            job_row = next(row for row in rows if row.key == wanted)
            table.move_cursor(row=keys.index(f"job:{job_row.job_id}"), animate=False)
        table.move_cursor(row=keys.index(wanted), animate=False)

    def show_state(self, text: Text) -> None:
        """The line above the log: loading, following, finished, or what failed."""
        self.state_text = text
        self.query_one("#state", Static).update(text)

    def show_error(self, error: CockpitError) -> None:
        self.show_state(run_actions.error_text(error, self.clock.now(), self.palette))

    def _cursor_key(self) -> str | None:
        table = self.table
        if table.row_count == 0 or not 0 <= table.cursor_row < table.row_count:
            return None
        return str(table.ordered_rows[table.cursor_row].key.value)

    def selected_job(self) -> Job | None:
        """The job of the highlighted row (a step row belongs to its job)."""
        job_id = self._row_jobs.get(self._cursor_key() or "")
        return next((job for job in self.jobs if job.job_id == job_id), None)

    # -- loading and following -------------------------------------------------------------

    async def load_jobs(self) -> None:
        """Fetch the jobs, select the failing step, and show its job's log."""
        assert self.ci is not None
        try:
            jobs = await self.ci.jobs(self.run)
        except CockpitError as exc:
            self.show_error(exc)
            return
        self.show_jobs(jobs, select=True)
        job = self.selected_job() or present.initial_job(jobs)
        if job is None:
            self.show_state(styled("this run has no jobs yet", Tone.MUTED, self.palette))
            return
        self.open_log(job)

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        event.stop()
        job = self.selected_job()
        if job is not None and self.shown_job is not None and job.job_id != self.shown_job.job_id:
            self.open_log(job)

    def open_log(self, job: Job) -> None:
        """Show `job`'s log (replacing any follow of another job's)."""
        self.shown_job = job
        self.run_worker(self.load_log(job), group="log", exclusive=True, exit_on_error=False)

    async def load_log(self, job: Job) -> None:
        """The job's log tail, then follow it while it runs."""
        assert self.ci is not None
        caps = self.ci.capabilities(self.run)
        name = sanitize(job.name)
        live = present.is_live(job.status)
        try:
            if live and not caps.live_log:
                self.log_view.show([])
                self.show_state(
                    styled(present.no_live_log_note(self.run.provider), Tone.ACCENT, self.palette)
                )
                tail = LogTail(())
            else:
                self.show_state(styled(f"loading the log of {name}…", Tone.MUTED, self.palette))
                tail = await self.ci.log_tail(self.run, job)
                self.log_view.show(present.log_lines(tail.lines, self._evidence, self.palette))
                self.show_state(self._tail_state(name, tail, following=live))
            if live:
                await self.follow(job, tail)
        except CockpitError as exc:
            self.show_error(exc)

    async def follow(self, job: Job, tail: LogTail) -> None:
        assert self.ci is not None
        async for batch in self.ci.follow(self.run, job, tail):
            lines = present.log_lines(batch.lines, self._evidence, self.palette)
            if batch.replace:
                self.log_view.show(lines)
            else:
                self.log_view.append(lines)
            if batch.job != job:
                job = batch.job
                self.shown_job = job
                self.show_jobs(tuple(job if j.job_id == job.job_id else j for j in self.jobs))
            if batch.done:
                badge = present.badge_of(job.status, self.palette)
                self.show_state(
                    Text.assemble(styled("job finished: ", Tone.MUTED, self.palette), badge)
                )

    def _tail_state(self, name: str, tail: LogTail, *, following: bool) -> Text:
        what = "the end of the log" if tail.truncated else "the log"
        parts = [f"{what} of {name}", f"{len(tail.lines)} lines"]
        if following and tail.cursor is not None:
            parts.append(f"following live, new lines every {self._interval()}")
        return styled(" · ".join(parts), Tone.MUTED, self.palette)

    def _interval(self) -> str:
        seconds = self.ci.follow_interval_s if self.ci is not None else 0.0
        return f"{seconds:g}s"

    # -- actions ---------------------------------------------------------------------------

    def action_back(self) -> None:
        """Back to the dashboard (any follow stops with the screen)."""
        self.dismiss(None)

    def action_open_url(self) -> None:
        """Show the URL of the selected job (else the run); open it where there is a display."""
        job = self.selected_job()
        url = sanitize((job.url if job is not None else "") or self.run.url)
        if not url:
            self.notify("this run has no web URL", title="Open in browser", severity="warning")
            return
        opening = browser_available(self.environ)
        suffix = "" if opening else "\n(no display here: copy the URL)"
        self.notify(url + suffix, title="Open in browser", markup=False, timeout=15)
        if opening:
            # A thread: a browser that is slow to start must not freeze the screen.
            self.run_worker(
                lambda: open_in_browser(url), thread=True, group="browser", exit_on_error=False
            )

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "rerun":
            if self.ci is None or not self.ci.capabilities(self.run).rerun:
                return False
            failed = self.run.status is RunStatus.FAILURE or any(
                job.status is RunStatus.FAILURE for job in self.jobs
            )
            return True if failed else None
        return True

    def action_rerun(self) -> None:
        """Ask, then re-run the failed jobs (the confirmation says exactly what will run)."""
        plan = run_actions.rerun_plan(self.run, self._target())

        def confirmed(yes: bool | None) -> None:
            if yes:
                self.run_worker(self.rerun(), group="rerun", exit_on_error=False)

        self.app.push_screen(ConfirmRerun(plan), confirmed)

    async def rerun(self) -> None:
        """Re-run once; a failure is a toast with what to do, success reloads the jobs."""
        assert self.ci is not None
        try:
            outcome = await self.ci.rerun(self.run)
        except CockpitError as exc:
            hint = f"\n{exc.hint}" if exc.hint else ""
            self.notify(
                exc.message + hint, title=exc.title, severity="error", markup=False, timeout=20
            )
            return
        self.notify(outcome.message, title="Re-run requested", markup=False)
        if self.refresh_source is not None:
            self.run_worker(self.refresh_source(self.run.source), exit_on_error=False)
        self.run_worker(self.load_jobs(), group="jobs", exclusive=True, exit_on_error=False)

    def _target(self) -> CiTarget | None:
        service = next((s for s in self.config.services if s.name == self.run.service), None)
        return service.ci if service is not None else None
