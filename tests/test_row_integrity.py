"""Every column of a visit outside its envelope is sealed with it: a direct UPDATE in the
database is detected on the next read, named by the visit's id, never silently used; the
evacuation list still lists and counts such a record, and says it could not be read.
On SQLite and on PostgreSQL."""

from __future__ import annotations

import os
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete, insert, not_, select, update

from kiosk.domain.invitations import NewInvitation
from kiosk.domain.retention import Category
from kiosk.domain.staff import Actor
from kiosk.domain.visits import VisitorType
from kiosk.services.bundle import Services
from storage.codec import Personal, seal, seal_personal
from storage.errors import AlreadyCheckedOut, RecordTampered
from storage.keystore_models import DataKey
from storage.models import Invitation, NdaAcceptance, SealUpgrade, Site, Visit
from storage.open import StoreConfig, open_repositories
from storage.repositories import Repositories
from storage.sealing import head_column, listed_text
from tests.helpers.factories import run_cli, visitor
from tests.helpers.store import add_host, check_in, check_out, correct, invite, services_over

SECURITY = Actor("test")


def invitation(day: date) -> NewInvitation:
    return NewInvitation("Invitee Fakename", "invitee@example.invalid", None, None, day)


# Each column a visit keeps outside its envelope, and an edit an insider could make.
# Those lists show are sealed in the envelope: any read notices them.
LISTED: dict[str, Any] = {
    "departed_at": lambda v: v.arrived_at + timedelta(minutes=5),
    "arrived_at": lambda v: v.arrived_at - timedelta(hours=1),
    "local_day": lambda v: v.local_day - timedelta(days=1),
    "restricted": lambda v: not_(Visit.restricted),
    "nda_accepted": lambda v: not_(Visit.nda_accepted),
    "flagged": lambda v: not_(Visit.flagged),
    "needs_confirmation": lambda v: not_(Visit.needs_confirmation),
    "auto_checkout": lambda v: not_(Visit.auto_checkout),
    "visitor_type": lambda v: VisitorType.CONTRACTOR.value,
    "host_id": lambda v: None,
}
# The others are sealed by seal_mac: a read that uses them notices (by id, a check-out).
UNLISTED: dict[str, Any] = {
    "created_at": lambda v: v.created_at - timedelta(hours=1),
    "under_16": lambda v: not_(Visit.under_16),
    "email_bidx": lambda v: Visit.email_bidx + 1,
    "phone_bidx": lambda v: None,
    "badge_hash": lambda v: os.urandom(32),
    "privacy_version": lambda v: "forged-2",
    "privacy_sha256": lambda v: "f" * 64,
    "seal_mac": lambda v: os.urandom(32),
}


@pytest.mark.parametrize("column", sorted(LISTED) + sorted(UNLISTED))
def test_a_direct_update_of_any_column_is_detected(store: Repositories, column: str) -> None:
    host_id = add_host(store, "Hostina Placeholder", "hostina@example.com")
    edited = check_in(store, visitor(1, host_id=host_id), actor="test")
    other = check_in(store, visitor(2, host_id=host_id), actor="test")
    edit = LISTED.get(column) or UNLISTED[column]
    with store.db.engine.begin() as conn:
        row = conn.execute(select(Visit).where(Visit.id == edited.visit_id)).one()
        conn.execute(update(Visit).where(Visit.id == edited.visit_id).values({column: edit(row)}))
    with pytest.raises(RecordTampered, match=str(edited.visit_id)) as raised:
        store.visits.get(edited.visit_id)
    assert "integrity check" in str(raised.value)
    assert "Fakename" not in str(raised.value)  # the record is named, never its content
    day = store.visits.on_day(store.db.local_day(other.arrived_at))
    if column in LISTED:
        assert [v.id for v in day.visits] == [other.visit_id]
        if column != "local_day":  # moved to another day: read there
            assert [d.row_id for d in day.damaged] == [edited.visit_id]
    else:  # a list reads none of it, and shows the visit as it is
        assert sorted(v.id for v in day.visits) == sorted([edited.visit_id, other.visit_id])
    # Nothing seals it anew: a check-out of the edited record is refused too.
    refused = AlreadyCheckedOut if column == "departed_at" else RecordTampered
    with pytest.raises(refused), store.db.uow("test") as tx:
        store.visits.check_out_visit(tx, edited.visit_id)


