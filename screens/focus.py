"""Tab and Shift+Tab move the focus at once, in the order the keys came.

Textual's own Tab binding sits on the screen: the key first goes to the focused field,
bubbles up and moves the focus when the screen gets round to it, and keys typed behind
it meanwhile land in the old field. Autofill, a paste-by-typing tool or a fast typist
sends a whole form in one burst, so both apps handle these keys first instead.
"""

from __future__ import annotations

from textual.binding import Binding

FOCUS_BINDINGS = [
    Binding("tab", "focus_next", show=False, priority=True),
    Binding("shift+tab", "focus_previous", show=False, priority=True),
]
