"""The evacuation roll call: everyone on site when it starts; marshals mark them safe
from the console and from phones, several at once: no mark lost, each kept as the first
marshal's; every list agrees within a second; the report lists everyone with who marked
them. Services on SQLite and PostgreSQL (the ``store`` fixture), the console with Pilot,
the phone page in a real browser against `kiosk serve`."""

from __future__ import annotations

import csv
import random
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Page, sync_playwright

from kiosk.app import make_console
from kiosk.config import load_settings
from kiosk.domain.staff import Actor, NotAllowed
from kiosk.services.bundle import open_services
from storage.repositories import Repositories
from tests.helpers.browser import CHROMIUM, CHROMIUM_ARGS, needs_chromium
from tests.helpers.factories import visitor
from tests.helpers.kiosk_ui import (
    OPERATOR,
    services_with_staff,
    staff_login,
    status_of,
    wait_for_screen,
)
from tests.helpers.store import check_in, check_out, services_over
from tests.test_browser import _serve, _stop_server

SAM = Actor("staff:sam", "security")
ADA = Actor("staff:ada", "admin")
NOW = datetime.now(UTC).replace(microsecond=0)


def _on_site(store: Repositories, n: int) -> None:
    for i in range(n):
        check_in(store, visitor(i), now=NOW - timedelta(minutes=i + 1))
    gone = check_in(store, visitor(99), now=NOW - timedelta(hours=2))
    check_out(store, gone.badge_code, actor="kiosk")


