"""The hosts directory on SQLite and PostgreSQL: every change audited (ids and field
names, never a name or address), and no second host a visitor could not tell apart."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from kiosk.domain.text import search_key
from kiosk.services.checkin import CheckInService
from kiosk.services.status import collect
from storage.audit_trail import events, verify
from storage.errors import DuplicateName
from storage.hosts import HostDirectory
from storage.store import Store


def test_adding_a_host_is_audited_without_their_name_or_address(store: Store) -> None:
    host = store.add_host("Hostina Placeholder", "hostina@example.com", "nl", actor="it-admin")
    [added] = events(store, action="host.add")
    assert (added.actor, added.object_id) == ("it-admin", str(host))
    assert added.details == {"email": True, "language": "nl"}
    assert "Hostina" not in repr(added) and "example.com" not in repr(added)
    assert verify(store).ok


def test_a_name_visitors_cannot_tell_apart_from_another_is_refused(store: Store) -> None:
    first = store.add_host("Björk Hostdóttir", "bjork@example.com", actor="admin")
    for same in ("björk hostdóttir", "Bjork Hostdottir", "BJÖRK  HOSTDÓTTIR "):
        with pytest.raises(DuplicateName) as refused:
            store.add_host(same, actor="admin", name_key=search_key)
        assert (refused.value.existing_id, refused.value.active) == (first, True)
        assert "Björk" not in str(refused.value)  # ids only, as every storage error
    directory = HostDirectory(store, search_key)
    directory.update(first, actor="admin", active=False)
    with pytest.raises(DuplicateName) as refused:  # an inactive host may come back
        store.add_host("Bjork Hostdottir", actor="admin", name_key=search_key)
    assert not refused.value.active
    other = store.add_host("Björk Hostdóttir (Finance)", actor="admin", name_key=search_key)
    with pytest.raises(DuplicateName):  # nor can a rename make two of them
        directory.update(other, actor="admin", name="Bjork Hostdottir")
    directory.update(first, actor="admin", name="Björk Hostdóttir", email="", active=True)
    assert [(h.name, h.email, h.active) for h in store.hosts(active_only=False)] == [
        ("Björk Hostdóttir", None, True),
        ("Björk Hostdóttir (Finance)", None, True),
    ]
    assert [e.action for e in events(store) if e.action.startswith("host.")] == [
        "host.add",
        "host.update",
        "host.add",
        "host.update",
    ]  # a refused change writes nothing


def test_an_import_updates_the_host_a_visitor_would_find(store: Store) -> None:
    store.add_host("Björk Hostdóttir", actor="admin")
    directory = HostDirectory(store, search_key)
    added, updated = directory.import_many(
        [("BJORK HOSTDOTTIR", "bjork@example.com", None), ("Hubert Host", None, "nl")],
        actor="admin",
    )
    assert (added, updated) == (1, 1)
    assert [(h.name, h.email) for h in store.hosts()] == [
        ("Björk Hostdóttir", "bjork@example.com"),
        ("Hubert Host", None),
    ]


def test_status_points_out_hosts_added_before_names_were_compared(store: Store) -> None:
    """Two hosts a visitor cannot tell apart: typing the name chooses neither, the visit
    gets a typed name and no host is told. Status says so until one is renamed."""
    exact = str  # how a directory without the check compared names
    twin = store.add_host("Hubert Host", "hubert@example.com", actor="admin", name_key=exact)
    store.add_host("hubert host", actor="admin", name_key=exact)
    store.add_host("Hostina Placeholder", actor="admin", name_key=exact)
    assert CheckInService(store, phone_region="NL", nda_types=()).find_host("Hubert Host") is None
    status = collect(store, datetime.now(UTC), email=False)
    assert ("hosts", "3 active") in status.facts
    assert status.data["hosts"] == {"active": 3, "sharing_a_name": 2}
    assert status.attention[-1] == (
        "2 active hosts share a name with another: a visitor typing it chooses neither and "
        "no host is told (rename them apart in the console's Hosts tab)"
    )
    assert "Hubert" not in str(status.facts) + str(status.attention)
    directory = HostDirectory(store, search_key)
    directory.update(twin, actor="admin", name="Hubert Host", email="")  # same name: allowed
    directory.update(twin, actor="admin", name="Hubert Host (Sales)")
    assert collect(store, datetime.now(UTC), email=False).data["hosts"]["sharing_a_name"] == 0
    found = CheckInService(store, phone_region="NL", nda_types=()).find_host("Hubert Host (Sales)")
    assert found is not None and found.id == twin
