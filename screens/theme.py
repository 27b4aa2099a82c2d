"""The office's theme: a Textual theme registered from the [branding] settings, so every
screen takes the office's colour through the theme's variables ($primary, $accent, ...)
and a focused button is not drawn with its label reversed (a pale box in a browser)."""

from __future__ import annotations

from textual.app import App
from textual.theme import Theme

from kiosk.config import BrandingSettings
from kiosk.domain.branding import palette

THEME = "kiosk"


def office_theme(branding: BrandingSettings) -> Theme:
    colours = palette(branding.accent, branding.mode)
    return Theme(
        name=THEME,
        primary=colours.accent,
        accent=colours.accent,
        warning="#ffa62b" if colours.dark else "#9a5b00",
        error="#ba3c5b",
        success="#4ebf71" if colours.dark else "#1f7a3f",
        background=colours.background,
        surface=colours.surface,
        panel=colours.panel,
        foreground=colours.foreground,
        dark=colours.dark,
        variables={
            # Textual's "b reverse" paints a box of the text colour behind a focused
            # button's label; underlined, the focus still shows, without the box.
            "button-focus-text-style": "bold underline",
            # The scrollbar's track is the surface the fields are drawn on, not a black
            # band beside the form.
            "scrollbar-background": colours.surface,
            "scrollbar-background-hover": colours.surface,
            "scrollbar-background-active": colours.surface,
            "scrollbar-corner-color": colours.surface,
        },
    )


def use_office_theme(app: App[None], branding: BrandingSettings) -> None:
    app.register_theme(office_theme(branding))
    app.theme = THEME
