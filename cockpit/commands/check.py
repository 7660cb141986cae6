"""`cockpit check [--config F] [--release REF] [--json]`: evaluate the readiness gates once.

Exit 0 on GO, 1 on NO-GO or UNKNOWN (unknown is never a pass), 2 on a config error, including a
gate that names an undefined service or source, or a broken freeze calendar. Human output is a
table ending with the verdict in words (GO / NO-GO / UNKNOWN); `--json` prints exactly one JSON
document (the contract of CONFIG.md) on stdout, and errors go to stderr.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TextIO

from cockpit.clock import Clock, SystemClock
from cockpit.config.durations import format_duration
from cockpit.config.models import Config
from cockpit.models import Freshness, Snapshot, SourceStatus
from cockpit.models.readiness import GateResult, GateVerdict, Verdict
from cockpit.text import sanitize

EXIT_GO, EXIT_NO_GO, EXIT_USAGE = 0, 1, 2
_TITLE_WIDTH = 32
_VERDICT_WORDS = {Verdict.GO: "GO", Verdict.NO_GO: "NO-GO", Verdict.UNKNOWN: "UNKNOWN"}


def load_discovered_config(
    cli_path: str | None, environ: Mapping[str, str], stderr: TextIO
) -> Config | None:
    """The config, found and loaded as every headless command does (see `commands.status`)."""
    from cockpit.commands import status

    return status.load_discovered_config(cli_path, environ, stderr)


async def poll_once(config: Config, environ: Mapping[str, str], clock: Clock) -> Snapshot:
    """Every source polled once with the production adapters (see `commands.status`)."""
    from cockpit.commands import status

    return await status.poll_once(config, environ, clock)


def with_release(config: Config, release: str | None) -> Config:
    """The config with `release.ref` replaced by `--release` (when given)."""
    if release is None:
        return config
    return config.model_copy(update={"release": config.release.model_copy(update={"ref": release})})


def every_source(config: Config, snapshot: Snapshot) -> tuple[SourceStatus, ...]:
    """The snapshot's source states, plus `unknown` for any configured source it lacks."""
    seen = {s.name for s in snapshot.sources}
    missing = [
        SourceStatus(name=name, kind=source.kind, state=Freshness.UNKNOWN)
        for name, source in config.sources.items()
        if name not in seen
    ]
    return snapshot.sources + tuple(missing)


async def _gather(
    config: Config, environ: Mapping[str, str], clock: Clock, base_dir: Path
) -> tuple[Snapshot, dict[int, GateResult]]:
    from cockpit.readiness import evaluate_local_gates

    local = evaluate_local_gates(
        config, config.release.ref, clock, base_dir=base_dir, environ=environ
    )
    if not config.sources:
        return Snapshot(taken_at=clock.now()), await local
    snapshot, results = await asyncio.gather(poll_once(config, environ, clock), local)
    return snapshot, results


def cmd_check(
    config_path: str | None,
    release: str | None,
    as_json: bool,
    stdout: TextIO,
    stderr: TextIO,
    environ: Mapping[str, str],
    *,
    clock: Clock | None = None,
    base_dir: Path | None = None,
) -> int:
    """Evaluate every gate once and print the verdict.

    Args:
        config_path: `--config` (None: $COCKPIT_CONFIG, then XDG).
        release: `--release`, overriding `release.ref`.
        as_json: Print the JSON document instead of the table.
        stdout: Where the table or document goes.
        stderr: Where errors go.
        environ: The environment (config discovery, secrets, commands).
        clock: The clock (default: the system clock).
        base_dir: What relative paths in gates are relative to (default: cwd).

    Returns:
        0 GO, 1 NO-GO or UNKNOWN, 2 config error.
    """
    from cockpit.readiness import evaluate

    if release is not None and not release.strip():
        stderr.write("cockpit: --release needs a ref (a tag, branch or SHA)\n")
        return EXIT_USAGE
    config = load_discovered_config(config_path, environ, stderr)
    if config is None:
        return EXIT_USAGE
    config = with_release(config, None if release is None else release.strip())
    base = base_dir or Path.cwd()
    # Undefined services/sources, bad matchers and calendars were refused when the config loaded.
    clock = clock or SystemClock()
    snapshot, local = asyncio.run(_gather(config, environ, clock, base))
    results, final = evaluate(config, snapshot, local_results=local, now=clock.now())
    snapshot = replace(
        snapshot, sources=every_source(config, snapshot), gates=results, verdict=final
    )
    if as_json:
        document = snapshot.to_json()
        document["release"] = {"name": config.release.name, "ref": config.release.ref}
        stdout.write(json.dumps(document, indent=2) + "\n")
    else:
        stdout.write(render_check_report(config, snapshot) + "\n")
    return EXIT_GO if final is Verdict.GO else EXIT_NO_GO


def _cell(text: str, width: int) -> str:
    clean = sanitize(text)
    return clean if len(clean) <= width else clean[: width - 1] + "…"


def verdict_line(gates: Sequence[GateResult], final: Verdict) -> str:
    """`NO-GO: 1 failing (Image present: checkout), 1 unknown, 3 passing, 0 waived`."""
    counts = {v: [g for g in gates if g.verdict is v] for v in GateVerdict}
    failing = counts[GateVerdict.FAIL]
    named = f" ({', '.join(sanitize(g.title) for g in failing[:3])})" if failing else ""
    if not gates:
        word = _VERDICT_WORDS[final]
        return f"{word}: no gates are configured, so nothing says the release is ready"
    return (
        f"{_VERDICT_WORDS[final]}: {len(failing)} failing{named}, "
        f"{len(counts[GateVerdict.UNKNOWN])} unknown, {len(counts[GateVerdict.PASS])} passing, "
        f"{len(counts[GateVerdict.WAIVED])} waived"
    )


def render_check_report(config: Config, snapshot: Snapshot) -> str:
    """The human table: one row per gate, the sources that are not fresh, then the verdict."""
    release = sanitize(config.release.name or "release")
    ref = sanitize(config.release.ref) or "(no ref)"
    lines = [f"Readiness of {release} @ {ref}", ""]
    width = min(_TITLE_WIDTH, max((len(sanitize(g.title)) for g in snapshot.gates), default=4))
    lines.append(f"{'VERDICT':<8} {'GATE':<{width}}  REASON")
    for gate in snapshot.gates:
        reason = sanitize(gate.reason) or "-"
        lines.append(
            f"{gate.verdict.value.upper():<8} {_cell(gate.title, width):<{width}}  {reason}"
        )
    if not snapshot.gates:
        lines.append("(no gates configured)")
    troubled = [s for s in snapshot.sources if s.state is not Freshness.FRESH]
    if troubled:
        lines += ["", "Sources not fresh:"]
        for source in troubled:
            age = "" if source.age_s is None else f" ({format_duration(source.age_s)} old)"
            error = f": {sanitize(source.error.message)}" if source.error else ""
            lines.append(f"  {sanitize(source.name)} {source.state.value}{age}{error}")
    lines += ["", verdict_line(snapshot.gates, snapshot.verdict)]
    return "\n".join(lines)
