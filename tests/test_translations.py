"""Every visitor-facing string has its Dutch translation, and the compiled catalog is
the one the sources ask for."""

from __future__ import annotations

import gettext
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
PO = ROOT / "kiosk" / "locale" / "nl" / "LC_MESSAGES" / "kiosk.po"


def source_messages() -> set[str | tuple[str, str]]:
    """Every string the sources mark: text, or (singular, plural) from ngettext."""
    found: set[str | tuple[str, str]] = set()
    for package in ("kiosk", "screens"):
        for _file, _line, message, _comments, _ctx in extract_from_dir(
            ROOT / package, keywords={"_": None, "N_": None, "ngettext": (1, 2)}
        ):
            found.add(message if isinstance(message, str) else (message[0], message[1]))
    return found


def test_every_visitor_string_has_a_dutch_translation() -> None:
    with PO.open("rb") as fh:
        catalog = read_po(fh)
    translated = {m.id: m.string for m in catalog if m.id and not m.fuzzy}
    messages = source_messages()
    assert len(messages) > 50 and any(isinstance(m, tuple) for m in messages)

    def done(message: str | tuple[str, str]) -> bool:
        found = translated.get(message)
        return all(found) if isinstance(found, tuple) else bool(found)

    missing = sorted((m for m in messages if not done(m)), key=str)
    assert missing == [], f"add Dutch for these (then `make i18n`): {missing}"


def test_compiled_catalog_matches_the_po_file() -> None:
    with PO.open("rb") as fh:
        catalog = read_po(fh)
    compiled = gettext.translation("kiosk", ROOT / "kiosk" / "locale", languages=["nl"])

    def compiled_as(message_id: object) -> object:
        """What the .mo says for an id: its text, or its (singular, plural) forms."""
        if isinstance(message_id, tuple):
            return tuple(compiled.ngettext(message_id[0], message_id[1], n) for n in (1, 2))
        return compiled.gettext(str(message_id))

    stale = [
        m.id
        for m in catalog
        if m.id
        and compiled_as(m.id) != (tuple(m.string or ()) if isinstance(m.id, tuple) else m.string)
    ]
    assert stale == [], "kiosk.mo is stale: run `make i18n`"
