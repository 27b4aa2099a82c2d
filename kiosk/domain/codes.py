"""Badge and invitation codes: how they are made and read back.

No dependencies beyond the standard library: the kiosk's welcome screen recognises a
scanned code before the crypto and database libraries are loaded.
"""

from __future__ import annotations

import secrets
import uuid

# Crockford base32 without I, L, O, U: easy to read aloud and to type.
_BADGE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
BADGE_LEN = 12
_LOOKALIKES = str.maketrans("OIL", "011")


def new_badge_code() -> str:
    """A random badge code (60 bits), shown grouped as XXXX-XXXX-XXXX."""
    bits = secrets.randbits(5 * BADGE_LEN)  # 32 symbols: five uniform bits each
    raw = "".join(_BADGE_ALPHABET[(bits >> (5 * i)) & 31] for i in range(BADGE_LEN))
    return f"{raw[0:4]}-{raw[4:8]}-{raw[8:12]}"


def normalise_badge_code(text: str) -> str | None:
    """Canonical form of a scanned or typed badge code, or None if it cannot be one."""
    cleaned = "".join(ch for ch in text.upper() if ch.isalnum())
    cleaned = cleaned.translate(_LOOKALIKES)
    if len(cleaned) != BADGE_LEN or any(ch not in _BADGE_ALPHABET for ch in cleaned):
        return None
    return cleaned


REF_LENGTH = 8


def short_ref(record_id: uuid.UUID) -> str:
    """How lists name a record with a time-ordered id (a rights request, a watchlist
    entry, a roll call): the last 8 hex digits, which are random (its first ones are the
    time it was made, alike for records of the same minute)."""
    return record_id.hex[-REF_LENGTH:]


def names_record(ref: str, record_id: uuid.UUID) -> bool:
    """Whether a typed reference names this record: its id (dashes or not), or at least
    8 hex digits its id starts or ends with (the list's :func:`short_ref`)."""
    typed = ref.strip().lower().replace("-", "")
    return len(typed) >= REF_LENGTH and (
        record_id.hex.startswith(typed) or record_id.hex.endswith(typed)
    )
