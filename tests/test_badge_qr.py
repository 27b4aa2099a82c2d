"""The QR code as drawn on the badge screen decodes to the badge code."""

from __future__ import annotations

from pathlib import Path

import zxingcpp
from PIL import Image
from rich.color import Color
from textual.strip import Strip

from kiosk.app import make_app
from kiosk.i18n import set_language
from tests.helpers.kiosk_ui import FIXED_NOW, kiosk_settings, open_services, ready, wait_for_screen
from tests.helpers.visitor_ui import checked_in_code


def _luma(color: Color | None, default: int) -> int:
    if color is None:
        return default
    r, g, b = color.get_truecolor()
    return (r * 299 + g * 587 + b * 114) // 1000


def rasterise(strips: list[Strip]) -> Image.Image:
    """Each terminal cell becomes 1x2 pixels: top and bottom half, as half blocks draw."""
    width = max(s.cell_length for s in strips)
    img = Image.new("L", (width, 2 * len(strips)), 255)
    for y, strip in enumerate(strips):
        x = 0
        for seg in strip:
            style = seg.style
            fg = _luma(style.color if style else None, 255)
            bg = _luma(style.bgcolor if style else None, 0)
            for ch in seg.text:
                top, bottom = {"▀": (fg, bg), "▄": (bg, fg), "█": (fg, fg)}.get(ch, (bg, bg))
                img.putpixel((x, 2 * y), top)
                img.putpixel((x, 2 * y + 1), bottom)
                x += 1
    return img


async def test_qr_on_the_badge_screen_decodes_to_the_badge_code(tmp_path: Path) -> None:
    set_language("en")
    services = open_services(kiosk_settings(tmp_path))
    app = make_app(services.settings, services=services, clock=lambda: FIXED_NOW)
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        code = await checked_in_code(pilot)
        # Check in again, and stay on the badge this time.
        await pilot.click("#check-in")
        await wait_for_screen(pilot, "AgeScreen")
        await pilot.click("#adult")
        await wait_for_screen(pilot, "DetailsScreen")
        app.screen.query_one("#name-input").value = "Quentin Fakeperson"  # type: ignore[attr-defined]
        app.screen.query_one("#email-input").value = "q.fake@example.com"  # type: ignore[attr-defined]
        await pilot.click("#type-delivery")
        await pilot.click("#next")
        await wait_for_screen(pilot, "PrivacyScreen")
        await pilot.click("#accept")
        await wait_for_screen(pilot, "BadgeScreen")
        shown = str(app.screen.query_one("#badge-code").render())
        strips = app.screen._compositor.render_strips()
    image = rasterise(strips).resize(
        (strips[0].cell_length * 8, len(strips) * 16), Image.Resampling.NEAREST
    )
    results = zxingcpp.read_barcodes(image)
    assert [r.text for r in results] == [shown]
    assert shown != code
