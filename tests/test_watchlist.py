"""The watchlist: people the office must not let in unannounced. A visitor whose e-mail,
phone or name is on it raises exactly one alert for reception and nothing on their
screen; someone sharing only a truncated blind index raises none; an expired entry
matches nothing and is gone from the database's bytes after the purge; every change is
audited (ids only). SQLite and PostgreSQL (the ``store`` fixture), the kiosk and the
console with Pilot, the command line as a process."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from kiosk.app import make_console
from kiosk.domain.staff import Actor, NotAllowed
from kiosk.domain.watchlist import WatchlistError
from kiosk.services.bundle import Services
from storage.engine import checkpoint
from storage.models import AuditEvent, OutboxMessage, WatchlistAlert, WatchlistEntry
from storage.open import StoreConfig
from storage.repositories import Repositories
from tests.helpers.factories import run_cli, visitor
from tests.helpers.kiosk_ui import (
    ready,
    screen_text,
    services_with_staff,
    staff_login,
    status_of,
    type_into,
    wait_for_screen,
)
from tests.helpers.store import services_over, sharing_email_index
from tests.helpers.visitor_ui import EMAIL, NAME, fill_details, kiosk_app, through_documents

ADMIN = Actor("staff:ada", "admin")
RITA = Actor("staff:rita", "reception")
NOW = datetime.now(UTC).replace(microsecond=0)


def _alerts(store: Repositories) -> list[tuple[uuid.UUID | None, ...]]:
    with store.db.engine.connect() as conn:
        return [tuple(r) for r in conn.execute(select(WatchlistAlert.visit_id,
                                                      WatchlistAlert.entry_id))]  # fmt: skip


def _audit(store: Repositories) -> list[tuple[str, dict[str, object]]]:
    with store.db.engine.connect() as conn:
        rows = conn.execute(select(AuditEvent.action, AuditEvent.details))
        return [(a, dict(d)) for a, d in rows if a.startswith("watchlist.")]


def test_a_listed_visitor_raises_one_alert_and_a_lookalike_none(store: Repositories) -> None:
    services = services_over(store)
    watch = services.watchlist
    today = services.ctx.today()
    by_email = visitor(1, email="zyx.listed@example.com")
    by_phone = visitor(2)
    by_name = visitor(3, name="Zoë Ångström-Fakename", email="zoe.other@example.com")
    e1 = watch.add(ADMIN, email=by_email.email, reason="Trespass notice 2026-11",
                   expires_on=today + timedelta(days=30))  # fmt: skip
    e2 = watch.add(ADMIN, phone=by_phone.phone, reason="Harassed staff",
                   expires_on=today + timedelta(days=30))  # fmt: skip
    e3 = watch.add(ADMIN, name="zoe angstrom fakename", reason="Former contractor, no access",
                   expires_on=today)  # fmt: skip

    lookalike = visitor(4, email=sharing_email_index(store, by_email.email or ""))
    results = {
        who: services.checkin.store(v, Actor("kiosk"), now=NOW)
        for who, v in (
            ("email", by_email),
            ("phone", by_phone),
            ("name", by_name),
            ("lookalike", lookalike),
            ("other", visitor(5)),
        )
    }
    assert not any(r.see_reception for r in results.values())  # on_match "complete"
    assert sorted(_alerts(store), key=str) == sorted(
        [(results["email"].visit_id, e1), (results["phone"].visit_id, e2),
         (results["name"].visit_id, e3)], key=str)  # fmt: skip

    shown = watch.alerts(RITA)
    assert [(a.visitor, a.reason) for a in shown] == [
        (by_email.name, "Trespass notice 2026-11"),
        (by_phone.name, "Harassed staff"),
        (by_name.name, "Former contractor, no access"),
    ]
    assert watch.acknowledge(shown[0].id, RITA)
    assert not watch.acknowledge(shown[0].id, RITA)  # seen once
    assert [a.visitor for a in watch.alerts(RITA)] == [by_phone.name, by_name.name]

    audit = _audit(store)
    assert [a for a, _d in audit].count("watchlist.add") == 3
    assert [a for a, _d in audit].count("watchlist.match") == 3
    assert ("watchlist.acknowledge", {}) in audit
    text = repr(audit)
    for secret in (by_email.email, by_phone.phone, "Zo", "Trespass", "Harassed"):
        assert secret and secret not in text
    # Sealed: the entries hold none of it readable.
    with store.db.engine.connect() as conn:
        blobs = b"".join(bytes(b) for b in conn.execute(select(WatchlistEntry.entry_ct)).scalars())
    for secret in (by_email.email, "Trespass", "angstrom"):
        assert secret and secret.encode() not in blobs


def test_an_expired_entry_matches_nothing_and_is_shredded(
    store: Repositories, store_config: StoreConfig
) -> None:
    services = services_over(store)
    today = services.ctx.today()
    person = visitor(1, email="zyx.banned@example.com")
    services.watchlist.add(ADMIN, email=person.email, reason="Temporary ban",
                           expires_on=today)  # fmt: skip
    with store.db.engine.connect() as conn:
        [sealed] = conn.execute(select(WatchlistEntry.entry_ct)).scalars()
    tomorrow = NOW + timedelta(days=1)
    report = store.retention.purge(tomorrow)
    assert report.rows["watchlist"] == 1 and report.keys_destroyed["watchlist"] == 1
    services.checkin.store(person, Actor("kiosk"), now=tomorrow)
    assert _alerts(store) == []
    if store.db.engine.dialect.name == "sqlite":
        checkpoint(store.db.engine)
        folder = store_config.key_file.parent
        raw = b"".join(p.read_bytes() for p in folder.glob("kiosk.db*"))
        assert bytes(sealed)[:32] not in raw


def test_the_rules_of_an_entry(store: Repositories) -> None:
    watch = services_over(store).watchlist
    today = services_over(store).ctx.today()
    for kwargs, message in (
        ({"reason": "x", "expires_on": today}, "needs an e-mail address, a phone number"),
        ({"email": "a@example.com", "reason": " ", "expires_on": today}, "needs a reason"),
        ({"email": "a@example.com", "reason": "x", "expires_on": today - timedelta(days=1)},
         "cannot expire in the past"),
        ({"email": "a@example.com", "reason": "x", "expires_on": today + timedelta(days=366)},
         "at most 365 days ahead"),
        ({"email": "not an address", "reason": "x", "expires_on": today}, "valid e-mail"),
    ):  # fmt: skip
        with pytest.raises(WatchlistError, match=message):
            watch.add(ADMIN, **kwargs)  # type: ignore[arg-type]
    with pytest.raises(NotAllowed):
        watch.add(RITA, email="a@example.com", reason="x", expires_on=today)


async def _check_in_at_the_kiosk(services: Services) -> str:
    async with kiosk_app(services).run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        await fill_details(pilot)
        await through_documents(pilot)
        await wait_for_screen(pilot, "BadgeScreen")
        return screen_text(pilot)


@pytest.mark.parametrize("on_match", ["complete", "see_reception"])
async def test_the_visitor_sees_nothing_of_it_reception_sees_it_in_the_console(
    tmp_path: Path, on_match: str
) -> None:
    services = services_with_staff(
        tmp_path, f"[watchlist]\non_match = '{on_match}'\nalert_email = 'security@example.com'\n"
    )
    services.watchlist.add(ADMIN, email=EMAIL, reason="Trespass notice",
                           expires_on=services.ctx.today() + timedelta(days=7))  # fmt: skip
    badge = await _check_in_at_the_kiosk(services)
    assert "Trespass" not in badge and "watchlist" not in badge.lower()
    if on_match == "complete":
        assert "Welcome" in badge and "see reception" not in badge
    else:
        assert "Please see reception before you go in." in badge
    with services.repos.db.engine.connect() as conn:
        [mail] = conn.execute(select(OutboxMessage.kind, OutboxMessage.visit_id)).all()[-1:]
    assert mail == ("watch_alert", None)  # no link to the visit: not in their export

    console = make_console(services.settings, services=services)
    async with console.run_test(size=(100, 30)) as pilot:
        await staff_login(pilot, "rita")
        await wait_for_screen(pilot, "ConsoleScreen")
        text = await status_of(pilot, "#watch-alert-text", "Watchlist")
        assert text.startswith(f"Watchlist: {NAME} checked in at ")
        assert text.endswith("Reason: Trespass notice")
        await pilot.click("#watch-seen")
        await pilot.pause(0.5)
        assert not pilot.app.screen.query_one("#watch-alert").display
    assert services.watchlist.alerts(RITA) == []


async def test_admins_keep_the_list_in_the_console(tmp_path: Path) -> None:
    services = services_with_staff(tmp_path)
    console = make_console(services.settings, services=services)
    expires = (services.ctx.today() + timedelta(days=10)).isoformat()
    async with console.run_test(size=(120, 40)) as pilot:
        await staff_login(pilot, "ada")
        await wait_for_screen(pilot, "ConsoleScreen")
        await pilot.press("f8")
        await pilot.pause(0.3)
        await pilot.click("#staff-watchlist")
        await wait_for_screen(pilot, "WatchlistScreen")
        await type_into(pilot, "#watch-name", "Mallory Fakename")
        await type_into(pilot, "#watch-reason", "Do not admit")
        await pilot.click("#watch-add")
        assert "Expires" in await status_of(pilot, "#watch-status", "Expires")
        assert pilot.app.screen.query_one("#watch-name").value == "Mallory Fakename"  # type: ignore[attr-defined]
        await type_into(pilot, "#watch-expires", expires)
        await pilot.pause(0.3)
        await pilot.click("#watch-add")
        assert f"added, expires {expires}" in await status_of(pilot, "#watch-status", "added")
        [entry] = services.watchlist.entries(ADMIN)
        assert entry.name == "Mallory Fakename" and entry.added_by == "staff:ada"
        table = pilot.app.screen.query_one("#watch-table")
        table.focus()
        await pilot.press("enter")
        await pilot.pause(0.2)
        await pilot.click("#watch-remove")
        await pilot.pause(0.3)
        await pilot.click("#watch-remove")  # pressed twice: it asks first
        assert "removed" in await status_of(pilot, "#watch-status", "removed")
    assert services.watchlist.entries(ADMIN) == []
    # Reception has no watchlist button.
    async with make_console(services.settings, services=services).run_test(size=(120, 40)) as pilot:
        await staff_login(pilot, "rita")
        await wait_for_screen(pilot, "ConsoleScreen")
        assert not pilot.app.screen.query("#staff-watchlist")


def test_the_watchlist_from_the_command_line(
    store: Repositories, store_config: StoreConfig, tmp_path: Path
) -> None:
    def kiosk(*args: str) -> str:
        done = run_cli(store_config, tmp_path, *args)
        assert done.returncode == 0, done.stderr
        return done.stdout

    expires = (datetime.now().date() + timedelta(days=5)).isoformat()
    added = kiosk("watchlist", "add", "--phone", "+31 20 555 0199", "--reason", "Ban",
                  "--expires", expires)  # fmt: skip
    ref = added.split()[1]
    assert added.strip() == f"entry {ref} added, expires {expires}"
    listed = kiosk("watchlist", "list")
    assert f"{ref}  expires {expires}  +31205550199  reason: Ban" in listed
    assert listed.strip().endswith("1 entry")
    past = run_cli(store_config, tmp_path, "watchlist", "add", "--name", "X Y", "--reason",
                   "Ban", "--expires", "2020-01-01")  # fmt: skip
    assert past.returncode == 2 and "cannot expire in the past" in past.stderr
    assert kiosk("watchlist", "remove", ref).strip() == f"entry {ref} removed"
    assert kiosk("watchlist", "list").strip() == "0 entries"
