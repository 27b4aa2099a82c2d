"""Turning personal fields into ciphertexts and back.

A visit's personal fields travel in one envelope: AES-256-GCM with a fresh nonce, its
associated data binding table, column, row id and data key id. One envelope per row (not
one per field) keeps a day of thousands of visits quick to decrypt: each AES-GCM call
costs about a microsecond of Python overhead whatever its size.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from storage.crypto import NONCE_BYTES, InvalidTag, field_ad, open_field, seal_field
from storage.errors import RecordTampered
from storage.sealing import sealed_ad, visit_ad

SEP = "\x1f"
VERSION = "p1"


@dataclass(frozen=True, slots=True)
class Personal:
    """The personal fields of one visit (decrypted)."""

    name: str
    email: str | None = None
    phone: str | None = None
    company: str | None = None
    host_name: str | None = None
    screening: str | None = None


def _field_ad(
    table: str, column: str, row_id: uuid.UUID, key_id: uuid.UUID, sealed: str | None
) -> bytes:
    if sealed is None:
        return field_ad(table, column, row_id, key_id)
    return sealed_ad(table, column, row_id, key_id, sealed)


def seal(
    aead: AESGCM,
    table: str,
    column: str,
    row_id: uuid.UUID,
    key_id: uuid.UUID,
    value: str | None,
    *,
    sealed: str | None = None,
) -> bytes | None:
    """``sealed``: the seal text of the row's other columns (storage.sealing), which the
    ciphertext's authentication then covers too."""
    if value is None:
        return None
    return seal_field(aead, value, _field_ad(table, column, row_id, key_id, sealed))


def unseal(
    aead: AESGCM,
    table: str,
    column: str,
    row_id: uuid.UUID,
    key_id: uuid.UUID,
    blob: bytes | None,
    *,
    sealed: str | None = None,
) -> str | None:
    if blob is None:
        return None
    try:
        return open_field(aead, bytes(blob), _field_ad(table, column, row_id, key_id, sealed))
    except (InvalidTag, ValueError, UnicodeDecodeError):
        raise RecordTampered(table, row_id, "record" if sealed else column) from None


def _ad(table: str, row_id: uuid.UUID, key_id: uuid.UUID, sealed: str | None) -> bytes:
    if sealed is not None and table == "visits":  # the fast read's form (storage.sealing)
        return visit_ad(row_id, key_id, sealed)
    return _field_ad(table, "personal", row_id, key_id, sealed)


def seal_personal(
    aead: AESGCM,
    row_id: uuid.UUID,
    key_id: uuid.UUID,
    p: Personal,
    table: str = "visits",
    *,
    sealed: str | None = None,
) -> bytes:
    """The envelope; ``sealed``: a visit's seal text (storage.sealing), which the
    envelope's authentication then covers too."""
    parts = (p.name, p.email, p.phone, p.company, p.host_name, p.screening)
    if any(SEP in (x or "") for x in parts):
        raise ValueError("personal fields may not contain control characters")
    plain = SEP.join([VERSION, *(x or "" for x in parts)])
    return seal_field(aead, plain, _ad(table, row_id, key_id, sealed))


def decode_personal(plain: bytes) -> list[str]:
    """The decrypted envelope's fields: name, email, phone, company, host name and
    screening, "" where empty. The one decoder of the envelope (storage.fastread's loop
    calls it too). Raises ValueError (UnicodeDecodeError) for any other plaintext."""
    version, *fields = plain.decode().split(SEP)
    if version != VERSION or len(fields) != 6:
        raise ValueError("not a personal envelope of this version")
    return fields


def unseal_personal(
    aead: AESGCM,
    row_id: uuid.UUID,
    key_id: uuid.UUID,
    blob: bytes,
    table: str = "visits",
    *,
    sealed: str | None = None,
) -> Personal:
    blob = bytes(blob)
    ad = _ad(table, row_id, key_id, sealed)
    try:
        fields = decode_personal(aead.decrypt(blob[:NONCE_BYTES], blob[NONCE_BYTES:], ad))
    except (InvalidTag, ValueError):
        raise RecordTampered(table, row_id, "record" if sealed else "personal") from None
    name, email, phone, company, host, screening = fields
    return Personal(
        name, email or None, phone or None, company or None, host or None, screening or None
    )
