"""Label sizes for badge printers: the common Brother QL and DYMO labels by name, or any
``WxHmm`` (width across the print head, height along the feed)."""

from __future__ import annotations

import re
from dataclasses import dataclass

NAMED: dict[str, tuple[float, float]] = {
    # Brother QL die-cut labels
    "brother-17x54": (17, 54),
    "brother-29x90": (29, 90),
    "brother-38x90": (38, 90),
    "brother-62x29": (62, 29),
    "brother-62x100": (62, 100),
    # DYMO LabelWriter
    "dymo-99012": (89, 36),  # large address
    "dymo-99014": (101, 54),  # shipping / name badge
    "dymo-11354": (57, 32),  # multi-purpose
    "dymo-30857": (102, 59),  # name badge
}
CUSTOM = re.compile(r"(\d{1,3}(?:\.\d)?)x(\d{1,3}(?:\.\d)?)mm")
MIN_MM, MAX_MM = 15.0, 300.0


class LabelError(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class Label:
    width_mm: float
    height_mm: float

    @property
    def landscape(self) -> bool:
        return self.width_mm >= self.height_mm

    @property
    def media(self) -> str:
        """The CUPS media name of this size (``Custom.62x29mm``)."""
        return f"Custom.{self.width_mm:g}x{self.height_mm:g}mm"

    @property
    def points(self) -> tuple[float, float]:
        return self.width_mm * 72 / 25.4, self.height_mm * 72 / 25.4


def parse_label(text: str) -> Label:
    """``"62x29mm"`` or a name of NAMED; LabelError says what is accepted."""
    key = text.strip().lower()
    if key in NAMED:
        return Label(*NAMED[key])
    found = CUSTOM.fullmatch(key)
    if found is None:
        raise LabelError(
            f"label {text!r} is neither WxHmm (e.g. 62x29mm) nor one of {', '.join(NAMED)}"
        )
    width, height = float(found[1]), float(found[2])
    if not all(MIN_MM <= v <= MAX_MM for v in (width, height)):
        raise LabelError(f"label {text!r}: each side must be {MIN_MM:g} to {MAX_MM:g} mm")
    return Label(width, height)
