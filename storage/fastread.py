"""Reading many visits quickly: raw driver values decoded by hand, per dialect.

A day in the console and a range in an export read thousands to millions of rows. Going
through SQLAlchemy's typed result processing costs more per row than the decryption
itself (UUID and timestamp conversion, Row objects), so these reads select untyped columns
and decode the driver's values here: hex text and ISO text on SQLite, native UUID and
datetime objects from psycopg on PostgreSQL. The decryption, its associated data and the
tamper checks are the same as in storage.codec.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, date, datetime
from typing import Any

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import literal_column

from storage.codec import SEP, VERSION
from storage.crypto import NONCE_BYTES, InvalidTag, field_ad
from storage.errors import KeyDestroyed, RecordTampered
from storage.records import DamagedRecord, ScreeningOutcome, VisitorType, VisitRecord

COLUMNS = (
    "id",
    "key_id",
    "arrived_at",
    "departed_at",
    "local_day",
    "visitor_type",
    "personal_ct",
    "host_id",
    "nda_accepted",
    "needs_confirmation",
    "flagged",
    "restricted",
)
RAW_COLUMNS: tuple[Any, ...] = tuple(literal_column(f"visits.{c}") for c in COLUMNS)

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
        sqlite = self.sqlite
        to_id = uuid_from_hex if sqlite else None
        to_time = _sqlite_time if sqlite else _pg_time
        prefix = _AD_PREFIX
        keys, key_of = self._keys, self._key
        new, set_attr, uuid_cls, safe = _new, _set, uuid.UUID, _SAFE
        for (vid, kid, arrived, departed, day, vtype, blob, host, nda, needs, flagged,
             restricted) in rows:  # fmt: skip
            if sqlite:
                visit_id = new(uuid_cls)  # uuid_from_hex, inlined: this loop is the hot path
                set_attr(visit_id, "int", int(vid, 16))
                set_attr(visit_id, "is_safe", safe)
                ad = prefix + bytes.fromhex(vid)
            else:
                visit_id, ad = vid, prefix + vid.bytes
            key = keys.get(kid) or key_of(kid)
            if isinstance(key, KeyDestroyed):
                if self.strict:
                    raise key
                yield DamagedRecord("visits", visit_id, str(key))
                continue
            blob = bytes(blob)
            try:
                plain = key[1].decrypt(blob[:NONCE_BYTES], blob[NONCE_BYTES:], ad + key[0])
                version, name, email, phone, company, host_name, screening = plain.decode().split(
                    SEP
                )
                if version != VERSION:
                    raise ValueError(version)
            except (InvalidTag, ValueError, UnicodeDecodeError):
                tampered = RecordTampered("visits", visit_id, "personal")
                if self.strict:
                    raise tampered from None
                yield DamagedRecord("visits", visit_id, str(tampered))
                continue
            yield VisitRecord(
                visit_id,
                to_time(arrived),  # type: ignore[arg-type]
                to_time(departed) if departed else None,
                date.fromisoformat(day) if sqlite else day,
                _TYPES[vtype],
                name,
                email or None,
                phone or None,
                company or None,
                (to_id(host) if to_id else host) if host else None,
                host_name or None,
                nda == 1,  # 0/1 on SQLite, booleans on PostgreSQL
                _OUTCOMES[screening],
                needs == 1,
                flagged == 1,
                restricted == 1,
            )
