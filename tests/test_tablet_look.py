"""The served kiosk as a lobby tablet shows it, in Chromium, landscape 1280x800 and
portrait 800x1280: welcome, details with host suggestions, NDA and badge. Each screen is
checked for what a visitor sees: the kiosk's content in the middle of the page, no text
smaller than 20 pixels, and the kiosk's background to every edge (no band of another
colour). With KIOSK_SCREENSHOTS set to a folder (``make screenshots``), the screenshots
are written there: docs/screenshots/ holds the ones the README shows."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image
from playwright.sync_api import Page, sync_playwright

from kiosk.domain.branding import palette
from tests.helpers.browser import CHROMIUM, CHROMIUM_ARGS, decode_qr, needs_chromium
from tests.helpers.waiting import wait_until_sync
from tests.test_browser import NAME, ROOT, _act, _open_kiosk, _serve

pytestmark = needs_chromium

BACKGROUND = palette().background  # the default dark mode's
HOSTS = ("Jan de Vries", "Jane Hostperson", "Janneke Smit", "Piet Jansen")


def _rgb(colour: str) -> tuple[int, int, int]:
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


def _near(a: object, b: tuple[int, ...], tolerance: int = 6) -> bool:
    """Whether pixel ``a`` (an RGB tuple) is within ``tolerance`` of ``b`` in each channel."""
    assert isinstance(a, tuple)
    return all(abs(x - y) <= tolerance for x, y in zip(a, b, strict=True))


def _check_look(page: Page, shot: bytes, what: str, background: str = BACKGROUND) -> None:
    image = Image.open(io.BytesIO(shot)).convert("RGB")
    width, height = image.size
    bg = _rgb(background)
    pixels = image.load()
    assert pixels is not None

    # The kiosk's background to every edge: no strip of the page's own colour, or of the
    # terminal's black, along a side.
    edges = [(x, y) for x in range(width) for y in (0, 1, height - 2, height - 1)]
    edges += [(x, y) for y in range(height) for x in (0, 1, width - 2, width - 1)]
    off = sum(not _near(pixels[p], bg) for p in edges)
    assert off <= len(edges) // 100, f"{what}: {off} edge pixels are not the background"

    # The terminal's own background is the page's: what the kiosk draws blends in.
    box = page.locator("#terminal .xterm-screen").bounding_box()
    assert box is not None
    x, y = int(box["x"]) + 2, int(box["y"] + box["height"] / 2)
    assert _near(pixels[x, y], bg), f"{what}: the terminal's background is {pixels[x, y]}"

    # The content (everything not background under the header) in the middle: its left
    # and right margins within 5% of the width of each other, and it spans the centre.
    top = int(box["y"])
    content = [
        (px, py)
        for py in range(top, height, 2)
        for px in range(0, width, 2)
        if not _near(pixels[px, py], bg, 24)
    ]
    assert content, f"{what}: nothing drawn"
    left = min(p[0] for p in content)
    right = width - 1 - max(p[0] for p in content)
    assert abs(left - right) <= width * 0.05, f"{what}: margins {left} and {right} pixels"
    assert left < width / 2 < width - right

    # No text under 20 pixels: the kiosk's type, and the page's own around it.
    sizes = page.evaluate(
        """() => [
          Number(document.getElementById("terminal").dataset.fontSize),
          ...Array.from(document.querySelectorAll("#brand, #brand *"))
            .filter((e) => e.offsetParent !== null && e.textContent.trim())
            .map((e) => parseFloat(getComputedStyle(e).fontSize)),
        ]"""
    )
    assert min(sizes) >= 20, f"{what}: text of {min(sizes)} pixels"


def _shoot(page: Page, shot: bytes, name: str, out: Path | None) -> None:
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        (out / f"{name}.png").write_bytes(shot)


@pytest.mark.parametrize(("width", "height"), [(1280, 800), (800, 1280)])
def test_the_tablet_shows_each_step_centred_large_and_edge_to_edge(
    tmp_path: Path, width: int, height: int
) -> None:
    env_out = os.environ.get("KIOSK_SCREENSHOTS")
    out = Path(env_out) if env_out else None
    tag = "landscape" if width > height else "portrait"
    with _serve(tmp_path) as (url, env, _server):
        for host in HOSTS:
            subprocess.run(
                [sys.executable, "-m", "kiosk", "hosts", "add", host],
                cwd=ROOT, env=env, check=True, capture_output=True,
            )  # fmt: skip
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            context = browser.new_context(
                viewport={"width": width, "height": height}, has_touch=True
            )
            page = context.new_page()
            _open_kiosk(page, url)
            shot = page.screenshot()
            assert page.locator("#brand").inner_text() == "Fictional Lobby"
            _shoot(page, shot, f"{tag}-welcome", out)
            _check_look(page, shot, f"{tag} welcome")

            _act(page, "Enter")  # Check in
            _act(page, "Enter")  # "I am 16 or older" (asked first) has the focus
            _act(page, "Tab", text=NAME)
            _act(page, "Tab", "Tab", "Tab", text="wilhelmina@example.com")
            shot = _act(page, text="Jan")  # the host: four suggestions
            _shoot(page, shot, f"{tag}-details", out)
            _check_look(page, shot, f"{tag} details")

            _act(page, "ArrowDown", "Enter")  # the first suggestion
            _act(page, "Enter")  # Next
            shot = _act(page, "Enter")  # the privacy notice read: the NDA
            _shoot(page, shot, f"{tag}-nda", out)
            _check_look(page, shot, f"{tag} NDA")

            _act(page, "Enter", text=NAME)  # signed
            codes = wait_until_sync(lambda: decode_qr(page.screenshot()), timeout=30, every=0.3)
            assert len(codes) == 1, "no QR code on the badge"
            shot = page.screenshot()
            _shoot(page, shot, f"{tag}-badge", out)
            _check_look(page, shot, f"{tag} badge")
            browser.close()


LOGO = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="40" height="40">'
    '<circle cx="20" cy="20" r="18" fill="#c2410c"/>'
    "<script>document.title='owned'</script></svg>"
)


def test_the_office_name_colour_and_logo_frame_the_kiosk(tmp_path: Path) -> None:
    """[branding]: the office's name and logo in the page's header, its colour on the
    kiosk's buttons (the Textual theme), a light background to the page's edges; the
    logo is served as an image that runs nothing, even opened by itself."""
    logo = tmp_path / "logo.svg"
    logo.write_text(LOGO)
    accent, light = "#c2410c", palette("#c2410c", "light")
    toml = (
        f'[branding]\nname = "Acme Offices"\naccent = "{accent}"\nmode = "light"\nlogo = "{logo}"\n'
    )
    with _serve(tmp_path, toml) as (url, _env, _server), sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        _open_kiosk(page, url)
        shot = page.screenshot()
        _shoot(page, shot, "branded-welcome", tmp_path)
        assert page.locator("#brand").inner_text() == "Acme Offices"
        assert page.evaluate("document.querySelector('#brand img').naturalWidth") == 40
        _check_look(page, shot, "branded welcome", background=light.background)
        image = Image.open(io.BytesIO(shot)).convert("RGB")
        accented = sum(_near(c, _rgb(accent), 12) for c in image.get_flattened_data())
        assert accented > 20000, "the office's colour is not on the Check in button"

        response = page.request.get(url.rstrip("/") + "/kiosk-brand/logo")
        assert response.headers["content-type"] == "image/svg+xml"
        assert "default-src 'none'" in response.headers["content-security-policy"]
        page.goto(url.rstrip("/") + "/kiosk-brand/logo")
        assert page.title() != "owned"  # the SVG's script did not run
        browser.close()
