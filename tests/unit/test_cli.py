"""The CLI end to end: exit codes, messages, and `status` against the GitHub simulator."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from cockpit.cli import main
from cockpit.clock import FakeClock
from cockpit.errors import CockpitError
from cockpit.session import Session
from cockpit.sim import GitHubSim, Scenario

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def github() -> Iterator[GitHubSim]:
    with GitHubSim(Scenario(FakeClock())) as sim:
        yield sim


def write_config(tmp_path: Path, url: str, token: str = "") -> Path:
    token_line = f"\n    token: {token}" if token else ""
    path = tmp_path / "config.yaml"
    path.write_text(
        f"""environment: production
sources:
  gh:
    kind: github
    url: {url}{token_line}
services:
  - name: checkout
    ci: {{source: gh, repo: acme/checkout, branch: main}}
  - name: payments
    ci: {{source: gh, repo: acme/payments, branch: main}}
"""
    )
    return path


def test_status_json_follows_the_contract(
    github: GitHubSim, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_config(tmp_path, github.api_url)
    assert main(["status", "--json", "--config", str(config)]) == 0
    document = json.loads(capsys.readouterr().out)
    (source,) = document["sources"]
    assert source["name"] == "gh" and source["kind"] == "github"
    assert source["state"] == "fresh"
    assert source["error"] is None
    assert source["rate_limit"]["limit"] == 5000
    services = {p["service"] for p in document["pipelines"]}
    assert services == {"checkout", "payments"}
    run = document["pipelines"][0]
    assert set(run) >= {"service", "provider", "run_id", "name", "status", "commit", "url"}
    assert len(run["commit"]) == 7
    assert document["verdict"] in {"go", "no-go", "unknown"}


def test_status_reports_an_unreachable_source_as_data_not_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_config(tmp_path, "http://127.0.0.1:9")
    assert main(["status", "--json", "--config", str(config)]) == 0
    (source,) = json.loads(capsys.readouterr().out)["sources"]
    assert source["state"] == "failing"
    assert source["error"]["kind"] == "unreachable"
    assert "gh" in source["error"]["message"]


def test_status_with_a_missing_secret_names_the_variable(
    github: GitHubSim,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("COCKPIT_TEST_TOKEN", raising=False)
    config = write_config(tmp_path, github.api_url, token="{env: COCKPIT_TEST_TOKEN}")
    assert main(["status", "--json", "--config", str(config)]) == 0
    (source,) = json.loads(capsys.readouterr().out)["sources"]
    assert source["error"]["kind"] == "auth"
    assert "COCKPIT_TEST_TOKEN" in source["error"]["message"]


def test_status_human_output_names_sources_and_pipelines(
    github: GitHubSim, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_config(tmp_path, github.api_url)
    assert main(["status", "--config", str(config)]) == 0
    out = capsys.readouterr().out
    assert "FRESH" in out and "checkout" in out and "payments" in out


def test_no_config_found_says_where_it_looked_and_offers_init(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("COCKPIT_CONFIG", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    assert main(["status"]) == 2
    err = capsys.readouterr().err
    assert str(tmp_path / "xdg" / "cockpit" / "config.yaml") in err
    assert "cockpit init" in err


def test_a_broken_config_exits_2_with_located_problems(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("sources:\n  gh: {kind: github, url: https://x, intervl: 5s}\n")
    assert main(["status", "--config", str(path)]) == 2
    err = capsys.readouterr().err
    assert f"{path}:2:" in err and "intervl" in err
    assert "Traceback" not in err


def test_unknown_flag_exits_2_with_a_hint(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["status", "--jsn"])
    assert caught.value.code == 2
    assert "cockpit --help" in capsys.readouterr().err


def test_demo_speed_must_be_positive(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["demo", "--speed", "0"])
    assert caught.value.code == 2
    assert "greater than 0" in capsys.readouterr().err


def test_python_dash_m_is_the_same_program() -> None:
    module = subprocess.run(
        [sys.executable, "-m", "cockpit", "--version"], capture_output=True, text=True, check=True
    )
    script = Path(sys.executable).with_name("cockpit")
    console = subprocess.run([str(script), "--version"], capture_output=True, text=True, check=True)
    assert module.stdout == console.stdout
    assert module.stdout.startswith("cockpit ")


class StartsLikeTheApp:
    """Stands in for the TUI: builds the session as the App would, and reports how it went."""

    built: list[object] = []

    def __init__(self, build: Callable[[], object], clock: object, **_: object) -> None:
        self.build = build
        self.startup_error: BaseException | None = None
        self.return_code: int | None = None

    def run(self) -> None:
        try:
            StartsLikeTheApp.built.append(self.build())
        except Exception as exc:  # the App shows it on the dashboard, then the operator quits
            self.startup_error = exc


@pytest.fixture
def fake_tui(monkeypatch: pytest.MonkeyPatch) -> type[StartsLikeTheApp]:
    import screens.app

    StartsLikeTheApp.built = []
    monkeypatch.setattr(screens.app, "make_starting_app", StartsLikeTheApp)
    return StartsLikeTheApp


def test_demo_builds_its_session_after_launch_and_closes_the_world(
    fake_tui: type[StartsLikeTheApp],
) -> None:
    assert main(["demo", "--read-only", "--speed", "5"]) == 0
    (session,) = fake_tui.built
    assert isinstance(session, Session) and session.read_only
    url = next(iter(session.config.sources.values())).url
    assert url is not None and url.startswith("http://127.0.0.1:")
    with pytest.raises(httpx.TransportError):  # the simulated world was shut down at exit
        httpx.get(url, timeout=2)


def test_a_session_that_cannot_start_exits_1_and_says_why_on_stderr(
    fake_tui: type[StartsLikeTheApp],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    import cockpit.demo

    def broken(*_: object, **__: object) -> Session:
        raise CockpitError("port in use", title="Demo world failed", hint="stop the other demo")

    monkeypatch.setattr(cockpit.demo, "open_demo", broken)
    assert main(["demo"]) == 1
    err = capsys.readouterr().err
    assert "cockpit: could not start: port in use" in err
    assert "hint: stop the other demo" in err and "Traceback" not in err
