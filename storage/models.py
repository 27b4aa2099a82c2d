"""The records database: typed SQLAlchemy 2 models.

Personal fields are stored only as AES-256-GCM ciphertexts (``*_ct``), each bound to its
table, column, row id and data key (``key_id``). Data keys live in the separate key store
(:mod:`storage.keystore_models`), so there is no foreign key to them.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    Uuid,
    false,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from storage.types import IsoDate, UTCDateTime


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UTCDateTime,
        uuid.UUID: Uuid,
        date: IsoDate,
        bytes: LargeBinary,
    }


class Site(Base):
    __tablename__ = "sites"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    slug: Mapped[str] = mapped_column(String(63), unique=True)
    """The stable identifier (storage.sites); ``name`` is the display name."""
    name: Mapped[str] = mapped_column(String(120), unique=True)
    created_at: Mapped[datetime]


class Host(Base):
    """An employee visitors can come to see. Staff directory data, not visitor data."""

    __tablename__ = "hosts"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    site_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("sites.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    email: Mapped[str | None] = mapped_column(String(254))
    # The language of the e-mails this host gets; None: the site's (notify.language).
    language: Mapped[str | None] = mapped_column(String(8))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime]
    # The host's own webhook, "FORMAT URL" (kiosk.domain.notifications.parse_webhook);
    # set by an admin or the directory sync, never by a visitor.
    webhook: Mapped[str | None] = mapped_column(String(600))
    # The host's entry in the company directory (LDAP entryUUID / AD objectGUID); None
    # for a host added by hand. `kiosk hosts sync` keeps such hosts.
    directory_id: Mapped[str | None] = mapped_column(String(128))


_OPEN = text("departed_at IS NULL")  # ix_visits_open holds only these rows


class Visit(Base):
    __tablename__ = "visits"
    # The look-up columns (badge, blind indexes) are indexed behind the day (and site):
    # their own values are random, so an index led by them would have nearly every page
    # touched by each purge batch; led by the day, a purge of old days works through
    # contiguous pages, and a look-up seeks once per day present (Store.visit_days).
    __table_args__ = (
        Index("ix_visits_site_day", "site_id", "local_day", "arrived_at"),
        Index("ix_visits_day_badge", "local_day", "badge_hash", unique=True),
        Index("ix_visits_day_email", "site_id", "local_day", "email_bidx"),
        Index("ix_visits_day_phone", "site_id", "local_day", "phone_bidx"),
        # Only the visits still open: what automatic check-out and status look for.
        Index("ix_visits_open", "site_id", "local_day", sqlite_where=_OPEN, postgresql_where=_OPEN),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    site_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("sites.id"))
    key_id: Mapped[uuid.UUID]
    created_at: Mapped[datetime] = mapped_column(index=True)
    arrived_at: Mapped[datetime]
    departed_at: Mapped[datetime | None]
    local_day: Mapped[date] = mapped_column()
    visitor_type: Mapped[str] = mapped_column(String(16))
    host_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("hosts.id", ondelete="SET NULL"), index=True
    )
    personal_ct: Mapped[bytes]
    """Name, e-mail, phone, company, typed host and screening outcome: one envelope."""
    email_bidx: Mapped[int | None] = mapped_column(BigInteger)
    phone_bidx: Mapped[int | None] = mapped_column(BigInteger)
    badge_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    privacy_version: Mapped[str] = mapped_column(String(32))
    privacy_sha256: Mapped[str] = mapped_column(String(64))
    under_16: Mapped[bool] = mapped_column(Boolean, default=False)
    needs_confirmation: Mapped[bool] = mapped_column(Boolean, default=False)
    flagged: Mapped[bool] = mapped_column(Boolean, default=False)
    restricted: Mapped[bool] = mapped_column(Boolean, default=False)
    nda_accepted: Mapped[bool] = mapped_column(Boolean, default=False)
    # departed_at is the kiosk.auto_checkout time: nobody recorded the departure.
    auto_checkout: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    seal_mac: Mapped[bytes | None] = mapped_column(LargeBinary(32))
    """Seals the columns lists do not show (storage.sealing); NULL only before the
    first start after migration 0012."""
    guardian_ct: Mapped[bytes | None] = mapped_column(LargeBinary)
    """An under-16 visitor's parent or guardian (their name), sealed; else NULL."""


class SealUpgrade(Base):
    """A row here: visits, NDA acceptances and invitations written before their columns
    were sealed wait to be sealed (migration 0012; storage.reseal at the next start)."""

    __tablename__ = "seal_upgrade"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)


class ShownDocument(Base):
    """The exact text of a privacy notice or NDA as visitors were shown it, kept under
    its SHA-256 (which visits and NDA acceptances store): what someone accepted can be
    read back, and checked, after the file changes. Not personal data, so neither
    encrypted nor expired; a row per text ever shown, a few kilobytes each."""

    __tablename__ = "documents"

    # One text may serve as several documents (an office's English NDA copied as its
    # Dutch one): a row per kind and language it was shown as.
    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)  # "privacy" or "nda"
    language: Mapped[str] = mapped_column(String(8), primary_key=True)
    version: Mapped[str] = mapped_column(String(32))
    text: Mapped[str] = mapped_column(Text)  # the hashed text: version line and body
    first_shown_at: Mapped[datetime]


