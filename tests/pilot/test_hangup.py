"""A terminal that goes away ends the app: the hang-up watch and the handler it calls."""

from __future__ import annotations

import asyncio
import os
import pty
import signal
from pathlib import Path

from screens.app import CockpitApp
from screens.hangup import watch_for_hangup


async def test_a_closed_pipe_is_a_hangup() -> None:
    read_fd, write_fd = os.pipe()
    hung_up = asyncio.Event()
    stop = watch_for_hangup(asyncio.get_running_loop(), read_fd, hung_up.set)
    assert stop is not None
    try:
        os.write(write_fd, b"keystrokes are not a hangup")
        await asyncio.sleep(0.05)
        assert not hung_up.is_set()
        os.close(write_fd)
        async with asyncio.timeout(2):
            await hung_up.wait()
    finally:
        stop()
        os.close(read_fd)


async def test_a_hung_up_pty_is_a_hangup() -> None:
    """What a dropped SSH session looks like from the inside: the pty's other end closes."""
    master, slave = pty.openpty()
    hung_up = asyncio.Event()
    stop = watch_for_hangup(asyncio.get_running_loop(), slave, hung_up.set)
    assert stop is not None
    try:
        await asyncio.sleep(0.05)
        assert not hung_up.is_set()
        os.close(master)
        async with asyncio.timeout(2):
            await hung_up.wait()
    finally:
        stop()
        os.close(slave)


async def test_a_regular_file_is_not_watched(tmp_path: Path) -> None:
    """`cockpit < file` never hangs up, and epoll refuses regular files: no watch, no error."""
    path = tmp_path / "stdin"
    path.write_bytes(b"")
    with path.open("rb") as regular:
        assert watch_for_hangup(asyncio.get_running_loop(), regular.fileno(), lambda: None) is None


async def test_terminal_hangup_exits_like_sighup(app: CockpitApp) -> None:
    async with app.run_test() as pilot:
        await pilot.pause()
        app.handle_terminal_hangup()
        await pilot.pause()
        assert not app.is_running
    assert app.return_code == 128 + signal.SIGHUP


APP_IN_A_TERMINAL = """
import signal, sys
signal.signal(signal.SIGHUP, signal.SIG_IGN)  # as under nohup: only the hang-up watch can help
from cockpit.clock import SystemClock
from screens.app import make_app
from tests.pilot.fakes import FakeFeed, fresh_snapshot, make_config
app = make_app(make_config(), FakeFeed([fresh_snapshot()]), SystemClock(), show_clock=False)
app.run()
sys.exit(app.return_code)
"""


def test_a_real_app_exits_when_its_terminal_hangs_up() -> None:
    """Textual 8 alone would spin at 100% CPU forever here; the watch ends the app."""
    import select
    import subprocess
    import sys
    import time

    root = Path(__file__).resolve().parents[2]
    master, slave = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-c", APP_IN_A_TERMINAL],
        stdin=slave,
        stdout=slave,
        stderr=slave,  # Textual draws on stderr
        cwd=root,
        env={**os.environ, "TERM": "xterm-256color", "PYTHONPATH": str(root)},
        start_new_session=True,
    )
    os.close(slave)
    try:
        seen = b""
        deadline = time.monotonic() + 20
        while b"Pipelines" not in seen and time.monotonic() < deadline:
            if select.select([master], [], [], 0.1)[0]:
                seen += os.read(master, 65536)
        assert b"Pipelines" in seen, "the app never drew its panes"
        os.close(master)
        process.wait(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 128 + signal.SIGHUP


def test_the_exit_watchdog_ends_the_process_with_the_code_after_the_grace() -> None:
    from screens.hangup import arm_exit_watchdog

    waited: list[float] = []
    ended: list[int] = []

    def wait(seconds: float) -> bool:
        waited.append(seconds)
        return False

    arm_exit_watchdog(129, grace_s=1.5, wait=wait, force_exit=ended.append).join(timeout=5)
    assert waited == [1.5]
    assert ended == [129]
