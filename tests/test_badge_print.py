"""The printed badge, drawn by a real renderer (Chromium) in the fonts a label printer's
renderer picks for "sans-serif": its QR code scans to the badge code, and names of any
length stay on the label."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image
from playwright.sync_api import Page, sync_playwright

from kiosk.domain.badges import BadgeCard
from kiosk.domain.registration import HOST_MAX, NAME_MAX
from kiosk.services.badge import spool_badge
from kiosk.services.qr import qr_matrix
from tests.helpers.browser import CHROMIUM, CHROMIUM_ARGS, decode_qr, needs_chromium

pytestmark = needs_chromium

CODE = "AB12-CD34-EF56"
# The widest and a narrower common sans-serif (Debian's defaults; Arial's metrics).
FONTS = ("DejaVu Sans", "Liberation Sans")
LONG_HOST = "Maximiliane von Hohenberg-Schwarzenstein"  # 40 characters: fits, smaller


@pytest.fixture(scope="module")
def page() -> Iterator[Page]:
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser.new_page(viewport={"width": 1600, "height": 300})
        finally:
            browser.close()


def _printed(tmp_path: Path, first_name: str, host: str) -> str:
    """The badge as it goes to the printer: the spooled file."""
    card = BadgeCard(CODE, first_name, host, "2026-12-01", qr_matrix(CODE))
    return spool_badge(card, tmp_path / "spool").read_text(encoding="utf-8")


def _render(page: Page, svg: str, font: str) -> tuple[Image.Image, int]:
    """The label drawn in ``font`` with nothing clipped at its edge (text running off the
    label shows beside it), and the label's width in pixels."""
    width = int(re.search(r'<svg[^>]* width="(\d+)"', svg)[1])  # type: ignore[index]
    svg = svg.replace('font-family="sans-serif"', f'font-family="{font}"')
    svg = svg.replace("<svg ", '<svg style="overflow: visible; display: block" ', 1)
    page.set_content(f"<body style='margin: 0; background: white'>{svg}</body>")
    return Image.open(io.BytesIO(page.screenshot())).convert("L"), width


def _ink_right_of(image: Image.Image, x: int) -> bool:
    darkest, _ = image.crop((x, 0, image.width, image.height)).getextrema()
    assert isinstance(darkest, int)  # one band: (min, max)
    return darkest < 200


def _sizes(svg: str) -> list[float]:
    return [float(s) for s in re.findall(r'<text [^>]*font-size="([\d.]+)"', svg)]


@pytest.mark.parametrize("font", FONTS)
def test_an_ordinary_badge_scans_and_prints_its_names_at_full_size(
    page: Page, tmp_path: Path, font: str
) -> None:
    svg = _printed(tmp_path, "Ada", "Grace Hopper")
    image, width = _render(page, svg, font)
    buf = io.BytesIO()
    image.save(buf, "PNG")
    assert decode_qr(buf.getvalue()) == [CODE]
    assert not _ink_right_of(image, width - 10)  # the right margin stays blank
    assert _sizes(svg) == [26, 18, 18, 18]
    assert "Grace Hopper" in svg


@pytest.mark.parametrize("font", FONTS)
@pytest.mark.parametrize(
    ("first_name", "host"),
    [
        ("Wolfeschlegelsteinhausenbergerdorff", LONG_HOST),
        ("山田太郎山田太郎山田太郎山田", "株式会社テスト" * 4),
        ("W" * 40, "M" * HOST_MAX),
        ("x" * NAME_MAX, "Ŵ̂" * (HOST_MAX // 2)),  # combining marks take no room
    ],
    ids=["long-latin", "cjk", "widest-letters", "longest"],
)
def test_long_names_stay_on_the_label_and_the_code_still_scans(
    page: Page, tmp_path: Path, font: str, first_name: str, host: str
) -> None:
    svg = _printed(tmp_path, first_name, host)
    image, width = _render(page, svg, font)
    assert not _ink_right_of(image, width), f"text runs off the label in {font}"
    buf = io.BytesIO()
    image.save(buf, "PNG")
    assert decode_qr(buf.getvalue()) == [CODE]
    assert min(_sizes(svg)) >= 10  # still readable on a label


def test_a_long_host_is_printed_whole_in_a_smaller_font_and_an_endless_one_is_cut(
    tmp_path: Path,
) -> None:
    whole = _printed(tmp_path, "Wolfeschlegelsteinhausenbergerdorff", LONG_HOST)
    assert LONG_HOST in whole
    name_size, host_size, *rest = _sizes(whole)
    assert name_size < 26 and host_size < 18 and rest == [18, 18]
    cut = _printed(tmp_path, "Ada", "M" * HOST_MAX)
    assert "M" * 20 + "…" in cut and "M" * HOST_MAX not in cut
