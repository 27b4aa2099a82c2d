"""The hosts directory on SQLite and PostgreSQL: every change audited (ids and field
names, never a name or address), and no second host a visitor could not tell apart."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import pytest

from storage.errors import DuplicateName
from storage.repositories import Repositories
from tests.helpers.store import add_host, services_over


def update_host(store: Repositories, host_id: uuid.UUID, **fields: Any) -> None:
    with store.db.uow("admin") as tx:
        store.hosts.update(tx, host_id, **fields)


def test_adding_a_host_is_audited_without_their_name_or_address(store: Repositories) -> None:
    host = add_host(store, "Hostina Placeholder", "hostina@example.com", "nl", actor="it-admin")
    [added] = store.audit.events(action="host.add")
    assert (added.actor, added.object_id) == ("it-admin", str(host))
    assert added.details == {"email": True, "language": "nl"}
    assert "Hostina" not in repr(added) and "example.com" not in repr(added)
    assert store.audit.verify().ok


def test_a_name_visitors_cannot_tell_apart_from_another_is_refused(store: Repositories) -> None:
    first = add_host(store, "Björk Hostdóttir", "bjork@example.com", actor="admin")
    for same in ("björk hostdóttir", "Bjork Hostdottir", "BJÖRK  HOSTDÓTTIR "):
        with pytest.raises(DuplicateName) as refused:
            add_host(store, same, actor="admin")
        assert (refused.value.existing_id, refused.value.active) == (first, True)
        assert "Björk" not in str(refused.value)  # ids only, as every storage error
    update_host(store, first, active=False)
    with pytest.raises(DuplicateName) as refused:  # an inactive host may come back
        add_host(store, "Bjork Hostdottir", actor="admin")
    assert not refused.value.active
    other = add_host(store, "Björk Hostdóttir (Finance)", actor="admin")
    with pytest.raises(DuplicateName):  # nor can a rename make two of them
        update_host(store, other, name="Bjork Hostdottir")
    update_host(store, first, name="Björk Hostdóttir", email="", active=True)
    assert [(h.name, h.email, h.active) for h in store.hosts.all(active_only=False)] == [
        ("Björk Hostdóttir", None, True),
        ("Björk Hostdóttir (Finance)", None, True),
    ]
    assert [e.action for e in store.audit.events() if e.action.startswith("host.")] == [
        "host.add",
        "host.update",
        "host.add",
        "host.update",
    ]  # a refused change writes nothing


def test_an_import_updates_the_host_a_visitor_would_find(store: Repositories) -> None:
    add_host(store, "Björk Hostdóttir", actor="admin")
    with store.db.uow("admin") as tx:
        added, updated = store.hosts.import_many(
            tx, [("BJORK HOSTDOTTIR", "bjork@example.com", None), ("Hubert Host", None, "nl")]
        )
    assert (added, updated) == (1, 1)
    assert [(h.name, h.email) for h in store.hosts.all()] == [
        ("Björk Hostdóttir", "bjork@example.com"),
        ("Hubert Host", None),
    ]


def test_status_points_out_hosts_added_before_names_were_compared(store: Repositories) -> None:
    """Two hosts a visitor cannot tell apart: typing the name chooses neither, the visit
    gets a typed name and no host is told. Status says so until one is renamed."""
    exact = str  # how a directory without the check compared names
    twin = add_host(store, "Hubert Host", "hubert@example.com", actor="admin", name_key=exact)
    add_host(store, "hubert host", actor="admin", name_key=exact)
    add_host(store, "Hostina Placeholder", actor="admin", name_key=exact)
    services = services_over(store)
    assert services.checkin.find_host("Hubert Host") is None
    status = services.status.collect(datetime.now(UTC))
    assert ("hosts", "3 active") in status.facts
    assert status.data["hosts"] == {"active": 3, "sharing_a_name": 2}
    assert status.attention[-1] == (
        "2 active hosts share a name with another: a visitor typing it chooses neither and "
        "no host is told (rename them apart in the console's Hosts tab)"
    )
    assert "Hubert" not in str(status.facts) + str(status.attention)
    update_host(store, twin, name="Hubert Host", email="")  # same name: allowed
    update_host(store, twin, name="Hubert Host (Sales)")
    assert services.status.collect(datetime.now(UTC)).data["hosts"]["sharing_a_name"] == 0
    found = services.checkin.find_host("Hubert Host (Sales)")
    assert found is not None and found.id == twin
