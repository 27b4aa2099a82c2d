"""The outbox of messages (host notifications by e-mail and webhook, invitations, a
visitor's own badge, alerts to reception): what is due, claimed by one sender, then sent
or retried.

A check-in writes its notification in the same transaction as the visit (so none is lost
and none is sent for a visit that was not stored); delivery happens later, outside it.
Several kiosks may share one database, each running a sender: a message is first
*claimed* by moving its next attempt past a lease with a conditional UPDATE, which only
one of them can win, so a host gets one e-mail, not one per kiosk.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import CursorResult, delete, select, update
from sqlalchemy.orm import Session

from kiosk.domain.notifications import (
    BADGE,
    EMAIL,
    HOST_CHANNELS,
    HOST_KINDS,
    PARCEL,
    RECEPTION_ALERT,
    SITE_WEBHOOK,
    WEBHOOK,
    ChannelState,
    Notification,
    OutboxEntry,
    SentAbout,
    Undelivered,
)
from kiosk.domain.retention import Category
from storage.codec import seal, unseal
from storage.database import Database
from storage.engine import db_errors
from storage.errors import KeyDestroyed, RecordTampered
from storage.ids import time_ordered_id
from storage.models import Host, OutboxMessage
from storage.unit_of_work import UnitOfWork

LEASE = timedelta(minutes=2)  # a claimed message is retried after this if its sender died
# What a message's payload becomes once it is sent or given up: nothing. The names, the
# address and an invitation's code are needed only to write the e-mail; the row stays
# (until the outbox's retention) for its state: sent when, or why not.
SPENT = b""


def message_row(
    db: Database,
    now: datetime,
    kind: str,
    payload: dict[str, Any],
    *,
    visit_id: uuid.UUID | None = None,
    host_id: uuid.UUID | None = None,
    invitation_id: uuid.UUID | None = None,
    channel: str = EMAIL,
) -> dict[str, Any]:
    """The outbox row of a message due ``now`` (a check-in inserts it on its driver
    cursor, the others as an OutboxMessage), its payload sealed under the outbox key of
    the day, so that it expires with the other notifications, and bound to its row."""
    key_id, aead = db.keystore.key_for_day(db.site_id, Category.OUTBOX, now.astimezone(UTC).date())
    message_id = time_ordered_id(now)
    return {
        "id": message_id,
        "site_id": db.site_id,
        "visit_id": visit_id,
        "host_id": host_id,
        "invitation_id": invitation_id,
        "key_id": key_id,
        "created_at": now,
        "kind": kind,
        "payload_ct": seal(aead, "outbox", "payload", message_id, key_id, json.dumps(payload)),
        "attempts": 0,
        "next_attempt_at": now,
        "channel": channel,
    }


class OutboxRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    def claim_due(
        self, tx: UnitOfWork, channels: Sequence[str] = (EMAIL,), *, limit: int = 20
    ) -> list[Notification]:
        """Claim up to ``limit`` messages of this site on these channels that are due at
        the unit's ``now`` and not sent; each is this caller's for :data:`LEASE`. One that
        cannot be decrypted (its day's key is gone, or it was tampered with) is given up
        at once."""
        s, now = tx.session, tx.now
        rows = s.execute(
            select(
                OutboxMessage.id,
                OutboxMessage.kind,
                OutboxMessage.key_id,
                OutboxMessage.payload_ct,
                OutboxMessage.attempts,
                OutboxMessage.next_attempt_at,
                Host.name,
                Host.email,
                Host.language,
                OutboxMessage.channel,
                OutboxMessage.visit_id,
                OutboxMessage.host_id,
                OutboxMessage.created_at,
                Host.active,
                Host.webhook,
            )
            .outerjoin(Host, Host.id == OutboxMessage.host_id)
            .where(
                OutboxMessage.site_id == self.db.site_id,
                OutboxMessage.sent_at.is_(None),
                OutboxMessage.next_attempt_at <= now,
                OutboxMessage.channel.in_(channels),
            )
            .order_by(OutboxMessage.next_attempt_at)
            .limit(limit)
        ).all()
        claimed: list[Notification] = []
        for (
            row_id, kind, key_id, blob, attempts, due, host_name, host_email, lang,
            channel, visit_id, host_id, created_at, host_active, host_webhook,
        ) in rows:  # fmt: skip
            won: CursorResult[Any] = s.execute(  # type: ignore[assignment]
                update(OutboxMessage)
                .where(OutboxMessage.id == row_id, OutboxMessage.next_attempt_at == due)
                .values(next_attempt_at=now + LEASE)
            )
            if won.rowcount != 1:
                continue  # another sender claimed it first
            try:
                aead = self.db.keystore.key_by_id(key_id)
                payload = json.loads(
                    unseal(aead, "outbox", "payload", row_id, key_id, blob) or "{}"
                )
            except (KeyDestroyed, RecordTampered, ValueError) as exc:
                self._give_up(s, row_id, type(exc).__name__)
                continue
            claimed.append(
                Notification(
                    id=row_id,
                    kind=kind,
                    attempts=attempts,
                    host_name=host_name or payload.get("host"),
                    host_email=host_email,
                    host_language=lang,
                    visitor=payload.get("visitor", ""),
                    company=payload.get("company"),
                    arrived_at=(
                        datetime.fromisoformat(payload["arrived_at"])
                        if "arrived_at" in payload
                        else None
                    ),
                    to=payload.get("to"),
                    day=payload.get("day"),
                    code=payload.get("code"),
                    language=payload.get("language"),
                    minor=payload.get("minor") is True,
                    channel=channel,
                    visit_id=visit_id,
                    host_id=host_id,
                    host_active=host_active is not False,
                    host_webhook=host_webhook,
                    webhook=payload.get("webhook"),
                    created_at=created_at,
                    reason=payload.get("reason"),
                    parcel=payload.get("parcel") is True,
                )
            )
        return claimed

    def split(
        self,
        tx: UnitOfWork,
        note: Notification,
        channels: Sequence[tuple[str, str | None]],
        *,
        dead: str | None = None,
    ) -> None:
        """A host notification (channel "host") becomes one message per channel:
        (channel, webhook or None), each retried on its own; they keep its time (and so
        its place in the queue, and its lateness). ``dead``: nothing reaches the host
        (why): the notification itself stays, given up, for reception."""
        assert note.created_at is not None and note.arrived_at is not None
        payload: dict[str, Any] = {
            "visitor": note.visitor,
            "company": note.company,
            "arrived_at": note.arrived_at.isoformat(),
        }
        if note.minor:
            payload["minor"] = True
        if note.host_name and note.host_id is None:
            payload["host"] = note.host_name
        for channel, webhook in channels:
            row = message_row(
                self.db,
                note.created_at,
                note.kind,
                payload | ({"webhook": webhook} if webhook else {}),
                visit_id=note.visit_id,
                host_id=note.host_id,
                channel=channel,
            )
            tx.session.add(OutboxMessage(**row))
        if dead is not None:
            self._give_up(tx.session, note.id, dead)
        else:
            tx.session.execute(delete(OutboxMessage).where(OutboxMessage.id == note.id))

    def host_may_be_reached(self, tx: UnitOfWork, visit_id: uuid.UUID) -> bool:
        """Whether a channel of a visit's host notification was sent, or is still tried."""
        found = tx.session.scalar(
            select(OutboxMessage.id)
            .where(
                OutboxMessage.visit_id == visit_id,
                OutboxMessage.kind.in_(HOST_KINDS),
                OutboxMessage.channel.in_(HOST_CHANNELS),
                (OutboxMessage.sent_at.is_not(None)) | (OutboxMessage.next_attempt_at.is_not(None)),
            )
            .limit(1)
        )
        return found is not None

    def queue_reception_alert(
        self,
        tx: UnitOfWork,
        visit_id: uuid.UUID | None,
        payload: dict[str, Any],
        channels: Sequence[tuple[str, str | None]],
    ) -> None:
        """Tell reception, on each of its channels, that a visitor's host was not
        reached (payload: first name, company, host, arrival, why). Once per visit."""
        if visit_id is not None and tx.session.scalar(
            select(OutboxMessage.id)
            .where(OutboxMessage.visit_id == visit_id, OutboxMessage.kind == RECEPTION_ALERT)
            .limit(1)
        ):
            return
        for channel, target in channels:
            key = "webhook" if channel == WEBHOOK else "to"
            row = message_row(
                self.db,
                tx.now,
                RECEPTION_ALERT,
                payload | ({key: target} if target else {}),
                visit_id=visit_id,
                channel=channel,
            )
            tx.session.add(OutboxMessage(**row))

    def queue_badge(
        self,
        tx: UnitOfWork,
        visit_id: uuid.UUID,
        *,
        to: str,
        visitor: str,
        code: str,
        day: str,
        language: str,
    ) -> uuid.UUID:
        """A visit's badge code e-mailed to its visitor, who asked for it at the kiosk:
        sealed under the day's outbox key like any notification (it expires with them,
        and goes with the visit when the visitor's data is erased); the address and the
        code are dropped once it is sent."""
        payload = {"to": to, "visitor": visitor, "code": code, "day": day, "language": language}
        row = message_row(self.db, tx.now, BADGE, payload, visit_id=visit_id)
        tx.session.add(OutboxMessage(**row))
        tx.audit("badge.email", str(visit_id))
        return uuid.UUID(str(row["id"]))

    def mark_sent(self, tx: UnitOfWork, message_id: uuid.UUID) -> None:
        tx.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == message_id)
            .values(sent_at=tx.now, next_attempt_at=None, last_error=None, payload_ct=SPENT)
        )
        tx.audit("notification.sent", str(message_id))

    def mark_failed(
        self, tx: UnitOfWork, message_id: uuid.UUID, error: str, *, retry_at: datetime | None
    ) -> None:
        """Count a failed attempt; ``retry_at`` None gives the message up for good.
        ``error`` is stored as is: a reason, never an address or a name."""
        tx.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == message_id)
            .values(
                attempts=OutboxMessage.attempts + 1,
                next_attempt_at=retry_at,
                last_error=error[:200],
                # given up: the payload is not needed any more
                **({"payload_ct": SPENT} if retry_at is None else {}),
            )
        )

    def give_up(self, tx: UnitOfWork, message_id: uuid.UUID, error: str) -> None:
        """A message that will not be sent (nothing reaches its host): a dead letter."""
        self._give_up(tx.session, message_id, error)

    @staticmethod
    def _give_up(s: Session, message_id: uuid.UUID, error: str) -> None:
        s.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == message_id)
            .values(next_attempt_at=None, last_error=error[:200], payload_ct=SPENT)
        )

    def pending(self) -> list[OutboxEntry]:
        """This site's messages, oldest first, for checking the outbox's state."""
        with db_errors(), self.db.read_session() as s:
            rows = s.execute(
                select(
                    OutboxMessage.id,
                    OutboxMessage.attempts,
                    OutboxMessage.next_attempt_at,
                    OutboxMessage.sent_at,
                    OutboxMessage.last_error,
                )
                .where(OutboxMessage.site_id == self.db.site_id)
                .order_by(OutboxMessage.created_at)
            ).all()
        return [OutboxEntry(*r) for r in rows]

    def sent(self, message_id: uuid.UUID) -> bool:
        """Whether a message has gone out."""
        with db_errors(), self.db.read_session() as s:
            sent = s.scalar(select(OutboxMessage.sent_at).where(OutboxMessage.id == message_id))
        return sent is not None

    def invitation_sent(self, invitation_id: uuid.UUID) -> bool:
        """Whether the e-mail of an invitation has gone out."""
        with db_errors(), self.db.read_session() as s:
            sent = s.scalar(
                select(OutboxMessage.sent_at).where(OutboxMessage.invitation_id == invitation_id)
            )
        return sent is not None

    def about(
        self, visit_ids: Sequence[uuid.UUID], invitation_ids: Sequence[uuid.UUID]
    ) -> list[SentAbout]:
        """The e-mails (sent, waiting or given up) about these visits and invitations,
        oldest first."""
        found: dict[uuid.UUID, SentAbout] = {}
        columns = (
            OutboxMessage.id,
            OutboxMessage.kind,
            OutboxMessage.visit_id,
            OutboxMessage.invitation_id,
            OutboxMessage.created_at,
            OutboxMessage.sent_at,
            OutboxMessage.next_attempt_at,
        )
        with db_errors(), self.db.read_session() as s:
            for where in (
                OutboxMessage.visit_id.in_(visit_ids) if visit_ids else None,
                OutboxMessage.invitation_id.in_(invitation_ids) if invitation_ids else None,
            ):
                if where is None:
                    continue
                for row_id, kind, visit, invitation, created, sent, retry in s.execute(
                    select(*columns).where(where)
                ):
                    given_up = sent is None and retry is None
                    found[row_id] = SentAbout(kind, visit, invitation, created, sent, given_up)
        return sorted(found.values(), key=lambda m: m.created_at)

    def state_of_visit(self, visit_id: uuid.UUID) -> list[ChannelState]:
        """How a visit's host notification went on each channel (none: no host, or the
        visitor's host was not to be told)."""
        with db_errors(), self.db.read_session() as s:
            rows = s.execute(
                select(
                    OutboxMessage.channel,
                    OutboxMessage.sent_at,
                    OutboxMessage.next_attempt_at,
                    OutboxMessage.last_error,
                    OutboxMessage.handled_at,
                )
                .where(OutboxMessage.visit_id == visit_id, OutboxMessage.kind.in_(HOST_KINDS))
                .order_by(OutboxMessage.channel, OutboxMessage.created_at)
            ).all()
        return [ChannelState(*row) for row in rows]

    def undelivered(self, since: datetime, late_before: datetime) -> list[Undelivered]:
        """Host notifications since ``since`` that reached their host on no channel and
        that reception has not taken over: given up on every channel, or still trying
        though the check-in was before ``late_before``. Oldest first."""
        with db_errors(), self.db.read_session() as s:
            rows = s.execute(
                select(
                    OutboxMessage.visit_id,
                    OutboxMessage.host_id,
                    OutboxMessage.created_at,
                    OutboxMessage.channel,
                    OutboxMessage.sent_at,
                    OutboxMessage.next_attempt_at,
                    OutboxMessage.last_error,
                    OutboxMessage.handled_at,
                    OutboxMessage.kind,
                ).where(
                    OutboxMessage.site_id == self.db.site_id,
                    OutboxMessage.created_at >= since,
                    OutboxMessage.kind.in_(HOST_KINDS),
                    OutboxMessage.visit_id.is_not(None),
                )
            ).all()
        by_visit: dict[uuid.UUID, list[Any]] = {}
        for row in rows:
            by_visit.setdefault(row.visit_id, []).append(row)
        found: list[Undelivered] = []
        for visit_id, all_messages in by_visit.items():
            messages = [m for m in all_messages if m.channel != SITE_WEBHOOK]
            if not messages or any(
                m.sent_at is not None or m.handled_at is not None for m in messages
            ):
                continue
            given_up = all(m.next_attempt_at is None for m in messages)
            created = min(m.created_at for m in messages)
            if not given_up and created >= late_before:
                continue
            reasons = tuple(
                f"{m.channel}: {m.last_error}"
                for m in sorted(messages, key=lambda m: m.channel)
                if m.last_error
            )
            parcel = any(m.kind == PARCEL for m in messages)
            found.append(
                Undelivered(visit_id, messages[0].host_id, created, given_up, reasons, parcel)
            )
        return sorted(found, key=lambda u: u.created_at)

    def mark_handled(self, tx: UnitOfWork, visit_id: uuid.UUID) -> int:
        """Reception took over a visit's host notification (phoned the host): it leaves
        the console's list, and its channels are not tried again. Returns how many
        messages that stopped."""
        result: CursorResult[Any] = tx.session.execute(  # type: ignore[assignment]
            update(OutboxMessage)
            .where(
                OutboxMessage.visit_id == visit_id,
                OutboxMessage.kind.in_(HOST_KINDS),
                OutboxMessage.sent_at.is_(None),
                OutboxMessage.handled_at.is_(None),
            )
            .values(handled_at=tx.now, next_attempt_at=None, payload_ct=SPENT)
        )
        tx.audit("notification.handled", str(visit_id))
        return int(result.rowcount or 0)
