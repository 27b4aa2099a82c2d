"""Leaving when the terminal goes away.

A kiosk started by `make run` in a terminal window that is then closed is not told: the
hang-up signal goes to the session leader (make), which waits for its child, and
Textual's input thread then spins on a dead terminal at full CPU, holding the database
open. So each app polls its terminal once a second and exits once the terminal has hung
up. (Started directly from a shell, the kiosk gets the shell's SIGHUP anyway.)
"""

from __future__ import annotations

import select
import sys
from typing import Any

from textual.app import App

CHECK_EVERY_S = 1.0


def terminal_fd() -> int | None:
    """The file descriptor of the terminal the app reads, or None when it reads none (a
    pipe under textual-serve, a closed or redirected stdin)."""
    stdin = sys.__stdin__
    if stdin is None:
        return None
    try:
        fd = stdin.fileno()
        return fd if stdin.isatty() else None
    except (OSError, ValueError):
        return None


def hung_up(fd: int) -> bool:
    """True once the terminal behind ``fd`` has hung up (its window closed, its ssh
    session gone). A poll, not a read: the input is Textual's."""
    poller = select.poll()
    poller.register(fd, select.POLLIN)
    gone = select.POLLHUP | select.POLLERR | select.POLLNVAL
    return any(mask & gone for _, mask in poller.poll(0))


def exit_on_hangup(app: App[Any]) -> None:
    """From ``app``'s on_mount: exit the app once its terminal has hung up. Headless
    apps (tests) and apps with no terminal (a browser session) are left alone."""
    fd = terminal_fd()
    if app.is_headless or fd is None:
        return

    def check() -> None:
        if hung_up(fd):
            app.exit()

    app.set_interval(CHECK_EVERY_S, check)