def test_two_marshals_at_once_lose_no_mark(store: Repositories, tmp_path: Path) -> None:
    services = services_over(store)
    _on_site(store, 12)
    sheet = services.rollcall.start(SAM)
    assert len(sheet.entries) == 12 and sheet.counts == "12 missing, 0 safe, of 12"
    assert visitor(99).name not in {e.name for e in sheet.entries}  # left before
    assert services.rollcall.start(ADA).id == sheet.id  # one under way: the same one

    ids = [e.id for e in sheet.entries]
    results: dict[str, list[bool]] = {"sam": [], "ada": []}
    barrier = threading.Barrier(2)

    def marshal(name: str, actor: Actor) -> None:
        order = ids[:]
        random.Random(name).shuffle(order)
        barrier.wait()
        for person in order:
            results[name].append(services.rollcall.mark(actor, sheet.id, person))

    threads = [threading.Thread(target=marshal, args=a) for a in (("sam", SAM), ("ada", ADA))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # Each person marked exactly once: by whichever marshal came first.
    assert sum(results["sam"]) + sum(results["ada"]) == 12
    marks = services.rollcall.marks(sheet.id)
    assert set(marks) == set(ids)
    assert {by for _at, by in marks.values()} <= {"staff:sam", "staff:ada"}
    assert sum(by == "staff:sam" for _at, by in marks.values()) == sum(results["sam"])

    ended = services.rollcall.end(SAM, sheet.id)
    assert ended.ended_at is not None and ended.counts == "0 missing, 12 safe, of 12"
    assert not services.rollcall.mark(SAM, sheet.id, ids[0])  # ended: nothing changes
    assert services.rollcall.active(SAM) is None

    out = services.rollcall.write_report(SAM, sheet.id, tmp_path / "rollcall.csv")
    rows = list(csv.reader(out.open(newline="")))
    assert rows[1] == ["name", "company", "host", "arrived", "safe", "marked_at", "marked_by"]
    assert sorted(r[0] for r in rows[2:]) == sorted(visitor(i).name for i in range(12))
    assert all(r[4] == "yes" and r[6] in ("staff:sam", "staff:ada") for r in rows[2:])
    with pytest.raises(NotAllowed):
        services.rollcall.start(Actor("staff:rita", "reception"))


async def test_a_roll_call_in_the_console(tmp_path: Path) -> None:
    services = services_with_staff(tmp_path)
    for i in range(3):
        check_in(services.repos, visitor(i), actor="test")
    console = make_console(services.settings, services=services)
    async with console.run_test(size=(100, 30)) as pilot:
        await staff_login(pilot, "sam")
        await wait_for_screen(pilot, "ConsoleScreen")
        await pilot.press("f5")
        await pilot.pause(0.3)
        await pilot.click("#onsite-rollcall")
        await wait_for_screen(pilot, "RollCallScreen")
        counts = await status_of(pilot, "#rollcall-counts", "missing")
        assert counts.startswith("3 missing, 0 safe, of 3")
        pilot.app.screen.query_one("#rollcall-table").focus()
        await pilot.press("enter")
        assert "safe." in await status_of(pilot, "#rollcall-status", "safe")
        counts = await status_of(pilot, "#rollcall-counts", "2 missing")
        # Another marshal (a phone) marks one: it shows here within a second.
        active = services.rollcall.active(SAM)
        assert active is not None
        other = next(e for e in services.rollcall.sheet(SAM, active).entries if not e.safe)
        services.rollcall.mark(ADA, active, other.id)
        counts = await status_of(pilot, "#rollcall-counts", "1 missing", wait=3)
        assert counts.startswith("1 missing, 2 safe, of 3")
        await pilot.click("#rollcall-end")
        await pilot.pause(0.3)
        await pilot.click("#rollcall-end")
        assert "ended" in await status_of(pilot, "#rollcall-status", "ended")
    assert services.rollcall.active(SAM) is None


def _log_in(page: Page, url: str, user: str) -> None:
    page.goto(url + "rollcall")
    page.wait_for_selector("#login:not([hidden])")
    page.fill("#user", user)
    page.fill("#pin", "481592")
    page.click("#login button")


def _until(check: Callable[[], bool], timeout: float = 10.0) -> None:
    """Poll ``check`` (the page's own script policy forbids evaluating strings in it)."""
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def _listed(page: Page) -> list[tuple[str, str]]:
    return [
        (li.get_attribute("data-id") or "", li.get_attribute("class") or "")
        for li in page.query_selector_all("#people li")
    ]


@needs_chromium
def test_marshals_on_two_phones_see_the_same_list_live(tmp_path: Path) -> None:
    with _serve(tmp_path) as (url, env, server):
        settings = load_settings({k: v for k, v in env.items() if k.startswith("KIOSK_")})
        services = open_services(settings)
        try:
            for user, role in (("sam", "security"), ("ada", "admin"), ("rita", "reception")):
                services.staff.add(user, role, "481592", OPERATOR)
            for i in range(6):
                check_in(services.repos, visitor(i), actor="test")
        finally:
            services.close()
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            phones = [
                browser.new_context(
                    viewport={"width": 390, "height": 844}, has_touch=True
                ).new_page()
                for _ in range(3)
            ]
            sam, ada, rita = phones
            _log_in(rita, url, "rita")  # reception: not for the roll call
            _until(lambda: "security staff" in rita.inner_text("#login-error"))
            _log_in(sam, url, "sam")
            sam.wait_for_selector("#start")
            sam.click("#start")
            _until(lambda: len(_listed(sam)) == 6)
            _log_in(ada, url, "ada")
            _until(lambda: len(_listed(ada)) == 6)
            assert "6 missing, 0 safe, of 6" in sam.inner_text("#counts")
            # Both tap at once, three each, on their own halves of the list.
            ids = [i for i, _c in _listed(sam)]
            for person in ids[:3]:
                sam.click(f"li[data-id='{person}'] button", no_wait_after=True)
                ada.click(f"li[data-id='{ids[3 + ids[:3].index(person)]}'] button",
                          no_wait_after=True)  # fmt: skip
            started = time.monotonic()
            for phone in (sam, ada):

                def all_safe(page: Page = phone) -> bool:
                    return page.inner_text("#counts").startswith("0 missing")

                _until(all_safe, 5)
            assert time.monotonic() - started < 2.5  # each reads the list every second
            assert sorted(_listed(sam)) == sorted(_listed(ada))
            assert all(c == "safe" for _i, c in _listed(ada))
            sam_by = sam.inner_text("#people")
            assert sam_by.count("(sam)") == 3 and sam_by.count("(ada)") == 3
            # The kiosk goes away: the phone says so, and to use the printed list.
            _stop_server(server)
            sam.wait_for_selector("#offline:not([hidden])", timeout=5000)
            assert "printed list" in sam.inner_text("#offline")
            browser.close()
    services = open_services(settings)
    try:
        [latest] = services.rollcall.recent(SAM)[:1]
        marks = services.rollcall.marks(latest[0])
        assert sorted(by for _at, by in marks.values()) == ["staff:ada"] * 3 + ["staff:sam"] * 3
    finally:
        services.close()
