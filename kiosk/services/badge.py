"""Badges: the QR matrix of a badge code, a printable SVG for the label printer, and the
badge a check-in gets (shown, printed, or e-mailed to the visitor at their asking)."""

from __future__ import annotations

import html
import logging
import math
import os
import unicodedata
import uuid
from datetime import datetime
from pathlib import Path

from kiosk.domain.badges import BadgeCard
from kiosk.domain.registration import Registration
from kiosk.domain.staff import KIOSK, Actor
from kiosk.domain.visits import CheckInResult
from kiosk.services.context import ServiceContext
from kiosk.services.errors import ServiceUnavailable
from kiosk.services.notify import NotifyService
from kiosk.services.printing import badge_path, clean_spool, print_spooled
from kiosk.services.qr import PRINT_QUIET_ZONE, qr_matrix
from storage.errors import StorageError

log = logging.getLogger(__name__)


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


def first_name(full_name: str) -> str:
    return full_name.split()[0] if full_name.split() else full_name


def badge_date(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d")


class BadgeService:
    def __init__(self, ctx: ServiceContext, notify: NotifyService) -> None:
        self.ctx = ctx
        self.repos = ctx.repos
        self.settings = ctx.settings
        self.notify = notify

    @property
    def spool_dir(self) -> Path:
        return self.settings.resolved_spool_dir

    @property
    def prints(self) -> bool:
        """Whether badges go to a printer (a print command is set)."""
        return bool(self.settings.printing.command)

    @property
    def emails(self) -> bool:
        """Whether a visitor may have their badge e-mailed (an SMTP server is set)."""
        return bool(self.settings.notify.smtp_host)

    def card(
        self, code: str, name: str, host: str, arrived_at: datetime, visit_id: uuid.UUID | None
    ) -> BadgeCard:
        """The badge with ``code`` of a visitor who arrived at ``arrived_at``."""
        return BadgeCard(
            code=code,
            first_name=first_name(name),
            host=host,
            date=badge_date(arrived_at.astimezone(self.ctx.tz)),
            matrix=qr_matrix(code),
            visit_id=visit_id,
        )

    def issue(self, result: CheckInResult, registration: Registration) -> BadgeCard:
        """The badge of a check-in just stored, written out for the printer (printed by
        :meth:`print` once the visitor sees it on screen)."""
        card = self.card(
            result.badge_code,
            registration.name,
            registration.host_name,
            result.arrived_at,
            result.visit_id,
        )
        try:
            spool_badge(card, self.spool_dir)
        except OSError as exc:
            log.warning("could not write the printable badge: %s", type(exc).__name__)
        return card

    def print(self, card: BadgeCard) -> bool | None:
        """Hand the badge written at check-in to the print command (from a worker: a slow
        printer never holds the visitor on "Saving"). Whether a badge came out (False:
        the printer did not take it, its kind of failure logged); None with no printer."""
        if not self.prints:
            return None
        path = badge_path(self.spool_dir, card.code)
        return path.exists() and print_spooled(self.settings.printing.command, path)

    def email(self, card: BadgeCard, language: str, actor: Actor = KIOSK) -> bool:
        """E-mail the badge to the address its visitor gave (as stored), in ``language``:
        queued in the outbox, then sent at once. True if it went out now; False if it
        waits for a retry. Raises ServiceUnavailable when the database cannot be used."""
        assert card.visit_id is not None
        repos = self.repos
        try:
            visit = repos.visits.get(card.visit_id)
            if not visit.email:
                raise ValueError("this visit has no e-mail address")
            with repos.db.uow(actor.name) as tx:
                message_id = repos.outbox.queue_badge(
                    tx,
                    card.visit_id,
                    to=visit.email,
                    visitor=card.first_name,
                    code=card.code,
                    day=card.date,
                    language=language,
                )
        except StorageError as exc:
            raise ServiceUnavailable(str(exc)) from None
        self.notify.deliver_quietly()  # never raises: a failure waits for the retry
        try:
            return repos.outbox.sent(message_id)
        except StorageError:
            return False

    def print_invitation(self, code: str, name: str, day: str) -> tuple[Path, bool | None]:
        """An invitation as a printable badge-style card (QR and code): where it was
        written, and whether the printer took it (None: no printer is set up)."""
        card = BadgeCard(code, first_name(name), "", day, qr_matrix(code))
        path = spool_badge(card, self.spool_dir)
        command = self.settings.printing.command
        return path, (print_spooled(command, path) if command else None)

    def clean_spool(self) -> int:
        return clean_spool(self.spool_dir)
