"""The watchlist's use cases: admins keep it (add, list, remove); check-ins are matched
against it (:meth:`WatchlistService.match`, from the check-in); reception sees and
acknowledges the alerts. Everything is audited with ids and counts, never the data."""

from __future__ import annotations

import uuid
from datetime import date

from kiosk.domain.registration import normalise_email, normalise_phone
from kiosk.domain.staff import Actor
from kiosk.domain.text import TextError
from kiosk.domain.watchlist import NewWatchEntry, WatchAlert, WatchEntry, WatchlistError, checked
from kiosk.services.context import ServiceContext
from storage.errors import KeyDestroyed, NotFound, RecordTampered


class WatchlistService:
    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx
        self.repos = ctx.repos
        self.settings = ctx.settings.watchlist

    def add(
        self,
        actor: Actor,
        *,
        email: str | None = None,
        phone: str | None = None,
        name: str | None = None,
        reason: str,
        expires_on: date,
    ) -> uuid.UUID:
        """Add an entry (WatchlistError, naming what is wrong, when the rules refuse it)."""
        actor.require("watchlist")
        try:
            email = normalise_email(email) if email and email.strip() else None
            phone = (
                normalise_phone(phone, self.ctx.settings.phone_region)
                if phone and phone.strip()
                else None
            )
        except TextError as exc:
            raise WatchlistError(exc.message) from None
        entry = checked(
            NewWatchEntry(email, phone, name, reason, expires_on),
            self.ctx.today(),
            self.settings.max_days,
        )
        with self.repos.db.uow(actor.name) as tx:
            return self.repos.watchlist.add(tx, entry)

    def entries(self, actor: Actor) -> list[WatchEntry]:
        """The entries in force, soonest to expire first (audited as a look at them)."""
        actor.require("watchlist")
        found = self.repos.watchlist.all(self.ctx.today())
        with self.repos.db.uow(actor.name) as tx:
            tx.audit("watchlist.list", details={"entries": len(found)})
        return found

    def remove(self, ref: str, actor: Actor) -> uuid.UUID:
        actor.require("watchlist")
        with self.repos.db.uow(actor.name) as tx:
            return self.repos.watchlist.remove(tx, ref)

    def alerts(self, actor: Actor) -> list[WatchAlert]:
        """The check-ins that matched and reception has not acknowledged, oldest first,
        with the visitor's name and the entry's reason."""
        actor.require("log")
        found = []
        for held in self.repos.watchlist.open_alerts():
            try:
                visitor = self.repos.visits.get(held[2]).name
            except (NotFound, KeyDestroyed, RecordTampered):
                visitor = ""
            alert_id, at, visit_id, entry = held
            found.append(WatchAlert(alert_id, at, visit_id, visitor, entry.reason if entry else ""))
        return found

    def acknowledge(self, alert_id: uuid.UUID, actor: Actor) -> bool:
        actor.require("log")
        with self.repos.db.uow(actor.name) as tx:
            return self.repos.watchlist.acknowledge(tx, alert_id)
