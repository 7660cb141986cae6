"""The benchmark's sections: each measures, then returns its table rows and its raw data."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from bench.report import FAILED, MISS, PASS, Row, verdict
from bench.stats import Summary, format_ratio, format_summary, format_value, ratio
from bench.tui_bench import (
    Soak,
    TuiRun,
    cockpit_demo,
    first_paints,
    frozen_cockpit,
    measure,
    minimal_app,
    soak_rss,
)

if TYPE_CHECKING:
    from bench.run import Settings

SIZES = ((80, 24), (120, 40))
FROZEN_TUI_AT_S = 600.0
"""The TUI's frozen world: every run has completed, nothing changes (not even durations)."""
IDLE_SETTLE_S = 5.0
DEMO_SPEED = 10.0
PAINT_RATIO_MAX = 1.5
IDLE_CLOCK_BPS_MAX = 150.0
IDLE_CPU_PCT_MAX = 2.0
RSS_MB_MAX = 150.0
RSS_SLOPE_MB_PER_MIN_MAX = 1.0
SOAK_JUDGED_FROM_S = 300.0
CYCLE_S_MAX = 2.0


def _summary(runs: Sequence[TuiRun], attr: str) -> Summary:
    return Summary.of([getattr(r, attr) for r in runs])


def _errors(runs: Sequence[TuiRun]) -> str:
    errors = [
        f"{r.app} {r.cols}x{r.rows}: {r.error.strip().splitlines()[0]}" for r in runs if r.error
    ]
    return "; ".join(errors[:3])


def _exits(runs: Sequence[TuiRun]) -> str:
    clean = sum(1 for r in runs if r.clean_exit)
    slowest = max((r.exit_s for r in runs if r.exit_s is not None), default=None)
    return f"{clean}/{len(runs)} exit 0" + (f", max {slowest:.2f} s" if slowest is not None else "")


def tui(settings: Settings) -> tuple[list[Row], dict[str, Any]]:
    """First paint (both sizes), idle and demo output/CPU at 120x40, exit on q."""
    from bench.sim_server import SimProcess

    minimal, demo = minimal_app(), cockpit_demo(DEMO_SPEED)
    paints = first_paints([minimal, demo], SIZES, settings.paint_runs)
    idle: dict[str, list[TuiRun]] = {"minimal": [], "clock": [], "no clock": [], "demo": []}
    with SimProcess(at_s=FROZEN_TUI_AT_S) as sim:
        on = frozen_cockpit(sim.url, sources=settings.sources, clock=True)
        off = frozen_cockpit(sim.url, sources=settings.sources, clock=False)
        for _ in range(settings.runs):
            window = settings.idle_s
            idle["minimal"].append(measure(minimal, 120, 40, window_s=window, settle_s=2.0))
            idle["clock"].append(measure(on, 120, 40, window_s=window, settle_s=IDLE_SETTLE_S))
            idle["no clock"].append(measure(off, 120, 40, window_s=window, settle_s=IDLE_SETTLE_S))
            idle["demo"].append(measure(demo, 120, 40, window_s=window))
    rows: list[Row] = []
    for cols, lines in SIZES:
        size = [r for r in paints if r.cols == cols]
        cockpit = _summary([r for r in size if r.app == demo.name], "first_paint_s")
        base = _summary([r for r in size if r.app == minimal.name], "first_paint_s")
        rows.append(
            Row(
                "TUI",
                f"first paint {cols}x{lines} (cockpit demo)",
                format_summary(cockpit, "s"),
                format_summary(base, "s"),
                format_ratio(cockpit.median, base.median),
                f"<= {PAINT_RATIO_MAX}x minimal",
                verdict(ratio(cockpit.median, base.median), PAINT_RATIO_MAX),
                _errors(size),
            )
        )
    world = f"{settings.sources} sources every 10 s, data frozen"
    base_bps = _summary(idle["minimal"], "bytes_per_s")
    base_cpu = _summary(idle["minimal"], "cpu_pct")
    for key, label, limit in (
        ("clock", "clock on", IDLE_CLOCK_BPS_MAX),
        ("no clock", "clock off", 0.0),
    ):
        bps = _summary(idle[key], "bytes_per_s")
        rows.append(
            Row(
                "TUI",
                f"idle output 120x40, {label}",
                format_summary(bps, "B/s", 1),
                format_summary(base_bps, "B/s", 1),
                format_ratio(bps.median, base_bps.median),
                f"<= {limit:g} B/s" if limit else "0 B/s",
                verdict(bps.median, limit),
                f"{world}; window {settings.idle_s:g} s. {_errors(idle[key])}".strip(),
            )
        )
    for key, label in (("clock", "clock on"), ("no clock", "clock off")):
        cpu = _summary(idle[key], "cpu_pct")
        rows.append(
            Row(
                "TUI",
                f"idle CPU 120x40, {label}",
                format_summary(cpu, "%", 2),
                format_summary(base_cpu, "%", 2),
                format_ratio(cpu.median, base_cpu.median),
                f"<= {IDLE_CPU_PCT_MAX:g}% of a core",
                verdict(cpu.median, IDLE_CPU_PCT_MAX),
                world,
            )
        )
    demo_bps, demo_cpu = _summary(idle["demo"], "bytes_per_s"), _summary(idle["demo"], "cpu_pct")
    note = f"`cockpit demo --speed {DEMO_SPEED:g}`, first {settings.idle_s:g} s after paint"
    rows.append(
        Row(
            "TUI",
            "demo output 120x40",
            format_summary(demo_bps, "B/s", 0),
            format_summary(base_bps, "B/s", 1),
            format_ratio(demo_bps.median, base_bps.median),
            note=note,
        )
    )
    rows.append(
        Row(
            "TUI",
            "demo CPU 120x40",
            format_summary(demo_cpu, "%", 1),
            format_summary(base_cpu, "%", 2),
            format_ratio(demo_cpu.median, base_cpu.median),
        )
    )
    rss = _summary(idle["clock"], "peak_rss_mb")
    base_rss = _summary(idle["minimal"], "peak_rss_mb")
    rows.append(
        Row(
            "TUI",
            "RSS, frozen world (50 sources)",
            format_summary(rss, "MB", 1),
            format_summary(base_rss, "MB", 1),
            format_ratio(rss.median, base_rss.median),
        )
    )
    cockpit_runs = (
        [r for r in paints if r.app == demo.name] + idle["clock"] + idle["no clock"] + idle["demo"]
    )
    minimal_runs = [r for r in paints if r.app == minimal.name] + idle["minimal"]
    all_clean = all(r.clean_exit for r in cockpit_runs)
    rows.append(
        Row(
            "TUI",
            "clean exit on q",
            _exits(cockpit_runs),
            _exits(minimal_runs),
            target="every run exits 0",
            verdict=PASS if all_clean else MISS,
            note=_errors([r for r in cockpit_runs if not r.clean_exit]),
        )
    )
    raw = {"paint": [r.to_json() for r in paints]} | {
        f"idle/{k}": [r.to_json() for r in v] for k, v in idle.items()
    }
    return rows, raw