class NdaAcceptance(Base):
    """A legal record kept longer than the visit: it outlives it (visit_id set to NULL)."""

    __tablename__ = "nda_acceptances"
    __table_args__ = (
        Index("ix_nda_email", "site_id", "email_bidx"),
        Index("ix_nda_phone", "site_id", "phone_bidx"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    site_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("sites.id"))
    visit_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("visits.id", ondelete="SET NULL"), index=True
    )
    key_id: Mapped[uuid.UUID]
    created_at: Mapped[datetime] = mapped_column(index=True)
    document_version: Mapped[str] = mapped_column(String(32))
    document_language: Mapped[str] = mapped_column(String(8))
    document_sha256: Mapped[str] = mapped_column(String(64))
    signed_name_ct: Mapped[bytes]
    # The signer's e-mail and phone (JSON), sealed like the name, and their blind
    # indexes: a rights request finds the acceptance after its visit is gone. NULL on
    # acceptances signed before migration 0014.
    email_bidx: Mapped[int | None] = mapped_column(BigInteger)
    phone_bidx: Mapped[int | None] = mapped_column(BigInteger)
    contact_ct: Mapped[bytes | None]


class HealthScreening(Base):
    """Health answers, stored only when the operator opted in (the outcome alone lives in
    the visit's envelope). Encrypted under a key of their own category, with their own
    short retention; deleted with the visit."""

    __tablename__ = "health_screenings"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    visit_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("visits.id", ondelete="CASCADE"), unique=True
    )
    key_id: Mapped[uuid.UUID]
    answers_ct: Mapped[bytes]
    created_at: Mapped[datetime] = mapped_column(index=True)


class OutboxMessage(Base):
    """An e-mail waiting to be delivered: a host notification (kind "host_arrival") or an
    invitation to an expected visitor ("invitation"); its payload is encrypted."""

    __tablename__ = "outbox"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    site_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("sites.id"))
    visit_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("visits.id", ondelete="SET NULL"), index=True
    )
    host_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("hosts.id", ondelete="SET NULL"))
    # An invitation's e-mail goes with the invitation (erased, or expired).
    invitation_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("invitations.id", ondelete="CASCADE"), index=True
    )
    key_id: Mapped[uuid.UUID]
    created_at: Mapped[datetime] = mapped_column(index=True)
    kind: Mapped[str] = mapped_column(String(32))
    payload_ct: Mapped[bytes]
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(String(200))
    # "email", "webhook", or "host" for a host notification not yet split into the
    # host's channels (kiosk.domain.notifications).
    channel: Mapped[str] = mapped_column(String(16), default="email", server_default="email")
    handled_at: Mapped[datetime | None]  # reception took over (phoned the host)


class AuditEvent(Base):
    """Append-only, hash-chained. Holds ids and actions, never personal data. Each lane
    is a chain of its own (storage.audit): kiosks sharing a database append to their
    own lanes without waiting for each other; "" is the lane of a kiosk given none."""

    __tablename__ = "audit_events"

    lane: Mapped[str] = mapped_column(String(63), primary_key=True, server_default="")
    seq: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    at: Mapped[datetime] = mapped_column(index=True)
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64))
    object_id: Mapped[str | None] = mapped_column(String(64))
    details: Mapped[dict[str, Any]] = mapped_column(JSON)
    prev_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    hash: Mapped[bytes] = mapped_column(LargeBinary(32))


class AuditAnchor(Base):
    """Where a lane's chain starts after old events were purged: the last purged seq and
    hash (one row per lane; id 1 is lane ""'s)."""

    __tablename__ = "audit_anchor"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    lane: Mapped[str] = mapped_column(String(63), unique=True, server_default="")
    seq: Mapped[int] = mapped_column(BigInteger)
    hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    mac: Mapped[bytes | None] = mapped_column(LargeBinary(32))
    """Seals (seq, hash) with a key from the master key: see storage.audit.anchor_mac."""


class StaffAccount(Base):
    """Reception, security and admin staff. The PIN is an Argon2id hash of a peppered
    PIN (the pepper derives from the master key, so a copied database cannot test PINs)."""

    __tablename__ = "staff_accounts"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    pin_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime]


class PinAttempt(Base):
    """Wrong PINs in a row for a name typed at one kind of terminal ("lobby": the kiosk
    and served tablets; "console": the reception console), whether or not the name is an
    account. The name is kept as a keyed hash only."""

    __tablename__ = "pin_attempts"

    name_hash: Mapped[bytes] = mapped_column(LargeBinary(32), primary_key=True)
    scope: Mapped[str] = mapped_column(String(8), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer)
    locked_until: Mapped[datetime | None]
    last_at: Mapped[datetime]


