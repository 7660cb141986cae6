"""Run a command in a pseudo-terminal of a fixed size and watch what it paints.

The child gets a fresh session whose controlling terminal is the pty's slave side, sized with
`TIOCSWINSZ` before it starts (so it never sees a resize), and `TERM` from the caller. Everything
it writes is counted with a timestamp and fed to a `pyte` terminal emulator, so "first meaningful
paint" is the moment a marker is *on screen*, not merely somewhere in the byte stream (Textual
writes a frame's text interleaved with escape sequences, and may write text before the frame
that shows it is complete).

CPU and RSS are read with psutil from the child and its descendants.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import select
import struct
import subprocess
import termios
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import psutil
import pyte

ScreenPredicate = Callable[[str], bool]


def all_of(*markers: str) -> ScreenPredicate:
    """A predicate true when every marker is on screen (case-sensitive)."""

    def predicate(text: str) -> bool:
        return all(marker in text for marker in markers)

    predicate.__doc__ = f"all of {markers!r} on screen"
    return predicate


class ScreenWatcher:
    """A terminal emulator fed with a program's output, answering "is X on screen now?"."""

    def __init__(self, cols: int, rows: int) -> None:
        self.screen = pyte.Screen(cols, rows)
        self._stream = pyte.ByteStream(self.screen)

    def feed(self, data: bytes) -> None:
        self._stream.feed(data)

    def text(self) -> str:
        """The screen as lines of text (what a person would read)."""
        return "\n".join(line.rstrip() for line in self.screen.display)

    def shows(self, predicate: ScreenPredicate) -> bool:
        return predicate(self.text())


@dataclass
class OutputLog:
    """Every chunk the program wrote: (monotonic time, byte count)."""

    chunks: list[tuple[float, int]] = field(default_factory=list)

    def add(self, at: float, size: int) -> None:
        self.chunks.append((at, size))

    @property
    def total(self) -> int:
        return sum(size for _, size in self.chunks)

    def bytes_between(self, start: float, end: float) -> int:
        return sum(size for at, size in self.chunks if start <= at < end)


def _set_winsize(fd: int, cols: int, rows: int) -> None:
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))


def _become_terminal_owner() -> None:  # pragma: no cover (runs in the child)
    # start_new_session already called setsid(); make stdin (the slave) the controlling tty,
    # as a login shell's terminal would be, so hang-ups and job control behave as over SSH.
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


