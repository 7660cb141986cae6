"""A real tmux session driving a real `cockpit` process, for end-to-end tests.

Waiting here is for another process (a real terminal), so it polls the screen with a deadline;
there is no clock to inject into tmux.
"""

from __future__ import annotations

import shutil
import subprocess
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field


def require_tmux() -> str:
    path = shutil.which("tmux")
    assert path, "tmux is not installed: scripts/install-and-test installs it (apt)"
    return path


@dataclass
class TmuxSession:
    """One detached tmux session of a fixed size running `command`."""

    command: str
    width: int = 120
    height: int = 40
    env: dict[str, str] = field(default_factory=dict)
    name: str = field(default_factory=lambda: f"cockpit-test-{uuid.uuid4().hex[:8]}")

    def __post_init__(self) -> None:
        self.tmux = require_tmux()
        # A private server socket per session: tests never touch the user's tmux.
        self.socket = f"{self.name}.sock"

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [self.tmux, "-L", self.socket, *args], capture_output=True, text=True, check=check
        )

    def start(self) -> TmuxSession:
        exports = " ".join(f"{k}={v}" for k, v in self.env.items())
        self._run(
            "new-session",
            "-d",
            "-s",
            self.name,
            "-x",
            str(self.width),
            "-y",
            str(self.height),
            f"env {exports} {self.command}; echo COCKPIT-EXITED-$?; sleep 30",
        )
        return self

    def screen(self) -> str:
        return self._run("capture-pane", "-p", "-t", self.name).stdout

    def send(self, *keys: str) -> None:
        self._run("send-keys", "-t", self.name, *keys)

    def pane_pid(self) -> int:
        return int(self._run("display-message", "-p", "-t", self.name, "#{pane_pid}").stdout)

    def wait_for(self, predicate: Callable[[str], bool], timeout: float = 20.0) -> str:
        deadline = time.monotonic() + timeout
        text = ""
        while time.monotonic() < deadline:
            text = self.screen()
            if predicate(text):
                return text
            time.sleep(0.1)
        raise AssertionError(f"screen never matched within {timeout}s; last screen:\n{text}")

    def kill(self) -> None:
        self._run("kill-server", check=False)
