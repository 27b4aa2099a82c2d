"""A visitor's rights end to end, for one of two people with similar names from the same
company: the request registered with its due date; find returns only them; the export
(JSON, and CSV for portability) holds all their visits, NDA signatures (also after the
visits expired), invitations and notices shown, and nothing of the other person; erase
leaves none of their records in the database's bytes; the request shows answered. And
objection as its own action: no host e-mails, left out of exports, for what is held and
for visits to come. SQLite and PostgreSQL (the ``store`` fixture)."""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import LargeBinary, func, select

from kiosk.domain.invitations import NewInvitation
from kiosk.domain.requests import RequestError, RequestStatus, due_on
from kiosk.domain.visits import NdaSignature, NewVisit, VisitorType
from kiosk.services.bundle import Services
from kiosk.services.rights import Person
from storage.engine import checkpoint
from storage.models import AuditEvent, Base, OutboxMessage, Visit
from storage.open import StoreConfig
from storage.repositories import Repositories
from tests.helpers.factories import run_cli, visitor
from tests.helpers.kiosk_ui import OPERATOR
from tests.helpers.store import check_in, invite, services_over, sharing_email_index

NOW = datetime.now(UTC).replace(microsecond=0)
COMPANY = "Fictional Widgets BV"
PERSONAL = ("visits", "nda_acceptances", "invitations", "outbox")


def _person(n: int, name: str, email: str, phone: str) -> NewVisit:
    return visitor(n, name=name, email=email, phone=phone, company=COMPANY,
                   nda=NdaSignature("test-1", "en", "1" * 64, name))  # fmt: skip


ANNE = _person(1, "Anne-Marie Fakebroek", "anne.fakebroek@example.com", "+31205550111")
ANNA = _person(2, "Anna-Maria Fakebroek", "anna.fakebroek@example.com", "+31205550112")


def _ciphertexts(store: Repositories) -> set[bytes]:
    """Every sealed value in the tables that hold personal data."""
    found: set[bytes] = set()
    with store.db.engine.connect() as conn:
        for name in PERSONAL:
            table = Base.metadata.tables[name]
            columns = [c for c in table.columns if isinstance(c.type, LargeBinary)]
            for row in conn.execute(select(*columns)):
                found |= {bytes(v) for v in row if v is not None and len(v) > 28}
    return found


def _visit_and_invite(services: Services, person: NewVisit) -> None:
    store = services.repos
    check_in(store, person, now=NOW - timedelta(days=40))  # expires; its NDA stays
    check_in(store, person, now=NOW - timedelta(hours=1))
    invitation = NewInvitation(
        name=person.name, email=person.email, phone=None, company=COMPANY,
        expected_day=services.ctx.today() + timedelta(days=3),
        visitor_type=VisitorType.GUEST, host_id=None,
    )  # fmt: skip
    invite(store, invitation, actor="test")


def test_a_rights_round_trip_for_one_of_two_similar_people(
    store: Repositories, store_config: StoreConfig, tmp_path: Path
) -> None:
    services = services_over(store)
    for person in (ANNE, ANNA):
        _visit_and_invite(services, person)
    store.retention.purge(NOW)  # the visits of 40 days ago go, their NDAs stay
    anne = Person(email=ANNE.email)
    request = services.rights.open_request("access", anne, "e-mail", OPERATOR)
    assert request.status is RequestStatus.OPEN
    assert request.due_on == due_on(services.ctx.today())

    data = services.rights.lookup(anne, OPERATOR)
    assert [v.name for v in data.visits] == [ANNE.name]
    assert [n.signed_name for n in data.nda_acceptances] == [ANNE.name, ANNE.name]
    assert [i.name for i in data.invitations] == [ANNE.name]

    out = tmp_path / "anne.json"
    services.rights.export(anne, out, OPERATOR, str(request.id))
    body = out.read_text()
    exported = json.loads(body)
    [visit] = exported["visits"]
    assert visit["company"] == COMPANY and visit["host"] == "Hostina Placeholder"
    assert visit["privacy_notice"] == {"version": "test-1", "sha256": "0" * 64}
    assert [n["document_version"] for n in exported["nda_acceptances"]] == ["test-1"] * 2
    assert sum(n["visit_id"] is None for n in exported["nda_acceptances"]) == 1  # expired
    assert [i["name"] for i in exported["invitations"]] == [ANNE.name]
    assert [r["kind"] for r in exported["requests"]] == ["access"]
    [mail] = exported["notifications"]  # her host told of the visit still held
    assert mail["kind"] == "host_arrival" and mail["visit_id"] == visit["id"]
    assert mail["sent_at"] is None and not mail["given_up"]
    for trace in (ANNA.name, ANNA.email, ANNA.phone, "Anna-Maria"):
        assert trace and trace not in body

    # Portability: the same, as CSV rows.
    sheet = tmp_path / "anne.csv"
    services.rights.export(anne, sheet, OPERATOR, form="csv")
    with sheet.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == ["section", "item", "field", "value"]
    cells = {(s, i, f): v for s, i, f, v in rows[1:]}
    assert cells["visits", "1", "name"] == ANNE.name
    assert cells["visits", "1", "privacy_notice.version"] == "test-1"
    assert cells["nda_acceptances", "2", "signed_name"] == ANNE.name
    assert cells["invitations", "1", "email"] == ANNE.email
    assert cells["requests", "1", "actions.0.action"] == "export"
    assert cells["notifications", "1", "kind"] == "host_arrival"
    assert "Anna-Maria" not in sheet.read_text()

    held = _ciphertexts(store)
    report = services.rights.erase(anne, OPERATOR, str(request.id))
    assert (report.visits, report.nda_acceptances, report.invitations) == (1, 2, 1)
    answered = services.rights.close(str(request.id), "answered", "Sent and erased", OPERATOR)
    assert answered.status is RequestStatus.ANSWERED
    assert [a.action for a in answered.actions] == ["export", "erase"]

    gone = held - _ciphertexts(store)
    # her visit, two NDAs, her invitation, the host e-mails of her two visits
    assert len(gone) >= 4
    assert services.rights.lookup(anne, OPERATOR).nda_acceptances == []
    other = services.rights.lookup(Person(email=ANNA.email), OPERATOR)
    assert [v.name for v in other.visits] == [ANNA.name] and len(other.nda_acceptances) == 2
    if store.db.engine.dialect.name == "sqlite":
        checkpoint(store.db.engine)
        folder = store_config.key_file.parent
        raw = b"".join(
            p.read_bytes() for p in (folder / "kiosk.db", folder / "kiosk.db-wal") if p.exists()
        )
        assert not [c for c in gone if c[:32] in raw]  # secure_delete: not in free pages
        assert ANNE.name.encode() not in raw and (ANNE.email or "").encode() not in raw
        assert all(c[:32] in raw for c in held - gone)  # the scan does see ciphertexts


