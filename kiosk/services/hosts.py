"""Hosts visitors can tell apart.

A visitor finds their host by typing part of a name, compared as
:func:`kiosk.domain.text.search_key` folds it. Two hosts whose names fold alike are one
name to the visitor: typing it chooses neither, so the visit is recorded with a typed
name and no host is told. The directory refuses such a second name (storage raises
DuplicateName), and ``kiosk status`` points out pairs made before it did.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

from kiosk.domain.text import search_key
from storage.errors import DuplicateName
from storage.records import HostEntry

if TYPE_CHECKING:
    from storage.store import Store


def directory_names(store: Store) -> dict[uuid.UUID, str]:
    """Every host's name by id, active or not (a visit keeps its host when they leave)."""
    return {h.id: h.name for h in store.hosts(active_only=False)}


def host_shown(
    typed: str | None, host_id: uuid.UUID | None, directory: Mapping[uuid.UUID, str]
) -> str:
    """Whom a visit or an invitation is for, as staff read it: the host's name as typed
    at the kiosk, else the directory's name of the host chosen ("" for none)."""
    return typed or (directory.get(host_id, "") if host_id else "")


def duplicate_host_message(exc: DuplicateName) -> str:
    """What staff are told when a host's name is taken (English: the console and CLI are)."""
    where = "edit that host" if exc.active else "make that host active again"
    return (
        "A host with this name is already in the directory "
        f"({'active' if exc.active else 'inactive'}): {where}, or add what tells them "
        "apart, such as a department."
    )


def hosts_sharing_a_name(hosts: Iterable[HostEntry]) -> int:
    """How many active hosts share their name (as visitors' typing compares it) with
    another active host."""
    counts = Counter(search_key(h.name) for h in hosts if h.active)
    return sum(n for n in counts.values() if n > 1)
