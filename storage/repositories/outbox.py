"""The outbox of e-mails (host notifications, invitations, a visitor's own badge): what
is due, claimed by one sender, then sent or retried.

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

from sqlalchemy import CursorResult, select, update
from sqlalchemy.orm import Session

from kiosk.domain.notifications import (
    BADGE,
    HOST_ARRIVAL,
    Notification,
    NotificationState,
    OutboxEntry,
    SentAbout,
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
    }


class OutboxRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    def claim_due(self, tx: UnitOfWork, *, limit: int = 20) -> list[Notification]:
        """Claim up to ``limit`` messages of this site that are due at the unit's ``now``
        and not sent; each is this caller's for :data:`LEASE`. One that cannot be
        decrypted (its day's key is gone, or it was tampered with) is given up at once."""
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
            )
            .outerjoin(Host, Host.id == OutboxMessage.host_id)
            .where(
                OutboxMessage.site_id == self.db.site_id,
                OutboxMessage.sent_at.is_(None),
                OutboxMessage.next_attempt_at <= now,
            )
            .order_by(OutboxMessage.next_attempt_at)
            .limit(limit)
        ).all()
        claimed: list[Notification] = []
        for row_id, kind, key_id, blob, attempts, due, host_name, host_email, lang in rows:
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
                )
            )
        return claimed

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

    def state_of_visit(self, visit_id: uuid.UUID) -> NotificationState | None:
        """Whether a visit's host notification went out, or None when it has none (no
        host, or the visitor's host was not to be told)."""
        with db_errors(), self.db.read_session() as s:
            row = s.execute(
                select(
                    OutboxMessage.sent_at, OutboxMessage.next_attempt_at, OutboxMessage.last_error
                )
                .where(OutboxMessage.visit_id == visit_id, OutboxMessage.kind == HOST_ARRIVAL)
                .order_by(OutboxMessage.created_at.desc())
                .limit(1)
            ).first()
        return None if row is None else NotificationState(*row)
