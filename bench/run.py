"""`python -m bench`: every figure of the performance contract, one table, one JSON file.

Sections (each can be skipped with `--skip`): `tui` (first paint, idle and demo output, CPU,
RSS, exit on q, each against the minimal Textual app in the same run), `soak` (RSS of
`cockpit demo --speed 10` over `--soak` seconds), `engine` (500-service poll cycle at 50 ms
latency; rate-limit cost of 10 simulated minutes), `ssh` (bytes over a real SSH connection).
See bench/README.md for what each figure means and how it is measured.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import sections
from bench.report import Row, render, summary_line

RESULTS = Path(__file__).resolve().parent / "results"
SECTIONS = ("tui", "soak", "engine", "ssh")


@dataclass(frozen=True)
class Settings:
    runs: int = 3
    paint_runs: int = 5
    idle_s: float = 20.0
    soak_s: float = 60.0
    engine_runs: int = 3
    ssh_runs: int = 1
    sources: int = 50
    latency_ms: float = 50.0
    rate_limit_s: float = 600.0
    skip: frozenset[str] = frozenset()

    @classmethod
    def quick(cls, skip: frozenset[str]) -> Settings:
        return cls(runs=1, paint_runs=3, idle_s=10.0, soak_s=20.0, engine_runs=1, skip=skip)


def parse_args(argv: list[str] | None) -> tuple[Settings, argparse.Namespace]:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    defaults = Settings()
    parser.add_argument("--runs", type=int, default=defaults.runs, help="launches per idle figure")
    parser.add_argument("--paint-runs", type=int, default=defaults.paint_runs)
    parser.add_argument("--idle", type=float, default=defaults.idle_s, help="idle window (s)")
    parser.add_argument(
        "--soak", type=float, default=defaults.soak_s, help="RSS soak (s); the README used 600"
    )
    parser.add_argument("--engine-runs", type=int, default=defaults.engine_runs)
    parser.add_argument("--ssh-runs", type=int, default=defaults.ssh_runs)
    parser.add_argument("--quick", action="store_true", help="1 run each, short windows")
    parser.add_argument("--skip", action="append", default=[], choices=SECTIONS)
    parser.add_argument("--out", type=Path, help="JSON path (default bench/results/<time>.json)")
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args(argv)
    skip = frozenset(args.skip)
    if args.quick:
        return Settings.quick(skip), args
    settings = Settings(
        runs=args.runs,
        paint_runs=args.paint_runs,
        idle_s=args.idle,
        soak_s=args.soak,
        engine_runs=args.engine_runs,
        ssh_runs=args.ssh_runs,
        skip=skip,
    )
    return settings, args


def _meta(settings: Settings, started: float) -> dict[str, Any]:
    import textual

    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False
    ).stdout.strip()
    return {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "commit": commit,
        "python": platform.python_version(),
        "textual": getattr(textual, "__version__", "?"),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "load_average": os.getloadavg(),
        "seconds": round(time.monotonic() - started, 1),
        "settings": {
            k: sorted(v) if isinstance(v, frozenset) else v for k, v in vars(settings).items()
        },
    }


def main(argv: list[str] | None = None) -> int:
    settings, args = parse_args(argv)
    started = time.monotonic()
    load_before = os.getloadavg()
    rows: list[Row] = []
    raw: dict[str, Any] = {}
    steps = [
        ("tui", sections.tui),
        ("soak", sections.soak),
        ("engine", sections.engine),
        ("ssh", sections.ssh),
    ]
    for name, step in steps:
        if name in settings.skip:
            continue
        print(f"bench: {name} ...", file=sys.stderr, flush=True)
        step_rows, step_raw = step(settings)
        rows += step_rows
        raw[name] = step_raw
    meta = _meta(settings, started)
    meta["load_average_before"] = load_before
    table = render(rows)
    summary = summary_line(rows)
    print(table)
    print()
    print(summary)
    print(
        f"(load average before/after: {load_before[0]:.2f} / {meta['load_average'][0]:.2f} "
        f"on {meta['cpus']} CPUs; medians [min-max] over the runs; ratios are cockpit / minimal)"
    )
    out = args.out or RESULTS / f"bench-{datetime.now(UTC):%Y%m%d-%H%M%S}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    document = {
        "meta": meta,
        "summary": summary,
        "table": [r.to_json() for r in rows],
        "raw": raw,
    }
    out.write_text(json.dumps(document, indent=2, default=str) + "\n")
    if args.out is None:
        (RESULTS / "latest.json").write_text(out.read_text())
    print(f"results: {out}")
    missed = any(r.verdict in ("MISS", "FAILED") for r in rows)
    return 1 if args.check and missed else 0
