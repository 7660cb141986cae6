"""What a cockpit that could not start says on screen."""

from __future__ import annotations

from cockpit.errors import CockpitError
from cockpit.present.startup import QUIT_HINT, startup_failure_text


def test_an_expected_error_shows_its_title_message_and_hint() -> None:
    error = CockpitError("port 8080 in use", title="Simulator failed", hint="stop the other demo")
    assert startup_failure_text(error).splitlines() == [
        f"Could not start: Simulator failed. {QUIT_HINT}",
        "port 8080 in use",
        "stop the other demo",
    ]


def test_a_bug_is_named_in_one_line_without_a_traceback() -> None:
    text = startup_failure_text(KeyError("gh"))
    assert text.splitlines()[:2] == [
        f"Could not start: a bug in the cockpit. {QUIT_HINT}",
        "KeyError: 'gh'",
    ]
    assert "Traceback" not in text