class Invitation(Base):
    """A pre-registered visitor. The personal fields are sealed under the visit key of the
    expected day, so the invitation is shredded with that day's visits."""

    __tablename__ = "invitations"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    site_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("sites.id"))
    key_id: Mapped[uuid.UUID]
    code_hash: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)
    expected_day: Mapped[date] = mapped_column(index=True)
    created_at: Mapped[datetime]
    visitor_type: Mapped[str] = mapped_column(String(16))
    host_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("hosts.id", ondelete="SET NULL"))
    personal_ct: Mapped[bytes]
    used_visit_id: Mapped[uuid.UUID | None] = mapped_column(
        # Indexed: every deleted visit looks here for rows to set NULL.
        ForeignKey("visits.id", ondelete="SET NULL"),
        index=True,
    )


class RightsRequestRow(Base):
    """A visitor's rights request in the register (kiosk.domain.requests). The person's
    e-mail and phone, the reasons and notes and the actions taken are sealed in
    ``personal_ct`` under a key of the request category; the blind indexes find a
    person's requests. Deleted a retention period after it was closed (or, still open,
    after that period plus a year: the cap)."""

    __tablename__ = "rights_requests"
    __table_args__ = (
        Index("ix_requests_email", "site_id", "email_bidx"),
        Index("ix_requests_phone", "site_id", "phone_bidx"),
        Index("ix_requests_open", "site_id", "status", "due_on"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    site_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("sites.id"))
    key_id: Mapped[uuid.UUID]
    created_at: Mapped[datetime] = mapped_column(index=True)
    kind: Mapped[str] = mapped_column(String(16))
    channel: Mapped[str] = mapped_column(String(16))
    received_on: Mapped[date]
    due_on: Mapped[date]
    extended_months: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(8))
    closed_at: Mapped[datetime | None] = mapped_column(index=True)
    email_bidx: Mapped[int | None] = mapped_column(BigInteger)
    phone_bidx: Mapped[int | None] = mapped_column(BigInteger)
    personal_ct: Mapped[bytes]


class WatchlistEntry(Base):
    """Someone the office must not let in unannounced (kiosk.domain.watchlist): the
    e-mail, phone, name and reason sealed in ``entry_ct`` under a key of the watchlist
    category for the day it expires; blind indexes of the e-mail, phone and normalised
    name find candidates. Deleted, and its key destroyed, after ``expires_on``."""

    __tablename__ = "watchlist"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    site_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("sites.id"))
    key_id: Mapped[uuid.UUID]
    created_at: Mapped[datetime]
    expires_on: Mapped[date] = mapped_column(index=True)
    # Each looked up alone (an index led by the site would be walked whole by SQLite,
    # which has no statistics to prefer the other).
    email_bidx: Mapped[int | None] = mapped_column(BigInteger, index=True)
    phone_bidx: Mapped[int | None] = mapped_column(BigInteger, index=True)
    name_bidx: Mapped[int | None] = mapped_column(BigInteger, index=True)
    entry_ct: Mapped[bytes]


class WatchlistAlert(Base):
    """A check-in that matched a watchlist entry, until reception acknowledges it; it
    goes with its visit."""

    __tablename__ = "watchlist_alerts"
    __table_args__ = (Index("ix_watchlist_alerts_open", "site_id", "acknowledged_at"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    site_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("sites.id"))
    created_at: Mapped[datetime]
    visit_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("visits.id", ondelete="CASCADE"), index=True
    )
    entry_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("watchlist.id", ondelete="SET NULL"), index=True
    )
    acknowledged_at: Mapped[datetime | None]
    acknowledged_by: Mapped[str | None] = mapped_column(String(64))


class RollCall(Base):
    """An evacuation roll call: who started it, when, and when it ended."""

    __tablename__ = "rollcalls"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    site_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("sites.id"), index=True)
    started_at: Mapped[datetime]
    started_by: Mapped[str] = mapped_column(String(64))
    ended_at: Mapped[datetime | None]
    ended_by: Mapped[str | None] = mapped_column(String(64))


class RollCallPerson(Base):
    """Someone on a roll call's list: their visit (or, for a record that could not be
    read, its id in ``record``), and when and by whom they were marked safe."""

    __tablename__ = "rollcall_people"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    rollcall_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("rollcalls.id", ondelete="CASCADE"), index=True
    )
    visit_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("visits.id", ondelete="CASCADE"), index=True
    )
    record: Mapped[str | None] = mapped_column(String(64))
    marked_at: Mapped[datetime | None]
    marked_by: Mapped[str | None] = mapped_column(String(64))


class RetentionPeriod(Base):
    """A retention period an admin set for everything this database holds: every kiosk
    and console on it purges by it and tells visitors of it. A category without a row
    keeps the period of the settings file (or its default). Not personal data."""

    __tablename__ = "retention_periods"

    category: Mapped[str] = mapped_column(String(32), primary_key=True)  # e.g. visit_days
    days: Mapped[int] = mapped_column(Integer)
    changed_at: Mapped[datetime]
