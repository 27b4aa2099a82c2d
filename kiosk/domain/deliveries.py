"""A parcel delivered at the kiosk: the courier gives the carrier and whom the parcel is
for, nothing about themself; no privacy notice (nothing personal is asked), no NDA, no
screening. It is recorded as a visit of the type "delivery" that left at once (the
courier is not on site), and the recipient (or, failing them, reception) is told a
parcel is waiting."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from kiosk.domain.hosts import HOST_NAME_MAX
from kiosk.domain.registration import ValidationErrors
from kiosk.domain.text import MSG_REQUIRED, N_, TextError, clean_text
from kiosk.domain.visits import NewVisit, VisitorType

CARRIER_MAX = 80
MSG_CARRIER = N_("Please type the carrier's name.")
MSG_RECIPIENT = N_("Please type who the parcel is for.")


@dataclass(slots=True)
class DeliveryForm:
    """What the courier typed (kept as typed when it is sent back to them)."""

    carrier: str = ""
    recipient: str = ""
    recipient_id: uuid.UUID | None = None  # chosen from the directory's names


@dataclass(frozen=True, slots=True)
class Delivered:
    """A delivery recorded: whom the kiosk tells (a host of the directory), or None when
    the recipient is not one (reception is told instead)."""

    visit_id: uuid.UUID
    recipient: str | None


def validate_delivery(form: DeliveryForm) -> NewVisit:
    """The delivery as a visit to store, or ValidationErrors by field ("carrier",
    "recipient") with message ids."""
    errors: dict[str, str] = {}
    carrier = recipient = None
    try:
        carrier = clean_text(form.carrier, max_len=CARRIER_MAX, required=True)
    except TextError as exc:
        errors["carrier"] = MSG_CARRIER if exc.message == MSG_REQUIRED else exc.message
    try:
        recipient = clean_text(form.recipient, max_len=HOST_NAME_MAX, required=True)
    except TextError as exc:
        errors["recipient"] = MSG_RECIPIENT if exc.message == MSG_REQUIRED else exc.message
    if errors:
        raise ValidationErrors(errors)
    assert carrier is not None and recipient is not None
    return NewVisit(
        name=carrier,
        email=None,
        phone=None,
        company=carrier,
        visitor_type=VisitorType.DELIVERY,
        host_id=form.recipient_id,
        host_name=None if form.recipient_id else recipient,
        parcel=True,
    )
