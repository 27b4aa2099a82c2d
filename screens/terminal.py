"""Leaving when the terminal, or the server of a browser session, goes away.

A kiosk started by `make run` in a terminal window that is then closed is not told: the
hang-up signal goes to the session leader (make), which waits for its child, and
Textual's input thread then spins on a dead terminal at full CPU, holding the database
open. So each app polls its terminal once a second and exits once the terminal has hung
up. (Started directly from a shell, the kiosk gets the shell's SIGHUP anyway.)

A kiosk session served to a browser (`kiosk serve`) reads a pipe from the server
instead. When the server stops without closing its sessions (killed, crashed, or a
service restart that does not wait for them), Textual's web driver just stops reading:
the session's kiosk would run on with nobody to see it, holding the database and
running its timers (purge, e-mails, automatic check-out), one more with each restart.
The pipe hangs up as a terminal does, so the same poll ends it.
"""

from __future__ import annotations

import os
import select
import stat
import sys
from typing import Any

from textual.app import App

CHECK_EVERY_S = 1.0


def input_fd(app: App[Any]) -> int | None:
    """The file descriptor ``app`` reads its input from when it is to leave once that
    goes: its terminal, or (a browser session under textual-serve) the pipe from the
    server. None for anything else (a closed or redirected stdin)."""
    stdin = sys.__stdin__
    if stdin is None:
        return None
    try:
        fd = stdin.fileno()
        if stdin.isatty():
            return fd
        return fd if app.is_web and stat.S_ISFIFO(os.fstat(fd).st_mode) else None
    except (OSError, ValueError):
        return None


def hung_up(fd: int) -> bool:
    """True once the terminal behind ``fd`` has hung up (its window closed, its ssh
    session gone), or the pipe behind it has no writer left. A poll, not a read: the
    input is Textual's."""
    poller = select.poll()
    poller.register(fd, select.POLLIN)
    gone = select.POLLHUP | select.POLLERR | select.POLLNVAL
    return any(mask & gone for _, mask in poller.poll(0))


def exit_on_hangup(app: App[Any]) -> None:
    """From ``app``'s on_mount: exit the app once its terminal (or its browser session's
    server) has hung up. Headless apps (tests) and apps with no input to watch are left
    alone."""
    fd = input_fd(app)
    if app.is_headless or fd is None:
        return

    def check() -> None:
        if hung_up(fd):
            app.exit()

    app.set_interval(CHECK_EVERY_S, check)
