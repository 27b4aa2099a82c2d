"""Reading many visits quickly: raw driver values decoded by hand, per dialect.

A day in the console and a range in an export read thousands to millions of rows. Going
through SQLAlchemy's typed result processing costs more per row than the decryption
itself (UUID and timestamp conversion, Row objects), so these reads select untyped columns
and decode the driver's values here: hex text and ISO text on SQLite, native UUID and
datetime objects from psycopg on PostgreSQL. The decryption, its associated data and the
tamper checks are the same as in storage.codec.
"""

from __future__ import annotations

import gc
import uuid
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, date, datetime
from typing import Any

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import literal_column

from storage.codec import SEP, VERSION
from storage.crypto import NONCE_BYTES, InvalidTag, field_ad
from storage.errors import KeyDestroyed, RecordTampered
from storage.records import (
    FLAG_FLAGGED,
    FLAG_NDA,
    FLAG_NEEDS_CONFIRMATION,
    FLAG_RESTRICTED,
    DamagedRecord,
    ScreeningOutcome,
    VisitFields,
    VisitorType,
    VisitRecord,
)

COLUMNS = (
    "id",
    "key_id",
    "arrived_at",
    "departed_at",
    "local_day",
    "visitor_type",
    "personal_ct",
    "host_id",
)
# The four flags as one integer of FLAG_* bits: each column a driver hands over costs
# about as much as this arithmetic costs nothing.
_FLAGS = (
    "("
    + " + ".join(
        f"CASE WHEN visits.{column} THEN {bit} ELSE 0 END"
        for column, bit in (
            ("nda_accepted", FLAG_NDA),
            ("needs_confirmation", FLAG_NEEDS_CONFIRMATION),
            ("flagged", FLAG_FLAGGED),
            ("restricted", FLAG_RESTRICTED),
        )
    )
    + ")"
)
RAW_COLUMNS: tuple[Any, ...] = (
    *(literal_column(f"visits.{c}") for c in COLUMNS),
    literal_column(_FLAGS),
)

_AD_PREFIX = field_ad("visits", "personal", uuid.UUID(int=0), uuid.UUID(int=0))[:-32]
_TYPES = {t.value: t for t in VisitorType}
_OUTCOMES = {o.value: o for o in ScreeningOutcome}
_OUTCOMES[""] = ScreeningOutcome.NOT_ASKED
_new = object.__new__
_set = object.__setattr__
_SAFE = uuid.SafeUUID.unknown


def uuid_from_hex(text: str) -> uuid.UUID:
    """``uuid.UUID(text)`` for the 32-digit hex SQLite holds, at half the cost (the
    checks UUID() makes are for text of unknown shape)."""
    u = _new(uuid.UUID)
    _set(u, "int", int(text, 16))
    _set(u, "is_safe", _SAFE)
    return u


def _sqlite_time(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text + "+00:00") if text else None


def _pg_time(value: datetime | None) -> datetime | None:
    return value.astimezone(UTC) if value is not None else None


