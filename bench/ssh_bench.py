"""The cockpit over a real SSH connection: bytes on the wire and on the terminal.

A real sshd on loopback (`tests.real.ssh_server.SshServer`, the same one the end-to-end tests
use), a byte-counting proxy in front of it (`TcpMeter`), and the real `ssh -t` client in a
fixed-size pseudo-terminal. The remote command is the cockpit, started exactly as an on-call
engineer would (`cd REPO && TERM=... python -m ...`). For each app: first paint (login
included), then a window in which the terminal bytes (what the client prints) and the wire
bytes (SSH packets, both ways) are counted, then `q` and the remote exit code through ssh.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass

from bench.pty_harness import PtyProcess
from bench.tcp_meter import TcpMeter
from bench.tui_bench import (
    EXIT_TIMEOUT_S,
    PAINT_TIMEOUT_S,
    PYCACHE,
    REPO,
    AppUnderTest,
    bench_env,
)
from tests.real.ssh_server import SshServer, remote_shell_command


@dataclass
class SshRun:
    app: str
    cols: int
    rows: int
    first_paint_s: float | None = None
    window_s: float = 0.0
    terminal_bytes_per_s: float | None = None
    wire_down_bytes_per_s: float | None = None
    wire_up_bytes_per_s: float | None = None
    wire_total_bytes: int = 0
    exit_code: int | None = None
    error: str = ""

    def to_json(self) -> dict[str, object]:
        return asdict(self)


def remote_argv(app: AppUnderTest) -> str:
    """The app's command as the remote login shell runs it (the venv's python, by path)."""
    env = {
        "TERM": "xterm-256color",
        "PYTHONPATH": str(REPO),
        "PYTHONPYCACHEPREFIX": str(PYCACHE),
        **app.env,
    }
    return remote_shell_command(REPO, app.argv, env)


def measure_over_ssh(
    server: SshServer,
    app: AppUnderTest,
    *,
    window_s: float,
    settle_s: float = 3.0,
    cols: int = 120,
    rows: int = 40,
) -> SshRun:
    run = SshRun(app.name, cols, rows)
    with TcpMeter(server.port) as meter:
        argv = server.ssh_argv(remote_argv(app), port=meter.port)
        with PtyProcess(argv, cols=cols, rows=rows, env=bench_env(), cwd=str(REPO)) as proc:
            run.first_paint_s = proc.wait_for(app.marker, PAINT_TIMEOUT_S)
            if run.first_paint_s is None:
                run.error = f"no first paint over ssh:\n{proc.screen_text()}"
                return run
            if app.ready is not None and proc.wait_for(app.ready, PAINT_TIMEOUT_S) is None:
                run.error = f"data never on screen over ssh:\n{proc.screen_text()}"
            proc.pump(settle_s)
            down0, up0 = meter.counts()
            start = time.monotonic()
            proc.pump(window_s)
            end = time.monotonic()
            down1, up1 = meter.counts()
            run.window_s = end - start
            run.terminal_bytes_per_s = proc.output.bytes_between(start, end) / run.window_s
            run.wire_down_bytes_per_s = (down1 - down0) / run.window_s
            run.wire_up_bytes_per_s = (up1 - up0) / run.window_s
            run.exit_code, _ = proc.quit_and_wait(b"q", EXIT_TIMEOUT_S)
        run.wire_total_bytes = sum(meter.counts())
    return run
