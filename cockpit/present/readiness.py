"""Readiness as the screen shows it: gate rows, the verdict banner and a gate's evidence.

Every gate reads without colour: a glyph and a word (`✔ pass`, `✖ FAIL`, `? unknown`,
`≈ WAIVED`). A waived gate never looks like a pass: its own glyph, a word in capitals and the
warning tone, and its row says who waived it and why. States that need attention are in capitals.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from rich.style import Style
from rich.text import Text

from cockpit.config.models import Config
from cockpit.models.readiness import GateResult, GateVerdict, Verdict
from cockpit.present.ago import format_ago, format_clock, format_fresh_age, seconds_between
from cockpit.present.status import Badge
from cockpit.present.tone import Palette, Tone, styled, truncate
from cockpit.readiness.common import gate_title
from cockpit.text import sanitize

NOT_EVALUATED = "not evaluated yet"

GATE_BADGES: dict[GateVerdict, Badge] = {
    GateVerdict.PASS: Badge("✔", "pass", Tone.SUCCESS),
    GateVerdict.FAIL: Badge("✖", "FAIL", Tone.ERROR),
    GateVerdict.UNKNOWN: Badge("?", "unknown", Tone.PLAIN),
    GateVerdict.WAIVED: Badge("≈", "WAIVED", Tone.WARNING),
}
"""A gate's verdict as a glyph and a word; waived is deliberately unlike pass."""

VERDICT_BADGES: dict[Verdict, Badge] = {
    Verdict.GO: Badge("✔", "GO", Tone.SUCCESS),
    Verdict.NO_GO: Badge("✖", "NO-GO", Tone.ERROR),
    Verdict.UNKNOWN: Badge("?", "UNKNOWN", Tone.PLAIN),
}

BADGE_WIDTH = max(len(b.label) for b in GATE_BADGES.values())
"""Cells of the verdict column."""

DIGEST_SHOWN = 12
"""Hex digits of a digest shown before the ellipsis (the full value: `e`, full evidence)."""

_LIST_SHOWN = 4
_DIGEST_PREFIXES = ("sha256:", "sha384:", "sha512:")
_DIGEST = re.compile(r"\bsha(?:256|384|512):[0-9a-fA-F]{16,}")
_LABELS = {
    "index_digest": "index digest",
    "media_type": "media type",
    "timeout_s": "timeout",
    "duration_s": "took",
    "exit_status": "exit status",
    "output_tail": "output",
    "ticked_by": "ticked by",
    "ticked_at": "ticked at",
    "last_result": "last result",
    "result_type": "result type",
    "run_id": "run",
}
_SKIPPED = frozenset({"waived_failure"})


def gate_badge(verdict: GateVerdict) -> Badge:
    """`✔ pass`, `✖ FAIL`, `? unknown` or `≈ WAIVED`."""
    return GATE_BADGES[verdict]


def unevaluated_results(config: Config) -> tuple[GateResult, ...]:
    """Every configured gate as unknown, for a pane that has no evaluation yet."""
    return tuple(
        GateResult(
            kind=g.kind, title=gate_title(g), verdict=GateVerdict.UNKNOWN, reason=NOT_EVALUATED
        )
        for g in config.gates
    )


def gate_cells(
    result: GateResult, palette: Palette, *, title_width: int, reason_width: int
) -> tuple[Text, Text, Text]:
    """The three cells of a gate's row: badge, title, reason (each cut to its width).

    A passing gate's reason is muted; any other reason is plain, because it is the one line
    that explains why the gate is not a pass.
    """
    badge = gate_badge(result.verdict)
    title = Text(truncate(sanitize(result.title), title_width), end="")
    if result.verdict is GateVerdict.FAIL:
        title.stylize(palette.get(Tone.ERROR, ""))
    tone = Tone.MUTED if result.verdict is GateVerdict.PASS else Tone.PLAIN
    reason = styled(truncate(row_reason(result), reason_width), tone, palette)
    return badge.text(palette), title, reason


def row_reason(result: GateResult) -> str:
    """The reason a row shows: for a waiver, who and why (the failure is in the evidence).

    Digests are shortened: a row is one line, and the evidence has the full value.
    """
    if result.waiver is not None:
        return sanitize(f"by {result.waiver.by}: {result.waiver.reason}")
    return shorten_digests_in(sanitize(result.reason)) or "-"


def gate_line(result: GateResult) -> str:
    """A gate as one plain line: what the filter matches and what tests read."""
    return f"{gate_badge(result.verdict).label}  {sanitize(result.title)}  {row_reason(result)}"


