"""A visitor's registration as typed, and its validation into a NewVisit."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

import phonenumbers
from email_validator import EmailNotValidError, validate_email

from kiosk.domain.text import N_, TextError, clean_text
from kiosk.domain.visits import NdaSignature, NewVisit, ScreeningOutcome, VisitorType

NAME_MAX = 120
COMPANY_MAX = 120
HOST_MAX = 120
EMAIL_MAX = 254
PHONE_MAX = 32

MSG_EMAIL = N_("Please enter a valid e-mail address.")
MSG_PHONE = N_("Please enter a valid phone number.")
MSG_CONTACT = N_("Please give an e-mail address or a phone number.")
MSG_TYPE = N_("Please choose the type of visit.")
MSG_NDA_REQUIRED = N_("For this visit, please accept the non-disclosure agreement.")
MSG_GUARDIAN = N_("Please enter the name of the parent or guardian who is with you.")


@dataclass(slots=True)
class Registration:
    """What the visitor typed, untouched. ``validate`` turns it into a NewVisit."""

    name: str = ""
    email: str = ""
    phone: str = ""
    company: str = ""
    host_name: str = ""
    host_id: uuid.UUID | None = None
    visitor_type: str = VisitorType.GUEST.value
    under_16: bool = False
    guardian: str = ""  # an under-16's parent or guardian, who consents and signs for them
    privacy_version: str = ""
    privacy_sha256: str = ""
    privacy_language: str = ""  # the notice's (the store keeps the text under all three)
    nda: NdaSignature | None = None
    screening: ScreeningOutcome = ScreeningOutcome.NOT_ASKED
    health_answers: dict[str, str] | None = None
    invitation_id: uuid.UUID | None = None
    # This visitor's check-in, as the store knows it: Try again after a failure sends
    # the same check-in (it may have been stored though its answer was lost).
    attempt: uuid.UUID = field(default_factory=uuid.uuid4, compare=False, repr=False)

    def next_of_party(self) -> Registration:
        """What the next person of the same group shares: nothing personal, only where
        they come from and whom they visit. Each types their own details and signs."""
        return Registration(
            company=self.company,
            host_name=self.host_name,
            host_id=self.host_id,
            visitor_type=self.visitor_type,
        )


class ValidationErrors(Exception):
    """Field name -> message id. Never carries the values themselves."""

    def __init__(self, fields: dict[str, str]) -> None:
        self.fields = fields
        super().__init__(str(self))

    def __str__(self) -> str:
        return "invalid fields: " + ", ".join(sorted(self.fields))


class NdaRequired(Exception):
    """The visitor type needs an accepted NDA and none was given."""


def require_nda(visit: NewVisit, nda_types: frozenset[str]) -> None:
    """Raise NdaRequired when ``visit``'s type is one of ``nda_types`` and it has no
    accepted NDA."""
    if visit.visitor_type.value in nda_types and visit.nda is None:
        raise NdaRequired(MSG_NDA_REQUIRED)


def normalise_email(value: str) -> str:
    """The e-mail address as stored and indexed; raises TextError if invalid."""
    try:
        info = validate_email(value, check_deliverability=False)
    except EmailNotValidError:
        raise TextError(MSG_EMAIL) from None
    return info.normalized


def normalise_phone(value: str, region: str) -> str:
    """The phone number in E.164; raises TextError if it is not a valid number."""
    try:
        parsed = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException:
        raise TextError(MSG_PHONE) from None
    if not phonenumbers.is_valid_number(parsed):
        raise TextError(MSG_PHONE)
    return str(phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164))


def validate(reg: Registration, *, phone_region: str) -> NewVisit:
    """Check every field; raise ValidationErrors naming all the bad ones at once."""
    errors: dict[str, str] = {}

    def field_value(name: str, value: str, max_len: int, required: bool) -> str | None:
        try:
            return clean_text(value, max_len=max_len, required=required)
        except TextError as exc:
            errors[name] = exc.message
            return None

    name = field_value("name", reg.name, NAME_MAX, True)
    company = field_value("company", reg.company, COMPANY_MAX, False)
    host_name = field_value("host", reg.host_name, HOST_MAX, False)
    email = field_value("email", reg.email, EMAIL_MAX, False)
    phone = field_value("phone", reg.phone, PHONE_MAX, False)
    if email is not None:
        try:
            email = normalise_email(email)
        except TextError as exc:
            errors["email"] = exc.message
    if phone is not None:
        try:
            phone = normalise_phone(phone, phone_region)
        except TextError as exc:
            errors["phone"] = exc.message
    guardian = None
    if reg.under_16:
        if reg.guardian.strip():
            guardian = field_value("guardian", reg.guardian, NAME_MAX, True)
        else:
            errors["guardian"] = MSG_GUARDIAN
    if email is None and phone is None and "email" not in errors and "phone" not in errors:
        errors["email"] = MSG_CONTACT
    try:
        visitor_type = VisitorType(reg.visitor_type)
    except ValueError:
        errors["visitor_type"] = MSG_TYPE
        visitor_type = VisitorType.GUEST
    if errors:
        raise ValidationErrors(errors)
    assert name is not None
    return NewVisit(
        name=name,
        email=email,
        phone=phone,
        company=company,
        visitor_type=visitor_type,
        host_id=reg.host_id,
        host_name=None if reg.host_id else host_name,
        privacy_version=reg.privacy_version,
        privacy_sha256=reg.privacy_sha256,
        under_16=reg.under_16,
        guardian=guardian,
        nda=reg.nda,
        screening=ScreeningOutcome.NOT_ASKED if reg.under_16 else reg.screening,
        health_answers=None if reg.under_16 else reg.health_answers,
    )
