"""Badges: the QR matrix of a badge code and a printable SVG for the label printer."""

from __future__ import annotations

import html
import io
import logging
import math
import os
import shlex
import subprocess
import time
import unicodedata
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


# The printed label: the code's matrix on the left, beside it four lines of text in the
# TEXT_WIDTH pixels of LABEL_TEXT (10 pixels of margin each side).
LABEL_TEXT = 360
TEXT_WIDTH = LABEL_TEXT - 20
LINE_SIZES = (26, 18, 18, 18)  # font sizes: first name, host, date, code
MIN_FONT_SIZE = 10  # below this a label printer's dots blur the letters; longer text is cut
_THIN = frozenset("ijlIJ.,:;'!|")
_NARROW = frozenset("frt ()[]{}/-")
_WIDE = frozenset("mwMW@%")


def _em_width(text: str) -> float:
    """A generous estimate of ``text``'s width in em in a sans-serif font. The printer's
    renderer chooses the font, so there are no metrics to ask: these are the widest of
    the common ones' (DejaVu Sans, Liberation Sans / Arial), so that an estimate errs
    on the side of a smaller font, never of text running off the label."""
    width = 0.0
    for ch in unicodedata.normalize("NFD", text):  # "Ŵ" as wide as "W", its mark nothing
        if unicodedata.combining(ch):
            continue
        if unicodedata.east_asian_width(ch) in ("W", "F"):
            width += 1.0
        elif ch in _THIN:
            width += 0.32
        elif ch in _NARROW:
            width += 0.42
        elif ch in _WIDE:
            width += 1.0
        elif ch.isupper():
            width += 0.78
        else:
            width += 0.64
    return width


def fit_line(text: str, size: int, width: float = TEXT_WIDTH) -> tuple[str, float]:
    """``text`` and the font size that keep it within ``width`` pixels: ``size`` when it
    fits, else smaller down to MIN_FONT_SIZE, and below that cut with an ellipsis."""
    em = _em_width(text)
    if em * size <= width:
        return text, size
    if em * MIN_FONT_SIZE <= width:
        return text, math.floor(width / em * 10) / 10
    while text and _em_width(text + "…") * MIN_FONT_SIZE > width:
        text = text[:-1]
    return text.rstrip() + "…", MIN_FONT_SIZE


def badge_svg(card: BadgeCard, cell: int = 6) -> str:
    matrix = qr_matrix(card.code, PRINT_QUIET_ZONE)
    size = len(matrix) * cell
    rects = "".join(
        f'<rect x="{x * cell}" y="{y * cell}" width="{cell}" height="{cell}"/>'
        for y, row in enumerate(matrix)
        for x, dark in enumerate(row)
        if dark
    )
    width = size + LABEL_TEXT
    lines = (card.first_name, card.host, card.date, card.code)
    texts = "".join(
        f'<text x="{size + 10}" y="{40 + i * 34}" font-size="{font}">{html.escape(text)}</text>'
        for i, (text, font) in enumerate(
            fit_line(line, base) for line, base in zip(lines, LINE_SIZES, strict=True)
        )
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
