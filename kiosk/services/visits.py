"""One visit in staff's hands (the console's visit details): opening it, whom the visitor
came for and whether the host was told, checking out by hand, corrections and reprinted
badges; and the automatic check-out of visitors who forgot."""

from __future__ import annotations

import logging
import re
import uuid
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo

from kiosk.domain.badges import BadgeCard
from kiosk.domain.codes import normalise_badge_code
from kiosk.domain.notifications import EMAIL, SITE_WEBHOOK, TO_HOST, WEBHOOK, ChannelState
from kiosk.domain.registration import (
    COMPANY_MAX,
    EMAIL_MAX,
    NAME_MAX,
    PHONE_MAX,
    ValidationErrors,
    normalise_email,
    normalise_phone,
)
from kiosk.domain.staff import KIOSK, Actor
from kiosk.domain.text import TextError, clean_text
from kiosk.domain.visits import VisitRecord
from kiosk.services.badge import BadgeService, print_line
from kiosk.services.context import ServiceContext
from kiosk.services.hosts import host_shown
from storage.errors import AlreadyCheckedOut, NotFound, StorageError

log = logging.getLogger(__name__)

# What a correction may hold: the kiosk's caps, so a correction keeps what check-in may.
FIELD_MAX = {"name": NAME_MAX, "email": EMAIL_MAX, "phone": PHONE_MAX, "company": COMPANY_MAX}

_DEPARTURE = re.compile(r"(?:(\d{4}-\d{2}-\d{2})\s+)?(\d{1,2})[:.](\d{2})", re.ASCII)


def parse_departure(
    text: str, day: date, tz: ZoneInfo, arrived: datetime | None = None
) -> datetime:
    """When a visitor left, as staff type it for a visit of ``day`` left open or checked
    out automatically: "17:30" or "17.30" on that day, or "2026-11-30 08:15" for a
    visitor who stayed overnight. A moment before ``arrived`` is refused in words that
    say how to type a departure after midnight (storage checks the bounds again).
    Raises TextError."""
    found = _DEPARTURE.fullmatch(text.strip())
    if found is None:
        raise TextError(
            f"Type when the visitor left as HH:MM (on {day.isoformat()}),"
            " or YYYY-MM-DD HH:MM for another day."
        )
    on, hour, minute = found.groups()
    try:
        when = datetime.combine(
            date.fromisoformat(on) if on else day, time(int(hour), int(minute)), tzinfo=tz
        )
        left = when.astimezone(UTC)
    except (ValueError, OverflowError):  # 24:00, 2026-02-30, or past year 9999 in UTC
        raise TextError("There is no such date or time.") from None
    if arrived is not None and left < arrived:
        came = arrived.astimezone(tz)
        before = f"That is before the arrival ({came:%H:%M} on {came.date().isoformat()})."
        if on or day == date.max:
            raise TextError(before)
        next_day = (day + timedelta(days=1)).isoformat()
        raise TextError(
            f"{before} If the visitor left after midnight, type the date too:"
            f" {next_day} {int(hour):02d}:{minute}."
        )
    return left