def counts(results: Sequence[GateResult]) -> dict[GateVerdict, int]:
    """How many gates have each verdict."""
    found = dict.fromkeys(GateVerdict, 0)
    for result in results:
        found[result.verdict] += 1
    return found


def _plural(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"


def banner_text(results: Sequence[GateResult], verdict: Verdict) -> str:
    """`GO`, `NO-GO: 2 blockers` or `UNKNOWN: 3 gates unknown`.

    Blockers are the failing gates (waived ones do not block). UNKNOWN counts the gates not
    decided; with no gates at all it says so: nothing checked is not a go.
    """
    found = counts(results)
    if verdict is Verdict.GO:
        return "GO"
    if verdict is Verdict.NO_GO:
        return f"NO-GO: {_plural(found[GateVerdict.FAIL], 'blocker', 'blockers')}"
    if not results:
        return "UNKNOWN: no gates configured"
    return f"UNKNOWN: {_plural(found[GateVerdict.UNKNOWN], 'gate', 'gates')} unknown"


def banner_detail(results: Sequence[GateResult], verdict: Verdict) -> str:
    """What follows the banner: the gates that keep it from GO, or what GO rests on."""
    found = counts(results)
    if verdict is Verdict.GO:
        parts = [f"{found[GateVerdict.PASS]} passed"]
        if found[GateVerdict.WAIVED]:
            parts.append(f"{found[GateVerdict.WAIVED]} waived")
        return ", ".join(parts)
    wanted = GateVerdict.FAIL if verdict is Verdict.NO_GO else GateVerdict.UNKNOWN
    return ", ".join(sanitize(r.title) for r in results if r.verdict is wanted)


def verdict_banner(results: Sequence[GateResult], verdict: Verdict, palette: Palette) -> Text:
    """` ✖ NO-GO: 2 blockers   Image signed: checkout, Alerts quiet (am)`, on one line.

    The banner itself is drawn reversed in the verdict's tone, so it stands out in 16 colours
    and under NO_COLOR alike; the detail after it is muted.
    """
    badge = VERDICT_BADGES[verdict]
    chip = styled(f" {badge.glyph} {banner_text(results, verdict)} ", badge.tone, palette)
    chip.stylize(Style(bold=True, reverse=True))
    line = Text.assemble(chip, end="", no_wrap=True, overflow="ellipsis")
    detail = banner_detail(results, verdict)
    if detail:
        line.append_text(Text("  ", end=""))
        line.append_text(styled(detail, Tone.MUTED, palette))
    return line


def verdict_notice(before: Verdict, after: Verdict, results: Sequence[GateResult]) -> str:
    """The notification for a verdict change: `NO-GO: 1 blocker (was GO). Image signed: ...`."""
    detail = banner_detail(results, after)
    said = f". {detail}" if detail else ""
    return f"{banner_text(results, after)} (was {VERDICT_BADGES[before].word}){said}"


def shorten_digest(value: str) -> str:
    """`sha256:3f2a9c1d0b7e…`: the algorithm and the first `DIGEST_SHOWN` hex digits."""
    for prefix in _DIGEST_PREFIXES:
        if value.startswith(prefix) and len(value) > len(prefix) + DIGEST_SHOWN:
            return value[: len(prefix) + DIGEST_SHOWN] + "…"
    return value


def shorten_digests_in(text: str) -> str:
    """`text` with every digest in it shortened (`no signature for sha256:4e1f0c2a9b7d…`)."""
    return _DIGEST.sub(lambda match: shorten_digest(match.group(0)), text)


def _moment(text: str) -> datetime | None:
    """An ISO 8601 time with a zone (`ticked_at`), or None when `text` is not one."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


def _label(key: str) -> str:
    return _LABELS.get(key, key.replace("_", " "))


def _alert_names(alerts: list[Any], full: bool) -> str:
    names = []
    for alert in alerts:
        if isinstance(alert, dict):
            name = sanitize(str(alert.get("name", "?")))
            labels = alert.get("labels")
            severity = labels.get("severity") if isinstance(labels, dict) else None
            names.append(f"{name} ({sanitize(str(severity))})" if severity else name)
        else:
            names.append(sanitize(str(alert)))
    return _joined(names, full)


def _run_label(run: Any) -> str:
    """A pipeline run in evidence: `ci #9001 success`."""
    if not isinstance(run, dict):
        return sanitize(str(run))
    words = [str(run.get("name") or "pipeline"), f"#{run.get('run_id')}", str(run.get("status"))]
    return sanitize(" ".join(words))


def _joined(items: list[str], full: bool) -> str:
    if not items:
        return "none"
    if full or len(items) <= _LIST_SHOWN:
        return ", ".join(items)
    return ", ".join(items[:_LIST_SHOWN]) + f" (+{len(items) - _LIST_SHOWN} more)"


def format_value(key: str, value: Any, *, full: bool = False) -> list[str]:
    """An evidence value as display lines (one, unless `full` shows a multi-line text).

    Digests are shortened unless `full`; booleans read yes/no; alert lists name the alerts;
    multi-line output shows its last line (all of it when `full`). Remote text is sanitised.
    """
    if isinstance(value, bool):
        return ["yes" if value else "no"]
    if isinstance(value, float):
        return [f"{value:g}"]
    if isinstance(value, int):
        return [str(value)]
    if isinstance(value, str):
        if "\n" in value:
            lines = [sanitize(line) for line in value.splitlines() if line.strip()]
            return (lines or ["(empty)"]) if full else [lines[-1] if lines else "(empty)"]
        text = sanitize(value)
        if key.endswith("_at") and (moment := _moment(text)) is not None:
            return [f"{format_clock(moment, seconds=True)} UTC" + (f" ({text})" if full else "")]
        return [text if full else shorten_digest(text)]
    if isinstance(value, dict):
        if "verdict" in value:
            return [sanitize(f"{value.get('verdict')}: {value.get('reason', '')}")]
        return [", ".join(f"{sanitize(str(k))}={sanitize(str(v))}" for k, v in value.items())]
    if isinstance(value, list | tuple):
        if any(isinstance(item, dict) and "run_id" in item for item in value):
            return [_joined([_run_label(item) for item in value], full)]
        if any(isinstance(item, dict) and "name" in item for item in value):
            return [_alert_names(list(value), full)]
        return [_joined([sanitize(str(item)) for item in value], full)]
    return [sanitize(str(value))]


def fetched_label(fetched_at: datetime, now: datetime) -> str:
    """`<1m ago` while the evidence is being re-fetched; `3m ago (at 10:42 UTC)` once it is old.

    The fetch time of fresh evidence changes at every poll, so showing it would repaint the
    panel with nothing new to say; once the evidence is old, when it was seen matters.
    """
    age = seconds_between(fetched_at, now)
    if age is not None and age < 60:
        return f"{format_fresh_age(age)} ago"
    return f"{format_ago(age)} ago (at {format_clock(fetched_at)} UTC)"


def evidence_rows(
    result: GateResult, now: datetime, *, full: bool = False
) -> list[tuple[str, str]]:
    """(label, value) pairs: the reason, the waiver, where and when it was seen, the evidence."""
    reason = sanitize(result.reason) or "-"
    rows: list[tuple[str, str]] = [("why", reason if full else shorten_digests_in(reason))]
    if result.waiver is not None:
        waiver = result.waiver
        rows.append(("waived by", f"{sanitize(waiver.by)} at {format_clock(waiver.at)} UTC"))
        rows.append(("waiver reason", sanitize(waiver.reason)))
        failure = result.evidence.get("waived_failure")
        if isinstance(failure, str):
            failure = sanitize(failure)
            rows.append(("failure", failure if full else shorten_digests_in(failure)))
    when = "never" if result.fetched_at is None else fetched_label(result.fetched_at, now)
    if result.source:
        rows.append(("source", f"{sanitize(result.source)}, fetched {when}"))
    elif result.fetched_at is not None:
        rows.append(("checked", when))
    for key, value in result.evidence.items():
        if key in _SKIPPED or value is None or value == "":
            continue
        for number, line in enumerate(format_value(key, value, full=full)):
            rows.append((_label(key) if number == 0 else "", line))
    if result.link:
        rows.append(("link", sanitize(result.link)))
    return rows


def evidence_lines(
    result: GateResult, now: datetime, palette: Palette, *, full: bool = False
) -> list[Text]:
    """The evidence panel of one gate: `key: value` lines, the reason first.

    Without `full`, each line fits one row (digests shortened, lists capped); with `full`
    every value is complete and may wrap.
    """
    rows = evidence_rows(result, now, full=full)
    width = max(len(label) for label, _ in rows) + 2
    lines: list[Text] = []
    badge = gate_badge(result.verdict)
    for number, (label, value) in enumerate(rows):
        key = f"{label}:" if label else ""
        line = Text.assemble(
            styled(f"{key:<{width}}", Tone.MUTED, palette),
            end="",
            no_wrap=not full,
            overflow="fold" if full else "ellipsis",
        )
        if number == 0:
            line.append_text(badge.text(palette))
            line.append("  ")
        line.append(value)
        lines.append(line)
    return lines
