"""Text in fixed-width columns, as a terminal shows it.

A Chinese, Japanese or Korean character (or an emoji) takes two cells on a terminal and
a combining accent none, so columns are padded and cut by cells, not by characters:
otherwise a visitor's name in Japanese pushes the company, host and status of their
line out from under their titles.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from rich.cells import cell_len, set_cell_size

__all__ = ["cell_len", "fit", "pad", "table", "widths"]

LEAST_WIDTH = 12  # a column is not narrowed below this to fit a line


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


def widths(
    rows: Sequence[Sequence[str]], room: int | None = None, gap: int = 2, keep: Iterable[int] = ()
) -> list[int]:
    """Each column as wide as its widest cell. When together (with ``gap`` cells between
    them) they need more than ``room`` cells, the widest gives way first, none below
    LEAST_WIDTH, and the columns in ``keep`` (a name, a time) only after all others."""
    found = [max((cell_len(row[i]) for row in rows), default=0) for i in range(len(rows[0]))]
    if room is None:
        return found
    over = sum(found) + gap * (len(found) - 1) - room
    kept = set(keep)
    for tier in ([i for i in range(len(found)) if i not in kept], sorted(kept)):
        while over > 0 and tier:
            widest = max(tier, key=found.__getitem__)
            if found[widest] <= LEAST_WIDTH:
                break  # narrower is unreadable: the next tier gives way, or the line runs over
            found[widest] -= 1
            over -= 1
    return found


def table(
    titles: Sequence[str],
    rows: Iterable[Sequence[str]],
    room: int | None = None,
    gap: int = 2,
    keep: Iterable[int] = (),
) -> list[str]:
    """``titles`` and ``rows`` as lines of columns ``gap`` cells apart, fitted into
    ``room`` cells (see :func:`widths`); nothing is cut when ``room`` is None."""
    every = [tuple(titles), *(tuple(r) for r in rows)]
    sizes = widths(every, room, gap, keep)
    space = " " * gap
    return [
        space.join(fit(cell, size) for cell, size in zip(row, sizes, strict=True)).rstrip()
        for row in every
    ]
