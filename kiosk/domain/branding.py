"""The office's look: its colours, worked out once from the configured accent colour and
light or dark mode, for the kiosk's Textual theme (screens.theme) and the served page
around the terminal (kiosk.web), which must paint the same background to its edges;
and what a logo file may be."""

from __future__ import annotations

import re
from dataclasses import dataclass

HEX_COLOUR = re.compile(r"#[0-9A-Fa-f]{6}")
MODES = ("dark", "light")
DEFAULT_ACCENT = "#0178D4"
LOGO_MAX_BYTES = 256 * 1024
"""A logo is drawn at most 48 pixels high: a larger file is a mistake (or a photo)."""


class BrandingError(ValueError):
    """A colour, mode or logo that cannot be used; the message says which and why."""


@dataclass(frozen=True, slots=True)
class Palette:
    """The colours of the kiosk's theme, as ``#rrggbb``."""

    dark: bool
    accent: str
    background: str
    surface: str
    panel: str
    foreground: str


def _rgb(colour: str) -> tuple[int, int, int]:
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


def _luminance(colour: str) -> float:
    """WCAG relative luminance of ``#rrggbb``."""

    def channel(c: int) -> float:
        v = c / 255
        return v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in _rgb(colour))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: str, b: str) -> float:
    """WCAG contrast ratio of two colours (1 to 21)."""
    hi, lo = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def palette(accent: str = DEFAULT_ACCENT, mode: str = "dark") -> Palette:
    """The kiosk's colours for an office colour ``accent`` on a ``mode`` background.
    Raises BrandingError for a colour that is not ``#rrggbb``, an unknown mode, or an
    accent too close to the background to be read as a title (contrast under 3:1)."""
    if not HEX_COLOUR.fullmatch(accent):
        raise BrandingError(f"accent {accent!r} is not a colour written as #rrggbb")
    if mode not in MODES:
        raise BrandingError(f"mode must be {' or '.join(MODES)}, not {mode!r}")
    if mode == "dark":
        colours = Palette(True, accent.lower(), "#121519", "#1d2127", "#262b33", "#e6e8eb")
    else:
        colours = Palette(False, accent.lower(), "#f4f5f7", "#ffffff", "#e4e7eb", "#1c1f24")
    if contrast(colours.accent, colours.background) < 3:
        raise BrandingError(
            f"accent {accent} is too close to the {mode} background to be read"
            f" (contrast {contrast(colours.accent, colours.background):.1f}:1, at least 3:1)"
        )
    return colours


LOGO_HEAD_BYTES = 4096
"""How much of a logo file :func:`logo_type` looks at."""


def logo_type(content: bytes, size: int) -> str:
    """The media type of a logo file of ``size`` bytes that begins with ``content`` (its
    first LOGO_HEAD_BYTES will do): a PNG or an SVG image, at most
    :data:`LOGO_MAX_BYTES`; BrandingError otherwise."""
    if size > LOGO_MAX_BYTES:
        raise BrandingError(f"the logo is larger than {LOGO_MAX_BYTES // 1024} kB")
    if content.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    head = content[:1024].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if head.startswith((b"<svg", b"<?xml")) and b"<svg" in content[:LOGO_HEAD_BYTES].lower():
        return "image/svg+xml"
    raise BrandingError("the logo must be a PNG or an SVG image")