def growth_note(result: Soak) -> str:
    """`first half +5.07 MB/min; 80.7 MB at 60 s -> 108.9 MB at the end` (+ any error)."""
    first = result.first_half_slope_mb_per_min
    parts = []
    if first is not None:
        parts.append(f"first half {first:+.2f} MB/min")
    if result.early_mb is not None and result.run.rss_mb is not None:
        parts.append(
            f"{result.early_mb:.1f} MB at {result.seconds / 10:g} s -> "
            f"{result.run.rss_mb:.1f} MB at the end"
        )
    if result.run.error:
        parts.append(result.run.error.strip().splitlines()[0])
    return "; ".join(parts)


def soak(settings: Settings) -> tuple[list[Row], dict[str, Any]]:
    """RSS of `cockpit demo --speed 10` over `settings.soak_s` seconds."""
    base = measure(minimal_app(), 120, 40, window_s=3.0)
    result = soak_rss(cockpit_demo(DEMO_SPEED), settings.soak_s)
    note = f"{settings.soak_s:g} s at --speed {DEMO_SPEED:g} (the README figure used --soak 600)"
    slope = result.slope_mb_per_min
    # A short soak is still inside the demo's scripted minutes (and the caches warming up):
    # its slope is reported, but only a long one is judged.
    judged = settings.soak_s >= SOAK_JUDGED_FROM_S
    rows = [
        Row(
            "soak",
            "RSS peak, demo",
            format_value(result.peak_mb, "MB", 1),
            format_value(base.peak_rss_mb, "MB", 1),
            format_ratio(result.peak_mb, base.peak_rss_mb),
            f"<= {RSS_MB_MAX:g} MB",
            verdict(result.peak_mb, RSS_MB_MAX),
            note,
        ),
        Row(
            "soak",
            "RSS steady (median, 2nd half)",
            format_value(result.steady_mb, "MB", 1),
            format_value(base.rss_mb, "MB", 1),
            format_ratio(result.steady_mb, base.rss_mb),
            f"<= {RSS_MB_MAX:g} MB",
            verdict(result.steady_mb, RSS_MB_MAX),
        ),
        Row(
            "soak",
            "RSS growth (slope, 2nd half)",
            "-" if slope is None else f"{slope:+.2f} MB/min",
            target=f"<= {RSS_SLOPE_MB_PER_MIN_MAX:g} MB/min"
            + ("" if judged else f" (judged from --soak {SOAK_JUDGED_FROM_S:g})"),
            verdict=verdict(slope, RSS_SLOPE_MB_PER_MIN_MAX) if judged else "",
            note=growth_note(result),
        ),
    ]
    raw = {
        "seconds": result.seconds,
        "peak_mb": result.peak_mb,
        "steady_mb": result.steady_mb,
        "slope_mb_per_min": slope,
        "run": result.run.to_json(),
        "minimal": base.to_json(),
    }
    return rows, raw


