"""The printable badge: one PDF page the size of the label (fpdf2), with the badge code's
QR code drawn as vector squares, the visitor's first name large, the host, the date, the
site and the code (to type when a scanner cannot read the QR code). A landscape label
puts the QR code left of the text, a portrait one above it.

Text is set in Helvetica where it can show it (Latin-1), else in a Unicode TrueType font
found on this machine (DejaVu Sans, Liberation Sans or Noto Sans, as Debian installs
them; Droid Sans Fallback for what they lack), measured with the font's own metrics,
and made smaller until it fits the label (then cut with an ellipsis); without such a
font, in Helvetica with what it cannot show replaced by "?".
"""

from __future__ import annotations

import functools
from pathlib import Path

from fpdf import FPDF
from PIL import Image

from kiosk.domain.badges import BadgeCard
from kiosk.domain.labels import Label
from kiosk.services.qr import PRINT_QUIET_ZONE, qr_matrix

FONTS = (
    Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),
    Path("/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf"),
    Path("/usr/share/fonts/truetype/noto/NotoSans-Regular.ttf"),
)
FALLBACKS = (  # for what the font lacks: Chinese, Japanese, Korean
    Path("/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf"),
    Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"),
)
MARGIN_MM = 1.5
GAP_MM = 1.5
LOGO_SHARE = 0.4  # of the text column's width, at most
MIN_PT = 6.0  # smaller than this a label printer's dots blur the letters
SHARES = (0.32, 0.17, 0.17, 0.17, 0.17)  # of the text's height: name, host, date, site, code
PT_PER_MM = 72 / 25.4
LINE = 1.15  # a line's height in font sizes


@functools.cache
def badge_font() -> Path | None:
    """The first Unicode font this machine has, or None (then Helvetica)."""
    return next((f for f in FONTS if f.exists()), None)


def _pdf(label: Label) -> FPDF:
    pdf = FPDF(unit="mm", format=(label.width_mm, label.height_mm))
    pdf.set_margin(0)
    pdf.c_margin = 0  # a cell's text starts at its edge, as measured
    pdf.set_auto_page_break(False)
    pdf.set_creator("kiosk")
    pdf.set_title("Visitor badge")  # the job's title in a spooler: never the name
    pdf.add_page()
    return pdf


def _unicode_fonts(pdf: FPDF) -> None:
    """The Unicode font and its fallbacks, loaded once a line needs them (reading a
    TrueType font takes a few hundred milliseconds; most names are Latin-1)."""
    font = badge_font()
    if font is None or "badge" in pdf.fonts:
        return
    pdf.add_font("badge", fname=str(font))
    extra = [f for f in FALLBACKS if f.exists()]
    for n, fallback in enumerate(extra):
        pdf.add_font(f"fallback{n}", fname=str(fallback))
    pdf.set_fallback_fonts([f"fallback{n}" for n in range(len(extra))])


def _latin1(text: str) -> bool:
    try:
        text.encode("latin-1")
    except UnicodeEncodeError:
        return False
    return True


def _face(text: str) -> tuple[str, str]:
    """The font for ``text``, and the text as it can show it. Helvetica, which every PDF
    reader and print filter knows (its text stays text through CUPS's conversions), for
    what it can show; the Unicode font for the rest; without one, "?" for the rest."""
    if _latin1(text) or badge_font() is None:
        return "helvetica", text.encode("latin-1", "replace").decode("latin-1")
    return "badge", text


def _fit(pdf: FPDF, family: str, text: str, size: float, width: float) -> tuple[str, float]:
    """``text`` and the size (pt) that keep it within ``width`` mm: ``size`` when it fits,
    else smaller down to MIN_PT, and below that cut with an ellipsis."""
    pdf.set_font(family, size=size)
    needed = pdf.get_string_width(text)
    if needed <= width:
        return text, size
    smaller = size * width / needed
    if smaller >= MIN_PT:
        return text, smaller
    pdf.set_font(family, size=MIN_PT)
    dots = "..." if family == "helvetica" else "…"
    while text and pdf.get_string_width(text + dots) > width:
        text = text[:-1]
    return text.rstrip() + dots, MIN_PT


