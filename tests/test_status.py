"""`kiosk status`: the facts an office's IT checks, and what needs attention, on SQLite
and PostgreSQL; never a visitor's data."""

from __future__ import annotations

import dataclasses
import re
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import delete, func, select

from kiosk.config import load_settings
from kiosk.services.bundle import Services
from kiosk.services.context import ServiceContext
from kiosk.services.rights import Person
from kiosk.services.staff import StaffService
from kiosk.services.status import Status
from storage.models import AuditEvent
from storage.repositories import Repositories
from tests.helpers.factories import visitor
from tests.helpers.kiosk_ui import OPERATOR
from tests.helpers.store import add_host, auto_check_out, check_in, check_out_visit, services_over


def _collect(store: Repositories, now: datetime, *, email: bool) -> Status:
    """`kiosk status` at ``now``; ``email``: e-mail is set up."""
    settings = load_settings()
    if email:
        notify = dataclasses.replace(settings.notify, smtp_host="mail.example.invalid")
        settings = dataclasses.replace(settings, notify=notify)
    return Services.over(store, settings).status.collect(now)


def _facts(
    store: Repositories, now: datetime | None = None, *, email: bool = False
) -> tuple[dict[str, str], list[str]]:
    now = now or datetime.now(UTC)
    status = _collect(store, now, email=email)
    text = str(status.facts) + str(status.attention)
    assert visitor(0).name not in text and "Hostina" not in text
    return dict(status.facts), status.attention


def test_a_healthy_installation_needs_nothing(store: Repositories) -> None:
    now = datetime.now(UTC)  # the purge's audit event has the real time
    visit = check_in(store, visitor(0), actor="test", now=now - timedelta(hours=1)).visit_id
    check_out_visit(store, visit, actor="test", now=now - timedelta(minutes=5))
    store.retention.purge(now)
    facts, attention = _facts(store, now + timedelta(minutes=30))
    assert attention == []
    today = store.db.local_day(now - timedelta(hours=1)).isoformat()
    assert facts["visits held"] == f"1 visit(s), the oldest of {today}"
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d UTC \((29|30) min ago\)", facts["last purge"])
    assert facts["last records backup"] == (
        "none made with kiosk backup"
        if store.db.engine.dialect.name == "sqlite"
        else "not tracked (PostgreSQL: use pg_dump)"  # kiosk backup is for SQLite files
    )
    assert facts["e-mails"] == "not set up (notify.smtp_host)"
    assert facts["never checked out"] == "none from earlier days"
    assert facts["audit trail"] == "intact (3 event(s))"  # check-in, check-out, purge
    data = _collect(store, now, email=True).data  # the same, for programs
    assert {k: data[k] for k in ("visits_held", "oldest_visit_day", "last_records_backup")} == {
        "visits_held": 1,
        "oldest_visit_day": today,
        "last_records_backup": None,
    }
    assert datetime.fromisoformat(data["last_purge"]) - now < timedelta(minutes=1)
    # The check-in's host e-mail, an hour old: with e-mail set up, nobody sent it.
    assert data["emails"] == {"waiting": 1, "retrying": 0, "late": 1}
    assert data["audit_trail"] == {"intact": True, "checked": 3}


def test_retention_not_applied_is_flagged_until_a_purge(store: Repositories) -> None:
    now = datetime.now(UTC)
    check_in(store, visitor(0), actor="test", now=now - timedelta(days=40))
    _, attention = _facts(store)
    assert len(attention) == 2
    assert "older than the 30 days promised" in attention[0]
    assert attention[1].startswith("no purge in the last 25 hours")
    store.retention.purge(now)
    facts, attention = _facts(store)
    assert attention == [] and facts["visits held"] == "0 visit(s)"
    _, attention = _facts(store, now + timedelta(hours=26))
    assert [a[:33] for a in attention] == ["no purge in the last 25 hours: no"]


def test_host_emails_nobody_sends_are_flagged(store: Repositories) -> None:
    now = datetime.now(UTC)
    host = add_host(store, "Hostina Placeholder", "hostina@example.com", actor="admin")
    visit = check_in(store, visitor(0, host_id=host, host_name=None), actor="test", now=now)
    check_out_visit(store, visit.visit_id, actor="test", now=now)  # whatever the hour
    store.retention.purge(now)
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


