"""The `command` gate: a local command's exit status, with the tail of its output as evidence.

`run` is an argv list executed without a shell; with `shell: true` its items are joined with
spaces and run by `/bin/sh -c`. The command runs in its own process group (session), in the
given working directory, with stdin closed and stderr merged into stdout. When `timeout` (on
the injected clock) passes first, the whole group gets SIGTERM, then SIGKILL after a short
grace, so helpers it started do not outlive it.

Outcomes: exit 0 passes; a non-zero exit, a signal or a timeout fails with the last output line
in the reason; a command that cannot be started at all (missing, not executable) is unknown:
the check did not run, so nothing is known about what it checks.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from cockpit.clock import Clock
from cockpit.config.durations import format_duration
from cockpit.config.models import CommandGate
from cockpit.models.readiness import GateResult, GateVerdict
from cockpit.readiness.common import one_line, result, unknown
from cockpit.text import sanitize

TAIL_LINES = 20
_TAIL_BYTES = 16 * 1024
# Real seconds a timed-out group gets between SIGTERM and SIGKILL, and to flush its pipe.
KILL_GRACE_S = 2.0
_SHELL_NOT_FOUND = 127


class OutputTail:
    """The last bytes of a stream, bounded however much the command prints."""

    def __init__(self, limit: int = _TAIL_BYTES) -> None:
        self.limit = limit
        self._data = bytearray()

    def feed(self, chunk: bytes) -> None:
        self._data += chunk
        if len(self._data) > self.limit:
            del self._data[: len(self._data) - self.limit]

    def text(self, lines: int = TAIL_LINES) -> str:
        """The last `lines` lines, sanitised for a terminal (newlines kept)."""
        clean = sanitize(bytes(self._data), keep_newlines=True).rstrip("\n")
        return "\n".join(clean.splitlines()[-lines:])


def _last_line(tail: str) -> str:
    for line in reversed(tail.splitlines()):
        if line.strip():
            return one_line(line, 160)
    return ""


def _signal_group(pid: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signum)


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return str(number)


async def _pump(stream: asyncio.StreamReader | None, tail: OutputTail) -> None:
    if stream is None:
        return
    while chunk := await stream.read(4096):
        tail.feed(chunk)


async def _finish(process: asyncio.subprocess.Process, tail: OutputTail) -> int:
    """Read all output, then the exit status."""
    await _pump(process.stdout, tail)
    return await process.wait()


async def _stop_group(process: asyncio.subprocess.Process) -> None:
    """SIGTERM the process group, SIGKILL whatever is left after the grace."""
    _signal_group(process.pid, signal.SIGTERM)
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(process.wait(), KILL_GRACE_S)
    _signal_group(process.pid, signal.SIGKILL)
    await process.wait()


async def _start(
    gate: CommandGate, cwd: Path | None, env: Mapping[str, str] | None
) -> asyncio.subprocess.Process:
    options: dict[str, Any] = {
        "stdin": asyncio.subprocess.DEVNULL,
        "stdout": asyncio.subprocess.PIPE,
        "stderr": asyncio.subprocess.STDOUT,
        "cwd": cwd,
        "env": None if env is None else dict(env),
        "start_new_session": True,
    }
    if gate.shell:
        return await asyncio.create_subprocess_shell(" ".join(gate.run), **options)
    return await asyncio.create_subprocess_exec(*gate.run, **options)


async def run_command_gate(
    gate: CommandGate,
    clock: Clock,
    *,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
) -> GateResult:
    """Run the gate's command once and judge its exit status.

    Args:
        gate: The gate (argv, shell, timeout).
        clock: Measures the timeout (a `FakeClock` in tests) and the duration.
        cwd: The working directory (relative argv paths resolve against it).
        env: The environment; None inherits the cockpit's.
    """
    started_at, started = clock.now(), clock.monotonic()
    evidence: dict[str, Any] = {
        "argv": list(gate.run),
        "shell": gate.shell,
        "timeout_s": gate.timeout,
        "cwd": None if cwd is None else str(cwd),
    }
    program = one_line(gate.run[0], 120)
    try:
        process = await _start(gate, cwd, env)
    except FileNotFoundError:
        where = f" (in {cwd})" if cwd is not None else ""
        reason = f"cannot run {program}: no such file or directory{where}"
        return unknown(gate, reason, evidence, fetched_at=started_at)
    except PermissionError:
        reason = f"cannot run {program}: permission denied (is it executable?)"
        return unknown(gate, reason, evidence, fetched_at=started_at)
    except OSError as exc:
        reason = f"cannot run {program}: {exc.strerror or exc}"
        return unknown(gate, reason, evidence, fetched_at=started_at)

    tail = OutputTail()
    finished = asyncio.ensure_future(_finish(process, tail))
    deadline = asyncio.ensure_future(clock.sleep(gate.timeout))
    racing: set[asyncio.Future[Any]] = {finished, deadline}
    try:
        await asyncio.wait(racing, return_when=asyncio.FIRST_COMPLETED)
        timed_out = not finished.done()
        if timed_out:
            await _stop_group(process)
            # The pipe closes once the group is gone; a helper that left the group may hold it.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(finished), KILL_GRACE_S)
    finally:
        deadline.cancel()
        if not finished.done():
            finished.cancel()
        if process.returncode is None:  # cancelled from outside: leave nothing running
            await _stop_group(process)
    evidence["duration_s"] = round(clock.monotonic() - started, 3)
    evidence["output_tail"] = tail.text()
    evidence["exit_status"] = process.returncode
    last = _last_line(evidence["output_tail"])
    said = f": {last}" if last else ""
    if timed_out:
        reason = f"timed out after {format_duration(gate.timeout)} (process group killed){said}"
        return result(gate, GateVerdict.FAIL, reason, evidence, fetched_at=started_at)
    code = process.returncode
    if code == 0:
        return result(gate, GateVerdict.PASS, "exit status 0", evidence, fetched_at=started_at)
    if gate.shell and code == _SHELL_NOT_FOUND:
        reason = f"the shell could not find the command (exit status 127){said}"
        return unknown(gate, reason, evidence, fetched_at=started_at)
    if code is not None and code < 0:
        reason = f"killed by signal {_signal_name(-code)}{said}"
        return result(gate, GateVerdict.FAIL, reason, evidence, fetched_at=started_at)
    return result(
        gate, GateVerdict.FAIL, f"exit status {code}{said}", evidence, fetched_at=started_at
    )