def engine(settings: Settings) -> tuple[list[Row], dict[str, Any]]:
    """The 500-service poll cycle and the 10-minute rate-limit figure."""
    from bench.engine_bench import FROZEN_AT_S, poll_cycles, rate_limit_soak

    per_source = 500 // settings.sources
    pairs = poll_cycles(
        settings.engine_runs,
        latency_ms=settings.latency_ms,
        sources=settings.sources,
        per_source=per_source,
    )
    rows: list[Row] = []
    services = settings.sources * per_source
    for index, label in ((0, "cold"), (1, "warm")):
        cycles = [pair[index] for pair in pairs]
        wall = Summary.of([c.wall_s for c in cycles])
        cpu = Summary.of([c.cpu_s for c in cycles])
        last = cycles[-1]
        failing = max(c.failing_sources for c in cycles)
        ok = verdict(wall.median, CYCLE_S_MAX) if failing == 0 else MISS
        note = (
            f"cpu {format_summary(cpu, 's')}; {last.requests} requests, {last.not_modified} x 304, "
            f"max {max(c.max_in_flight for c in cycles)} in flight; {last.pipelines} pipelines; "
            f"{failing} of {settings.sources} sources failing; simulator cpu {last.sim_cpu_s:.2f} s"
        )
        if last.first_error:
            note += f"; e.g. {last.first_error}"
        rows.append(
            Row(
                "engine",
                f"{services}-service poll cycle, {label}",
                format_summary(wall, "s"),
                target=f"<= {CYCLE_S_MAX:g} s",
                verdict=ok,
                note=note,
            )
        )
    warm = pairs[-1][1]
    rows.append(
        Row(
            "engine",
            "warm cycle: requests sent vs 304",
            f"{warm.requests} sent, {warm.not_modified} x 304",
            target="all 304",
            verdict=PASS if warm.requests == warm.not_modified > 0 else MISS,
        )
    )
    soak_result = rate_limit_soak(seconds=settings.rate_limit_s, sources=settings.sources)
    note = (
        f"FakeClock: {settings.rate_limit_s / 60:g} simulated minutes "
        f"in {soak_result.real_s:.0f} s; "
        f"{settings.sources} sources every {soak_result.interval}, {soak_result.polls} polls, "
        f"{soak_result.requests} requests, {soak_result.not_modified} x 304; first cycle "
        f"charged {soak_result.warmup_charged}; frozen at T+{FROZEN_AT_S:g}s"
    )
    rows.append(
        Row(
            "engine",
            "rate limit charged, 10 min unchanged",
            str(soak_result.charged),
            target="~0",
            verdict=verdict(soak_result.charged, 0),
            note=note,
        )
    )
    rows.append(
        Row(
            "engine",
            "rate-limited (403) requests",
            str(soak_result.rate_limited),
            target="0",
            verdict=verdict(soak_result.rate_limited, 0),
        )
    )
    raw = {
        "poll_cycles": [{"cold": c.to_json(), "warm": w.to_json()} for c, w in pairs],
        "rate_limit": soak_result.to_json(),
        "latency_ms": settings.latency_ms,
    }
    return rows, raw


def ssh(settings: Settings) -> tuple[list[Row], dict[str, Any]]:
    """Bytes over a real SSH connection (frozen world idle; the demo) at 120x40."""
    from bench.sim_server import SimProcess
    from bench.ssh_bench import measure_over_ssh
    from tests.real.ssh_server import SshServer, SshServerError

    try:
        server = SshServer().start()
    except SshServerError as exc:
        return [Row("ssh", "ssh figures", "-", verdict=FAILED, note=str(exc))], {"error": str(exc)}
    runs: dict[str, list[Any]] = {"idle": [], "demo": []}
    try:
        with SimProcess(at_s=FROZEN_TUI_AT_S) as sim:
            idle_app = frozen_cockpit(sim.url, sources=settings.sources, clock=True)
            for _ in range(settings.ssh_runs):
                runs["idle"].append(measure_over_ssh(server, idle_app, window_s=settings.idle_s))
                runs["demo"].append(
                    measure_over_ssh(
                        server, cockpit_demo(DEMO_SPEED), window_s=settings.idle_s, settle_s=0
                    )
                )
    finally:
        server.stop()
    rows = []
    for key, label in (("idle", "idle, clock on"), ("demo", "demo --speed 10")):
        got = runs[key]
        down = Summary.of([r.wire_down_bytes_per_s for r in got])
        up = Summary.of([r.wire_up_bytes_per_s for r in got])
        term = Summary.of([r.terminal_bytes_per_s for r in got])
        paint = Summary.of([r.first_paint_s for r in got])
        exits = sum(1 for r in got if r.exit_code == 0)
        errors = "; ".join(r.error.strip().splitlines()[0] for r in got if r.error)
        rows.append(
            Row(
                "ssh",
                f"wire bytes down, {label}",
                format_summary(down, "B/s", 0),
                note=f"up {format_summary(up, 'B/s', 0)}; "
                f"terminal {format_summary(term, 'B/s', 0)}; "
                f"first paint incl. login {format_summary(paint, 's')}; "
                f"q -> {exits}/{len(got)} exit 0 through ssh" + (f"; {errors}" if errors else ""),
            )
        )
    raw = {k: [r.to_json() for r in v] for k, v in runs.items()}
    return rows, raw
