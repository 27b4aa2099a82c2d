"""A visitor's rights reach everything held about them: NDA acceptances (kept two years)
after their visits (kept a month) are purged, found by the blind index and confirmed
against the contact sealed with them, never another person's who shares a truncated
index; the export names a host picked from the directory and the privacy notice each
visit was shown. SQLite and PostgreSQL (the ``store`` fixture)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update

from kiosk.domain.staff import Actor
from kiosk.services.rights import Person
from storage.codec import seal, unseal
from storage.models import AuditEvent, NdaAcceptance
from storage.repositories import Repositories
from storage.sealing import nda_seal
from tests.helpers.factories import visitor
from tests.helpers.kiosk_ui import OPERATOR
from tests.helpers.store import add_host, check_in, correct, services_over, sharing_email_index

NOW = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)


def test_nda_acceptances_outlive_their_visits_for_the_rights_requests(
    store: Repositories, tmp_path: Path
) -> None:
    services = services_over(store)
    ada = visitor(1)
    assert ada.email is not None and ada.phone is not None
    twin = visitor(2, email=sharing_email_index(store, ada.email), phone="+31205550002")
    check_in(store, ada, now=NOW)
    check_in(store, twin, now=NOW)
    store.retention.purge(NOW + timedelta(days=31))  # the visits go, the NDAs stay

    for person in (Person(email=ada.email), Person(phone=ada.phone)):
        data = services.rights.lookup(person, OPERATOR)
        assert data.visits == []
        [nda] = data.nda_acceptances  # hers, not the twin's with the same index
        assert nda.signed_name == ada.name and nda.visit_id is None

    out = tmp_path / "ada.json"
    services.rights.export(Person(email=ada.email), out, OPERATOR)
    exported = json.loads(out.read_text())
    assert [n["signed_name"] for n in exported["nda_acceptances"]] == [ada.name]
    assert exported["nda_acceptances"][0]["visit_id"] is None

    report = services.rights.erase(Person(email=ada.email), OPERATOR)
    assert report.nda_acceptances == 1
    assert services.rights.lookup(Person(phone=ada.phone), OPERATOR).nda_acceptances == []
    twins = services.rights.lookup(Person(email=twin.email or ""), OPERATOR)
    assert [n.signed_name for n in twins.nda_acceptances] == [twin.name]  # still there


def test_an_acceptance_moved_onto_another_persons_index_does_not_open(
    store: Repositories,
) -> None:
    """Someone who can write the database moves an acceptance's blind index to another
    person's: it no longer opens (the index is in its seal), so it is not handed over
    as theirs."""
    services = services_over(store)
    ada, bob = visitor(1), visitor(3)
    check_in(store, ada, now=NOW)
    check_in(store, bob, now=NOW)
    store.retention.purge(NOW + timedelta(days=31))
    with store.db.engine.begin() as conn:
        conn.execute(update(NdaAcceptance).values(email_bidx=store.db.email_index(bob.email or "")))
    found = services.rights.lookup(Person(email=bob.email), OPERATOR).nda_acceptances
    assert [n.signed_name for n in found] == [bob.name]


@pytest.mark.parametrize("via", ["directory", "typed"])
def test_the_export_names_the_host_and_the_privacy_notice_shown(
    store: Repositories, tmp_path: Path, via: str
) -> None:
    host_id = add_host(store, "Hostina Directory") if via == "directory" else None
    ada = visitor(1, host_id=host_id, host_name=None if host_id else "Typed Hostname")
    check_in(store, ada, now=NOW)
    out = tmp_path / "ada.json"
    services_over(store).rights.export(Person(email=ada.email), out, OPERATOR)
    [visit] = json.loads(out.read_text())["visits"]
    assert visit["host"] == ("Hostina Directory" if host_id else "Typed Hostname")
    assert visit["privacy_notice"] == {"version": "test-1", "sha256": "0" * 64}


def test_the_signers_contact_is_stored_encrypted(store: Repositories) -> None:
    ada = visitor(1)
    check_in(store, ada, now=NOW)
    with store.db.engine.connect() as conn:
        [(contact, bidx)] = conn.execute(
            select(NdaAcceptance.contact_ct, NdaAcceptance.email_bidx)
        ).all()
    assert contact and (ada.email or "").encode() not in bytes(contact)
    assert bidx == store.db.email_index(ada.email or "")


def test_a_corrected_address_reaches_the_nda_acceptance(store: Repositories) -> None:
    """Rectification: the visitor's corrected e-mail is the one their NDA acceptance is
    found by once the visit is gone (the old one finds nothing)."""
    services = services_over(store)
    ada = visitor(1)
    visit = check_in(store, ada, now=NOW)
    correct(store, visit.visit_id, {"email": "ada.new@example.invalid"}, actor="staff:rita")
    store.retention.purge(NOW + timedelta(days=31))
    found = services.rights.lookup(Person(email="ada.new@example.invalid"), OPERATOR)
    assert [n.signed_name for n in found.nda_acceptances] == [ada.name]
    assert services.rights.lookup(Person(email=ada.email), OPERATOR).nda_acceptances == []


def _as_before_0014(store: Repositories) -> None:
    """Every NDA acceptance as signed before migration 0014: no contact, no blind index,
    its signed name sealed without them."""
    with store.db.engine.begin() as conn:
        rows = conn.execute(select(NdaAcceptance)).all()
        for row in rows:
            values = dict(row._mapping)
            aead = store.db.keystore.key_by_id(values["key_id"])
            name = unseal(aead, "nda_acceptances", "signed_name", values["id"],
                          values["key_id"], values["signed_name_ct"],
                          sealed=nda_seal(values))  # fmt: skip
            earlier = {**values, "email_bidx": None, "phone_bidx": None}
            conn.execute(
                update(NdaAcceptance)
                .where(NdaAcceptance.id == values["id"])
                .values(
                    email_bidx=None, phone_bidx=None, contact_ct=None,
                    signed_name_ct=seal(aead, "nda_acceptances", "signed_name", values["id"],
                                        values["key_id"], name, sealed=nda_seal(earlier)),
                )
            )  # fmt: skip


def test_acceptances_signed_before_0014_get_their_contact_while_the_visit_is_held(
    store: Repositories,
) -> None:
    """The purge first completes the acceptances signed before their contact was kept
    with them, from their visit (still held): after the visit is gone, the signer's
    rights request still finds them. Audited with a count."""
    services = services_over(store)
    ada, bob = visitor(1), visitor(3)
    check_in(store, ada, now=NOW)
    check_in(store, bob, now=NOW)
    _as_before_0014(store)
    admin = Actor("admin-test", "admin")
    services.retention.purge(admin, NOW + timedelta(days=1))  # the visits are still held
    with store.db.engine.connect() as conn:
        assert (
            conn.execute(select(NdaAcceptance.id).where(NdaAcceptance.contact_ct.is_(None))).all()
            == []
        )
        [counted] = conn.execute(
            select(AuditEvent.details).where(AuditEvent.action == "nda.complete_contact")
        ).scalars()
    assert counted == {"nda_acceptances": 2}
    services.retention.purge(admin, NOW + timedelta(days=31))  # the visits go
    for person in (Person(email=ada.email), Person(phone=ada.phone)):
        found = services.rights.lookup(person, OPERATOR)
        assert found.visits == [] and [n.signed_name for n in found.nda_acceptances] == [ada.name]
    # Nothing left to complete: a second purge changes nothing and says nothing.
    services.retention.purge(admin, NOW + timedelta(days=32))
    with store.db.engine.connect() as conn:
        events = conn.execute(
            select(AuditEvent.seq).where(AuditEvent.action == "nda.complete_contact")
        ).all()
    assert len(events) == 1
