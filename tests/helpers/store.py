"""Writing through the repositories as a use case does: each write one unit of work."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime, time
from typing import Any

from kiosk.config import load_settings
from kiosk.domain.invitations import NewInvitation
from kiosk.domain.text import search_key
from kiosk.domain.visits import CheckInResult, NewVisit
from kiosk.services.bundle import Services
from storage.repositories import Repositories
from storage.repositories.hosts import HostRepository


def check_in(
    repos: Repositories,
    visit: NewVisit,
    *,
    actor: str = "test",
    now: datetime | None = None,
    invitation_id: uuid.UUID | None = None,
) -> CheckInResult:
    sealed = repos.visits.prepare(visit, now)
    with repos.db.uow(actor, now=sealed.now, fast=True) as tx:
        result = repos.visits.check_in(tx, sealed)
        if invitation_id is not None:
            repos.invitations.mark_used(tx, invitation_id, result.visit_id)
    return result


def check_out(
    repos: Repositories, code: str, *, actor: str = "test", now: datetime | None = None
) -> uuid.UUID:
    with repos.db.uow(actor, now=now) as tx:
        return repos.visits.check_out(tx, code)


def check_out_visit(
    repos: Repositories,
    visit_id: uuid.UUID,
    *,
    actor: str = "test",
    now: datetime | None = None,
    departed_at: datetime | None = None,
) -> None:
    with repos.db.uow(actor, now=now) as tx:
        repos.visits.check_out_visit(tx, visit_id, departed_at=departed_at)


def auto_check_out(
    repos: Repositories,
    at: time,
    *,
    actor: str = "test",
    now: datetime,
    since: Any = None,
) -> int:
    open_visits = repos.visits.still_open(at, now, since)
    with repos.db.uow(actor, now=now) as tx:
        return repos.visits.auto_check_out(tx, at, open_visits)


def add_host(
    repos: Repositories,
    name: str,
    email: str | None = None,
    language: str | None = None,
    *,
    actor: str = "admin",
    name_key: Callable[[str], str] = search_key,
) -> uuid.UUID:
    """A host added to the directory (``name_key``: how names are told apart)."""
    hosts = repos.hosts if name_key is search_key else HostRepository(repos.db, name_key)
    with repos.db.uow(actor) as tx:
        return hosts.add(tx, name, email, language)


def record_event(
    repos: Repositories,
    actor: str,
    action: str,
    object_id: str | None = None,
    details: dict[str, Any] | None = None,
) -> None:
    """An audit event on its own."""
    with repos.db.uow(actor) as tx:
        tx.audit(action, object_id, details)


def invite(
    repos: Repositories,
    invitation: NewInvitation,
    *,
    actor: str = "test",
    email_in: str | None = None,
) -> tuple[uuid.UUID, str]:
    with repos.db.uow(actor) as tx:
        return repos.invitations.create(tx, invitation, email_in=email_in)


def correct(
    repos: Repositories, visit_id: uuid.UUID, changes: dict[str, str | None], *, actor: str
) -> list[str]:
    """A visit's fields corrected as staff correct them (already checked)."""
    with repos.db.uow(actor) as tx:
        return repos.visits.correct(tx, visit_id, changes)


def services_over(repos: Repositories) -> Services:
    """The use cases over these repositories, with the settings of the test's environment
    (its own data dir and config file: see conftest)."""
    return Services.over(repos, load_settings())


def sharing_email_index(repos: Repositories, email: str) -> str:
    """Another e-mail address whose (truncated) blind index is ``email``'s: a different
    person the index alone would take for this one."""
    wanted = repos.db.email_index(email)
    for n in range(1 << 20):
        other = f"someone.else{n}@example.invalid"
        if repos.db.email_index(other) == wanted:
            return other
    raise AssertionError("no address shares the index")  # pragma: no cover
