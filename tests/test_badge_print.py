"""The printable badge: a one-page PDF of the label's size, read back with poppler (as a
print server's filters do): its QR code scans to the badge code, its text holds the
first name, host, date and site, and names of any length stay on the label."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from PIL import Image
from pypdf import PdfReader

from kiosk.domain.badges import BadgeCard
from kiosk.domain.labels import LabelError, parse_label
from kiosk.services.badge import spool_badge
from kiosk.services.qr import qr_matrix
from tests.helpers.browser import decode_qr

pytestmark = pytest.mark.skipif(
    shutil.which("pdftoppm") is None,
    reason="no poppler-utils (pdftoppm, pdftotext, pdfinfo); .ci/run installs them",
)

CODE = "AB12-CD34-EF56"
SITE = "Fictional HQ"
DPI = 300


def _badge(
    tmp_path: Path, label: str, first_name: str, host: str, logo: Path | None = None
) -> Path:
    card = BadgeCard(CODE, first_name, host, "2026-12-01", qr_matrix(CODE))
    return spool_badge(card, tmp_path / "spool", parse_label(label), SITE, logo)


def _pages(pdf: Path) -> tuple[int, tuple[float, float]]:
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True)
    fields = dict(line.split(":", 1) for line in info.stdout.splitlines() if ":" in line)
    w, _, h, *_ = fields["Page size"].split()
    return int(fields["Pages"]), (float(w), float(h))


def _text(pdf: Path) -> str:
    return subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout


def _image(pdf: Path, mode: str = "L") -> Image.Image:
    out = pdf.with_suffix("")
    subprocess.run(
        ["pdftoppm", "-r", str(DPI), "-png", "-singlefile", str(pdf), str(out)], check=True
    )
    return Image.open(out.with_suffix(".png")).convert(mode)


def _png(image: Image.Image) -> bytes:
    import io

    buf = io.BytesIO()
    image.save(buf, "PNG")
    return buf.getvalue()


@pytest.mark.parametrize(
    ("label", "mm"),
    [("62x29mm", (62, 29)), ("brother-29x90", (29, 90)), ("dymo-99014", (101, 54))],
)
def test_one_page_of_the_labels_size_that_scans_and_names_the_visit(
    tmp_path: Path, label: str, mm: tuple[float, float]
) -> None:
    pdf = _badge(tmp_path, label, "Ada", "Grace Hopper")
    assert pdf.stat().st_mode & 0o777 == 0o600
    pages, (w, h) = _pages(pdf)
    assert pages == 1
    assert abs(w - mm[0] * 72 / 25.4) < 0.5 and abs(h - mm[1] * 72 / 25.4) < 0.5
    text = _text(pdf)
    for part in ("Ada", "Grace Hopper", "2026-12-01", SITE, CODE):
        assert part in text, (part, text)
    assert decode_qr(_png(_image(pdf))) == [CODE]


@pytest.mark.parametrize(
    ("first_name", "host"),
    [
        ("Maximilianus-Alexandrinus" * 3, "Maximiliane von Hohenberg-Schwarzenstein"),
        ("Łukasz", "李小龍"),
    ],
)
def test_long_and_unicode_names_stay_on_the_label(
    tmp_path: Path, first_name: str, host: str
) -> None:
    pdf = _badge(tmp_path, "62x29mm", first_name, host)
    image = _image(pdf)
    margin = int(1.0 / 25.4 * DPI)  # the last millimetre of the label stays blank
    darkest, _ = image.crop((image.width - margin, 0, image.width, image.height)).getextrema()
    assert isinstance(darkest, int) and darkest > 200
    assert decode_qr(_png(image)) == [CODE]
    text = _text(pdf)
    if len(first_name) < 20:
        assert first_name in text and host in text.replace(" ", "")
    else:
        assert "..." in text  # cut, not run off the label


def _red(pixel: object) -> bool:
    assert isinstance(pixel, tuple)
    r, g, b = pixel[:3]
    return bool(r > 150 and g < 60 and b < 60)


@pytest.mark.parametrize(
    ("label", "drawn"), [("62x29mm", 1), ("dymo-99014", 1), ("brother-29x90", 0)]
)
def test_the_offices_logo_goes_beside_the_site_and_the_code(
    tmp_path: Path, label: str, drawn: int
) -> None:
    """The logo takes the bottom right corner, beside the site and the code; on a label
    too narrow for both the code stays whole and the logo is left out."""
    logo = tmp_path / "logo.png"
    Image.new("RGB", (300, 100), (200, 0, 0)).save(logo)  # a wide red bar
    pdf = _badge(tmp_path, label, "Ada", "Grace Hopper", logo)
    assert len(PdfReader(pdf).pages[0].images) == drawn
    text = _text(pdf)
    for part in ("Ada", "Grace Hopper", SITE, CODE):
        assert part in text, (part, text)
    if not drawn:
        return
    [shown] = PdfReader(pdf).pages[0].images
    assert shown.image is not None and shown.image.size == (300, 100)
    image = _image(pdf, "RGB")
    reds = [(x, y) for x in range(0, image.width, 4) for y in range(0, image.height, 4)
            if _red(image.getpixel((x, y)))]  # fmt: skip
    assert reds and min(x for x, _ in reds) > image.width / 2  # on the right
    assert min(y for _, y in reds) > image.height / 2  # at the bottom
    assert decode_qr(_png(image.convert("L"))) == [CODE]


def test_a_label_size_is_named_or_given_in_millimetres() -> None:
    assert parse_label("brother-62x29").media == "Custom.62x29mm"
    assert parse_label(" 54x101mm ").landscape is False
    for wrong in ("A4", "62x29", "5x5mm", "62x999mm"):
        with pytest.raises(LabelError):
            parse_label(wrong)