def test_an_objection_stops_host_emails_and_exports_for_now_and_later(
    store: Repositories,
) -> None:
    services = services_over(store)
    anne = Person(email=ANNE.email)
    first = services.checkin.store(ANNE, OPERATOR, now=NOW - timedelta(hours=2))
    with store.db.engine.connect() as conn:
        waiting = conn.execute(
            select(func.count()).where(OutboxMessage.visit_id == first.visit_id)
        ).scalar_one()
    assert waiting == 1  # the host's e-mail, not sent yet

    access = services.rights.open_request("access", anne, "letter", OPERATOR)
    with pytest.raises(RequestError, match="not an objection"):
        services.rights.object(anne, ["notifications"], OPERATOR, str(access.id))
    request = services.rights.open_request("objection", anne, "letter", OPERATOR)
    with pytest.raises(RequestError, match="object to one or more of"):
        services.rights.object(anne, ["marketing"], OPERATOR, str(request.id))
    done = services.rights.object(anne, ["exports", "notifications"], OPERATOR, str(request.id))
    assert (done.visits, done.emails_dropped, done.restricted) == (1, 1, 1)

    later = services.checkin.store(ANNE, OPERATOR, now=NOW)
    # Someone else whose blind index is the same: not taken for her.
    stranger = visitor(3, email=sharing_email_index(store, ANNE.email or ""))
    theirs = services.checkin.store(stranger, OPERATOR, now=NOW)
    with store.db.engine.connect() as conn:
        mails = dict(
            conn.execute(
                select(OutboxMessage.visit_id, func.count()).group_by(OutboxMessage.visit_id)
            ).all()
        )
        restricted = dict(conn.execute(select(Visit.id, Visit.restricted)).all())
        objected = conn.execute(
            select(AuditEvent.details).where(AuditEvent.action == "person.object")
        ).scalar_one()
    assert mails == {theirs.visit_id: 1}  # none for her, then or now
    assert restricted == {first.visit_id: True, later.visit_id: True, theirs.visit_id: False}
    assert objected == {"purposes": ["exports", "notifications"], "visits": 1, "emails_dropped": 1}
    # Still on site and on the evacuation list: her safety is not an objectable purpose.
    on_site = {v.id for v in store.visits.on_day(services.ctx.today()).visits if v.on_site}
    assert later.visit_id in on_site
    recorded = store.requests.find(str(request.id))
    assert [a.action for a in recorded.actions] == ["object to exports", "object to notifications"]


def test_objection_and_csv_export_from_the_command_line(
    store: Repositories, store_config: StoreConfig, tmp_path: Path
) -> None:
    def kiosk(*args: str) -> str:
        done = run_cli(store_config, tmp_path, *args)
        assert done.returncode == 0, done.stderr
        return done.stdout

    check_in(store, ANNE, now=NOW)
    opened = kiosk("rights", "request", "open", "objection", ANNE.email or "", "--via", "letter")
    request_id = opened.split()[1]
    said = kiosk("rights", "object", ANNE.email or "", "--to", "notifications",
                 "--request", request_id[:8])  # fmt: skip
    assert said.strip() == (
        "objection to notifications upheld for 1 visit(s) held and those to come:"
        " 1 host e-mail(s) not sent, 0 visit(s) left out of exports"
    )
    missing = run_cli(store_config, tmp_path, "rights", "object", ANNE.email or "",
                      "--to", "notifications")  # fmt: skip
    assert missing.returncode == 2 and "--request" in missing.stderr
    kiosk("rights", "export", ANNE.email or "", "--output", str(tmp_path / "anne.csv"))
    text = (tmp_path / "anne.csv").read_text()
    assert text.startswith("section,item,field,value")
    assert "requests,1,actions.0.action,object to notifications" in text