def _qr(pdf: FPDF, code: str, x: float, y: float, side: float) -> None:
    matrix = qr_matrix(code, PRINT_QUIET_ZONE)
    cell = side / len(matrix)
    for row_index, row in enumerate(matrix):
        start = None
        for col, dark in enumerate([*row, False]):
            if dark and start is None:
                start = col
            elif not dark and start is not None:  # one rectangle per run of dark cells
                pdf.rect(x + start * cell, y + row_index * cell, (col - start) * cell, cell, "F")
                start = None


def logo_size(path: Path) -> tuple[int, int]:
    """A logo's size in pixels (PNG or JPEG); ValueError when it is not such an image."""
    try:
        with Image.open(path) as image:
            if image.format not in ("PNG", "JPEG"):
                raise ValueError(f"{path} is not a PNG or JPEG image")
            return image.size
    except OSError as exc:
        raise ValueError(f"{path} cannot be read as an image ({type(exc).__name__})") from None


def _logo(
    pdf: FPDF, logo: Path, right: float, bottom: float, height: float, text: float, code: str
) -> float:
    """The logo in the bottom right corner of the ``text`` mm wide column, ``height``
    high (at most LOGO_SHARE of the column wide): the width it takes; none (0) where
    the code would no longer fit beside it (a narrow label: the code is what a visitor
    types when the QR code cannot be read)."""
    w_px, h_px = logo_size(logo)
    width = min(height * w_px / h_px, text * LOGO_SHARE)
    pdf.set_font("helvetica", size=MIN_PT)
    if pdf.get_string_width(code) > text - width - GAP_MM:
        return 0.0
    height = width * h_px / w_px
    pdf.image(str(logo), x=right - width, y=bottom - height, w=width, h=height)
    return width + GAP_MM


def badge_pdf(card: BadgeCard, label: Label, site: str, logo: Path | None = None) -> bytes:
    """The badge as a one-page PDF of the label's size; ``logo``: a PNG or JPEG drawn
    small in its bottom right corner, beside the site and the code."""
    pdf = _pdf(label)
    w, h = label.width_mm, label.height_mm
    if label.landscape:
        side = min(h - 2 * MARGIN_MM, w * 0.45)
        _qr(pdf, card.code, MARGIN_MM, (h - side) / 2, side)
        x, y = MARGIN_MM + side + GAP_MM, MARGIN_MM
        width, height = w - x - MARGIN_MM, h - 2 * MARGIN_MM
    else:
        side = min(w - 2 * MARGIN_MM, h * 0.55)
        _qr(pdf, card.code, (w - side) / 2, MARGIN_MM, side)
        x, y = MARGIN_MM, MARGIN_MM + side + GAP_MM
        width, height = w - 2 * MARGIN_MM, h - y - MARGIN_MM
    lines = (card.first_name, card.host, card.date, site, card.code)
    beside = 0.0  # the logo's width, taken from the last two lines (the site, the code)
    if logo is not None:
        low = sum(SHARES[-2:]) * height
        beside = _logo(pdf, logo, x + width, y + height, low, width, card.code)
    for n, (text, share) in enumerate(zip(lines, SHARES, strict=True)):
        room = width - beside if n >= len(lines) - 2 else width
        size = share * height * PT_PER_MM / LINE
        family, text = _face(text)
        if family == "badge":
            _unicode_fonts(pdf)
        shown, size = _fit(pdf, family, text, size, room)
        step = size * LINE / PT_PER_MM
        if shown:
            pdf.set_font(family, size=size)
            pdf.set_xy(x, y)
            pdf.cell(w=room, h=step, text=shown)  # cell(): the fallback fonts apply
            pdf.set_font("courier")  # a fallback used by cell() leaves the state astray:
        y += step  # the next line sets its font afresh
    return bytes(pdf.output())
