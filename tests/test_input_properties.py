"""Whatever a visitor types: generated input (Hypothesis) instead of a few examples.

The form either accepts it, normalised within the input rules, or names each bad field
with a message that exists in both languages and never echoes the input; nothing else
is raised. What it accepts is stored and read back exactly, on both engines, and is
found the way reception looks for it.
"""

from __future__ import annotations

import re
import unicodedata
import uuid
from dataclasses import replace
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from kiosk.domain import registration
from kiosk.domain.registration import Registration, ValidationErrors, validate
from kiosk.domain.text import MSG_CONTROL, MSG_REQUIRED, MSG_TOO_LONG, TextError
from kiosk.domain.visits import NdaSignature, NewVisit, ScreeningOutcome, VisitorType
from kiosk.i18n import translate
from kiosk.services.log import LogRow, filter_rows, haystack
from kiosk.services.visits import parse_departure
from storage.repositories import Repositories
from tests.helpers.store import check_in

FIELDS = {"name", "email", "phone", "company", "host", "visitor_type"}
MESSAGES = {
    MSG_REQUIRED,
    MSG_TOO_LONG,
    MSG_CONTROL,
    registration.MSG_EMAIL,
    registration.MSG_PHONE,
    registration.MSG_CONTACT,
    registration.MSG_TYPE,
}
CAPS = {
    "name": registration.NAME_MAX,
    "company": registration.COMPANY_MAX,
    "host_name": registration.HOST_MAX,
}

# Any text, plus text shaped like what the fields expect, so that both the refusals and
# the acceptances are reached often (plain st.text() is almost never an e-mail address).
any_text = st.text(max_size=140)
names = st.one_of(any_text, st.text(st.characters(categories=["L", "M", "Zs", "Pd"]), max_size=130))
emails = st.one_of(
    st.just(""), any_text, st.emails(), st.from_regex(r"[^@\s]{1,70}@[^@\s]{1,80}", fullmatch=True)
)
phones = st.one_of(st.just(""), any_text, st.from_regex(r"\+?[0-9 ()\-]{0,40}", fullmatch=True))
types = st.one_of(st.sampled_from([t.value for t in VisitorType]), any_text)
typed = st.builds(
    Registration,
    name=names,
    email=emails,
    phone=phones,
    company=any_text,
    host_name=any_text,
    visitor_type=types,
)


def _clean(value: str | None) -> bool:
    """Within the input rules: NFC, trimmed, no control or format characters."""
    if value is None:
        return True
    return (
        unicodedata.is_normalized("NFC", value)
        and value == value.strip()
        and value != ""
        and not any(unicodedata.category(c) in {"Cc", "Cf", "Cs", "Co", "Cn"} for c in value)
    )


def _validated(reg: Registration) -> NewVisit | ValidationErrors:
    try:
        return validate(reg, phone_region="NL")
    except ValidationErrors as exc:
        return exc


@settings(max_examples=800, deadline=None)
@given(typed)
def test_any_input_is_accepted_within_the_rules_or_each_bad_field_is_named(
    reg: Registration,
) -> None:
    outcome = _validated(reg)
    if isinstance(outcome, ValidationErrors):
        assert outcome.fields, "a refusal names at least one field"
        assert set(outcome.fields) <= FIELDS
        for message in outcome.fields.values():
            assert message in MESSAGES
            assert translate(message, "nl") != message, f"no Dutch for {message!r}"
        # The error says which fields, and nothing of what was typed.
        assert str(outcome) == "invalid fields: " + ", ".join(sorted(outcome.fields))
        return
    visit = outcome
    assert visit.email or visit.phone
    for field in ("name", "email", "phone", "company", "host_name"):
        assert _clean(getattr(visit, field)), field
    for field, cap in CAPS.items():
        assert len(getattr(visit, field) or "") <= cap
    assert visit.phone is None or visit.phone.startswith("+")
    assert visit.visitor_type.value == reg.visitor_type


def _accepted(reg: Registration) -> NewVisit | None:
    visit = _validated(reg)
    if isinstance(visit, ValidationErrors):
        return None
    nda = NdaSignature("test-1", "en", "1" * 64, visit.name)
    return replace(visit, nda=nda, screening=ScreeningOutcome.PASSED)


# Input a visitor could well type (any letters, marks, spaces and punctuation; real
# e-mail shapes; Amsterdam numbers written in several ways): most of it is accepted.
visible = st.characters(categories=["L", "M", "N", "P", "S", "Zs"])
plausible = st.builds(
    Registration,
    name=st.text(visible, min_size=1, max_size=120),
    email=st.one_of(st.just(""), st.emails()),
    phone=st.one_of(
        st.just(""), st.from_regex(r"(\+31 ?|0)20[ -]?[1-9]\d{2} ?\d{4}", fullmatch=True)
    ),
    company=st.text(visible, max_size=120),
    host_name=st.text(visible, max_size=120),
    visitor_type=st.sampled_from([t.value for t in VisitorType]),
)


