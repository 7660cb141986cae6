"""`cockpit demo` over a real SSH connection (`ssh -t`), inside a detached tmux of a fixed size.

The path an on-call engineer takes from a laptop to a bastion: a real OpenSSH server on loopback,
the real `ssh` client in a real terminal (tmux, 120x40). The screen must show the four panes and
answer keys; and however the connection ends (the client killed, the terminal killed, or `q`),
no cockpit process may be left behind on the server side, within 2 s.

Each remote cockpit carries a unique tag in its environment, so the test finds exactly its own
process among any others (engineers and other tests run demos on the same machine).
"""

from __future__ import annotations

import contextlib
import shlex
import signal
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psutil
import pytest

from tests.real.ssh_server import SshServer, remote_shell_command, ssh_server
from tests.real.tmux import TmuxSession

pytestmark = pytest.mark.real
__all__ = ["ssh_server"]  # the fixture, imported so pytest finds it here

REPO = Path(__file__).resolve().parents[2]
PANES = ("Pipelines", "Readiness", "Rollout", "Logs")
TAG_VARIABLE = "COCKPIT_SSH_TEST_TAG"
GONE_WITHIN_S = 2.0


def four_panes(screen: str) -> bool:
    return all(pane in screen for pane in PANES)


def tagged_cockpits(tag: str) -> list[psutil.Process]:
    """Live cockpit processes whose environment carries `tag` (ours, and only ours)."""
    found = []
    for proc in psutil.process_iter(["cmdline"]):
        cmdline = " ".join(proc.info["cmdline"] or ())
        if "cockpit" not in cmdline or "demo" not in cmdline:
            continue
        with contextlib.suppress(psutil.Error):
            if proc.environ().get(TAG_VARIABLE) == tag and proc.status() != psutil.STATUS_ZOMBIE:
                found.append(proc)
    return found


def wait_until_gone(tag: str, timeout: float) -> tuple[list[psutil.Process], float]:
    """Poll until no tagged cockpit is alive: (the survivors, seconds waited)."""
    started = time.monotonic()
    while True:
        alive = tagged_cockpits(tag)
        waited = time.monotonic() - started
        if not alive or waited >= timeout:
            return alive, waited
        time.sleep(0.05)


@dataclass
class RemoteDemo:
    """`cockpit demo` running on the SSH server, seen through ssh -t in tmux."""

    session: TmuxSession
    tag: str

    def ssh_client(self) -> psutil.Process:
        """The local `ssh` process under the tmux pane."""
        pane = psutil.Process(self.session.pane_pid())
        clients = [p for p in pane.children(recursive=True) if p.name() == "ssh"]
        assert len(clients) == 1, f"expected one ssh client under the pane, got {clients}"
        return clients[0]


@pytest.fixture
def remote_demo(ssh_server: SshServer) -> Iterator[RemoteDemo]:
    tag = uuid.uuid4().hex
    remote = remote_shell_command(
        REPO,
        [sys.executable, "-m", "cockpit", "demo", "--speed", "10"],
        {
            "TERM": "xterm-256color",
            "PYTHONPATH": str(REPO),
            "PYTHONDONTWRITEBYTECODE": "1",
            TAG_VARIABLE: tag,
        },
    )
    session = TmuxSession(
        shlex.join(ssh_server.ssh_argv(remote)),
        width=120,
        height=40,
        env={"TERM": "xterm-256color"},
    ).start()
    demo = RemoteDemo(session, tag)
    try:
        session.wait_for(four_panes, timeout=30)
        assert tagged_cockpits(tag), "the panes are on screen but no tagged cockpit runs remotely"
        yield demo
    finally:
        session.kill()
        # Never leave a process behind, even when an assertion failed (ours only, by PID).
        for proc in tagged_cockpits(tag):
            with contextlib.suppress(psutil.Error):
                proc.kill()


def test_four_panes_zoom_help_and_quit_exit_zero(remote_demo: RemoteDemo) -> None:
    """Zoom (2), help (?), back, then q: the remote cockpit exits 0 and ssh passes that on."""
    session = remote_demo.session
    session.send("2")
    zoomed = session.wait_for(lambda s: "Readiness" in s and "Pipelines" not in s)
    assert "Rollout" not in zoomed
    session.send("Escape")
    session.wait_for(four_panes)
    session.send("?")
    session.wait_for(lambda s: "Keys" in s)
    session.send("Escape")
    session.wait_for(lambda s: four_panes(s) and "Keys" not in s)
    session.send("q")
    final = session.wait_for(lambda s: "COCKPIT-EXITED-" in s, timeout=10)
    assert "COCKPIT-EXITED-0" in final
    assert "Traceback" not in final
    survivors, _ = wait_until_gone(remote_demo.tag, GONE_WITHIN_S)
    assert not survivors, f"cockpit still running after q: {survivors}"


def test_killing_the_ssh_client_ends_the_remote_cockpit(remote_demo: RemoteDemo) -> None:
    """The laptop's ssh dies (SIGKILL, no goodbye): sshd hangs up the pty, the cockpit exits."""
    remote_demo.ssh_client().send_signal(signal.SIGKILL)
    survivors, waited = wait_until_gone(remote_demo.tag, GONE_WITHIN_S)
    assert not survivors, f"cockpit still running {waited:.1f}s after ssh was killed: {survivors}"


def test_killing_the_tmux_server_ends_the_remote_cockpit(remote_demo: RemoteDemo) -> None:
    """The terminal goes away (tmux kill-server): ssh gets SIGHUP, then so does the cockpit."""
    remote_demo.session.kill()
    survivors, waited = wait_until_gone(remote_demo.tag, GONE_WITHIN_S)
    assert not survivors, f"cockpit still running {waited:.1f}s after tmux was killed: {survivors}"
