"""Badges: the QR matrix of a badge code and a printable SVG for the label printer."""

from __future__ import annotations

import html
import io
import logging
import os
import shlex
import subprocess
import time
import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import qrcode
from qrcode.constants import ERROR_CORRECT_M

log = logging.getLogger(__name__)
QUIET_ZONE = 2  # modules of light margin around the code on screen
PRINT_QUIET_ZONE = 4
SPOOL_MAX_AGE_S = 24 * 3600
PRINT_TIMEOUT_S = 20  # a print command that hangs is given up after this


def qr_matrix(data: str, border: int = QUIET_ZONE) -> list[list[bool]]:
    """True = dark module, quiet zone included."""
    qr = qrcode.QRCode(error_correction=ERROR_CORRECT_M, border=border, box_size=1)
    qr.add_data(data)
    qr.make(fit=True)
    return [list(row) for row in qr.get_matrix()]


def qr_png(data: str, box_size: int = 10) -> bytes:
    """The QR code of ``data`` as a PNG (for an e-mail: a phone shows it to the kiosk's
    scanner or camera), with the quiet zone a reader needs."""
    from qrcode.image.pure import PyPNGImage

    qr = qrcode.QRCode(
        error_correction=ERROR_CORRECT_M,
        border=PRINT_QUIET_ZONE,
        box_size=box_size,
        image_factory=PyPNGImage,
    )
    qr.add_data(data)
    qr.make(fit=True)
    out = io.BytesIO()
    qr.make_image().save(out)
    return out.getvalue()


@dataclass(frozen=True, slots=True)
class BadgeCard:
    code: str
    first_name: str
    host: str
    date: str
    matrix: list[list[bool]]
    visit_id: uuid.UUID | None = None  # of a check-in at the kiosk (to e-mail the badge)


def badge_svg(card: BadgeCard, cell: int = 6) -> str:
    matrix = qr_matrix(card.code, PRINT_QUIET_ZONE)
    size = len(matrix) * cell
    rects = "".join(
        f'<rect x="{x * cell}" y="{y * cell}" width="{cell}" height="{cell}"/>'
        for y, row in enumerate(matrix)
        for x, dark in enumerate(row)
        if dark
    )
    width = size + 360
    lines = [card.first_name, card.host, card.date, card.code]
    texts = "".join(
        f'<text x="{size + 10}" y="{40 + i * 34}" font-size="{26 if i == 0 else 18}">'
        f"{html.escape(t)}</text>"
        for i, t in enumerate(lines)
    )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{size}" '
        f'viewBox="0 0 {width} {size}"><rect width="100%" height="100%" fill="white"/>'
        f'<g fill="black">{rects}</g><g font-family="sans-serif" fill="black">{texts}</g></svg>'
    )


def spool_badge(card: BadgeCard, spool_dir: Path) -> Path:
    """Write the printable badge (mode 0600) for :func:`print_spooled`."""
    spool_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = badge_path(spool_dir, card.code)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(badge_svg(card))
    return path


def print_spooled(command: str, path: Path) -> bool:
    """Send a spooled badge or card to the print command; False (and its kind of failure
    logged, nothing of the visitor's) when the printer did not take it."""
    failure = send_to_printer(command, path)
    if failure:
        log.warning("badge printing failed: %s", failure)
    return failure is None


def badge_path(spool_dir: Path, code: str) -> Path:
    return spool_dir / f"badge-{code}.svg"


def send_to_printer(command: str, path: Path) -> str | None:
    """Run the print command on ``path``: None when it took the file, else the kind of
    failure. Nothing in or out: the app's terminal (or, served to a browser, the stream
    its page is drawn from) is not the command's to write on (lp says "request id is
    ...") or to read keys from."""
    try:
        subprocess.run(
            [*shlex.split(command), str(path)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            check=True,
            timeout=PRINT_TIMEOUT_S,
        )
    except (OSError, subprocess.SubprocessError) as exc:
        return type(exc).__name__
    return None


def clean_spool(spool_dir: Path, now: float | None = None) -> int:
    """Remove printable badges older than a day: they hold a first name."""
    if not spool_dir.is_dir():
        return 0
    cutoff = (now or time.time()) - SPOOL_MAX_AGE_S
    removed = 0
    for path in spool_dir.glob("badge-*.svg"):
        if path.stat().st_mtime < cutoff:
            path.unlink(missing_ok=True)
            removed += 1
    return removed


def first_name(full_name: str) -> str:
    return full_name.split()[0] if full_name.split() else full_name


def badge_date(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d")
