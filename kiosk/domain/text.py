"""Rules every piece of typed text goes through: NFC, trimmed, length-capped, no controls."""

from __future__ import annotations

import unicodedata


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
    if any(unicodedata.category(ch) in {"Cc", "Cf", "Cs", "Co", "Cn"} for ch in value):
        raise TextError(MSG_CONTROL)
    if len(value) > max_len:
        raise TextError(MSG_TOO_LONG)
    return value
