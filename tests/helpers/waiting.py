"""Waiting for something a test expects to happen (a screen, a row, a file, an e-mail)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def _default(value: object) -> bool:
    return bool(value)


async def wait_until(
    read: Callable[[], T],
    done: Callable[[T], bool] = _default,
    *,
    timeout: float = 10.0,
    every: float = 0.05,
) -> T:
    """``read()`` again every ``every`` seconds until ``done`` holds for what it gave (by
    default: until it gives something true) or ``timeout`` passes; what it gave last.
    Awaiting here lets the app under test go on."""
    deadline = time.monotonic() + timeout
    value = read()
    while not done(value) and time.monotonic() < deadline:
        await asyncio.sleep(every)
        value = read()
    return value


def wait_until_sync(
    read: Callable[[], T],
    done: Callable[[T], bool] = _default,
    *,
    timeout: float = 10.0,
    every: float = 0.05,
) -> T:
    """:func:`wait_until` for a test that is not a coroutine (a process, a server)."""
    deadline = time.monotonic() + timeout
    value = read()
    while not done(value) and time.monotonic() < deadline:
        time.sleep(every)
        value = read()
    return value
