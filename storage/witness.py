"""The audit witness: each new head of the audit chain, also written where a database
writer cannot roll it back.

The checkpoint file (storage.checkpoint) catches events cut from the end of the chain,
but it lives on the kiosk's own disk: someone who can write the database and that disk
can cut the newest events and put back an older checkpoint. A witness is an append-only
record somewhere else: a syslog server (RFC 5424 over UDP, or the local /dev/log that
journald and rsyslog read) or a file on another machine's append-only share. Each head
is one line, sealed with a key from the master key so nobody can forge a newer one::

    <110>1 2026-12-05T09:12:00.123456+00:00 lobby-pc kiosk 4242 audit-head -
        kiosk-audit-head site=... seq=812 hash=... mac=...

(one line; wrapped here). A head of a lane other than "" names it: ``lane=lobby-b``
before ``seq``.

`kiosk audit verify --witness FILE` reads such lines (the file, or the syslog server's
log) and checks the chain still holds the newest head they record of each lane.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import re
import socket
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

log = logging.getLogger(__name__)

_PRI = 13 * 8 + 6  # facility "log audit" (13), severity "informational" (6)
_LINE = re.compile(
    r"kiosk-audit-head site=(?P<site>[0-9a-f-]{36}) (?:lane=(?P<lane>[a-z0-9-]+) )?"
    r"seq=(?P<seq>\d+) "
    r"hash=(?P<hash>[0-9a-f]{64}) mac=(?P<mac>[0-9a-f]{64})"
)


@dataclass(frozen=True, slots=True)
class WitnessHead:
    seq: int
    hash: bytes


def _mac(key: bytes, site_id: uuid.UUID, lane: str, seq: int, digest: bytes) -> str:
    # Lane "": the text sealed before lanes, so that earlier lines still verify.
    where = f"{site_id}|{lane}" if lane else str(site_id)
    body = f"kiosk-audit-head|{where}|{seq}|{digest.hex()}".encode()
    return hmac.new(key, body, hashlib.sha256).hexdigest()


def witness_line(key: bytes, site_id: uuid.UUID, lane: str, seq: int, digest: bytes) -> str:
    """The message of one head of ``lane`` (what follows the RFC 5424 header)."""
    mac = _mac(key, site_id, lane, seq, digest)
    named = f"lane={lane} " if lane else ""
    return f"kiosk-audit-head site={site_id} {named}seq={seq} hash={digest.hex()} mac={mac}"


def newest_head(
    lines: Iterable[str], key: bytes, site_id: uuid.UUID
) -> tuple[dict[str, WitnessHead], int]:
    """The newest sealed head of each lane the lines record for this site (the last one
    written: after an accepted restore the chain goes on from an older event), and how
    many lines looked like heads of this site but carry a wrong seal (forged, or another
    installation's)."""
    newest: dict[str, WitnessHead] = {}
    forged = 0
    for line in lines:
        found = _LINE.search(line)
        if found is None or found["site"] != str(site_id):
            continue
        lane, seq, digest = found["lane"] or "", int(found["seq"]), bytes.fromhex(found["hash"])
        if not hmac.compare_digest(_mac(key, site_id, lane, seq, digest), found["mac"]):
            forged += 1
            continue
        newest[lane] = WitnessHead(seq, digest)  # the last line written is the newest head
    return newest, forged


def read_witness(path: Path, key: bytes, site_id: uuid.UUID) -> tuple[dict[str, WitnessHead], int]:
    with path.open(encoding="utf-8", errors="replace") as lines:
        return newest_head(lines, key, site_id)


class Witness:
    """Writes each new head to the configured target:

    - ``syslog``: the local syslog socket (/dev/log), read by journald or rsyslog, which
      can forward it to a log server;
    - ``syslog://host:port``: a syslog server over UDP (RFC 5424 messages);
    - a file path: appended to (a mount of another machine's append-only share, or a
      local file made append-only with ``chattr +a``).

    A witness that cannot be written never fails the write it follows: the failure is
    logged (once per cause) and verification against the witness then reports the gap.
    """

    def __init__(self, target: str, key: bytes, site_id: uuid.UUID) -> None:
        self.target = target
        self._key = key
        self._site_id = site_id
        self._host = socket.gethostname() or "-"
        self._sock: socket.socket | None = None
        self._address: str | tuple[str, int] | None = None
        self._fd: int | None = None
        self._failed: str | None = None
        if target == "syslog":
            self._address = "/dev/log"
        elif target.startswith("syslog://"):
            parts = urlsplit(target)
            if not parts.hostname:
                raise ValueError(f"no host in the audit witness {target!r}")
            self._address = (parts.hostname, parts.port or 514)

    @property
    def file(self) -> Path | None:
        """The witness file, when the target is one."""
        return None if self._address is not None else Path(self.target)

    def record(self, lane: str, seq: int, digest: bytes) -> None:
        message = witness_line(self._key, self._site_id, lane, seq, digest)
        stamp = datetime.now(UTC).isoformat(timespec="microseconds")
        line = f"<{_PRI}>1 {stamp} {self._host} kiosk {os.getpid()} audit-head - {message}\n"
        try:
            if self._address is None:
                if self._fd is None:
                    flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT
                    self._fd = os.open(self.target, flags, 0o600)
                os.write(self._fd, line.encode())
            else:
                if self._sock is None:
                    family = socket.AF_UNIX if isinstance(self._address, str) else socket.AF_INET
                    self._sock = socket.socket(family, socket.SOCK_DGRAM)
                self._sock.sendto(line.encode(), self._address)
        except OSError as exc:
            cause = type(exc).__name__
            if self._failed != cause:
                self._failed = cause
                log.warning("could not write the audit witness (%s)", cause)
            return
        self._failed = None

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
        if self._sock is not None:
            self._sock.close()
            self._sock = None
