"""Text in fixed-width columns, as a terminal shows it.

A Chinese, Japanese or Korean character (or an emoji) takes two cells on a terminal and
a combining accent none, so columns are padded and cut by cells, not by characters:
otherwise a visitor's name in Japanese pushes the company, host and status of their
line out from under their titles.
"""

from __future__ import annotations

from rich.cells import cell_len, set_cell_size

__all__ = ["cell_len", "fit", "pad"]


def pad(text: str, width: int) -> str:
    """``text`` followed by spaces up to ``width`` cells (never cut)."""
    return text + " " * (width - cell_len(text))


def fit(text: str, width: int) -> str:
    """``text`` in exactly ``width`` cells: padded, or cut with an ellipsis (a wide
    character that would straddle the cut gives way to a space)."""
    text = text.replace("\n", " ")
    if cell_len(text) <= width:
        return pad(text, width)
    return set_cell_size(text, width - 1) + "…"
