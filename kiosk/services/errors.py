"""Errors as the apps show them. Light on purpose: the visitor screens import this before
the database libraries are loaded."""

from __future__ import annotations

from kiosk.config import ConfigError
from kiosk.domain.registration import ValidationErrors
from kiosk.domain.staff import NotAllowed
from kiosk.domain.text import TextError
from storage.errors import StorageError


class ServiceUnavailable(Exception):
    """The database could not be used; the visitor may retry. Carries no personal data."""


class PinPolicyError(ValueError):
    """A PIN, user name or role staff typed is not one an account may have."""


def user_message(error: BaseException | None) -> str:
    """What staff see when an action fails: the reason when it is one of ours (they name
    settings, accounts and record ids, never a visitor's data), else only its kind."""
    if isinstance(error, ValidationErrors):
        return "; ".join(error.fields.values())
    if isinstance(error, TextError):
        return error.message
    if isinstance(error, (NotAllowed, PinPolicyError, ConfigError, StorageError)):
        return str(error)
    return f"That did not work ({type(error).__name__})."
