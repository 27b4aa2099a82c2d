"""`kiosk status`: the facts an office's IT checks, and what needs attention, on SQLite
and PostgreSQL; never a visitor's data."""

from __future__ import annotations

import re
from datetime import UTC, datetime, time, timedelta

from sqlalchemy import delete, func, select

from kiosk.services.staff import StaffService
from kiosk.services.status import collect
from storage.models import AuditEvent
from storage.store import Store
from tests.factories import visitor


def _facts(
    store: Store, now: datetime | None = None, *, email: bool = False
) -> tuple[dict[str, str], list[str]]:
    now = now or datetime.now(UTC)
    status = collect(store, now, email=email)
    text = str(status.facts) + str(status.attention)
    assert visitor(0).name not in text and "Hostina" not in text
    return dict(status.facts), status.attention


def test_a_healthy_installation_needs_nothing(store: Store) -> None:
    now = datetime.now(UTC)  # the purge's audit event has the real time
    visit = store.check_in(visitor(0), actor="test", now=now - timedelta(hours=1)).visit_id
    store.check_out_visit(visit, actor="test", now=now - timedelta(minutes=5))
    store.purge(now)
    facts, attention = _facts(store, now + timedelta(minutes=30))
    assert attention == []
    today = store.local_day(now - timedelta(hours=1)).isoformat()
    assert facts["visits held"] == f"1 visit(s), the oldest of {today}"
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d UTC \((29|30) min ago\)", facts["last purge"])
    assert facts["last records backup"] == (
        "none made with kiosk backup"
        if store.engine.dialect.name == "sqlite"
        else "not tracked (PostgreSQL: use pg_dump)"  # kiosk backup is for SQLite files
    )
    assert facts["e-mails"] == "not set up (notify.smtp_host)"
    assert facts["never checked out"] == "none from earlier days"
    assert facts["audit trail"] == "intact (3 event(s))"  # check-in, check-out, purge
    data = collect(store, now, email=True).data  # the same, for programs
    assert {k: data[k] for k in ("visits_held", "oldest_visit_day", "last_records_backup")} == {
        "visits_held": 1,
        "oldest_visit_day": today,
        "last_records_backup": None,
    }
    assert datetime.fromisoformat(data["last_purge"]) - now < timedelta(minutes=1)
    # The check-in's host e-mail, an hour old: with e-mail set up, nobody sent it.
    assert data["emails"] == {"waiting": 1, "retrying": 0, "late": 1}
    assert data["audit_trail"] == {"intact": True, "checked": 3}


def test_retention_not_applied_is_flagged_until_a_purge(store: Store) -> None:
    now = datetime.now(UTC)
    store.check_in(visitor(0), actor="test", now=now - timedelta(days=40))
    _, attention = _facts(store)
    assert len(attention) == 2
    assert "older than the 30 days promised" in attention[0]
    assert attention[1].startswith("no purge in the last 25 hours")
    store.purge(now)
    facts, attention = _facts(store)
    assert attention == [] and facts["visits held"] == "0 visit(s)"
    _, attention = _facts(store, now + timedelta(hours=26))
    assert [a[:33] for a in attention] == ["no purge in the last 25 hours: no"]


def test_host_emails_nobody_sends_are_flagged(store: Store) -> None:
    now = datetime.now(UTC)
    host = store.add_host("Hostina Placeholder", "hostina@example.com", actor="admin")
    visit = store.check_in(visitor(0, host_id=host, host_name=None), actor="test", now=now)
    store.check_out_visit(visit.visit_id, actor="test", now=now)  # whatever the hour
    store.purge(now)
    facts, attention = _facts(store, now + timedelta(minutes=5), email=True)
    assert (
        facts["e-mails"]
        == "1 waiting (host notices, invitations, badges), 0 of them after a failed try"
        and not attention
    )
    _, attention = _facts(store, now + timedelta(minutes=20), email=True)
    assert attention == [
        "1 e-mail(s) (host notices, invitations, badges) due for more than 15 minutes: no kiosk is "
        "sending them "
        "(run kiosk notify, or schedule it)"
    ]
    _, attention = _facts(store, now + timedelta(minutes=20), email=False)
    assert attention == []  # no e-mail set up: the outbox just expires


def test_visits_left_open_from_yesterday_are_flagged(store: Store) -> None:
    """Yesterday's visits without a check-out are on the evacuation list; older ones are
    counted only."""
    now = datetime.now(UTC)
    store.purge(now)
    today = store.local_day(now)
    noon = datetime.combine(today, time(12), store.timezone)
    store.check_in(visitor(0), actor="test", now=noon - timedelta(days=5))
    left = store.check_in(visitor(1), actor="test", now=noon - timedelta(days=1))
    store.check_in(visitor(2), actor="test", now=noon - timedelta(days=1))
    store.check_out_visit(left.visit_id, actor="test", now=noon - timedelta(days=1))
    facts, attention = _facts(store, now)
    assert facts["never checked out"] == "2 visit(s) of earlier days, 1 of them yesterday's"
    assert attention == [
        "1 visit(s) of yesterday have no check-out, so they are on the evacuation list: "
        "check out whoever has left (console, Today's log of yesterday), or set "
        "kiosk.auto_checkout"
    ]
    assert collect(store, now, email=False).data["open_from_earlier_days"] == {
        "visits": 2,
        "yesterday": 1,
        "oldest_day": (today - timedelta(days=5)).isoformat(),
    }
    store.auto_check_out(time(20), actor="test", now=now)
    facts, attention = _facts(store, now)
    assert facts["never checked out"] == "none from earlier days" and attention == []


def test_a_broken_audit_trail_is_flagged(store: Store) -> None:
    now = datetime.now(UTC)
    for i in range(3):
        store.check_in(visitor(i), actor="test", now=now)
    store.purge(now)
    with store.engine.begin() as conn:
        newest = conn.execute(select(func.max(AuditEvent.seq))).scalar_one()
        conn.execute(delete(AuditEvent).where(AuditEvent.seq == newest - 1))
    facts, attention = _facts(store)
    assert facts["audit trail"] == "NOT INTACT"
    assert attention == [
        "the audit trail is not intact: event 3 is missing (deleted) (see kiosk audit verify)"
    ]


def test_staff_accounts_are_counted_by_role_with_the_locked_ones(store: Store) -> None:
    """A fresh installation has no staff account, so nobody can leave the kiosk through its
    staff menu or use the console: status says how to add one. Later it counts accounts
    per role and those locked after wrong PINs, never naming anyone."""
    facts, _ = _facts(store)
    assert facts["staff accounts"] == "none: add one with kiosk staff add NAME --role admin"
    staff = StaffService(store, sleep=lambda _: None)
    staff.add("ada", "admin", "246810", actor="test")
    staff.add("rita", "reception", "135791", actor="test")
    staff.add("ruud", "reception", "975319", actor="test")
    for _ in range(10):
        staff.verify("rita", "000000")
    now = datetime.now(UTC)
    facts, _ = _facts(store, now)
    assert facts["staff accounts"] == "3 (2 reception, 1 admin), 1 locked after wrong PINs"
    assert "rita" not in str(facts) and "ada" not in str(facts)
    assert collect(store, now, email=False).data["staff_accounts"] == {
        "reception": 2,
        "security": 0,
        "admin": 1,
        "locked": 1,
    }
    later, _ = _facts(store, now + timedelta(minutes=16))  # the lock has run out
    assert later["staff accounts"] == "3 (2 reception, 1 admin)"