class PtyProcess:
    """One program in a fixed-size pseudo-terminal.

    Args:
        argv: The command.
        cols: Terminal width.
        rows: Terminal height.
        env: The whole environment of the child (TERM included).
        cwd: Its working directory.
    """

    def __init__(
        self,
        argv: Sequence[str],
        *,
        cols: int,
        rows: int,
        env: Mapping[str, str],
        cwd: str | None = None,
    ) -> None:
        self.argv = list(argv)
        self.cols, self.rows = cols, rows
        self.env = dict(env)
        self.cwd = cwd
        self.watcher = ScreenWatcher(cols, rows)
        self.output = OutputLog()
        self.started_at = 0.0
        self.process: subprocess.Popen[bytes] | None = None
        self._master = -1
        self._eof = False

    # -- lifecycle -----------------------------------------------------------------------

    def start(self) -> PtyProcess:
        master, slave = os.openpty()
        _set_winsize(slave, self.cols, self.rows)
        self.started_at = time.monotonic()
        try:
            self.process = subprocess.Popen(
                self.argv,
                stdin=slave,
                stdout=slave,
                stderr=slave,
                env=self.env,
                cwd=self.cwd,
                start_new_session=True,
                preexec_fn=_become_terminal_owner,
            )
        finally:
            os.close(slave)
        os.set_blocking(master, False)
        self._master = master
        return self

    @property
    def pid(self) -> int:
        assert self.process is not None, "not started"
        return self.process.pid

    def close(self) -> None:
        """Kill the program (and its descendants) if still running, and close the pty."""
        if self.process is not None and self.process.poll() is None:
            for proc in self._tree():
                with contextlib.suppress(psutil.Error):
                    proc.kill()
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(5)
        if self._master >= 0:
            os.close(self._master)
            self._master = -1

    def __enter__(self) -> PtyProcess:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- reading -------------------------------------------------------------------------

    def pump(self, seconds: float) -> None:
        """Read (and emulate) whatever the program writes for `seconds`."""
        self._read_until(time.monotonic() + seconds, None)

    def wait_for(self, predicate: ScreenPredicate, timeout: float) -> float | None:
        """Seconds from spawn until `predicate(screen)` held, or None on timeout or exit."""
        return self._read_until(time.monotonic() + timeout, predicate)

    def wait_quiet(self, quiet_s: float, timeout: float) -> bool:
        """Read until the program has written nothing for `quiet_s`; False on timeout."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            last = self.output.chunks[-1][0] if self.output.chunks else self.started_at
            if time.monotonic() - last >= quiet_s:
                return True
            self._read_until(min(deadline, last + quiet_s), None)
        return False

    def _read_until(self, deadline: float, predicate: ScreenPredicate | None) -> float | None:
        if predicate is not None and self.watcher.shows(predicate):
            return time.monotonic() - self.started_at
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or self._eof:
                return None
            ready, _, _ = select.select([self._master], [], [], remaining)
            if not ready:
                continue
            at = time.monotonic()
            data = self._read_available()
            if not data:
                continue
            self.output.add(at, len(data))
            self.watcher.feed(data)
            if predicate is not None and self.watcher.shows(predicate):
                return at - self.started_at

    def _read_available(self) -> bytes:
        parts: list[bytes] = []
        while True:
            try:
                chunk = os.read(self._master, 65536)
            except BlockingIOError:
                break
            except OSError as exc:  # EIO: every slave descriptor is closed (the child exited)
                if exc.errno != errno.EIO:
                    raise
                self._eof = True
                break
            if not chunk:
                self._eof = True
                break
            parts.append(chunk)
        return b"".join(parts)

    def screen_text(self) -> str:
        return self.watcher.text()

    # -- writing and exiting -------------------------------------------------------------

    def send(self, data: bytes) -> None:
        os.write(self._master, data)

    def quit_and_wait(self, keys: bytes = b"q", timeout: float = 10.0) -> tuple[int | None, float]:
        """Send `keys`, keep reading, and wait for the exit: (exit code or None, seconds)."""
        assert self.process is not None, "not started"
        sent = time.monotonic()
        self.send(keys)
        deadline = sent + timeout
        while self.process.poll() is None and time.monotonic() < deadline:
            self._read_until(min(deadline, time.monotonic() + 0.05), None)
        code = self.process.poll()
        return code, time.monotonic() - sent

    # -- resources -----------------------------------------------------------------------

    def _tree(self) -> list[psutil.Process]:
        try:
            root = psutil.Process(self.pid)
            return [root, *root.children(recursive=True)]
        except psutil.Error:
            return []

    def cpu_seconds(self) -> float:
        """User + system CPU seconds of the program and its live descendants so far."""
        total = 0.0
        for proc in self._tree():
            with contextlib.suppress(psutil.Error):
                times = proc.cpu_times()
                total += times.user + times.system
        return total

    def rss_bytes(self) -> int:
        """Resident memory of the program and its live descendants now."""
        total = 0
        for proc in self._tree():
            with contextlib.suppress(psutil.Error):
                total += proc.memory_info().rss
        return total


def terminal_env(base: Mapping[str, str], *, term: str = "xterm-256color") -> dict[str, str]:
    """The environment a bastion shell would give a TUI: `TERM` set, no colour overrides."""
    env = {k: v for k, v in base.items() if k not in ("NO_COLOR", "COLUMNS", "LINES", "TMUX")}
    env["TERM"] = term
    env.setdefault("LANG", "C.UTF-8")
    return env
