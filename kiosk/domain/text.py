"""Rules every piece of typed text goes through: NFC, trimmed, length-capped, no controls."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")


def N_(message: str) -> str:
    """Mark a message for extraction; it is translated where it is shown."""
    return message


MSG_REQUIRED = N_("This field is required.")
MSG_TOO_LONG = N_("This is too long.")
MSG_CONTROL = N_("This contains characters that are not allowed.")


class TextError(ValueError):
    """A message id (English source text) saying what is wrong with a value."""

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)


def clean_text(value: str | None, *, max_len: int, required: bool) -> str | None:
    """Normalise to NFC and trim; refuse control characters and over-long values."""
    if value is None:
        value = ""
    value = unicodedata.normalize("NFC", value).strip()
    if not value:
        if required:
            raise TextError(MSG_REQUIRED)
        return None
    # Zl, Zp: the line and paragraph separators (U+2028, U+2029), new lines in disguise.
    if any(unicodedata.category(ch) in {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"} for ch in value):
        raise TextError(MSG_CONTROL)
    if len(value) > max_len:
        raise TextError(MSG_TOO_LONG)
    return value


def typed_path(text: str) -> Path:
    """A file or folder path as staff type it (a console field, a setting): trimmed, with
    ``~`` and ``~user`` expanded. Raises TextError for what no file can be called."""
    text = text.strip()
    if not text or "\x00" in text:
        raise TextError("Type the path of a file or folder.")
    try:
        return Path(text).expanduser()
    except RuntimeError:  # ~name where name is no account on this machine
        raise TextError(f"{text.split('/')[0]} is not a home folder on this machine.") from None


# Letters that NFKD leaves whole but that people type without their stroke or ligature
# (\u0131 is the dotless i).
_PLAIN_LETTERS = str.maketrans(
    {"ø": "o", "ł": "l", "đ": "d", "ð": "d", "þ": "th", "æ": "ae", "œ": "oe", "\u0131": "i"}
)
# Apostrophes vanish (O'Brien is "obrien"), hyphens and dashes separate words.
_PUNCTUATION = str.maketrans({"'": "", "\u2019": "", "-": " ", "\u2010": " ", "\u2013": " "})


def search_key(text: str | None) -> str:
    """``text`` as search compares it: case, accents, apostrophes and spacing ignored, so
    that "bjork" typed on a plain keyboard finds "Björk", "obrien" finds "O'Brien" and
    "jan anders" finds "Jan-Anders". Words are separated by single spaces."""
    if not text:
        return ""
    if text.isascii():  # most names: skip the Unicode work
        folded = text.lower()
    else:
        decomposed = unicodedata.normalize("NFKD", text).casefold().translate(_PLAIN_LETTERS)
        folded = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(folded.translate(_PUNCTUATION).split())


def find_by_name(candidates: Iterable[T], text: str, key: Callable[[T], str]) -> T | None:
    """The one candidate whose name is ``text``, or else the one whose name contains it;
    None when there is none or more than one. ``key`` gives a candidate's name as
    :func:`search_key` folds it (callers may have it computed already)."""
    needle = search_key(text)
    if not needle:
        return None
    keyed = [(key(c), c) for c in candidates]
    exact = [c for key, c in keyed if key == needle]
    if len(exact) == 1:
        return exact[0]
    partial = [c for key, c in keyed if needle in key]
    return partial[0] if len(partial) == 1 else None


def several_fit(candidates: Iterable[T], text: str, key: Callable[[T], str]) -> bool:
    """Whether more than one candidate's name contains ``text``: where
    :func:`find_by_name` finds none, someone has to choose. ``key`` as there."""
    needle = search_key(text)
    return bool(needle) and sum(1 for c in candidates if needle in key(c)) > 1


def suggest(candidates: Iterable[T], text: str, key: Callable[[T], str], limit: int) -> list[T]:
    """Up to ``limit`` candidates whose name contains ``text``: the name itself first, then
    names with a word starting with it, then the rest, each group alphabetical. Typing
    "an" offers Anna and Jan de Andel before Brian and Dan. ``key`` as for find_by_name."""
    needle = search_key(text)
    if not needle:
        return []
    ranked = []
    for c in candidates:
        folded = key(c)
        if needle in folded:
            rank = 0 if folded == needle else 1 if f" {needle}" in f" {folded}" else 2
            ranked.append((rank, folded, c))
    ranked.sort(key=lambda r: (r[0], r[1]))
    return [c for _, _, c in ranked[:limit]]
