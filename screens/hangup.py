"""Exit signals, and noticing when the terminal goes away, so a dropped SSH session ends the app
instead of spinning.

Textual 8's Linux driver reads the terminal in a thread; when a read returns end-of-file it
simply selects again, and a hung-up terminal is always readable: the thread spins at 100% CPU
while the app runs on with no one watching. A dropped SSH session normally also sends SIGHUP
(the App handles that), but not when SIGHUP is ignored (`nohup`) or not forwarded by the shell.

`watch_for_hangup` registers the terminal with an epoll set that asks for *no* events: epoll
then reports only EPOLLHUP and EPOLLERR, which it always reports. The set's own descriptor becomes
readable exactly when the terminal hangs up, so the event loop wakes once, with no timer and no
competing read of the operator's keystrokes.
"""

from __future__ import annotations

import asyncio
import os
import select
import signal
import threading
from collections.abc import Callable

EXIT_SIGNALS: tuple[signal.Signals, ...] = tuple(
    sig for sig in (getattr(signal, "SIGTERM", None), getattr(signal, "SIGHUP", None)) if sig
)
"""What ends the App cleanly besides `q`: a `kill`, and a dropped SSH session."""


def install_exit_signals(
    loop: asyncio.AbstractEventLoop, handler: Callable[[int], None]
) -> list[signal.Signals]:
    """Call `handler(signum)` on the loop for SIGTERM and SIGHUP; returns those installed."""
    installed: list[signal.Signals] = []
    for sig in EXIT_SIGNALS:
        if signal.getsignal(sig) is signal.SIG_IGN:
            continue  # started under nohup: respect it (a hang-up is still noticed)
        try:
            loop.add_signal_handler(sig, handler, sig)
        except (NotImplementedError, RuntimeError, ValueError):
            continue  # not the main thread, or a platform without these signals
        installed.append(sig)
    return installed


def remove_exit_signals(loop: asyncio.AbstractEventLoop, installed: list[signal.Signals]) -> None:
    """Undo `install_exit_signals`."""
    for sig in installed:
        loop.remove_signal_handler(sig)


def watch_for_hangup(
    loop: asyncio.AbstractEventLoop, fd: int, on_hangup: Callable[[], None]
) -> Callable[[], None] | None:
    """Call `on_hangup` once when `fd` hangs up or fails.

    Args:
        loop: The running event loop (the App's).
        fd: The terminal's input descriptor.
        on_hangup: Called on the loop's thread, once.

    Returns:
        A function that stops watching, or None where this cannot watch (no epoll, or `fd` is a
        regular file such as `/dev/null`, which never hangs up).
    """
    epoll_type = getattr(select, "epoll", None)
    if epoll_type is None:
        return None
    watcher = epoll_type()
    try:
        watcher.register(fd, 0)
    except OSError:
        watcher.close()
        return None

    def stop() -> None:
        if watcher.closed:
            return
        loop.remove_reader(watcher.fileno())
        watcher.close()

    def on_ready() -> None:
        if watcher.closed or not watcher.poll(0):
            return
        stop()
        on_hangup()

    loop.add_reader(watcher.fileno(), on_ready)
    return stop


# How long a clean exit may take once the terminal is gone before the process ends itself.
EXIT_GRACE_S = 1.5


def arm_exit_watchdog(
    code: int,
    *,
    grace_s: float = EXIT_GRACE_S,
    wait: Callable[[float], bool] | None = None,
    force_exit: Callable[[int], object] = os._exit,
) -> threading.Thread:
    """End the process with `code` if a clean exit has not finished within `grace_s`.

    Once the terminal has hung up, Textual's shutdown can block forever: its output thread dies on
    the first write to the dead terminal (EIO), and the next write waits on a full queue that
    nobody drains. A dropped SSH session must never leave a cockpit behind, so after asking the
    App to exit we arm this daemon thread. If the process exits first, the thread dies with it;
    everything worth keeping (ticks, waivers, journal entries) was already fsynced when written.

    Args:
        code: The exit status to end with (128 + the signal).
        grace_s: How long the clean exit may take.
        wait: Waits up to the given seconds (tests inject one); the default never returns early.
        force_exit: How to end the process (tests inject a recorder).
    """
    waiter = wait or threading.Event().wait

    def bite() -> None:
        waiter(grace_s)
        force_exit(code)

    watchdog = threading.Thread(target=bite, name="exit-watchdog", daemon=True)
    watchdog.start()
    return watchdog
