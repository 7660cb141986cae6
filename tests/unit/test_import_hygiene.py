"""Headless commands must never load Textual: it costs start-up time and memory on a bastion."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

PROBE = textwrap.dedent(
    """
    import contextlib, io, json, sys
    from cockpit.cli import main
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
        try:
            code = main(sys.argv[1:])
        except SystemExit as exc:
            code = exc.code
    loaded = sorted(m for m in sys.modules if m.split(".")[0] in {"textual", "widgets", "screens"})
    print(json.dumps({"code": code, "loaded": loaded}))
    """
)


def run_headless(*argv: str, env: dict[str, str] | None = None) -> dict[str, object]:
    result = subprocess.run(
        [sys.executable, "-c", PROBE, *argv],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize(
    "argv",
    [
        ("validate", "config/example.yaml"),
        ("config", "schema"),
        ("--version",),
    ],
)
def test_headless_command_leaves_textual_unloaded(argv: tuple[str, ...]) -> None:
    outcome = run_headless(*argv)
    assert outcome["loaded"] == [], f"{argv} imported {outcome['loaded']}"


def test_status_leaves_textual_unloaded(tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    # A source on a closed loopback port: status polls it, reports it, and stays headless.
    config.write_text(
        "sources:\n  prom: {kind: prometheus, url: 'http://127.0.0.1:9', timeout: 1s}\n"
    )
    outcome = run_headless("status", "--json", "--config", str(config))
    assert outcome["code"] == 0
    assert outcome["loaded"] == []


def test_the_probe_would_notice_textual() -> None:
    """Guard against a probe that can never fail: importing the App must show up."""
    probe = "import sys, screens.app; print('textual' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, check=True
    )
    assert result.stdout.strip() == "True"


FIRST_FRAME_PROBE = textwrap.dedent(
    """
    import json, sys
    import cockpit.cli, cockpit.clock, cockpit.session, screens.app
    print(json.dumps(sorted(sys.modules)))
    """
)

NOT_BEFORE_THE_FIRST_FRAME = (
    "pydantic",
    "httpx",
    "aiohttp",
    "yaml",
    "cockpit.config.models",
    "cockpit.models",
    "cockpit.engine",
    "cockpit.sources",
    "cockpit.sim",
    "cockpit.readiness",
    "widgets.pipelines_pane",
    "textual.widgets._data_table",
)
"""Config models, HTTP, simulators, the engine and the panes' code load after the first frame."""


def test_the_first_frame_needs_none_of_the_session_modules() -> None:
    result = subprocess.run(
        [sys.executable, "-c", FIRST_FRAME_PROBE],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
        check=True,
    )
    loaded = json.loads(result.stdout.strip().splitlines()[-1])
    assert "textual.app" in loaded  # the probe would notice an import
    early = [m for m in loaded if m.startswith(NOT_BEFORE_THE_FIRST_FRAME)]
    assert early == []


def test_a_broken_config_ends_before_the_tui_starts(tmp_path: Path) -> None:
    """`cockpit --config bad.yaml`: exit 2, located problems on stderr, Textual never loaded."""
    config = tmp_path / "bad.yaml"
    config.write_text("sources:\n  gh: {kind: github, url: https://x, intervl: 5s}\n")
    outcome = run_headless("--config", str(config))
    assert outcome["code"] == 2
    assert outcome["loaded"] == []
