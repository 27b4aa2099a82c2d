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

from kiosk.services.rights import Person
from storage.models import NdaAcceptance
from storage.repositories import Repositories
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
