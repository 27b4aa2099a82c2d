"""Row ids that sort by time (UUID version 7, RFC 9562).

Retention deletes the oldest rows first. With random (version 4) ids every purge batch
touched pages all over the primary-key index, and each batch commit rewrote them; with
ids that begin with their creation time, a batch of old rows sits together in that index
as it does in the table. The creation time an id reveals is stored beside it anyway.
"""

from __future__ import annotations

import os
import uuid
from datetime import datetime

_RAND_A = (1 << 12) - 1
_RAND_B = (1 << 62) - 1
# uuid.UUID built without its constructor (see uuid_from_int); storage.fastread inlines it.
new_object = object.__new__
set_attribute = object.__setattr__
UNKNOWN_SAFETY = uuid.SafeUUID.unknown


def uuid_from_int(value: int) -> uuid.UUID:
    """``uuid.UUID(int=value)`` for a value known to fit in 128 bits, at a fifth of the
    cost: the constructor's checks are for arguments of unknown shape."""
    u = new_object(uuid.UUID)
    set_attribute(u, "int", value)
    set_attribute(u, "is_safe", UNKNOWN_SAFETY)
    return u


def time_ordered_id(at: datetime) -> uuid.UUID:
    """48 bits of Unix milliseconds, the version and variant, and 74 random bits."""
    millis = int(at.timestamp() * 1000) & ((1 << 48) - 1)
    rand = int.from_bytes(os.urandom(10), "big")
    value = millis << 80 | 0x7 << 76 | (rand >> 62 & _RAND_A) << 64 | 0b10 << 62 | rand & _RAND_B
    return uuid_from_int(value)