def test_what_the_kiosk_changes_keeps_the_seal(store: Repositories) -> None:
    """Check-out (by badge, by staff, automatic), correction, restriction, a new badge,
    consent withdrawn: each seals the row again, and the day reads whole."""
    visits = [check_in(store, visitor(i), actor="test") for i in range(5)]
    check_out(store, visits[0].badge_code, actor="test")
    with store.db.uow("test") as tx:
        store.visits.check_out_visit(tx, visits[1].visit_id)
        store.rights.set_restricted(tx, [visits[2].visit_id], True)
        store.visits.reissue_badge(tx, visits[3].visit_id)
        store.rights.withdraw_consent(tx, [visits[4].visit_id])
    correct(store, visits[2].visit_id, {"email": "new.address@example.invalid"}, actor="test")
    day = store.visits.on_day(store.db.local_day(visits[0].arrived_at))
    assert not day.damaged and len(day.visits) == 5
    by_id = {v.id: v for v in day.visits}
    assert by_id[visits[0].visit_id].departed_at and by_id[visits[1].visit_id].departed_at
    assert by_id[visits[2].visit_id].restricted
    assert by_id[visits[2].visit_id].email == "new.address@example.invalid"


def test_the_seal_is_the_same_text_in_python_and_in_sql(store: Repositories) -> None:
    host_id = add_host(store, "Hostina Placeholder", "hostina@example.com")
    plain = check_in(store, visitor(1, email=None, phone=None), actor="test")
    full = check_in(store, visitor(2, host_id=host_id, under_16=True), actor="test")
    check_out(store, full.badge_code, actor="test")
    column = head_column(store.db.engine.dialect.name)
    with store.db.engine.connect() as conn:
        for visit_id in (plain.visit_id, full.visit_id):
            row = conn.execute(select(Visit).where(Visit.id == visit_id)).one()
            values = {c.name: getattr(row, c.name) for c in Visit.__table__.columns}
            in_sql = conn.execute(select(column).where(Visit.id == visit_id)).scalar_one()
            assert in_sql[:64] == visit_id.hex + values["key_id"].hex
            assert listed_text(values) == in_sql[64:]


def _onsite(store: Repositories) -> tuple[Services, list[Any]]:
    services = services_over(store)
    return services, services.onsite.people(SECURITY)


def test_a_visit_edited_off_the_evacuation_list_stays_on_it(store: Repositories) -> None:
    """Someone marks a visitor as gone in the database: the list still counts them, as
    an unreadable record with its visit id and arrival."""
    inside = [check_in(store, visitor(i), actor="test") for i in range(3)]
    with store.db.engine.begin() as conn:
        conn.execute(
            update(Visit)
            .where(Visit.id == inside[1].visit_id)
            .values(departed_at=inside[1].arrived_at + timedelta(minutes=1))
        )
    services, people = _onsite(store)
    assert len(people) == 3
    first = people[0]
    assert first.name == f"unreadable record {inside[1].visit_id}" and first.unreadable
    assert "integrity check" in first.unreadable
    arrived = inside[1].arrived_at.astimezone(services.ctx.tz).strftime("%Y-%m-%d %H:%M")
    assert first.since == arrived
    assert sorted(p.name for p in people[1:]) == [visitor(0).name, visitor(2).name]


def test_a_key_store_older_than_the_records_lists_them_as_unreadable(
    store_config: StoreConfig, tmp_path: Path
) -> None:
    """The key store restored from a backup taken before today's first check-in: today's
    key is not in it. `kiosk onsite` lists the three people as unreadable records and
    exits non-zero; `kiosk log` says the key is missing, not that it expired."""
    store = open_repositories(store_config)
    try:
        for i in range(3):
            check_in(store, visitor(i), actor="test")
        with store.db.keystore.engine.begin() as conn:  # as the older backup holds it
            conn.execute(delete(DataKey).where(DataKey.category == Category.VISIT.value))
    finally:
        store.db.dispose()
    listed = run_cli(store_config, tmp_path, "onsite")
    assert listed.returncode == 3, listed.stderr
    assert "On site now: 3, of which 3 unreadable record(s)" in listed.stdout
    assert listed.stdout.count("unreadable record ") == 3
    assert "missing from this key store" in listed.stderr
    assert "3 record(s) on the list could not be read" in listed.stderr
    log = run_cli(store_config, tmp_path, "log")
    assert "missing from this key store" in log.stderr and "retention" not in log.stderr


