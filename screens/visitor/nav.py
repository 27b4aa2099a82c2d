"""The row of buttons under a visitor's step."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Button

from kiosk.i18n import _


def nav(*extra: Button) -> ComposeResult:
    """Back (one step back) and Cancel (to the welcome screen), then ``extra``."""
    with Horizontal(classes="nav"):
        yield Button(_("Back"), id="back")
        yield Button(_("Cancel"), id="cancel", variant="error")
        yield from extra