class VisitDecoder:
    """Turns raw rows (in COLUMNS order) into VisitRecords or DamagedRecords."""

    def __init__(
        self, dialect: str, key_by_id: Callable[[uuid.UUID], AESGCM], *, strict: bool = False
    ) -> None:
        self.sqlite = dialect == "sqlite"
        self.strict = strict  # raise KeyDestroyed / RecordTampered instead of reporting
        self._key_by_id = key_by_id
        # Raw key id -> (its bytes for the associated data, the key) or the error.
        self._keys: dict[Any, tuple[bytes, AESGCM] | KeyDestroyed] = {}

    def _key(self, raw: Any) -> tuple[bytes, AESGCM] | KeyDestroyed:
        found = self._keys.get(raw)
        if found is None:
            key_id = uuid_from_hex(raw) if self.sqlite else raw
            try:
                found = (key_id.bytes, self._key_by_id(key_id))
            except KeyDestroyed as exc:
                found = exc
            self._keys[raw] = found
        return found

    def decode(self, rows: Iterable[Any]) -> Iterator[VisitRecord | DamagedRecord]:
        visits, damaged = self.decode_batch(rows)
        yield from visits
        yield from damaged

    def decode_batch(self, rows: Iterable[Any]) -> tuple[list[VisitRecord], list[DamagedRecord]]:
        """Decode a batch of rows (thousands: a day, a part of an export) into records."""
        return _gc_paused(self._decode, rows, False)  # type: ignore[no-any-return]

    def decode_fields_batch(
        self, rows: Iterable[Any]
    ) -> tuple[list[VisitFields], list[DamagedRecord]]:
        """Like :meth:`decode_batch`, as plain tuples without the visit's id: an export of
        a million rows needs neither, and building them is a tenth of its time."""
        return _gc_paused(self._decode, rows, True)  # type: ignore[no-any-return]

    def _visit_id(self, raw: Any) -> uuid.UUID:
        return uuid_from_hex(raw) if self.sqlite else raw

    def _damaged(self, raw_id: Any, error: KeyDestroyed | RecordTampered) -> DamagedRecord:
        if self.strict:
            raise error from None  # not chained to the InvalidTag behind it
        return DamagedRecord("visits", self._visit_id(raw_id), str(error))

    def _decode(self, rows: Iterable[Any], fields_only: bool) -> tuple[list[Any], list[Any]]:
        decoded: list[Any] = []
        damaged: list[DamagedRecord] = []
        add = decoded.append
        sqlite = self.sqlite
        to_id = uuid_from_hex if sqlite else None
        to_time = _sqlite_time if sqlite else _pg_time
        prefix = _AD_PREFIX
        keys, key_of = self._keys, self._key
        new, set_attr, uuid_cls, safe = _new, _set, uuid.UUID, _SAFE
        types, outcomes, record = _TYPES, _OUTCOMES, VisitRecord
        for vid, kid, arrived, departed, day, vtype, blob, host, flags in rows:
            key = keys.get(kid) or key_of(kid)
            if isinstance(key, KeyDestroyed):
                damaged.append(self._damaged(vid, key))
                continue
            try:
                ad = prefix + (bytes.fromhex(vid) if sqlite else vid.bytes)
                plain = key[1].decrypt(blob[:NONCE_BYTES], blob[NONCE_BYTES:], ad + key[0])
                version, name, email, phone, company, host_name, screening = plain.decode().split(
                    SEP
                )
                if version != VERSION:
                    raise ValueError(version)
            except (InvalidTag, ValueError, UnicodeDecodeError):
                tampered = RecordTampered("visits", self._visit_id(vid), "personal")
                damaged.append(self._damaged(vid, tampered))
                continue
            if fields_only:
                add(
                    (
                        to_time(arrived),
                        to_time(departed) if departed else None,
                        types[vtype],
                        name,
                        email,
                        phone,
                        company,
                        (to_id(host) if to_id else host) if host else None,
                        host_name,
                        flags,
                        outcomes[screening],
                    )
                )
                continue
            if sqlite:
                visit_id = new(uuid_cls)  # uuid_from_hex, inlined: this loop is the hot path
                set_attr(visit_id, "int", int(vid, 16))
                set_attr(visit_id, "is_safe", safe)
            else:
                visit_id = vid
            add(
                record(
                    visit_id,
                    to_time(arrived),  # type: ignore[arg-type]
                    to_time(departed) if departed else None,
                    date.fromisoformat(day) if sqlite else day,
                    types[vtype],
                    name,
                    email or None,
                    phone or None,
                    company or None,
                    (to_id(host) if to_id else host) if host else None,
                    host_name or None,
                    flags & 1 == 1,  # FLAG_NDA (literals: this is the hot loop)
                    outcomes[screening],
                    flags & 2 == 2,  # FLAG_NEEDS_CONFIRMATION
                    flags & 4 == 4,  # FLAG_FLAGGED
                    flags & 8 == 8,  # FLAG_RESTRICTED
                )
            )
        return decoded, damaged


def _gc_paused(fn: Callable[..., Any], *args: Any) -> Any:
    """Run ``fn`` with the garbage collector paused: a decoded batch is thousands of new
    objects holding no cycles, and the collector's passes over the growing lists
    otherwise cost a tenth of the time."""
    paused = gc.isenabled()
    gc.disable()
    try:
        return fn(*args)
    finally:
        if paused:
            gc.enable()
