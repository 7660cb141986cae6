"""TUI figures: first paint, idle and demo output and CPU, RSS, clean exit on `q`.

Every figure comes from a real process in a real pseudo-terminal (`PtyProcess`), its output fed
to a terminal emulator. One measurement is one launch:

1. spawn; wait until the marker is on screen (first meaningful paint);
2. optionally wait until the data is on screen (`ready`), then let it settle;
3. optionally measure a window: bytes written, CPU seconds, RSS sampled every second;
4. press `q` and wait for the exit (code and seconds).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from bench.pty_harness import PtyProcess, ScreenPredicate, all_of, terminal_env
from bench.stats import second_half, slope_per_minute

REPO = Path(__file__).resolve().parent.parent
MB = 1024 * 1024
PANES = ("Pipelines", "Readiness", "Rollout", "Logs")
PAINT_TIMEOUT_S = 30.0
EXIT_TIMEOUT_S = 10.0


@dataclass(frozen=True)
class AppUnderTest:
    """A program to measure: its command, what its first meaningful paint shows, and its data."""

    name: str
    argv: tuple[str, ...]
    marker: ScreenPredicate
    ready: ScreenPredicate | None = None
    env: Mapping[str, str] = field(default_factory=dict)


def minimal_app() -> AppUnderTest:
    from bench.minimal_app import MARKER

    script = str(REPO / "bench" / "minimal_app.py")
    return AppUnderTest("minimal", (sys.executable, script), all_of(MARKER))


def cockpit_demo(speed: float = 10.0, *, clock: bool = True) -> AppUnderTest:
    argv = [sys.executable, "-m", "cockpit", "demo", "--speed", f"{speed:g}"]
    if not clock:
        argv.append("--no-clock")
    return AppUnderTest("cockpit demo", tuple(argv), all_of(*PANES))


def frozen_cockpit(
    github_url: str, *, sources: int, interval: str = "10s", clock: bool
) -> AppUnderTest:
    from bench.frozen_world import service_name

    argv = [sys.executable, "-m", "bench.frozen_world", "--github-url", github_url]
    argv += ["--sources", str(sources), "--interval", interval]
    if not clock:
        argv.append("--no-clock")
    label = f"cockpit frozen ({'clock' if clock else 'no clock'})"
    return AppUnderTest(label, tuple(argv), all_of(*PANES), all_of(*PANES, service_name(0)))


@dataclass
class TuiRun:
    """One launch's figures (None: not measured or failed)."""

    app: str
    cols: int
    rows: int
    first_paint_s: float | None = None
    ready_s: float | None = None
    window_s: float = 0.0
    window_bytes: int = 0
    bytes_per_s: float | None = None
    cpu_pct: float | None = None
    rss_mb: float | None = None
    peak_rss_mb: float | None = None
    exit_code: int | None = None
    exit_s: float | None = None
    total_bytes: int = 0
    rss_samples: list[tuple[float, float]] = field(default_factory=list)
    error: str = ""

    @property
    def clean_exit(self) -> bool:
        return self.exit_code == 0

    def to_json(self) -> dict[str, object]:
        data = asdict(self)
        data["clean_exit"] = self.clean_exit
        return data


PYCACHE = REPO / "bench" / "results" / ".pycache"