@settings(
    max_examples=60,
    deadline=None,
    # One store for all the examples: each checks in a visit of its own and asks only
    # after that one.
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(plausible.map(_accepted).filter(lambda v: v is not None))
def test_what_the_form_accepts_is_stored_and_found_exactly(
    store: Repositories, visit: NewVisit | None
) -> None:
    assert visit is not None
    receipt = check_in(store, visit, actor="test")
    got = store.visits.get(receipt.visit_id)
    assert (got.name, got.email, got.phone, got.company, got.host_name) == (
        visit.name,
        visit.email,
        visit.phone,
        visit.company,
        visit.host_name,
    )
    assert receipt.visit_id in {v.id for v in store.visits.on_day(got.local_day).visits}
    found = (
        store.visits.find_person(email=visit.email)
        if visit.email
        else store.visits.find_person(phone=visit.phone)
    )
    assert receipt.visit_id in {v.id for v in found}
    # Reception finds the visitor by the name as it was typed, in any case.
    row_text = haystack(got.name, got.company, got.host_name)
    assert filter_rows([_row(row_text)], visit.name.upper()), visit.name


def _row(text: str) -> LogRow:
    """A log line as the console holds it, with only what search looks in."""
    return LogRow(uuid.uuid4(), "", "", "", "", "", "", "", "", "on site", 0, text)


# What reception types as the time a visitor left: text of any shape, text shaped like a
# time or a date and time (digits of any script), and numbers in and out of range,
# years at both ends included.
years = st.one_of(st.sampled_from([1, 2026, 9999]), st.integers(0, 9999))
numbers = st.tuples(years, st.integers(0, 13), st.integers(0, 32), st.integers(0, 25),
                    st.integers(0, 61))  # fmt: skip
departures = st.one_of(
    any_text,
    st.from_regex(r"\s*(\d{4}-\d{2}-\d{2}\s+)?\d{1,2}[:.]\d{2}\s*", fullmatch=True),
    numbers.map(lambda n: "{:04d}-{:02d}-{:02d} {:02d}:{:02d}".format(*n)),
    numbers.map(lambda n: f"{n[3]}.{n[4]:02d}"),
)
zones = st.sampled_from(["Europe/Amsterdam", "America/New_York", "Pacific/Kiritimati", "UTC"])
SHAPE = re.compile(r"\s*(?:([0-9]{4})-([0-9]{2})-([0-9]{2})\s+)?([0-9]{1,2})[:.]([0-9]{2})\s*")


# Arrivals are moments the kiosk's clock recorded: within centuries of now, not at the
# ends of the calendar (where a zone's offset would take them out of range).
arrivals = st.one_of(
    st.none(),
    st.datetimes(datetime(1900, 1, 1), datetime(2200, 1, 1), timezones=st.just(UTC)),
)


@settings(max_examples=1000, deadline=None)
@given(text=departures, zone=zones, day=st.dates(), arrived=arrivals)
@example(text="9999-12-31 23:59", zone="America/New_York", day=date(2026, 11, 29), arrived=None)
@example(text="12:3\u0660", zone="UTC", day=date(2026, 11, 29), arrived=None)  # Arabic-Indic
@example(text="0:00", zone="UTC", day=date.max, arrived=datetime(9999, 12, 31, 9, tzinfo=UTC))
def test_a_departure_typed_by_staff_is_a_moment_or_a_message(
    text: str, zone: str, day: date, arrived: datetime | None
) -> None:
    """Whatever is typed, the console gets the moment meant (the typed time on the typed
    day, else on the visit's day, in the site's zone), never before the arrival, or one
    of three messages; nothing else is raised: Check out runs this on the screen's own
    thread, where an exception would end the console."""
    tz = ZoneInfo(zone)
    try:
        moment = parse_departure(text, day, tz, arrived)
    except TextError as exc:
        message = exc.message
    else:
        shape = SHAPE.fullmatch(text)
        assert shape is not None and moment.tzinfo is UTC
        y, mo, d, h, mi = shape.groups()
        meant = date(int(y), int(mo), int(d)) if y else day
        assert moment == datetime.combine(meant, time(int(h), int(mi)), tzinfo=tz)
        assert arrived is None or moment >= arrived
        return
    assert message.startswith(
        ("Type when the visitor left as HH:MM", "There is no such", "That is before the arrival")
    )
