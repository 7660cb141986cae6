"""Notice when the terminal goes away, so a dropped SSH session ends the app instead of spinning.

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
import threading
from collections.abc import Callable


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
