"""Every visitor-facing string has its Dutch translation, and the compiled catalog is
the one the sources ask for."""

from __future__ import annotations

import gettext
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
PO = ROOT / "kiosk" / "locale" / "nl" / "LC_MESSAGES" / "kiosk.po"


def source_messages() -> set[str]:
    found: set[str] = set()
    for package in ("kiosk", "screens"):
        for _file, _line, message, _comments, _ctx in extract_from_dir(
            ROOT / package, keywords={"_": None, "N_": None}
        ):
            assert isinstance(message, str)
            found.add(message)
    return found


def test_every_visitor_string_has_a_dutch_translation() -> None:
    with PO.open("rb") as fh:
        catalog = read_po(fh)
    translated = {m.id: m.string for m in catalog if m.id and not m.fuzzy}
    messages = source_messages()
    assert len(messages) > 50
    missing = sorted(m for m in messages if not translated.get(m))
    assert missing == [], f"add Dutch for these (then `make i18n`): {missing}"


def test_compiled_catalog_matches_the_po_file() -> None:
    with PO.open("rb") as fh:
        catalog = read_po(fh)
    compiled = gettext.translation("kiosk", ROOT / "kiosk" / "locale", languages=["nl"])
    stale = [m.id for m in catalog if m.id and compiled.gettext(str(m.id)) != m.string]
    assert stale == [], "kiosk.mo is stale: run `make i18n`"