def test_visits_left_open_from_yesterday_are_flagged(store: Repositories) -> None:
    """Yesterday's visits without a check-out are on the evacuation list; older ones are
    counted only."""
    now = datetime.now(UTC)
    store.retention.purge(now)
    today = store.db.local_day(now)
    noon = datetime.combine(today, time(12), store.db.timezone)
    check_in(store, visitor(0), actor="test", now=noon - timedelta(days=5))
    left = check_in(store, visitor(1), actor="test", now=noon - timedelta(days=1))
    check_in(store, visitor(2), actor="test", now=noon - timedelta(days=1))
    check_out_visit(store, left.visit_id, actor="test", now=noon - timedelta(days=1))
    facts, attention = _facts(store, now)
    assert facts["never checked out"] == "2 visit(s) of earlier days, 1 of them yesterday's"
    assert attention == [
        "1 visit(s) of yesterday have no check-out, so they are on the evacuation list: "
        "check out whoever has left (console, Today's log of yesterday), or set "
        "kiosk.auto_checkout"
    ]
    assert _collect(store, now, email=False).data["open_from_earlier_days"] == {
        "visits": 2,
        "yesterday": 1,
        "oldest_day": (today - timedelta(days=5)).isoformat(),
    }
    auto_check_out(store, time(20), actor="test", now=now)
    facts, attention = _facts(store, now)
    assert facts["never checked out"] == "none from earlier days" and attention == []


def test_a_broken_audit_trail_is_flagged(store: Repositories) -> None:
    now = datetime.now(UTC)
    for i in range(3):
        check_in(store, visitor(i), actor="test", now=now)
    store.retention.purge(now)
    with store.db.engine.begin() as conn:
        newest = conn.execute(select(func.max(AuditEvent.seq))).scalar_one()
        conn.execute(delete(AuditEvent).where(AuditEvent.seq == newest - 1))
    facts, attention = _facts(store)
    assert facts["audit trail"] == "NOT INTACT"
    assert attention == [
        "the audit trail is not intact: event 3 is missing (deleted) (see kiosk audit verify)"
    ]


def test_staff_accounts_are_counted_by_role_with_the_locked_ones(store: Repositories) -> None:
    """A fresh installation has no staff account, so nobody can leave the kiosk through its
    staff menu or use the console: status says how to add one. Later it counts accounts
    per role and those locked after wrong PINs, never naming anyone."""
    facts, _ = _facts(store)
    assert facts["staff accounts"] == "none: add one with kiosk staff add NAME --role admin"
    staff = StaffService(ServiceContext(store, load_settings()), sleep=lambda _: None)
    staff.add("ada", "admin", "246810", OPERATOR)
    staff.add("rita", "reception", "135791", OPERATOR)
    staff.add("ruud", "reception", "975319", OPERATOR)
    for _ in range(10):
        staff.verify("rita", "000000")
    now = datetime.now(UTC)
    facts, _ = _facts(store, now)
    assert facts["staff accounts"] == "3 (2 reception, 1 admin), 1 locked after wrong PINs"
    assert "rita" not in str(facts) and "ada" not in str(facts)
    assert _collect(store, now, email=False).data["staff_accounts"] == {
        "reception": 2,
        "security": 0,
        "admin": 1,
        "locked": 1,
    }
    later, _ = _facts(store, now + timedelta(minutes=16))  # the lock has run out
    assert later["staff accounts"] == "3 (2 reception, 1 admin)"


def test_overdue_rights_requests_are_flagged(store: Repositories) -> None:
    rights = services_over(store).rights
    facts, attention = _facts(store)
    assert facts["rights requests overdue"] == "0"
    assert not any("rights request" in a for a in attention)
    received = date.today() - timedelta(days=45)
    rights.open_request(
        "access", Person(email="late@example.invalid"), "letter", OPERATOR, received
    )
    facts, attention = _facts(store)
    assert facts["rights requests overdue"] == "1"
    assert any(a.startswith("1 rights request(s) are past their due date") for a in attention)
    assert "late@example.invalid" not in str(attention) + str(facts)
