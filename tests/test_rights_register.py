"""The register of rights requests: when each came in, what was asked, what was done for
it and when the answer is due; encrypted, audited, forgotten on schedule. SQLite and
PostgreSQL (the ``store`` fixture)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from kiosk.domain.codes import short_ref
from kiosk.domain.requests import RequestError, RequestStatus, add_months, due_on
from kiosk.services.rights import Person
from storage.models import AuditEvent, RightsRequestRow
from storage.open import StoreConfig
from storage.repositories import Repositories
from tests.helpers.factories import run_cli, visitor
from tests.helpers.kiosk_ui import OPERATOR
from tests.helpers.store import check_in, services_over

ADA = Person(email="ada.requester@example.invalid")
BOB = Person(phone="+31205550123")


def test_a_month_is_a_calendar_month_and_an_extension_adds_at_most_two() -> None:
    assert due_on(date(2026, 1, 31)) == date(2026, 2, 28)
    assert due_on(date(2028, 1, 31)) == date(2028, 2, 29)
    assert due_on(date(2026, 11, 30), 2) == date(2027, 2, 28)
    assert add_months(date(2026, 12, 15), 1) == date(2027, 1, 15)


def test_requests_are_listed_overdue_first_then_due_soon(store: Repositories) -> None:
    rights, today = services_over(store).rights, date.today()
    later = rights.open_request("access", ADA, "e-mail", OPERATOR)
    overdue = rights.open_request("erasure", BOB, "letter", OPERATOR, today - timedelta(days=40))
    soon = rights.open_request("objection", ADA, "phone", OPERATOR, today - timedelta(days=27))
    done = rights.open_request("portability", BOB, "in-person", OPERATOR, today)
    rights.close(str(done.id), "answered", "", OPERATOR)

    assert later.due_on == due_on(today) and later.status is RequestStatus.OPEN
    listed = rights.requests(OPERATOR)
    assert [r.id for r in listed] == [overdue.id, soon.id, later.id, done.id]
    assert listed[0].overdue(today) and listed[1].due_soon(today)
    assert rights.overdue() == 1


def test_an_extension_once_with_a_reason_and_closing_once(store: Repositories) -> None:
    rights = services_over(store).rights
    r = rights.open_request("access", ADA, "e-mail", OPERATOR, date.today() - timedelta(days=3))
    ref = short_ref(r.id)  # as the register lists it
    with pytest.raises(RequestError, match="reason for the extension is required"):
        rights.extend(ref, 2, "  ", OPERATOR)
    with pytest.raises(RequestError, match="1 to 2 months"):
        rights.extend(ref, 3, "many archives", OPERATOR)
    extended = rights.extend(ref, 2, "Archives in three buildings", OPERATOR)
    assert extended.due_on == due_on(r.received_on, 2)
    assert extended.extension_reason == "Archives in three buildings"
    with pytest.raises(RequestError, match="extended already"):
        rights.extend(ref, 1, "more", OPERATOR)
    with pytest.raises(RequestError, match="reason for refusing is required"):
        rights.close(ref, "refused", "", OPERATOR)
    refused = rights.close(ref, "refused", "Manifestly unfounded: the third this month", OPERATOR)
    assert refused.status is RequestStatus.REFUSED and refused.closed_at is not None
    with pytest.raises(RequestError, match="refused already"):
        rights.close(ref, "answered", "", OPERATOR)


def test_what_is_done_for_a_request_is_recorded_on_it(store: Repositories, tmp_path: Path) -> None:
    services = services_over(store)
    ada = visitor(1)
    check_in(store, ada)
    person = Person(email=ada.email)
    r = services.rights.open_request("access", person, "e-mail", OPERATOR)
    services.rights.export(person, tmp_path / "ada.json", OPERATOR, request=str(r.id))
    [held] = json.loads((tmp_path / "ada.json").read_text())["requests"]  # hers, in her export
    assert (held["kind"], held["status"], held["due_on"]) == ("access", "open", str(r.due_on))
    assert services.rights.lookup(BOB, OPERATOR).requests == []
    with pytest.raises(RequestError, match="about someone else"):
        services.rights.export(BOB, tmp_path / "bob.json", OPERATOR, request=str(r.id))
    services.rights.erase(person, OPERATOR, request=str(r.id))
    kept = services.rights.request(str(r.id), OPERATOR)
    assert [a.action for a in kept.actions] == ["export", "erase"]
    assert all(a.actor == OPERATOR.name for a in kept.actions)
    assert kept.email == ada.email  # the register keeps the request itself

    with store.db.engine.connect() as conn:
        [sealed] = conn.execute(select(RightsRequestRow.personal_ct)).scalars()
        events = conn.execute(
            select(AuditEvent.action, AuditEvent.object_id, AuditEvent.details)
        ).all()
    assert (ada.email or "").encode() not in bytes(sealed)
    actions = [(a, o) for a, o, _ in events if a.startswith("rights.request")]
    assert ("rights.request.open", str(r.id)) in actions
    assert actions.count(("rights.request.action", str(r.id))) == 2
    assert (ada.email or "") not in json.dumps([list(map(str, e)) for e in events])


def test_closed_requests_are_forgotten_after_their_period(store: Repositories) -> None:
    """Kept request_days (3 years) after closing; one left open a year longer (the cap),
    then gone too, and the data keys of those days destroyed."""
    rights = services_over(store).rights
    closed = rights.open_request("access", ADA, "e-mail", OPERATOR)
    rights.close(str(closed.id), "answered", "Sent the export", OPERATOR)
    rights.open_request("erasure", BOB, "letter", OPERATOR)
    now = datetime.now(UTC)
    assert store.retention.purge(now + timedelta(days=1094)).rows["rights_requests"] == 0
    report = store.retention.purge(now + timedelta(days=1096))
    assert report.rows["rights_requests"] == 1
    assert [r.kind.value for r in rights.requests(OPERATOR)] == ["erasure"]
    report = store.retention.purge(now + timedelta(days=1096 + 366))
    assert report.rows["rights_requests"] == 1 and report.keys_destroyed["request"] == 1
    assert rights.requests(OPERATOR) == []


def test_the_register_from_the_command_line(store_config: StoreConfig, tmp_path: Path) -> None:
    def kiosk(*args: str) -> str:
        done = run_cli(store_config, tmp_path, *args)
        assert done.returncode == 0, done.stderr
        return done.stdout

    opened = kiosk("rights", "request", "open", "erasure", "ada@example.com", "--via", "letter")
    request_id = opened.split()[1]
    # Another, the same minute: their ids begin alike (the time), the listed refs differ.
    kiosk("rights", "request", "open", "access", "bob@example.com", "--via", "letter")
    refs = [line.split()[0] for line in kiosk("rights", "request", "list").splitlines()[:2]]
    assert len(set(refs)) == 2
    for ref in refs:
        assert kiosk("rights", "request", "show", ref).startswith(ref)
    ref = request_id.replace("-", "")[-8:]
    assert f"due {due_on(date.today())}" in opened
    kiosk("rights", "request", "extend", ref, "--months", "1", "--reason", "Backups")
    listed = kiosk("rights", "request", "list")
    assert (
        f"due {due_on(date.today(), 1)} (extended)" in listed
        and "2 request(s), 0 overdue" in listed
    )
    kiosk("rights", "erase", "ada@example.com", "--yes", "--request", ref)
    kiosk("rights", "request", "answer", ref, "--note", "Erased")
    shown = kiosk("rights", "request", "show", request_id)
    assert "erase  by" in shown and "answered" in shown and "Erased" in shown
    args = ("rights", "request", "open", "gossip", "x@example.com", "--via", "letter")
    wrong = run_cli(store_config, tmp_path, *args)
    assert wrong.returncode == 2 and "gossip" in wrong.stderr
