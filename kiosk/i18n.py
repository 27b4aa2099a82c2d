"""Visitor-facing text in the visitor's language (gettext catalogs, made with Babel).

The kiosk serves one visitor at a time, so the language is process-wide: the welcome
screen sets it, the idle wipe resets it. Extract and compile with `make i18n`.
"""

from __future__ import annotations

import gettext
from functools import cache
from pathlib import Path

from kiosk.domain.text import N_, TextError

LANGUAGES = {"en": "English", "nl": "Nederlands"}
LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "kiosk"

_current = "en"

__all__ = [
    "LANGUAGES",
    "N_",
    "_",
    "current_language",
    "host_language",
    "period",
    "set_language",
    "translate",
]


@cache
def _catalog(language: str) -> gettext.NullTranslations:
    if language == "en":
        return gettext.NullTranslations()
    return gettext.translation(DOMAIN, LOCALE_DIR, languages=[language])


def set_language(language: str) -> None:
    global _current
    if language not in LANGUAGES:
        raise ValueError(f"unsupported language {language!r}")
    _current = language


def current_language() -> str:
    return _current


def translate(message: str, language: str | None = None) -> str:
    return _catalog(language or _current).gettext(message)


def host_language(text: str) -> str:
    """A host's e-mail language as staff give it (a CSV cell, the console): a code of
    LANGUAGES, or "" for the site's (notify.language)."""
    code = text.strip().lower()
    if code and code not in LANGUAGES:
        choices = ", ".join(LANGUAGES)
        raise TextError(f"the language must be one of {choices}, or empty for the site's")
    return code


def _(message: str) -> str:
    """Translate into the current visitor's language."""
    return _catalog(_current).gettext(message)


def period(days: int, language: str | None = None) -> str:
    """A retention period as a visitor reads it: "30 days", "2 years", "1 dag"."""
    catalog = _catalog(language or _current)
    if days >= 365 and days % 365 == 0:
        years = days // 365
        return catalog.ngettext("{n} year", "{n} years", years).format(n=years)
    return catalog.ngettext("{n} day", "{n} days", days).format(n=days)
