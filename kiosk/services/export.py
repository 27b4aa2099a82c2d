"""Access-record exports: streamed in constant memory, spreadsheet-safe, optionally
age-encrypted (to public keys or a passphrase) without a plaintext copy on disk or a whole
copy in memory, and audited with the file's SHA-256."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import tempfile
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from operator import itemgetter
from pathlib import Path
from typing import IO, Any
from zoneinfo import ZoneInfo

import pyrage

from kiosk.domain.cells import FORMULA_PREFIXES
from kiosk.domain.staff import Actor
from kiosk.domain.visits import (
    FLAG_AUTO_CHECKOUT,
    FLAG_FLAGGED,
    FLAG_NDA,
    FLAG_RESTRICTED,
    VisitFields,
)
from kiosk.services.agefile import PassphraseWriter
from kiosk.services.context import ServiceContext
from storage.files import place

FIELDS = (
    "arrived_at",
    "departed_at",
    "name",
    "email",
    "phone",
    "company",
    "host",
    "visitor_type",
    "nda",
    "flagged",
    "auto_checkout",  # departed_at is the automatic check-out time, not a recorded one
)
HEALTH_FIELD = "screening"
FORMATS = ("csv", "jsonl", "json")


class ExportError(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class ExportRequest:
    start: date
    end: date
    output: Path
    fmt: str = "csv"
    fields: tuple[str, ...] = FIELDS
    include_health: bool = False
    include_restricted: bool = False
    encrypt_to: tuple[str, ...] = ()
    passphrase: str | None = None
    site: str | None = None  # another site sharing the database; default this kiosk's


@dataclass(frozen=True, slots=True)
class ExportResult:
    rows: int
    skipped_damaged: int
    sha256: str
    path: Path


def check_request(req: ExportRequest) -> tuple[str, ...]:
    if req.fmt not in FORMATS:
        raise ExportError(f"format must be one of {', '.join(FORMATS)}")
    if req.end < req.start:
        raise ExportError("--to is before --from")
    allowed = (*FIELDS, HEALTH_FIELD) if req.include_health else FIELDS
    unknown = [f for f in req.fields if f not in allowed]
    if HEALTH_FIELD in req.fields and not req.include_health:
        raise ExportError("health data is exported only with --include-health")
    if unknown:
        raise ExportError(f"unknown field(s): {', '.join(unknown)}")
    fields = tuple(req.fields)
    if req.include_health and HEALTH_FIELD not in fields:
        fields = (*fields, HEALTH_FIELD)
    if req.encrypt_to and req.passphrase:
        raise ExportError("give --encrypt-to or --passphrase, not both")
    if req.passphrase == "":
        raise ExportError("the passphrase is empty")
    if req.output.exists():
        raise ExportError(_EXISTS.format(req.output))
    return fields


_EXISTS = "{} exists; choose a new file (an earlier export is never overwritten)"


ALL_FIELDS = (*FIELDS, HEALTH_FIELD)
TYPED_BY_VISITORS = frozenset({"name", "email", "phone", "company", "host"})


_SECONDS = tuple(f"{n:02d}" for n in range(61))  # 60: a leap second, should one come


class LocalTimes:
    """ISO local times, to the second, of UTC datetimes: ``dt.astimezone(tz).isoformat(
    timespec="seconds")``, at half the cost. An export formats one or two per row and the
    zone lookup in isoformat() costs more than the decryption, so the text up to the
    minute is kept per UTC minute (rows come in time order: a small cache suffices). Exact
    for every offset in whole minutes; any other is formatted each time."""

    LIMIT = 1024

    def __init__(self, tz: ZoneInfo) -> None:
        self.tz = tz
        self._minutes: dict[tuple[int, int, int, int, int], tuple[str, str]] = {}

    def __call__(self, dt: datetime) -> str:
        key = (dt.year, dt.month, dt.day, dt.hour, dt.minute)
        parts = self._minutes.get(key)
        if parts is None:
            local = dt.astimezone(self.tz)
            text = local.isoformat(timespec="seconds")
            offset = local.utcoffset()
            if offset is None or offset.seconds % 60:
                return text
            if len(self._minutes) >= self.LIMIT:
                self._minutes.clear()
            parts = self._minutes[key] = (text[:17], text[19:])
        return parts[0] + _SECONDS[dt.second] + parts[1]


def row_maker(
    fields: tuple[str, ...], tz: ZoneInfo, hosts: dict[Any, str], fmt: str
) -> Callable[[VisitFields], tuple[str, ...]]:
    """A function giving one visit's cells, in ``fields`` order. In CSV the cells a visitor
    typed are neutralised (the others are ours: times, types, yes/no)."""
    # First characters that make a spreadsheet cell a formula (CSV only).
    formula = frozenset(FORMULA_PREFIXES) if fmt == "csv" else frozenset()
    local = LocalTimes(tz)
    index = tuple(ALL_FIELDS.index(f) for f in fields)
    pick: Callable[[tuple[str, ...]], tuple[str, ...]] = (
        (lambda values: (values[index[0]],)) if len(index) == 1 else itemgetter(*index)
    )

    def make(v: VisitFields) -> tuple[str, ...]:
        arrived, departed, vtype, name, email, phone, company, host_id, host, flags, screening = v
        host = host or hosts.get(host_id, "")
        # Written out rather than looped: this runs once per exported row.
        if name[:1] in formula:
            name = "'" + name
        if email[:1] in formula:
            email = "'" + email
        if phone[:1] in formula:
            phone = "'" + phone
        if company[:1] in formula:
            company = "'" + company
        if host[:1] in formula:
            host = "'" + host
        return pick(
            (
                local(arrived),
                local(departed) if departed else "",
                name,
                email,
                phone,
                company,
                host,
                vtype,
                "yes" if flags & FLAG_NDA else "no",
                "yes" if flags & FLAG_FLAGGED else "no",
                "yes" if flags & FLAG_AUTO_CHECKOUT else "no",
                screening,
            )
        )

    return make


class _Sink(io.RawIOBase):
    """Pull-based bytes of the export, so age encrypts it as it is produced."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks
        self._buffer = b""

    def readable(self) -> bool:
        return True

    def readinto(self, b: Any) -> int:
        while not self._buffer:
            try:
                self._buffer = next(self._chunks)
            except StopIteration:
                return 0
        n = min(len(b), len(self._buffer))
        b[:n] = self._buffer[:n]
        self._buffer = self._buffer[n:]
        return n


