"""Status badges: a glyph and a word for every run status and freshness state.

The glyph and the word always appear together, so a status reads in monochrome, in 16 colours,
with `NO_COLOR` and to a screen reader; the tone only repeats what the word already says.
`unknown` is never drawn like success: it has its own glyph (`?`) and a plain tone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from rich.text import Text

from cockpit.models import Freshness, RunStatus, SourceStatus
from cockpit.present.ago import format_ago, format_fresh_age, seconds_between
from cockpit.present.tone import Palette, Tone, styled


@dataclass(frozen=True, slots=True)
class Badge:
    """A status as the screen shows it.

    Attributes:
        glyph: One cell that identifies the status without colour.
        word: The status in words (upper case for states that need attention).
        tone: How it is coloured, when colour is available.
    """

    glyph: str
    word: str
    tone: Tone

    @property
    def label(self) -> str:
        """Glyph and word, as plain text: `✖ failure`."""
        return f"{self.glyph} {self.word}"

    def text(self, palette: Palette) -> Text:
        """The label as Rich `Text` in this badge's tone."""
        return styled(self.label, self.tone, palette)


RUN_BADGES: dict[RunStatus, Badge] = {
    RunStatus.SUCCESS: Badge("✔", "success", Tone.SUCCESS),
    RunStatus.FAILURE: Badge("✖", "failure", Tone.ERROR),
    RunStatus.RUNNING: Badge("●", "running", Tone.ACCENT),
    RunStatus.QUEUED: Badge("◌", "queued", Tone.MUTED),
    RunStatus.CANCELLED: Badge("⊘", "cancelled", Tone.MUTED),
    RunStatus.UNKNOWN: Badge("?", "unknown", Tone.PLAIN),
}

FRESHNESS_GLYPHS: dict[Freshness, str] = {
    Freshness.FRESH: "✓",
    Freshness.STALE: "!",
    Freshness.FAILING: "✖",
    Freshness.UNKNOWN: "?",
}

_FRESHNESS_TONES: dict[Freshness, Tone] = {
    Freshness.FRESH: Tone.SUCCESS,
    Freshness.STALE: Tone.WARNING,
    Freshness.FAILING: Tone.ERROR,
    Freshness.UNKNOWN: Tone.PLAIN,
}

# The order in which pane states win: one failing source makes the whole pane "failing".
_SEVERITY: dict[Freshness, int] = {
    Freshness.FAILING: 3,
    Freshness.STALE: 2,
    Freshness.UNKNOWN: 1,
    Freshness.FRESH: 0,
}


def run_badge(status: RunStatus) -> Badge:
    """The badge of a pipeline run status: `✔ success`, `✖ failure`, `● running`, ..."""
    return RUN_BADGES[status]


def data_age_s(status: SourceStatus, now: datetime) -> float | None:
    """How old a source's last good data is at `now` (None: it never delivered any)."""
    age = seconds_between(status.fetched_at, now)
    return status.age_s if age is None else age


def freshness_badge(status: SourceStatus, now: datetime) -> Badge:
    """The badge of a source's freshness.

    `fresh <1m`, `STALE 3m`, `FAILING: auth`, `unknown: no data yet`: states that need
    attention are in capitals, and `unknown` never reads as success. A fresh age is coarse (see
    `format_fresh_age`), so polls that change nothing repaint nothing.
    """
    state = status.state
    glyph = FRESHNESS_GLYPHS[state]
    tone = _FRESHNESS_TONES[state]
    age = data_age_s(status, now)
    if state is Freshness.FRESH:
        return Badge(glyph, f"fresh {format_fresh_age(age)}", tone)
    if state is Freshness.STALE:
        return Badge(glyph, f"STALE {format_ago(age)}", tone)
    if state is Freshness.FAILING:
        kind = status.error.kind.value if status.error is not None else "error"
        return Badge(glyph, f"FAILING: {kind}", tone)
    return Badge(glyph, "unknown: no data yet", tone)


def severity(state: Freshness) -> int:
    """How much a state needs attention: failing 3, stale 2, unknown 1, fresh 0."""
    return _SEVERITY[state]


def worst_freshness(states: list[Freshness] | tuple[Freshness, ...]) -> Freshness:
    """The state a pane shows for all its sources: failing > stale > unknown > fresh.

    No sources at all is `unknown`: a pane with nothing to go on must not look healthy.
    """
    if not states:
        return Freshness.UNKNOWN
    return max(states, key=lambda state: _SEVERITY[state])


def legend() -> list[tuple[Badge, str]]:
    """Every glyph with what it means, for the help screen."""
    fresh = Freshness
    return [
        (RUN_BADGES[RunStatus.SUCCESS], "the run passed"),
        (RUN_BADGES[RunStatus.FAILURE], "the run failed (listed first)"),
        (RUN_BADGES[RunStatus.RUNNING], "the run is in progress; its current step is shown"),
        (RUN_BADGES[RunStatus.QUEUED], "the run is waiting for a runner"),
        (RUN_BADGES[RunStatus.CANCELLED], "someone cancelled the run"),
        (RUN_BADGES[RunStatus.UNKNOWN], "not known yet: never a pass"),
        (Badge(FRESHNESS_GLYPHS[fresh.FRESH], "fresh", Tone.SUCCESS), "data polled recently"),
        (
            Badge(FRESHNESS_GLYPHS[fresh.STALE], "STALE", Tone.WARNING),
            "last good data is old; its age is shown",
        ),
        (
            Badge(FRESHNESS_GLYPHS[fresh.FAILING], "FAILING", Tone.ERROR),
            "the source's last poll failed; the error is shown, last good data kept",
        ),
        (
            Badge(FRESHNESS_GLYPHS[fresh.UNKNOWN], "unknown", Tone.PLAIN),
            "no data yet: never a pass",
        ),
    ]
