"""Making visitor-typed text safe for spreadsheets."""

from __future__ import annotations

FORMULA_PREFIXES = (
    "=", "+", "-", "@", "\t", "\r", "|",  # "|": DDE in older spreadsheets
    "\uff1d", "\uff0b", "\uff0d", "\uff20",  # fullwidth = + - @, which some read as those
)  # fmt: skip


def safe_cell(value: str | None) -> str:
    """Neutralise a cell a spreadsheet would run as a formula by prefixing a quote."""
    if not value:
        return ""
    if value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value