class _Hashing(io.RawIOBase):
    """A file writer that hashes what it writes."""

    def __init__(self, fh: IO[bytes]) -> None:
        self._fh = fh
        self.sha = hashlib.sha256()

    def writable(self) -> bool:
        return True

    def write(self, b: Any) -> int:
        data = bytes(b)
        self.sha.update(data)
        self._fh.write(data)
        return len(data)


def _place(partial: Path, output: Path) -> None:
    """Give the finished file its name, unless a file took that name meanwhile."""
    try:
        place(partial, output)
    except FileExistsError:
        raise ExportError(_EXISTS.format(output)) from None


class ExportService:
    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx
        self.repos = ctx.repos

    def default_path(self, fmt: str = "csv") -> Path:
        """A new name for each export (to the second, in the site's time), with the
        format's extension: an earlier export is never overwritten."""
        stamp = self.ctx.now().strftime("%Y-%m-%d-%H%M%S")
        return self.ctx.settings.data_dir / "exports" / f"access-{stamp}.{fmt}"

    @staticmethod
    def may_include_restricted(actor: Actor) -> bool:
        """Restricted records (a visitor's objection) are exported by an admin only (or
        the machine's operator)."""
        return actor.role in (None, "admin")

    def export(
        self, req: ExportRequest, actor: Actor, progress: Callable[[int], None] | None = None
    ) -> ExportResult:
        actor.require("export")
        if req.include_restricted and not self.may_include_restricted(actor):
            raise PermissionError("only an admin may export restricted records")
        fields = check_request(req)
        tz = self.ctx.tz
        site_id = self.repos.sites.named(req.site) if req.site else None
        hosts = {h.id: h.name for h in self.repos.hosts.all(active_only=False, site_id=site_id)}
        rows = damaged = 0

        make = row_maker(fields, tz, hosts, req.fmt)

        def blocks() -> Iterator[list[tuple[str, ...]]]:
            """The rows' cells, a block (about a thousand rows) at a time."""
            nonlocal rows, damaged
            hide = 0 if req.include_restricted else FLAG_RESTRICTED
            for visits, bad in self.repos.visits.stream_fields(req.start, req.end, site_id=site_id):
                damaged += len(bad)
                block = [make(v) for v in visits if not v[9] & hide]  # v[9]: the flags
                rows += len(block)
                if progress:
                    progress(rows)
                yield block

        chunks = _encode(blocks(), fields, req.fmt)
        req.output.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        if req.output.parent == self.default_path().parent:  # ours: for its owner only
            req.output.parent.chmod(0o700)
        # Written beside the target and given its name only once complete and audited: an
        # export that fails halfway (database gone, disk full, interrupted) leaves no
        # partial file of personal data that no audit event accounts for. An earlier
        # export at the same path is never replaced (it may be someone's evidence).
        fd, partial_name = tempfile.mkstemp(
            prefix=f".{req.output.name}.", suffix=".partial", dir=req.output.parent
        )
        partial = Path(partial_name)
        try:
            with os.fdopen(fd, "wb") as raw:  # mkstemp: mode 0600
                out = _Hashing(raw)
                if req.encrypt_to or req.passphrase:
                    _encrypt(chunks, out, req)
                else:
                    for chunk in chunks:
                        out.write(chunk)
                raw.flush()
                os.fsync(raw.fileno())
            if progress:
                progress(rows)
            digest = out.sha.hexdigest()
            self._audit(req, fields, site_id, rows, digest, actor)
            _place(partial, req.output)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
        return ExportResult(rows, damaged, digest, req.output)

    def _audit(
        self,
        req: ExportRequest,
        fields: tuple[str, ...],
        site_id: uuid.UUID | None,
        rows: int,
        digest: str,
        actor: Actor,
    ) -> None:
        with self.repos.db.uow(actor.name) as tx:
            tx.audit(
                "export.access_records",
                details={
                    "site": str(site_id or self.repos.db.site_id),
                    "from": req.start.isoformat(),
                    "to": req.end.isoformat(),
                    "format": req.fmt,
                    "fields": list(fields),
                    "rows": rows,
                    "sha256": digest,
                    "encrypted": bool(req.encrypt_to or req.passphrase),
                },
            )


