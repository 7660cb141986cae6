"""The command gate: exit status, output tail, timeout on the fake clock, missing executables."""

from __future__ import annotations

import asyncio
import os
import sys
import time
from pathlib import Path

from cockpit.clock import FakeClock
from cockpit.config.models import CommandGate
from cockpit.models.readiness import GateResult, GateVerdict
from cockpit.readiness import evaluate_local_gates
from cockpit.readiness.command import run_command_gate

from .helpers import NOW, make_config


def gate(*run: str, shell: bool = False, timeout: str = "2m") -> CommandGate:
    return CommandGate.model_validate(
        {
            "kind": "command",
            "title": "Smoke test",
            "run": list(run),
            "shell": shell,
            "timeout": timeout,
        }
    )


async def run(command: CommandGate, cwd: Path | None = None) -> GateResult:
    return await run_command_gate(command, FakeClock(NOW), cwd=cwd)


async def test_exit_zero_passes_with_the_output_as_evidence() -> None:
    result = await run(gate(sys.executable, "-c", "print('smoke ok')"))
    assert result.verdict is GateVerdict.PASS
    assert result.reason == "exit status 0"
    assert result.evidence["output_tail"] == "smoke ok"
    assert result.evidence["argv"][1:] == ["-c", "print('smoke ok')"]
    assert result.evidence["exit_status"] == 0
    assert result.fetched_at == NOW


async def test_non_zero_exit_fails_with_the_sanitised_output_tail() -> None:
    script = (
        "for i in range(1, 31): print(f'line {i}')\n"
        "print('\\x1b[31mboom\\x1b[0m')\n"
        "raise SystemExit(3)"
    )
    result = await run(gate(sys.executable, "-c", script))
    assert result.verdict is GateVerdict.FAIL
    assert result.reason == "exit status 3: boom"
    tail = result.evidence["output_tail"].splitlines()
    assert len(tail) == 20
    assert tail[0] == "line 12"
    assert tail[-1] == "boom"


async def test_no_shell_unless_asked() -> None:
    literal = await run(gate("echo", "$HOME", "&&", "false"))
    assert literal.verdict is GateVerdict.PASS
    assert literal.evidence["output_tail"] == "$HOME && false"
    shelled = await run(gate("echo hi && exit 4", shell=True))
    assert shelled.verdict is GateVerdict.FAIL
    assert shelled.reason == "exit status 4: hi"


async def test_missing_executable_is_unknown_with_a_clear_reason(tmp_path: Path) -> None:
    result = await run(gate("./scripts/smoke.sh", "staging"), cwd=tmp_path)
    assert result.verdict is GateVerdict.UNKNOWN
    assert result.reason == (
        f"cannot run ./scripts/smoke.sh: no such file or directory (in {tmp_path})"
    )


async def test_a_file_that_is_not_executable_is_unknown(tmp_path: Path) -> None:
    script = tmp_path / "smoke.sh"
    script.write_text("#!/bin/sh\nexit 0\n")
    result = await run(gate("./smoke.sh"), cwd=tmp_path)
    assert result.verdict is GateVerdict.UNKNOWN
    assert result.reason == "cannot run ./smoke.sh: permission denied (is it executable?)"


async def test_shell_command_not_found_is_unknown() -> None:
    result = await run(gate("definitely-not-a-command-xyz", shell=True))
    assert result.verdict is GateVerdict.UNKNOWN
    assert result.reason.startswith("the shell could not find the command (exit status 127)")


def _gone(pid: int) -> bool:
    """Dead or a zombie (containers may not reap orphans)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return True
    return "\nState:\tZ" in status


async def test_timeout_on_the_clock_kills_the_whole_process_group(tmp_path: Path) -> None:
    clock = FakeClock(NOW)
    script = "echo started; sleep 60 & echo $! > helper.pid; wait"
    task = asyncio.create_task(
        run_command_gate(gate(script, shell=True, timeout="90s"), clock, cwd=tmp_path)
    )
    pid_file = tmp_path / "helper.pid"
    # Wait (in real time: a real process is starting) until the gate waits on the fake clock and
    # the helper runs. Timing of the gate itself is driven by the fake clock only.
    deadline = time.monotonic() + 20
    while not (
        clock.pending_sleepers() and pid_file.exists() and pid_file.read_text().endswith("\n")
    ):
        assert time.monotonic() < deadline, "the command never started"
        await asyncio.sleep(0.005)
    await clock.advance(90)
    result = await task
    assert result.verdict is GateVerdict.FAIL
    assert result.reason == "timed out after 1m30s (process group killed): started"
    assert result.evidence["duration_s"] == 90
    helper = int(pid_file.read_text())
    assert _gone(helper)


async def test_evaluate_local_gates_runs_commands_with_the_given_environment(
    tmp_path: Path,
) -> None:
    config = make_config(
        [
            {"kind": "manual", "title": "Support informed"},
            {"kind": "command", "title": "Env", "run": ["sh", "-c", "echo $GREETING"]},
        ]
    )
    environ = {"PATH": os.environ["PATH"], "GREETING": "hello"}
    results = await evaluate_local_gates(
        config, None, FakeClock(NOW), base_dir=tmp_path, environ=environ
    )
    assert list(results) == [1]
    assert results[1].evidence["output_tail"] == "hello"
    skipped = await evaluate_local_gates(config, None, FakeClock(NOW), kinds={"ticket_linked"})
    assert skipped == {}