def test_rows_from_before_the_seal_are_sealed_once_at_start(
    store: Repositories, store_config: StoreConfig
) -> None:
    """Visits, NDA acceptances and invitations written by the previous version (their
    ciphertexts without the seal) are sealed by the first start after the upgrade, and
    read whole; an NDA acceptance edited afterwards is then reported."""
    visits = [check_in(store, visitor(i), actor="test") for i in range(3)]
    invitation_id, _ = invite(store, invitation(store.db.local_day(visits[0].arrived_at)))
    with store.db.engine.begin() as conn:  # the ciphertexts as the previous version wrote them
        for v in visits:
            key_id = conn.execute(select(Visit.key_id).where(Visit.id == v.visit_id)).scalar_one()
            aead = store.db.keystore.key_by_id(key_id)
            old = seal_personal(aead, v.visit_id, key_id, Personal(name=f"Earlier {v.visit_id}"))
            conn.execute(update(Visit).where(Visit.id == v.visit_id).values(personal_ct=old))
        for nda in conn.execute(select(NdaAcceptance.id, NdaAcceptance.key_id)).all():
            aead = store.db.keystore.key_by_id(nda.key_id)
            name = seal(aead, "nda_acceptances", "signed_name", nda.id, nda.key_id, "Earlier")
            conn.execute(
                update(NdaAcceptance).where(NdaAcceptance.id == nda.id).values(signed_name_ct=name)
            )
        key_id = conn.execute(
            select(Invitation.key_id).where(Invitation.id == invitation_id)
        ).scalar_one()
        aead = store.db.keystore.key_by_id(key_id)
        old = seal_personal(aead, invitation_id, key_id, Personal(name="Invited"), "invitations")
        conn.execute(
            update(Invitation).where(Invitation.id == invitation_id).values(personal_ct=old)
        )
        conn.execute(insert(SealUpgrade).values(id=1))  # as migration 0012 leaves it
    day = store.db.local_day(visits[0].arrived_at)
    assert len(store.visits.on_day(day).damaged) == 3
    reopened = open_repositories(store_config)
    try:
        read = reopened.visits.on_day(day)
        assert not read.damaged
        assert sorted(v.name for v in read.visits) == sorted(
            f"Earlier {v.visit_id}" for v in visits
        )
        ndas = reopened.rights.nda_acceptances([v.visit_id for v in visits])
        assert [n.signed_name for n in ndas] == ["Earlier"] * 3
        assert [i.name for i in reopened.invitations.for_day(day)] == ["Invited"]
        [event] = reopened.audit.events(action="records.sealed")
        assert event.details == {"visits": 3, "nda_acceptances": 3, "invitations": 1}
        with reopened.db.engine.begin() as conn:
            assert conn.execute(select(SealUpgrade)).first() is None
            conn.execute(update(NdaAcceptance).values(document_version="forged"))
        ndas = reopened.rights.nda_acceptances([visits[0].visit_id])
        assert ndas[0].signed_name is None and ndas[0].problem is not None
        assert "integrity check" in ndas[0].problem
    finally:
        reopened.db.dispose()


def test_an_edited_invitation_is_not_used(store: Repositories) -> None:
    """Someone moves an invitation to another day or host in the database: it no longer
    opens, so it is neither shown nor used for a check-in."""
    day = store.db.local_day(datetime.now(UTC))
    invitation_id, code = invite(store, invitation(day))
    assert store.invitations.find(code, day) is not None
    with store.db.engine.begin() as conn:
        conn.execute(
            update(Invitation)
            .where(Invitation.id == invitation_id)
            .values(visitor_type=VisitorType.CONTRACTOR.value)
        )
    with pytest.raises(RecordTampered, match=str(invitation_id)):
        store.invitations.find(code, day)


@pytest.mark.parametrize("move", ["local_day", "site_id", "delete"])
def test_a_visit_moved_out_of_the_list_stays_on_it(store: Repositories, move: str) -> None:
    """Moved to a day long past, to another site, or deleted in the database: the query
    no longer finds it, but the audit trail holds its check-in and no check-out, so the
    list still counts it, as an unreadable record with its id and arrival."""
    inside = [check_in(store, visitor(i), actor="test") for i in range(3)]
    check_out(store, inside[2].badge_code, actor="test")
    with store.db.engine.begin() as conn:
        target = Visit.id == inside[0].visit_id
        if move == "local_day":
            conn.execute(update(Visit).where(target).values(local_day=date(2020, 1, 1)))
        elif move == "site_id":
            other = uuid.uuid4()
            conn.execute(
                insert(Site).values(
                    id=other, slug="elsewhere", name="Elsewhere", created_at=datetime.now(UTC)
                )
            )
            conn.execute(update(Visit).where(target).values(site_id=other))
        else:
            conn.execute(delete(NdaAcceptance).where(NdaAcceptance.visit_id == inside[0].visit_id))
            conn.execute(delete(Visit).where(target))
    _, people = _onsite(store)
    assert [p.name for p in people] == [f"unreadable record {inside[0].visit_id}", visitor(1).name]
    assert "audit trail holds its check-in" in people[0].unreadable


def test_a_visitor_erased_on_request_is_not_missing(store: Repositories) -> None:
    services = services_over(store)
    inside = [check_in(store, visitor(i), actor="test") for i in range(2)]
    with store.db.uow("test") as tx:
        store.rights.erase(tx, [inside[0].visit_id])
    assert [p.name for p in services.onsite.people(SECURITY)] == [visitor(1).name]
