"""The hosts directory: the hosts visitors can choose, kept by reception.

A visitor finds their host by typing part of a name, compared as
:func:`kiosk.domain.text.search_key` folds it. Two hosts whose names fold alike are one
name to the visitor: typing it chooses neither, so the visit is recorded with a typed
name and no host is told. The directory refuses such a second name (storage raises
DuplicateName), and ``kiosk status`` points out pairs made before it did.
"""

from __future__ import annotations

import csv
import uuid
from collections import Counter
from collections.abc import Iterable, Mapping
from pathlib import Path

from kiosk.domain.hosts import HOST_NAME_MAX, HostEntry
from kiosk.domain.notifications import WebhookError, parse_webhook
from kiosk.domain.registration import ValidationErrors, normalise_email
from kiosk.domain.staff import Actor
from kiosk.domain.text import TextError, clean_text, search_key
from kiosk.i18n import host_language
from kiosk.services.context import ServiceContext
from storage.errors import DuplicateName


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


def host_fields(name: str, email: str, language: str) -> tuple[str, str, str]:
    """A host's name, e-mail and e-mail language checked as staff typed them ("" for an
    empty e-mail or the site's language); raises TextError."""
    clean = clean_text(name, max_len=HOST_NAME_MAX, required=True)
    mail = normalise_email(email) if email.strip() else ""
    code = host_language(language)
    assert clean is not None
    return clean, mail, code


class DuplicateHost(ValidationErrors):
    """The directory has a host visitors could not tell apart from this one (under
    "host": :func:`duplicate_host_message`)."""


class HostFileError(ValueError):
    """A hosts file cannot be imported; the message names the file and the line."""


class HostService:
    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx
        self.repos = ctx.repos

    def all(self, actor: Actor, *, active_only: bool = False) -> list[HostEntry]:
        actor.require("hosts")
        return self.repos.hosts.all(active_only=active_only)

    def directory(self) -> list[tuple[str, str, str]]:
        """(id, name, name as search_key folds it) of every active host: the only names
        the kiosk ever suggests. Folded here, in the worker, not at each key press."""
        return [(str(h.id), h.name, search_key(h.name)) for h in self.repos.hosts.all()]

    def names(self) -> dict[uuid.UUID, str]:
        """Every host's name by id, active or not (a visit keeps its host when they leave)."""
        return {h.id: h.name for h in self.repos.hosts.all(active_only=False)}

    def add(self, name: str, email: str, language: str, actor: Actor) -> uuid.UUID:
        """A new host; ``language`` that of their e-mails ("" for the site's). Raises
        ValidationErrors under "host"."""
        actor.require("hosts")
        clean, mail, code = _checked(name, email, language)
        try:
            with self.repos.db.uow(actor.name) as tx:
                return self.repos.hosts.add(tx, clean, mail or None, code or None)
        except DuplicateName as exc:
            raise DuplicateHost({"host": duplicate_host_message(exc)}) from None

    def edit(self, host_id: uuid.UUID, name: str, email: str, language: str, actor: Actor) -> None:
        """Change a host; an empty e-mail removes it, an empty language means the site's."""
        actor.require("hosts")
        clean, mail, code = _checked(name, email, language)
        try:
            with self.repos.db.uow(actor.name) as tx:
                self.repos.hosts.update(tx, host_id, name=clean, email=mail, language=code)
        except DuplicateName as exc:
            raise DuplicateHost({"host": duplicate_host_message(exc)}) from None

    def set_webhook(self, host_id: uuid.UUID, webhook: str, actor: Actor) -> None:
        """Give a host a webhook of their own ("FORMAT URL", checked: https only), or take
        it away (""). Admins only (the hosts right): never from a visitor. Raises
        ValidationErrors under "webhook"."""
        actor.require("webhooks")
        text = webhook.strip()
        if text:
            try:
                text = str(parse_webhook(text, self.ctx.settings.notify.insecure_webhook_hosts))
            except WebhookError as exc:
                raise ValidationErrors({"webhook": str(exc)}) from None
        with self.repos.db.uow(actor.name) as tx:
            self.repos.hosts.update(tx, host_id, webhook=text)

    def set_active(self, host_id: uuid.UUID, active: bool, actor: Actor) -> None:
        actor.require("hosts")
        with self.repos.db.uow(actor.name) as tx:
            self.repos.hosts.update(tx, host_id, active=active)

    def import_file(self, path: Path, actor: Actor) -> tuple[int, int, int]:
        """Import hosts from a CSV file with a header: name[,email][,language]. A host
        already in the directory (same name) is updated; an empty e-mail or language keeps
        what it has. All or nothing: raises HostFileError naming the first wrong line.
        Returns (read, added, updated)."""
        actor.require("hosts")
        rows: list[tuple[str, str | None, str | None]] = []
        with path.open(newline="", encoding="utf-8-sig") as fh:
            reader = csv.DictReader(fh)
            if not reader.fieldnames or "name" not in reader.fieldnames:
                raise HostFileError(
                    f"{path}: the first line must name the columns: name[,email][,language]"
                )
            for line_no, record in enumerate(reader, start=2):
                try:
                    name = clean_text(record.get("name"), max_len=HOST_NAME_MAX, required=True)
                    email = (record.get("email") or "").strip()
                    language = host_language(record.get("language") or "")
                    rows.append(
                        (name or "", normalise_email(email) if email else None, language or None)
                    )
                except TextError as exc:
                    raise HostFileError(f"{path}, line {line_no}: {exc.message}") from None
        with self.repos.db.uow(actor.name) as tx:
            added, updated = self.repos.hosts.import_many(tx, rows)
        return len(rows), added, updated


def _checked(name: str, email: str, language: str) -> tuple[str, str, str]:
    try:
        return host_fields(name, email, language)
    except TextError as exc:
        raise ValidationErrors({"host": exc.message}) from None
