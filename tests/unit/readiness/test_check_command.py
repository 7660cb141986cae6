"""`cockpit check`: exit codes, the human table and the --json document, with a fake poll."""

from __future__ import annotations

import io
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml

from cockpit.clock import FakeClock
from cockpit.commands import check
from cockpit.config.models import Config
from cockpit.models import PipelineRun, RunStatus
from cockpit.models.release_data import ArtifactStatus, QueryResult
from cockpit.models.snapshot import Snapshot

from .helpers import NOW, SERVICES, SOURCES, fresh

QUERY = "slo:burn_rate1h"
GATES: list[dict[str, Any]] = [
    {"kind": "ci_green", "service": "checkout"},
    {"kind": "artifact_present", "service": "checkout"},
    {"kind": "error_budget", "source": "prom", "query": QUERY, "max": 1},
]


class Harness:
    """Writes the config, fakes config loading and polling, runs `cmd_check`."""

    def __init__(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        self.tmp_path = tmp_path
        self.polled: list[Config] = []
        self.snapshot = Snapshot(taken_at=NOW)
        # The real loader runs (it refuses undefined names and broken calendars); relative
        # calendar paths resolve from the working directory, as for an operator.
        monkeypatch.chdir(tmp_path)
        monkeypatch.setattr(check, "poll_once", self._poll)

    async def _poll(
        self, config: Config, environ: Mapping[str, str], clock: object = None
    ) -> Snapshot:
        self.polled.append(config)
        return self.snapshot

    def config(
        self,
        gates: list[dict[str, Any]],
        sources: dict[str, Any] | None = None,
        services: list[dict[str, Any]] | None = None,
    ) -> str:
        data = {
            "release": {"name": "checkout 2.14.0", "ref": "v2.14.0"},
            "sources": SOURCES if sources is None else sources,
            "services": SERVICES if services is None else services,
            "gates": gates,
        }
        path = self.tmp_path / "cockpit.yaml"
        path.write_text(yaml.safe_dump(data))
        return str(path)

    def run(self, path: str | None, *, release: str | None = None, as_json: bool = False):  # type: ignore[no-untyped-def]
        out, err = io.StringIO(), io.StringIO()
        code = check.cmd_check(
            path, release, as_json, out, err, {}, clock=FakeClock(NOW), base_dir=self.tmp_path
        )
        return code, out.getvalue(), err.getvalue()


@pytest.fixture
def harness(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Harness:
    return Harness(tmp_path, monkeypatch)


def polled(
    *, ci: RunStatus = RunStatus.SUCCESS, budget: float = 0.3, tag: str = "v2.14.0"
) -> Snapshot:
    return Snapshot(
        taken_at=NOW,
        sources=tuple(fresh(name, s["kind"]) for name, s in SOURCES.items() if name != "am"),
        pipelines=(
            PipelineRun(
                service="checkout",
                provider="github",
                run_id="1",
                name="ci",
                status=ci,
                commit="abc1234",
                branch=tag,
                source="gh",
            ),
        ),
        artifacts=(
            ArtifactStatus(
                service="checkout",
                image="acme/checkout",
                tag=tag,
                present=True,
                digest="sha256:" + "0" * 64,
                source="registry",
                fetched_at=NOW,
            ),
        ),
        queries=(
            QueryResult(
                query=QUERY,
                value=budget,
                result_type="vector",
                series=1,
                source="prom",
                evaluated_at=NOW,
            ),
        ),
    )


def test_go_exits_0_and_says_go(harness: Harness) -> None:
    harness.snapshot = polled()
    code, out, err = harness.run(harness.config(GATES))
    assert (code, err) == (0, "")
    assert out.splitlines()[-1] == "GO: 0 failing, 0 unknown, 3 passing, 0 waived"
    assert "PASS     CI green: checkout" in out
    assert "am unknown" in out  # the configured source the poll did not report


def test_no_go_exits_1_and_names_the_failing_gate(harness: Harness) -> None:
    harness.snapshot = polled(ci=RunStatus.FAILURE, budget=0.3)
    code, out, _ = harness.run(harness.config(GATES))
    assert code == 1
    assert out.splitlines()[-1] == (
        "NO-GO: 1 failing (CI green: checkout), 0 unknown, 2 passing, 0 waived"
    )
    row = next(line for line in out.splitlines() if line.startswith("FAIL"))
    assert row.split() == [
        "FAIL",
        "CI",
        "green:",
        "checkout",
        "ci",
        "#1",
        "failed",
        "on",
        "v2.14.0",
    ]


def test_unknown_exits_1_and_says_unknown(harness: Harness) -> None:
    harness.snapshot = polled(ci=RunStatus.RUNNING)
    code, out, _ = harness.run(
        harness.config([*GATES, {"kind": "approvals", "service": "checkout"}])
    )
    assert code == 1
    assert out.splitlines()[-1].startswith("UNKNOWN: 0 failing, 2 unknown")


def test_json_is_one_document_with_every_source_and_gate(harness: Harness) -> None:
    harness.snapshot = polled(budget=2.5)
    code, out, _ = harness.run(harness.config(GATES), as_json=True)
    assert code == 1
    document = json.loads(out)  # exactly one document: json.loads rejects trailing data
    assert document["verdict"] == "no-go"
    assert {s["name"]: s["state"] for s in document["sources"]} == {
        "gh": "fresh",
        "registry": "fresh",
        "prom": "fresh",
        "am": "unknown",
    }
    assert [g["kind"] for g in document["gates"]] == [
        "ci_green",
        "artifact_present",
        "error_budget",
    ]
    for gate in document["gates"]:
        assert set(gate) >= {
            "kind",
            "title",
            "verdict",
            "reason",
            "evidence",
            "source",
            "fetched_at",
        }
        assert gate["verdict"] == "pass" or gate["reason"]
    assert [g["source"] for g in document["gates"]] == ["gh", "registry", "prom"]
    assert document["gates"][2]["reason"] == "value 2.5 is above max 1"
    assert document["gates"][1]["evidence"]["digest"] == "sha256:" + "0" * 64
    assert document["gates"][2]["fetched_at"] == "2026-11-23T10:00:00Z"
    assert document["release"] == {"name": "checkout 2.14.0", "ref": "v2.14.0"}


def test_release_override_reaches_the_poll_and_the_gates(harness: Harness) -> None:
    harness.snapshot = polled(tag="v2.15.0")
    code, out, _ = harness.run(harness.config(GATES), release="v2.15.0", as_json=True)
    assert code == 0
    assert harness.polled[0].release.ref == "v2.15.0"
    assert json.loads(out)["gates"][1]["reason"].startswith("acme/checkout:v2.15.0 is sha256:")


@pytest.mark.parametrize(
    ("gate", "named"),
    [
        ({"kind": "ci_green", "service": "checkoutt"}, "service `checkoutt` is not defined"),
        ({"kind": "alerts_quiet", "source": "alertmgr"}, "source `alertmgr` is not defined"),
        ({"kind": "error_budget", "source": "promm", "query": "up", "max": 1}, "source `promm`"),
    ],
)
def test_a_gate_naming_an_undefined_name_exits_2(
    harness: Harness, gate: dict[str, Any], named: str
) -> None:
    code, out, err = harness.run(harness.config([gate]), as_json=True)
    assert (code, out) == (2, "")
    assert named in err
    assert harness.polled == []


def test_a_broken_freeze_calendar_exits_2_with_its_line(harness: Harness) -> None:
    (harness.tmp_path / "freeze.yaml").write_text(
        "windows:\n  - name: W\n    timezone: Moon/Base\n    start: 2026-01-01 00:00\n"
        "    end: 2026-01-02 00:00\n"
    )
    code, _, err = harness.run(
        harness.config([{"kind": "freeze_window", "calendar": "freeze.yaml"}])
    )
    assert code == 2
    assert "freeze.yaml:3:15: windows.0.timezone: unknown time zone 'Moon/Base'" in err


def test_no_config_exits_2(harness: Harness) -> None:
    code, out, err = harness.run(None)
    assert (code, out) == (2, "")
    assert "no config found" in err


def test_no_sources_skips_polling_and_local_gates_still_decide(harness: Harness) -> None:
    (harness.tmp_path / "freeze.yaml").write_text(
        "timezone: Europe/Berlin\nwindows:\n  - name: Black Friday\n"
        "    start: 2026-11-20 00:00\n    end: 2026-11-30 08:00\n"
    )
    path = harness.config(
        [{"kind": "freeze_window", "calendar": "freeze.yaml"}], sources={}, services=[]
    )
    code, out, _ = harness.run(path)
    assert code == 1
    assert harness.polled == []
    # Now is Monday 23 November: a week away, so the date is named.
    assert "frozen: Black Friday, until Mon 30 Nov 08:00 Europe/Berlin" in out
    assert out.splitlines()[-1].startswith("NO-GO")


def test_an_empty_release_is_a_usage_error(harness: Harness) -> None:
    code, _, err = harness.run(harness.config(GATES), release=" ")
    assert code == 2
    assert "--release needs a ref" in err
