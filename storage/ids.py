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


def time_ordered_id(at: datetime) -> uuid.UUID:
    """48 bits of Unix milliseconds, the version and variant, and 74 random bits."""
    millis = int(at.timestamp() * 1000) & ((1 << 48) - 1)
    rand = int.from_bytes(os.urandom(10), "big")
    value = millis << 80 | 0x7 << 76 | (rand >> 62 & _RAND_A) << 64 | 0b10 << 62 | rand & _RAND_B
    return uuid.UUID(int=value)
