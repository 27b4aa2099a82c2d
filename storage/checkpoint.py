"""The signed audit checkpoint kept outside the database: the newest (seq, hash) of the
kiosk's lane of the chain, so that cutting off the newest events, or putting back an
older copy of the database, cannot go unnoticed."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
from pathlib import Path

from sqlalchemy import Engine

from storage.audit import Checkpoint, chain_holds, head_query
from storage.engine import db_errors

log = logging.getLogger(__name__)

SLOT = 192  # bytes per slot; the file holds two, written alternately


class CheckpointFile:
    """Two fixed-size signed slots, overwritten in place through one open descriptor
    (a check-in pays microseconds, not a file creation and rename). A writer replaces the
    slot holding the older head, so the newest survives a torn write or a race; readers
    take the newest valid slot."""

    def __init__(self, path: Path, key: bytes) -> None:
        self.path = path
        self._key = key
        self._fd: int | None = None
        self._last_raw = b""
        self._last_slots: list[Checkpoint | None] = [None, None]

    def _mac(self, lane: str, seq: int, digest: bytes) -> str:
        # Lane "": the text sealed before lanes, so that earlier files still verify.
        body = f"{lane}:{seq}:{digest.hex()}" if lane else f"{seq}:{digest.hex()}"
        return hmac.new(self._key, body.encode(), hashlib.sha256).hexdigest()

    def _parse(self, raw: bytes) -> Checkpoint | None:
        try:
            data = json.loads(raw.decode().strip() or "null")
            seq, digest = int(data["seq"]), bytes.fromhex(data["hash"])
            lane = str(data.get("lane", ""))
        except (ValueError, KeyError, TypeError, AttributeError, UnicodeDecodeError):
            return None
        if not hmac.compare_digest(self._mac(lane, seq, digest), str(data.get("mac", ""))):
            return None
        return Checkpoint(seq, digest, lane)

    def _slots(self, fd: int) -> list[Checkpoint | None]:
        raw = os.pread(fd, 2 * SLOT, 0)
        if raw == self._last_raw:  # unchanged since we last looked: skip parsing
            return list(self._last_slots)
        slots = [self._parse(raw[i * SLOT : (i + 1) * SLOT]) for i in range(2)]
        self._last_raw, self._last_slots = raw, slots
        return list(slots)

    def read(self) -> Checkpoint | None:
        """The newest checkpoint, or None if none was written yet. A file with no valid
        slot (forged or damaged) raises ValueError."""
        if not self.path.exists():
            return None
        fd = os.open(self.path, os.O_RDONLY)
        try:
            slots = [c for c in self._slots(fd) if c is not None]
            if not slots and os.fstat(fd).st_size:
                raise ValueError(f"the audit checkpoint {self.path} is damaged or forged")
        finally:
            os.close(fd)
        return max(slots, key=lambda c: c.seq) if slots else None

    def newest(self) -> Checkpoint | None:
        """The newest valid slot; None before the first write (or if none is valid)."""
        if self._fd is None:
            if not self.path.exists():
                return None
            self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        slots = [c for c in self._slots(self._fd) if c is not None]
        return max(slots, key=lambda c: c.seq) if slots else None

    def reset(self, seq: int, digest: bytes, lane: str = "") -> None:
        """Both slots to this head, older or not (an accepted restore; a kiosk given
        another lane)."""
        if self._fd is None:
            self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        record = self._record(lane, seq, digest)
        os.pwrite(self._fd, record + record, 0)
        os.fsync(self._fd)
        self._last_raw, self._last_slots = record + record, [Checkpoint(seq, digest, lane)] * 2

    def _record(self, lane: str, seq: int, digest: bytes) -> bytes:
        # The JSON json.dumps would write, formatted directly (it is on every check-in).
        named = f'"lane": "{lane}", ' if lane else ""  # a lane is a slug: nothing to escape
        mac = self._mac(lane, seq, digest)
        body = f'{{{named}"seq": {seq:d}, "hash": "{digest.hex()}", "mac": "{mac}"}}'
        return body.encode().ljust(SLOT - 1) + b"\n"

    def advance(self, seq: int, digest: bytes, lane: str = "") -> None:
        """Record a newer head of ``lane`` (never an older one than the newest already
        there). The first head of a lane other than the one recorded replaces both slots."""
        if self._fd is None:
            self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        slots = self._slots(self._fd)
        newest = max((c for c in slots if c is not None), key=lambda c: c.seq, default=None)
        if newest is not None and newest.lane != lane:
            self.reset(seq, digest, lane)
            return
        if newest is not None and newest.seq >= seq:
            return
        seqs = [c.seq if c is not None else -1 for c in slots]
        record = self._record(lane, seq, digest)
        index = seqs.index(min(seqs))
        os.pwrite(self._fd, record, SLOT * index)
        # What the file now holds, so the next advance need not parse it again.
        raw = bytearray(self._last_raw.ljust(2 * SLOT, b"\0"))
        raw[index * SLOT : (index + 1) * SLOT] = record
        slots[index] = Checkpoint(seq, digest, lane)
        self._last_raw, self._last_slots = bytes(raw), slots

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


class ChainCheckpoint:
    """The checkpoint file, moved along with the chain: after every committed write that
    appended audit events (the unit of work calls :meth:`follow`), never by
    verification."""

    def __init__(self, path: Path, key: bytes, engine: Engine, lane: str = "") -> None:
        self.file = CheckpointFile(path, key)
        self.lane = lane  # the lane this kiosk appends to, which the checkpoint follows
        self._read_engine = engine.execution_options(readonly=True)
        self._held_at: int | None = None  # the checkpoint seq a warning was logged for

    @property
    def path(self) -> Path:
        return self.file.path

    def read(self) -> Checkpoint | None:
        """The newest checkpoint; raises ValueError for a forged or damaged file."""
        return self.file.read()

    def reset(self, seq: int, digest: bytes) -> None:
        """Both slots to this head of the lane, older or not (an accepted restore)."""
        self.file.reset(seq, digest, self.lane)

    def sync(self) -> None:
        """Move the checkpoint to the lane's head as the database holds it now."""
        with db_errors(), self._read_engine.connect() as conn:
            head = conn.execute(head_query(self.lane)).first()
        if head is not None:
            self.follow(int(head[0]), bytes(head[1]), bytes(head[2]))

    def newest(self) -> Checkpoint | None:
        """The newest checkpoint recorded (None before the first, or if none is valid)."""
        return self.file.newest()

    def follow(
        self, seq: int, digest: bytes, prev: bytes, *, confirmed: Checkpoint | None = None
    ) -> None:
        """Advance the checkpoint to a new head of the lane, unless the chain no longer
        holds the event the checkpoint recorded (newest events deleted, or the database restored
        from a copy): then it stays, so that `kiosk audit verify` keeps reporting it
        however many events follow, until an admin accepts a restore. ``confirmed``: a
        checkpoint the transaction that appended up to this head saw the chain hold
        (read with the head it appended to); asked of the database otherwise (other
        machines appended meanwhile)."""
        last = self.file.newest()
        if (
            last is not None
            and last.lane == self.lane
            and seq > last.seq
            and not (seq == last.seq + 1 and prev == last.hash)
            and last != confirmed
        ):
            with db_errors(), self._read_engine.connect() as conn:
                holds = chain_holds(conn, last)
            if not holds:
                if self._held_at != last.seq:  # once per process, not on every event
                    self._held_at = last.seq
                    log.warning(
                        "the audit chain no longer holds event %d, which the checkpoint "
                        "recorded: the checkpoint stays there (see kiosk audit verify)",
                        last.seq,
                    )
                return
        self.file.advance(seq, digest, self.lane)

    def close(self) -> None:
        self.file.close()
