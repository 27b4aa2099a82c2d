"""What the screens where a visitor scans or types a code share: the camera of a lobby
tablet, and saying under the field what went wrong."""

from __future__ import annotations

from typing import TypeVar
from urllib.parse import urlencode

from textual.widgets import Input

from kiosk.i18n import _
from screens.visitor.base import VisitorScreen
from screens.widgets import FieldError

ResultType = TypeVar("ResultType")


def ask_for_camera(
    screen: VisitorScreen[ResultType], field: Input, *, hint: str, unavailable: str
) -> None:
    """On a lobby tablet (the kiosk in a browser): ask the page (kiosk/web/static/camera.js)
    to read a QR code with the tablet's camera. It types the code into ``field``, then
    Enter, as a USB scanner would; the texts it shows come from here, in the visitor's
    language."""
    field.value = ""
    field.focus()
    texts = {
        "hint": hint,
        "cancel": _("Cancel"),
        "unavailable": unavailable,
        "seconds": str(screen.runtime.settings.kiosk.idle_seconds),  # the kiosk goes home then
    }
    screen.app.open_url(f"kiosk-camera:scan?{urlencode(texts)}", new_tab=False)


class CodeEntryScreen(VisitorScreen[ResultType]):
    """A screen where the visitor scans or types a code. What went wrong is said under
    the field, and the focus goes back into it: where a USB scanner types, and never
    left on a button (a touched one, or Cancel, which Textual moves it to when the
    button that was pressed is disabled while the code is looked up)."""

    FIELD = ""  # the code field's id
    ERROR = ""  # the id of the FieldError under it

    def refuse(self, text: str, *, clear: bool = False) -> None:
        self.query_one(f"#{self.ERROR}", FieldError).update(text)
        field = self.query_one(f"#{self.FIELD}", Input)
        if clear:
            field.value = ""
        field.focus()