def bench_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The children's environment: a terminal's, and bytecode cached as an install would have.

    With `PYTHONDONTWRITEBYTECODE` (set on some CI machines) every start would compile the
    project's modules from source (~0.2 s here), which no installed cockpit pays. Bytecode goes
    to `bench/results/.pycache` (git-ignored), never beside the sources.
    """
    env = terminal_env(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(PYCACHE)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH", "")) if p)
    env.update(extra or {})
    return env


def measure(
    app: AppUnderTest,
    cols: int,
    rows: int,
    *,
    window_s: float = 0.0,
    settle_s: float = 0.0,
    on_tick: Callable[[PtyProcess, float], None] | None = None,
) -> TuiRun:
    """One launch of `app` at `cols`x`rows`: paint, (ready, settle, window), `q`."""
    run = TuiRun(app.name, cols, rows)
    with PtyProcess(app.argv, cols=cols, rows=rows, env=bench_env(app.env), cwd=str(REPO)) as proc:
        run.first_paint_s = proc.wait_for(app.marker, PAINT_TIMEOUT_S)
        if run.first_paint_s is None:
            run.error = f"no first paint within {PAINT_TIMEOUT_S}s:\n{proc.screen_text()}"
            run.total_bytes = proc.output.total
            return run
        if app.ready is not None:
            run.ready_s = proc.wait_for(app.ready, PAINT_TIMEOUT_S)
            if run.ready_s is None:
                run.error = f"data never on screen:\n{proc.screen_text()}"
        if settle_s:
            proc.pump(settle_s)
        run.rss_mb = proc.rss_bytes() / MB
        if window_s > 0:
            _window(proc, run, window_s, on_tick)
        run.exit_code, run.exit_s = proc.quit_and_wait(b"q", EXIT_TIMEOUT_S)
        if run.exit_code is None:
            run.error += f"\nstill running {EXIT_TIMEOUT_S}s after q:\n{proc.screen_text()}"
        run.total_bytes = proc.output.total
    return run


def _window(
    proc: PtyProcess,
    run: TuiRun,
    window_s: float,
    on_tick: Callable[[PtyProcess, float], None] | None,
) -> None:
    import time

    start = time.monotonic()
    cpu0 = proc.cpu_seconds()
    peak = proc.rss_bytes()
    run.rss_samples.append((0.0, peak / MB))
    while (elapsed := time.monotonic() - start) < window_s:
        proc.pump(min(1.0, window_s - elapsed))
        rss = proc.rss_bytes()
        peak = max(peak, rss)
        run.rss_samples.append((round(time.monotonic() - start, 2), rss / MB))
        if on_tick is not None:
            on_tick(proc, time.monotonic() - start)
    end = time.monotonic()
    run.window_s = end - start
    run.window_bytes = proc.output.bytes_between(start, end)
    run.bytes_per_s = run.window_bytes / run.window_s
    run.cpu_pct = (proc.cpu_seconds() - cpu0) / run.window_s * 100
    run.peak_rss_mb = peak / MB
    run.rss_mb = rss / MB


def first_paints(
    apps: Sequence[AppUnderTest], sizes: Sequence[tuple[int, int]], runs: int
) -> list[TuiRun]:
    """`runs` launches of every app at every size, interleaved so drift hits all alike.

    One unrecorded launch of each app first: bytecode compiled and files in the page cache, as
    on a bastion where the cockpit has run before.
    """
    for app in apps:
        measure(app, *sizes[0])
    results = []
    for _ in range(runs):
        for cols, rows in sizes:
            for app in apps:
                results.append(measure(app, cols, rows))
    return results


@dataclass
class Soak:
    """RSS over a long run: peak, steady (median of the second half), growth slope."""

    seconds: float
    run: TuiRun
    peak_mb: float | None
    steady_mb: float | None
    slope_mb_per_min: float | None
    first_half_slope_mb_per_min: float | None
    early_mb: float | None
    """RSS at a tenth of the run (start-up done), to compare with the end."""


def soak_rss(app: AppUnderTest, seconds: float, cols: int = 120, rows: int = 40) -> Soak:
    import statistics

    run = measure(app, cols, rows, window_s=seconds)
    samples = run.rss_samples
    tail = second_half(samples)
    head = [s for s in samples if s not in tail]
    steady = statistics.median(v for _, v in tail) if tail else None
    early = next((v for t, v in samples if t >= seconds / 10), None)
    return Soak(
        seconds,
        run,
        run.peak_rss_mb,
        steady,
        slope_per_minute(tail),
        slope_per_minute(head),
        early,
    )
