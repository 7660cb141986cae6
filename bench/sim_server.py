"""A GitHub Actions simulator frozen in time, in its own process, for the benchmarks.

Why a process of its own: the simulator's threads must not share a GIL (or a CPU account) with
the thing being measured, be it the TUI (idle CPU) or the engine (poll-cycle wall time).

The world is `cockpit.sim.Scenario` on a `FakeClock` that is moved to `--at` seconds after the
release window opened and never again, so every answer is identical forever (same body, same
ETag): "nothing changes in the data". On top of `GitHubSim`'s own router this adds
- a fleet: repository `acme/<service>--<n>` is answered as `acme/<service>`, so a config can have
  500 distinct services (500 distinct URLs, ETags and cache entries) over the scenario's four;
- injected latency: every request waits `--latency-ms` before it is answered (in its connection
  thread, so concurrent requests wait concurrently, as over a real network);
- counters: requests in flight now and at most.

- optionally (`--memo`), answers from memory for requests it already answered (see
  `MeteredRouter`).

Protocol (one line each way, JSON answers): it prints `READY <url>`; then reads commands on stdin:
`stats` (the counters and this process's CPU seconds), `reset` (zero them) and `quit`.

Run: `python -m bench.sim_server --at 600 --latency-ms 50`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import subprocess
import sys
import threading
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from cockpit.clock import FakeClock
from cockpit.sim import GitHubSim, Scenario
from cockpit.sim.server import Request, Response, Router, SimServer

FLEET_SEPARATOR = "--"
_FLEET_REPO = re.compile(r"^(?P<head>/repos/[^/]+/[^/]+?)--\d+(?P<tail>/.*)?$")


def fleet_path(path: str) -> str:
    """`/repos/acme/checkout--017/actions/runs` -> `/repos/acme/checkout/actions/runs`."""
    match = _FLEET_REPO.match(path)
    return path if match is None else match["head"] + (match["tail"] or "")


def endpoint(path: str) -> str:
    """`/repos/acme/checkout/actions/runs/71/jobs` -> `/repos/{repo}/actions/runs/{id}/jobs`."""
    path = re.sub(r"^/repos/[^/]+/[^/]+", "/repos/{repo}", path)
    return re.sub(r"/\d+(?=/|$)", "/{id}", path)


class MeteredRouter:
    """Wraps GitHubSim's router: fleet paths, injected latency, counters, optional memo.

    Counters (by status, GitHub's rules): a 304 costs nothing; a 403 "rate limit exceeded" is
    refused, not charged; every other answer is charged one request.

    `memo=True` (the poll-cycle benchmark) answers a request the simulator already answered
    from memory: the world is frozen, so the answer is the same, and the simulator's own cost
    (building a 180 KB listing, ~3 ms of Python, even for a 304) stays out of the cockpit's
    figure. Memo answers carry the rate-limit headers of the budget this router counts.
    """

    def __init__(self, inner: Router, *, latency_s: float, memo: bool = False) -> None:
        self.inner = inner
        self.latency_s = latency_s
        self.memo = memo
        self.rate_limit = 5000
        self._answers: dict[tuple[str, str], Response] = {}
        self._lock = threading.Lock()
        self.in_flight = 0
        self.max_in_flight = 0
        self.requests = self.not_modified = self.charged = self.rate_limited = 0
        self.endpoints: dict[str, int] = {}

    def dispatch(self, request: Request) -> Response:
        with self._lock:
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            if self.latency_s > 0:
                time.sleep(self.latency_s)
            request = replace(request, path=fleet_path(request.path))
            response = self._answer(request)
            self._count(request, response)
            return response
        finally:
            with self._lock:
                self.in_flight -= 1

    def _answer(self, request: Request) -> Response:
        key = (request.path, json.dumps(sorted(request.query.items())))
        remembered = self._answers.get(key) if self.memo and request.method == "GET" else None
        if remembered is None:
            response = self.inner.dispatch(request)
            if self.memo and response.status == 200 and response.header("ETag"):
                self._answers[key] = response
            return response
        headers = dict(remembered.headers)
        headers["x-ratelimit-remaining"] = str(max(0, self.rate_limit - self.charged))
        headers["x-ratelimit-used"] = str(self.charged)
        wanted = {t.strip() for t in request.header("if-none-match").split(",") if t.strip()}
        if remembered.header("ETag") in wanted:
            return Response(304, headers, b"")
        return Response(200, headers, remembered.body)

    def _count(self, request: Request, response: Response) -> None:
        with self._lock:
            self.requests += 1
            kind = endpoint(request.path)
            self.endpoints[kind] = self.endpoints.get(kind, 0) + 1
            if response.status == 304:
                self.not_modified += 1
            elif response.status == 403 and b"rate limit" in response.body:
                self.rate_limited += 1
            else:
                self.charged += 1

    def counters(self) -> dict[str, int]:
        with self._lock:
            return {
                "requests": self.requests,
                "not_modified": self.not_modified,
                "charged": self.charged,
                "rate_limited": self.rate_limited,
                "max_in_flight": self.max_in_flight,
                "endpoints": dict(self.endpoints),
            }

    def reset(self) -> None:
        with self._lock:
            self.max_in_flight = self.in_flight
            self.requests = self.not_modified = self.charged = self.rate_limited = 0
            self.endpoints = {}


def frozen_sim(at_s: float) -> GitHubSim:
    """A GitHubSim whose scenario clock stands still at T + `at_s` (not started)."""
    clock = FakeClock()
    scenario = Scenario(clock)  # the release window opens at the clock's start: T
    asyncio.run(clock.advance(at_s))
    return GitHubSim(scenario)


def serve(at_s: float, latency_ms: float, memo: bool) -> int:
    sim = frozen_sim(at_s)
    router = MeteredRouter(sim.router, latency_s=latency_ms / 1000, memo=memo)
    router.rate_limit = sim.rate_limit
    # Serve GitHubSim's routes through the metered router (GitHubSim's own server stays unused).
    server = SimServer(router, name="bench-github")  # type: ignore[arg-type]
    server.start()
    cpu_base = time.process_time()
    print(f"READY {server.url}", flush=True)
    try:
        for line in sys.stdin:
            command = line.strip()
            if command == "stats":
                answer: dict[str, Any] = router.counters()
                answer["remaining"] = sim.remaining if not memo else None
                answer["rate_limit"] = sim.rate_limit
                answer["cpu_s"] = time.process_time() - cpu_base
                print(json.dumps(answer), flush=True)
            elif command == "reset":
                router.reset()
                cpu_base = time.process_time()
                print("{}", flush=True)
            elif command == "quit":
                break
    finally:
        server.stop()
    return 0


class SimProcess:
    """The simulator as a child process: `with SimProcess(at_s=600) as sim: sim.url`."""

    def __init__(
        self, *, at_s: float, latency_ms: float = 0.0, memo: bool = False, cwd: Path | None = None
    ) -> None:
        self.argv = [
            sys.executable,
            "-m",
            "bench.sim_server",
            "--at",
            str(at_s),
            "--latency-ms",
            str(latency_ms),
            *(["--memo"] if memo else []),
        ]
        self.cwd = cwd or Path(__file__).resolve().parent.parent
        self.url = ""
        self._process: subprocess.Popen[str] | None = None

    def __enter__(self) -> SimProcess:
        self._process = subprocess.Popen(
            self.argv,
            cwd=self.cwd,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            bufsize=1,
        )
        line = self._readline(timeout=30)
        if not line.startswith("READY "):
            self.close()
            raise RuntimeError(f"the benchmark simulator did not start: {line!r}")
        self.url = line.split(" ", 1)[1].strip()
        return self

    def _readline(self, timeout: float) -> str:
        assert self._process is not None and self._process.stdout is not None
        stdout = self._process.stdout
        result: list[str] = []
        reader = threading.Thread(target=lambda: result.append(stdout.readline()), daemon=True)
        reader.start()
        reader.join(timeout)
        return result[0] if result else ""

    def _ask(self, command: str) -> dict[str, Any]:
        assert self._process is not None and self._process.stdin is not None
        self._process.stdin.write(command + "\n")
        self._process.stdin.flush()
        answer: dict[str, Any] = json.loads(self._readline(timeout=10) or "{}")
        return answer

    def stats(self) -> dict[str, Any]:
        return self._ask("stats")

    def reset(self) -> None:
        self._ask("reset")

    def close(self) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        try:
            if process.stdin is not None:
                process.stdin.write("quit\n")
                process.stdin.close()
            process.wait(10)
        except (OSError, subprocess.TimeoutExpired):
            process.kill()
            process.wait(5)
        if process.stdout is not None:
            process.stdout.close()

    def __exit__(self, *exc: object) -> None:
        self.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.sim_server", description=__doc__)
    parser.add_argument("--at", type=float, default=600.0, help="scenario seconds to freeze at")
    parser.add_argument("--latency-ms", type=float, default=0.0, help="per-request delay")
    parser.add_argument("--memo", action="store_true", help="answer repeats from memory")
    args = parser.parse_args(argv)
    return serve(args.at, args.latency_ms, args.memo)


if __name__ == "__main__":
    raise SystemExit(main())