def _encode(
    blocks: Iterator[list[tuple[str, ...]]], fields: tuple[str, ...], fmt: str
) -> Iterator[bytes]:
    """Bytes of the file, a block of rows at a time (constant memory)."""
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n")
        writer.writerow(fields)
        for block in blocks:
            writer.writerows(block)  # the loop over the rows in C
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
        if buffer.tell():  # the header of an empty export
            yield buffer.getvalue().encode("utf-8")
    elif fmt == "jsonl":
        for block in blocks:
            yield "".join(
                json.dumps(dict(zip(fields, row, strict=True)), ensure_ascii=False) + "\n"
                for row in block
            ).encode()
    else:
        yield b"["
        first = True
        for block in blocks:
            for row in block:
                item = json.dumps(dict(zip(fields, row, strict=True)), ensure_ascii=False)
                yield (("" if first else ",") + "\n" + item).encode()
                first = False
        yield b"\n]\n"


def _encrypt(chunks: Iterator[bytes], out: io.RawIOBase, req: ExportRequest) -> None:
    if req.passphrase is not None:
        # pyrage takes a passphrase for whole buffers only; this writes the same format
        # a chunk at a time.
        writer = PassphraseWriter(out, req.passphrase)
        for chunk in chunks:
            writer.write(chunk)
        writer.close()
        return
    try:
        recipients = [pyrage.x25519.Recipient.from_str(r) for r in req.encrypt_to]
    except Exception:
        raise ExportError("--encrypt-to needs age public keys (age1...)") from None
    pyrage.encrypt_io(io.BufferedReader(_Sink(chunks), buffer_size=1 << 16), out, recipients)
