"""Readiness text: gate rows, the verdict banner, evidence lines, the verdict-change notice."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from cockpit.config.models import Config
from cockpit.models.readiness import GateResult, GateVerdict, Verdict, Waiver
from cockpit.present.ago import format_clock
from cockpit.present.readiness import (
    GATE_BADGES,
    banner_text,
    evidence_lines,
    evidence_rows,
    fetched_label,
    gate_cells,
    gate_line,
    shorten_digest,
    unevaluated_results,
    verdict_banner,
    verdict_notice,
)
from cockpit.present.tone import ANSI_PALETTE, NO_PALETTE, Tone

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
DIGEST = "sha256:4e1f0c2a9b7d5e3f61a8c0b2d4e6f8091a2b3c4d5e6f708192a3b4c5d6e7f809"


def gate(verdict: GateVerdict, title: str = "Image signed: checkout", **kw: object) -> GateResult:
    return GateResult(kind="artifact_signed", title=title, verdict=verdict, **kw)  # type: ignore[arg-type]


P, F, U, W = GateVerdict.PASS, GateVerdict.FAIL, GateVerdict.UNKNOWN, GateVerdict.WAIVED


def test_every_verdict_has_a_glyph_and_a_word_and_waived_is_unlike_pass() -> None:
    labels = {v: b.label for v, b in GATE_BADGES.items()}
    assert labels == {P: "✔ pass", F: "✖ FAIL", U: "? unknown", W: "≈ WAIVED"}
    assert GATE_BADGES[W].tone is Tone.WARNING and GATE_BADGES[P].tone is Tone.SUCCESS
    assert GATE_BADGES[U].tone is Tone.PLAIN  # unknown never looks like success


def test_banner_text() -> None:
    assert banner_text([gate(P), gate(W)], Verdict.GO) == "GO"
    assert banner_text([gate(F), gate(F), gate(U)], Verdict.NO_GO) == "NO-GO: 2 blockers"
    assert banner_text([gate(F), gate(W)], Verdict.NO_GO) == "NO-GO: 1 blocker"
    assert banner_text([gate(U), gate(U), gate(U), gate(P)], Verdict.UNKNOWN) == (
        "UNKNOWN: 3 gates unknown"
    )
    assert banner_text([gate(U)], Verdict.UNKNOWN) == "UNKNOWN: 1 gate unknown"
    assert banner_text([], Verdict.UNKNOWN) == "UNKNOWN: no gates configured"


def test_the_banner_names_what_blocks_and_stands_out_without_colour() -> None:
    results = [gate(P, "CI green"), gate(F, "Image signed"), gate(F, "Alerts quiet"), gate(U)]
    banner = verdict_banner(results, Verdict.NO_GO, ANSI_PALETTE)
    assert banner.plain == " ✖ NO-GO: 2 blockers   Image signed, Alerts quiet"
    chip = [span for span in banner.spans if span.start == 0]
    assert any(getattr(span.style, "reverse", False) for span in chip)
    assert any(getattr(span.style, "bold", False) for span in chip)
    go = verdict_banner([gate(P), gate(W)], Verdict.GO, NO_PALETTE).plain
    assert go == " ✔ GO   1 passed, 1 waived"


def test_gate_cells_cut_to_their_widths_and_strip_control_sequences() -> None:
    result = gate(F, "Image\x1b[2J signed: checkout", reason=f"no signature for {DIGEST}")
    badge, title, reason = gate_cells(result, NO_PALETTE, title_width=12, reason_width=20)
    assert badge.plain == "✖ FAIL"
    assert title.plain == "Image signe…"
    assert reason.plain == "no signature for sh…"
    _, _, wide = gate_cells(result, NO_PALETTE, title_width=30, reason_width=60)
    assert wide.plain == "no signature for sha256:4e1f0c2a9b7d…"
    assert gate_line(gate(P, reason="ok")) == "✔ pass  Image signed: checkout  ok"


def test_a_waived_row_says_who_and_why() -> None:
    waiver = Waiver(by="alice", at=NOW, reason="verified by hand")
    waived = gate(W, reason="waived by alice: verified by hand (was: no signature)", waiver=waiver)
    assert gate_line(waived) == "≈ WAIVED  Image signed: checkout  by alice: verified by hand"


def test_unevaluated_results_are_unknown() -> None:
    config = Config.model_validate({"gates": [{"kind": "manual", "title": "Support informed"}]})
    [only] = unevaluated_results(config)
    assert only.verdict is U and only.reason == "not evaluated yet"


def test_digests_are_shortened_and_full_on_request() -> None:
    assert shorten_digest(DIGEST) == "sha256:4e1f0c2a9b7d…"
    assert shorten_digest("sha256:abc") == "sha256:abc"
    result = gate(
        F,
        reason=f"no signature for {DIGEST}",
        evidence={"image": "acme/checkout", "digest": DIGEST, "present": True, "signed": False},
        source="registry",
        fetched_at=NOW - timedelta(seconds=25),
    )
    rows = dict(evidence_rows(result, NOW))
    assert rows["why"] == "no signature for sha256:4e1f0c2a9b7d…"
    assert rows["digest"] == "sha256:4e1f0c2a9b7d…"
    assert rows["present"] == "yes" and rows["signed"] == "no"
    assert rows["source"] == "registry, fetched <1m ago"
    full = dict(evidence_rows(result, NOW, full=True))
    assert full["digest"] == DIGEST and full["why"] == f"no signature for {DIGEST}"


def test_fetch_time_shows_only_once_the_evidence_is_old() -> None:
    """Fresh evidence is re-fetched every poll: its exact time would repaint the panel each time."""
    assert fetched_label(NOW - timedelta(seconds=5), NOW) == "<1m ago"
    assert fetched_label(NOW - timedelta(seconds=59), NOW) == "<1m ago"
    old = NOW - timedelta(minutes=3, seconds=20)
    assert fetched_label(old, NOW) == f"3m ago (at {format_clock(old)} UTC)"


def test_evidence_names_the_firing_alerts_and_the_value() -> None:
    firing = [
        {"name": "CheckoutLatencyHigh", "labels": {"severity": "critical"}},
        {"name": "CheckoutErrors", "labels": {}},
    ]
    alerts = gate(F, "Alerts quiet", reason="2 alerts firing", evidence={"firing": firing})
    assert dict(evidence_rows(alerts, NOW))["firing"] == (
        "CheckoutLatencyHigh (critical), CheckoutErrors"
    )
    budget = gate(P, "Error budget", reason="value 0.42 within max 1", evidence={"value": 0.42})
    assert dict(evidence_rows(budget, NOW))["value"] == "0.42"


def test_times_in_evidence_read_as_clock_times() -> None:
    result = gate(P, "Support informed", evidence={"ticked_at": "2026-11-23T09:58:07.5+00:00"})
    assert dict(evidence_rows(result, NOW))["ticked at"] == "09:58:07 UTC"
    assert dict(evidence_rows(result, NOW, full=True))["ticked at"].endswith(
        "(2026-11-23T09:58:07.5+00:00)"
    )
    not_a_time = gate(P, "x", evidence={"started_at": "soon"})
    assert dict(evidence_rows(not_a_time, NOW))["started at"] == "soon"


def test_evidence_names_the_deciding_runs() -> None:
    runs = [{"name": "ci", "run_id": "9001", "status": "success", "url": "https://x"}]
    result = gate(P, "CI green", reason="1 run green", evidence={"runs": runs, "required": []})
    rows = dict(evidence_rows(result, NOW))
    assert rows["runs"] == "ci #9001 success" and rows["required"] == "none"


def test_command_output_shows_its_last_line_or_all_of_it() -> None:
    result = gate(F, "Smoke", reason="exit status 1", evidence={"output_tail": "a\nb\nboom"})
    assert dict(evidence_rows(result, NOW))["output"] == "boom"
    rows = evidence_rows(result, NOW, full=True)
    assert [value for label, value in rows if label in ("output", "")] == ["a", "b", "boom"]


def test_waived_evidence_shows_the_waiver_and_the_failure() -> None:
    waiver = Waiver(by="alice", at=NOW - timedelta(minutes=2), reason="verified by hand")
    result = gate(
        W,
        reason="waived by alice: verified by hand (was: no signature)",
        evidence={"waived_failure": f"no signature for {DIGEST}"},
        waiver=waiver,
    )
    rows = dict(evidence_rows(result, NOW))
    assert rows["waived by"] == "alice at 09:58 UTC"
    assert rows["waiver reason"] == "verified by hand"
    assert rows["failure"] == "no signature for sha256:4e1f0c2a9b7d…"
    lines = [line.plain for line in evidence_lines(result, NOW, NO_PALETTE)]
    assert lines[0].startswith("why:") and "≈ WAIVED" in lines[0]


def test_the_verdict_notice() -> None:
    results = [gate(F, "Image signed"), gate(P)]
    assert verdict_notice(Verdict.GO, Verdict.NO_GO, results) == (
        "NO-GO: 1 blocker (was GO). Image signed"
    )
    assert verdict_notice(Verdict.NO_GO, Verdict.GO, [gate(P)]) == "GO (was NO-GO). 1 passed"