class VisitService:
    def __init__(self, ctx: ServiceContext, badges: BadgeService) -> None:
        self.ctx = ctx
        self.repos = ctx.repos
        self.badges = badges

    def open(self, visit_id: uuid.UUID, actor: Actor) -> VisitRecord:
        """A visit's details; the opening itself is audited."""
        actor.require("log")
        visit = self.repos.visits.get(visit_id)
        with self.repos.db.uow(actor.name) as tx:
            tx.audit("visit.view", str(visit_id))
        return visit

    def get(self, visit_id: uuid.UUID, actor: Actor) -> VisitRecord:
        """A visit again, after a change staff made to it here (not audited again)."""
        actor.require("log")
        return self.repos.visits.get(visit_id)

    def host_of(self, visit: VisitRecord) -> str:
        """Whom the visitor came to see: the name typed at the kiosk, else the directory's
        name of the host chosen ("" for none)."""
        if visit.host_name or visit.host_id is None:  # no need to read the directory
            return visit.host_name or ""
        names = self.repos.hosts.names([visit.host_id])
        return host_shown(None, visit.host_id, names)

    def host_notification(self, visit_id: uuid.UUID, actor: Actor) -> str:
        """How the visit's host was told, channel by channel, for the visit's details
        ("" if the visit has no notification, or this site notifies nobody)."""
        actor.require("log")
        states = self.repos.outbox.state_of_visit(visit_id)
        configured = self.ctx.settings.notify.configured
        if all(s.channel == TO_HOST and s.next_attempt_at for s in states) and not configured:
            return ""  # not split into channels: this site notifies nobody
        return "; ".join(_channel_said(state, self.ctx.tz) for state in states)

    def departure_needed(self, visit: VisitRecord) -> bool:
        """Whether checking ``visit`` out needs staff to say when the visitor left: it is
        still open from an earlier day ("now" would put them on site overnight), or it
        was checked out automatically and staff can say when they really left."""
        return visit.auto_checkout or (visit.on_site and visit.local_day < self.ctx.today())

    def check_out(self, visit_id: uuid.UUID, actor: Actor, left: datetime | None = None) -> bool:
        """Check the visit out now, or as having left at ``left`` (see
        :func:`parse_departure`); False when it was checked out meanwhile (the visitor
        scanned their badge, or another desk was quicker): nothing is changed then."""
        actor.require("checkout")
        try:
            with self.repos.db.uow(actor.name) as tx:
                self.repos.visits.check_out_visit(tx, visit_id, departed_at=left)
        except AlreadyCheckedOut:
            return False
        return True

    def confirm_minor(self, visit_id: uuid.UUID, actor: Actor) -> bool:
        """Reception confirms an under-16's visit, having met them with their guardian:
        the "under 16" flag is cleared, audited. False when it was confirmed already."""
        actor.require("checkout")
        with self.repos.db.uow(actor.name) as tx:
            return self.repos.visits.confirm_minor(tx, visit_id)

    def guardian(self, visit_id: uuid.UUID, actor: Actor) -> str | None:
        """An under-16 visit's parent or guardian (None for any other visit)."""
        actor.require("log")
        return self.repos.visits.guardians([visit_id]).get(visit_id)

    def turned_away(self, reason: str) -> None:
        """An anonymous count at the kiosk: a visitor sent to reception before giving any
        detail (an under-16 on their own). Nothing about the person is stored: an audit
        event with the reason and the site."""
        site = self.repos.db.site_id.hex
        with self.repos.db.uow(KIOSK.name) as tx:
            tx.audit("visit.turned_away", details={"reason": reason, "site": site})

    def correct(self, visit_id: uuid.UUID, changes: dict[str, str], actor: Actor) -> list[str]:
        """Validate like the kiosk does, then re-seal; raises ValidationErrors."""
        actor.require("correct")
        errors: dict[str, str] = {}
        clean: dict[str, str | None] = {}
        for field, value in changes.items():
            try:
                text = clean_text(value, max_len=FIELD_MAX[field], required=field == "name")
                if text and field == "email":
                    text = normalise_email(text)
                if text and field == "phone":
                    text = normalise_phone(text, self.ctx.settings.phone_region)
                clean[field] = text
            except TextError as exc:
                errors[field] = exc.message
        if errors:
            raise ValidationErrors(errors)
        with self.repos.db.uow(actor.name) as tx:
            return self.repos.visits.correct(tx, visit_id, clean)

    def reprint(self, visit_id: uuid.UUID, actor: Actor) -> tuple[BadgeCard, str]:
        """A new badge (new code, so a lost badge stops working), printed: the card, and
        what became of the print as a line for staff."""
        actor.require("checkout")
        visit = self.repos.visits.get(visit_id)
        with self.repos.db.uow(actor.name) as tx:
            code = self.repos.visits.reissue_badge(tx, visit_id)
        card = self.badges.card(code, visit.name, self.host_of(visit), visit.arrived_at, None)
        result, path = self.badges.print_or_keep(card, actor)
        return card, print_line(result, path, "the badge")

    def print_badge(self, code: str, actor: Actor) -> tuple[bool, str]:
        """Print a visitor's badge again, with the same code (reception, from the code the
        visitor shows): whether it printed, and a line for staff. NotFound for a code of
        no visit held."""
        actor.require("checkout")
        visit_id = self.repos.visits.of_badge(code)
        if visit_id is None:
            raise NotFound("no visit has this badge code")
        visit = self.repos.visits.get(visit_id)
        c = normalise_badge_code(code) or ""
        shown = f"{c[0:4]}-{c[4:8]}-{c[8:12]}"  # as the badge printed at check-in had it
        card = self.badges.card(shown, visit.name, self.host_of(visit), visit.arrived_at, None)
        result, path = self.badges.print_or_keep(card, actor)
        return (result is not None and result.printed), print_line(result, path, "the badge")

    def auto_check_out(
        self, actor: Actor, *, since: date | None = None, now: datetime | None = None
    ) -> int:
        """Check out every visit of this site still open at the last time the local clock
        read the kiosk.auto_checkout time, as of the first such time after its arrival,
        marked as automatic (only visits of ``since`` and later when given: a periodic
        run needs only the last few days). Returns how many; 0 when no time is set."""
        at = self.ctx.settings.kiosk.auto_checkout_at()
        if at is None:
            return 0
        now = now or datetime.now(UTC)
        visits = self.repos.visits
        still_open = visits.still_open(at, now, since)
        if not still_open:
            return 0
        with self.repos.db.uow(actor.name, now=now) as tx:
            return visits.auto_check_out(tx, at, still_open)

    def auto_check_out_recent(self, actor: Actor, days: int) -> int:
        """:meth:`auto_check_out` of the last ``days`` days, for a running kiosk (a worker,
        at start and every few minutes; older ones were handled by earlier runs, or
        `kiosk checkout --overdue`). Never raises: what is left waits for the next run."""
        since = self.ctx.today() - timedelta(days=days)
        try:
            done = self.auto_check_out(actor, since=since)
        except StorageError as exc:
            log.warning("automatic check-out not done now: %s", type(exc).__name__)
            return 0
        if done:
            log.info("%d visit(s) checked out automatically", done)
        return done


_CHANNEL_NAMES = {
    EMAIL: ("host e-mailed", "host e-mail"),
    WEBHOOK: ("posted to the host's webhook", "host's webhook"),
    SITE_WEBHOOK: ("posted to the site's webhook", "site's webhook"),
    TO_HOST: ("host told", "host notification"),
}


def _channel_said(state: ChannelState, tz: tzinfo) -> str:
    """One channel of a host notification, as the visit's details say it."""
    done, name = _CHANNEL_NAMES.get(state.channel, ("sent", state.channel))
    if state.sent_at is not None:
        return f"{done} {state.sent_at.astimezone(tz):%H:%M}"
    if state.handled_at is not None:
        return f"{name}: reception took over {state.handled_at.astimezone(tz):%H:%M}"
    if state.next_attempt_at is None:
        return f"{name} not sent: {state.last_error or 'given up'}"
    error = state.last_error
    return f"{name} waiting" + (f" (last try: {error})" if error else "")
