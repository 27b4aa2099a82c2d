"""Issue 38 benchmark: printing never delays the badge screen. From the NDA accepted
(Enter in the signature) to the badge on screen, at the kiosk (headless, Pilot), with a
label printer that takes two seconds per badge, against the same kiosk with no printer,
measured in the same run."""

from __future__ import annotations

import asyncio
import statistics
import time
from pathlib import Path

from textual.pilot import Pilot
from textual.widgets import Input

from bench.common import NOW, SCALE, Result
from kiosk.app import make_app
from kiosk.config import load_settings
from kiosk.services.bundle import open_services
from screens.kiosk_app import KioskApp

VISITS = max(2, round(7 * SCALE))  # the first of them is not counted (warm-up)
NAME = "Benchmark Fakevisitor"
SLOW_PRINTER_S = 2.0


async def _screen(pilot: Pilot[None], name: str, timeout: float = 20.0) -> None:
    deadline = time.perf_counter() + timeout
    while type(pilot.app.screen).__name__ != name:
        if time.perf_counter() > deadline:
            raise AssertionError(f"expected {name}, on {type(pilot.app.screen).__name__}")
        await pilot.pause(0.002)


async def _fill(pilot: Pilot[None], selector: str, text: str) -> None:
    field = pilot.app.screen.query_one(selector, Input)
    field.focus()
    field.value = text
    await pilot.pause()


async def _check_ins(folder: Path, toml: str) -> list[float]:
    """Milliseconds from Enter in the NDA's signature to the badge screen, per visitor."""
    config = folder / "kiosk.toml"
    config.write_text('timezone = "UTC"\n' + toml)
    settings = load_settings({"KIOSK_CONFIG": str(config), "KIOSK_DATA_DIR": str(folder)})
    services = open_services(settings)
    app = make_app(settings, services=services, clock=lambda: NOW)
    times = []
    async with app.run_test(size=(100, 30)) as pilot:
        assert isinstance(app, KioskApp)
        while not app.runtime.ready:
            await pilot.pause(0.05)
        for i in range(VISITS):
            await pilot.click("#check-in")
            await _screen(pilot, "AgeScreen")  # asked first
            await pilot.click("#adult")
            await _screen(pilot, "DetailsScreen")
            await _fill(pilot, "#name-input", NAME)
            await _fill(pilot, "#email-input", f"bench{i}@example.com")
            await pilot.click("#type-guest")
            await pilot.click("#next")
            await _screen(pilot, "PrivacyScreen")
            await pilot.click("#accept")
            await _screen(pilot, "NdaScreen")
            await _fill(pilot, "#signature", NAME)
            started = time.perf_counter()
            await pilot.press("enter")
            await _screen(pilot, "BadgeScreen")
            times.append((time.perf_counter() - started) * 1e3)
            await pilot.pause(0.1)  # the badge is read; the printer works meanwhile
            await pilot.click("#done")
            await _screen(pilot, "WelcomeScreen")
        busy = [w for w in app.workers if w.group != "visitor"]
        await app.workers.wait_for_complete(busy)
    services.close()
    return times[1:]  # the first pays for imports and warm-up


def bench_badge_screen(folder: Path) -> list[Result]:
    printer = folder / "slow-lp"
    printer.write_text(f"#!/bin/sh\nsleep {SLOW_PRINTER_S}\n")
    printer.chmod(0o755)
    (folder / "none").mkdir()
    (folder / "slow").mkdir()
    without = asyncio.run(_check_ins(folder / "none", ""))
    with_printer = asyncio.run(_check_ins(folder / "slow", f'[printing]\ncommand = "{printer}"\n'))
    base, ours = statistics.median(without), statistics.median(with_printer)
    return [
        Result(
            f"NDA accepted to badge shown, printer {SLOW_PRINTER_S:g} s",
            ours,
            "ms",
            base,
            ours / base,
            "<= 1.2x no printer",
            ours <= 1.2 * base,
        )
    ]
