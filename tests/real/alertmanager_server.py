"""A real Alertmanager on loopback, holding known alerts and one silence.

Test modules import the `alertmanager` fixture from here. It starts `prometheus-alertmanager` on
a free port with its own storage directory and `--cluster.listen-address=` (otherwise it opens a
gossip port on 0.0.0.0:9094), waits for `/-/ready`, posts three alerts with explicit `startsAt`
and `endsAt` (Alertmanager 0.25 sets a missing `startsAt` to `endsAt`), silences one of them via
`POST /api/v2/silences`, waits until `GET /api/v2/alerts` shows all of that, and stops the
server by its PID.

A missing binary or a server that does not start FAILS the tests (they never skip):
scripts/install-and-test installs the Debian package.
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.real.prometheus_server import free_port, require_binary

START_TIMEOUT_S = 30.0
INSTALL_HINT = "scripts/install-and-test installs it (Debian package `prometheus-alertmanager`)"
CONFIG = """\
route:
  receiver: blackhole
receivers:
  - name: blackhole
"""

FIRING = {"alertname": "CheckoutErrors", "service": "checkout", "severity": "critical"}
WARNING = {"alertname": "CheckoutSlow", "service": "checkout", "severity": "warning"}
SILENCED = {"alertname": "PaymentsDiskFull", "service": "payments", "severity": "page"}
SUMMARIES = {
    "CheckoutErrors": "5xx ratio \x1b[31mabove\x1b[0m 2% on checkout",
    "CheckoutSlow": "p99 latency above 800ms",
    "PaymentsDiskFull": "disk 91% full",
}


@dataclass(frozen=True)
class AlertmanagerServer:
    """A running Alertmanager with the alerts above posted and one silence."""

    url: str
    silence_id: str
    starts_at: datetime
    pid: int
    log: Path


def rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _tail(log: Path) -> str:
    return log.read_text(errors="replace")[-2000:] if log.exists() else "(no log)"


def _wait_ready(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(
                f"alertmanager exited with {process.returncode}:\n{_tail(log)}", pytrace=False
            )
        try:
            if httpx.get(f"{url}/-/ready", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    pytest.fail(f"alertmanager not ready within {START_TIMEOUT_S:g}s:\n{_tail(log)}", pytrace=False)


def _seed(url: str, starts_at: datetime) -> str:
    """Post the alerts and the silence; the silence id."""
    ends_at = rfc3339(starts_at + timedelta(hours=2))
    alerts = [
        {
            "labels": labels,
            "annotations": {"summary": SUMMARIES[labels["alertname"]]},
            "startsAt": rfc3339(starts_at),
            "endsAt": ends_at,
        }
        for labels in (FIRING, WARNING, SILENCED)
    ]
    posted = httpx.post(f"{url}/api/v2/alerts", json=alerts, timeout=5)
    assert posted.status_code == 200, posted.text
    silence = {
        "matchers": [
            {"name": "alertname", "value": SILENCED["alertname"], "isRegex": False, "isEqual": True}
        ],
        "startsAt": rfc3339(starts_at),
        "endsAt": ends_at,
        "createdBy": "release-cockpit tests",
        "comment": "disk is being replaced",
    }
    created = httpx.post(f"{url}/api/v2/silences", json=silence, timeout=5)
    assert created.status_code == 200, created.text
    return str(created.json()["silenceID"])


def _wait_seeded(url: str, log: Path) -> None:
    """Until all three alerts are listed, the silenced one suppressed, the others active."""
    expected = {FIRING["alertname"]: "active", WARNING["alertname"]: "active"}
    expected[SILENCED["alertname"]] = "suppressed"
    deadline = time.monotonic() + START_TIMEOUT_S
    seen: Any = None
    while time.monotonic() < deadline:
        seen = httpx.get(f"{url}/api/v2/alerts", timeout=2).json()
        states = {a["labels"]["alertname"]: a["status"]["state"] for a in seen}
        if states == expected:
            return
        time.sleep(0.1)
    pytest.fail(
        f"alertmanager never showed the seeded alerts; last answer: {seen}\n{_tail(log)}",
        pytrace=False,
    )


@pytest.fixture(scope="module")
def alertmanager(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AlertmanagerServer]:
    """An Alertmanager with three alerts (one silenced); stopped by PID after the module."""
    binary = require_binary("prometheus-alertmanager", INSTALL_HINT)
    workdir = tmp_path_factory.mktemp("alertmanager")
    config = workdir / "alertmanager.yml"
    config.write_text(CONFIG)
    log = workdir / "alertmanager.log"
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [
                binary,
                f"--config.file={config}",
                f"--storage.path={workdir / 'data'}",
                f"--web.listen-address=127.0.0.1:{port}",
                "--cluster.listen-address=",
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_ready(url, process, log)
        starts_at = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=1)
        silence_id = _seed(url, starts_at)
        _wait_seeded(url, log)
        yield AlertmanagerServer(url, silence_id, starts_at, process.pid, log)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
