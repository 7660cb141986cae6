"""A real Prometheus on loopback with a deterministic, backfilled history.

Test modules import the `prometheus` fixture from here. It writes an OpenMetrics file (timestamps
in seconds, ending with `# EOF`), turns it into TSDB blocks with `promtool tsdb
create-blocks-from openmetrics`, starts a non-scraping Prometheus with a 100-year retention on a
free port, waits for `/-/ready` and then for the data to be queryable at `QUERY_TIME`, and stops
it by its PID. Queries must pass `time=QUERY_TIME` (a `FakeClock` set there), because the history
is fixed, not live.

Missing binaries or a server that does not start FAIL the tests (they never skip):
scripts/install-and-test installs the Debian packages.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

# The history: one hour from HISTORY_START, a sample every STEP_S seconds.
HISTORY_START = 1_790_000_000  # 2026-09-21T12:53:20Z, whole seconds
HISTORY_SECONDS = 3600
STEP_S = 60
QUERY_TIME = datetime.fromtimestamp(HISTORY_START + 1800, UTC)
START_TIMEOUT_S = 30.0
INSTALL_HINT = "scripts/install-and-test installs it (Debian package `prometheus`)"

# What the history holds, for the tests' expectations.
BURN_RATES = {"checkout": 0.4, "payments": 2.5}
ERRORS_PER_S = 0.1
OKS_PER_S = 10.0


@dataclass(frozen=True)
class PrometheusServer:
    """A running Prometheus: where it listens and when its data can be queried."""

    url: str
    query_time: datetime
    pid: int
    log: Path


def free_port() -> int:
    """A port nobody listens on right now (bind 0, read it, close)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def require_binary(name: str, hint: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"`{name}` is not installed: {hint}", pytrace=False)
    return path


def openmetrics_history() -> str:
    """The deterministic history in OpenMetrics text (seconds; counters as `<name>_total`)."""
    lines = [
        "# HELP slo:burn_rate1h Error-budget burn rate over one hour.",
        "# TYPE slo:burn_rate1h gauge",
    ]
    times = range(HISTORY_START, HISTORY_START + HISTORY_SECONDS + 1, STEP_S)
    for service, rate in BURN_RATES.items():
        lines += [f'slo:burn_rate1h{{service="{service}"}} {rate} {t}' for t in times]
    lines += [
        "# HELP slo:error_ratio Errors over requests (NaN: no traffic at all).",
        "# TYPE slo:error_ratio gauge",
    ]
    lines += [f'slo:error_ratio{{service="idle"}} NaN {t}' for t in times]
    lines += ["# HELP queue_depth Jobs waiting per zone.", "# TYPE queue_depth gauge"]
    for zone, depth in (("a", 3), ("b", 5)):
        lines += [f'queue_depth{{service="search",zone="{zone}"}} {depth} {t}' for t in times]
    lines += ["# HELP http_requests Requests served.", "# TYPE http_requests counter"]
    for code, per_s in (("200", OKS_PER_S), ("500", ERRORS_PER_S)):
        lines += [
            f'http_requests_total{{service="checkout",code="{code}"}} '
            f"{round(per_s * (t - HISTORY_START), 3)} {t}"
            for t in times
        ]
    lines.append("# EOF")
    return "\n".join(lines) + "\n"


def _backfill(promtool: str, workdir: Path) -> Path:
    source = workdir / "history.om"
    source.write_text(openmetrics_history())
    data = workdir / "data"
    done = subprocess.run(
        [promtool, "tsdb", "create-blocks-from", "openmetrics", str(source), str(data)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if done.returncode != 0:
        pytest.fail(
            f"promtool could not backfill the history:\n{done.stderr[-2000:]}", pytrace=False
        )
    return data


def _tail(log: Path) -> str:
    return log.read_text(errors="replace")[-2000:] if log.exists() else "(no log)"


def _wait(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    """Wait for /-/ready, then for the backfilled data at QUERY_TIME (both bounded)."""
    deadline = time.monotonic() + START_TIMEOUT_S
    probe = {"query": 'slo:burn_rate1h{service="checkout"}', "time": str(QUERY_TIME.timestamp())}
    ready = False
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(
                f"prometheus exited with {process.returncode}:\n{_tail(log)}", pytrace=False
            )
        try:
            if not ready:
                ready = httpx.get(f"{url}/-/ready", timeout=2).status_code == 200
            if ready:
                answer = httpx.get(f"{url}/api/v1/query", params=probe, timeout=2).json()
                if answer.get("data", {}).get("result"):
                    return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    what = "its data to be queryable" if ready else "/-/ready"
    pytest.fail(
        f"prometheus did not get {what} within {START_TIMEOUT_S:g}s:\n{_tail(log)}", pytrace=False
    )


@pytest.fixture(scope="module")
def prometheus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrometheusServer]:
    """A Prometheus serving the backfilled history; stopped by PID after the module."""
    binary = require_binary("prometheus", INSTALL_HINT)
    promtool = require_binary("promtool", INSTALL_HINT)
    workdir = tmp_path_factory.mktemp("prometheus")
    data = _backfill(promtool, workdir)
    config = workdir / "prometheus.yml"
    config.write_text("global:\n  evaluation_interval: 1h\n")  # no scrape_configs: never scrapes
    log = workdir / "prometheus.log"
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [
                binary,
                f"--config.file={config}",
                f"--storage.tsdb.path={data}",
                "--storage.tsdb.retention.time=100y",
                f"--web.listen-address=127.0.0.1:{port}",
                f"--web.external-url={url}/",
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait(url, process, log)
        yield PrometheusServer(url, QUERY_TIME, process.pid, log)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
