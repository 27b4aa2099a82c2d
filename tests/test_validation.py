"""Input rules: NFC, caps, no control characters, real e-mail and phone numbers."""

from __future__ import annotations

import unicodedata

import pytest

from kiosk.domain.registration import Registration, ValidationErrors, validate
from kiosk.domain.text import find_by_name, search_key, several_fit, suggest
from kiosk.domain.visits import ScreeningOutcome, VisitorType


def _ok(**kw: object) -> Registration:
    base: dict[str, object] = {"name": "Testy McFake", "email": "testy@example.com"}
    base.update(kw)
    return Registration(**base)  # type: ignore[arg-type]


def test_valid_registration_is_normalised() -> None:
    decomposed = unicodedata.normalize("NFD", "  Zoë Fakeperson ")
    v = validate(
        _ok(name=decomposed, email="Testy@EXAMPLE.com", phone="020 555 0123"), phone_region="NL"
    )
    assert v.name == "Zoë Fakeperson"
    assert unicodedata.is_normalized("NFC", v.name)
    assert v.email == "Testy@example.com"
    assert v.phone == "+31205550123"
    assert v.visitor_type is VisitorType.GUEST


@pytest.mark.parametrize(
    ("kw", "field", "message"),
    [
        ({"name": ""}, "name", "required"),
        ({"name": "x" * 121}, "name", "too long"),
        ({"name": "Bad\x07Bell"}, "name", "not allowed"),
        ({"company": "Evil\u202eCorp"}, "company", "not allowed"),
        ({"email": "not-an-address"}, "email", "valid e-mail"),
        ({"email": "", "phone": ""}, "email", "e-mail address or a phone number"),
        ({"email": "", "phone": "12"}, "phone", "valid phone"),
        ({"visitor_type": "spy"}, "visitor_type", "type of visit"),
    ],
)
def test_each_bad_field_is_named(kw: dict[str, object], field: str, message: str) -> None:
    with pytest.raises(ValidationErrors) as err:
        validate(_ok(**kw), phone_region="NL")
    assert message in err.value.fields[field]
    # The error never carries what was typed.
    for value in kw.values():
        if isinstance(value, str) and len(value) > 3:
            assert value not in str(err.value)


def test_under_16_skips_consent_based_questions() -> None:
    v = validate(
        _ok(under_16=True, guardian="Gwendolyn Fakeguardian", screening=ScreeningOutcome.PASSED,
            health_answers={"q": "no"}),
        phone_region="NL",
    )  # fmt: skip
    assert v.under_16 and v.guardian == "Gwendolyn Fakeguardian"
    assert v.screening is ScreeningOutcome.NOT_ASKED
    assert v.health_answers is None


def test_an_under_16_needs_the_guardian_who_is_with_them() -> None:
    with pytest.raises(ValidationErrors) as err:
        validate(_ok(under_16=True, guardian="  "), phone_region="NL")
    assert set(err.value.fields) == {"guardian"}
    assert validate(_ok(guardian="Someone"), phone_region="NL").guardian is None  # 16+


@pytest.mark.parametrize(
    ("typed", "found"),
    [
        ("bjork", "Björk Hostdóttir"),  # accents need not be typed
        ("ANNA  SMITH", "Anna Smith"),  # nor case, nor the spacing
        ("anna smith", "Anna Smith"),  # an exact name wins over "Anna Smithson"
        ("anna", None),  # two hosts contain it: the visitor must choose
        ("orsted", "Ørsted Reception"),
        ("obrien", "Siobhán O\u2019Brien"),  # apostrophes need not be typed
        ("jean luc", "Jean-Luc Fakehost"),  # a space for a hyphen
        ("", None),
    ],
)
def test_hosts_are_found_the_way_people_type_them(typed: str, found: str | None) -> None:
    hosts = ["Björk Hostdóttir", "Anna Smith", "Anna Smithson", "Ørsted Reception"]
    hosts += ["Siobhán O\u2019Brien", "Jean-Luc Fakehost"]
    assert find_by_name(hosts, typed, search_key) == found


def test_a_part_several_hosts_names_hold_asks_for_a_choice() -> None:
    hosts = ["Anna Smith", "Anna Smithson", "Ørsted Reception"]
    assert several_fit(hosts, "ANNA", search_key)  # both Annas: choose
    assert several_fit(hosts, "anna smith", search_key)  # find_by_name picks the exact one
    assert not several_fit(hosts, "orsted", search_key)  # one: it is found
    assert not several_fit(hosts, "Nobody Known", search_key)  # none: kept as typed
    assert not several_fit(hosts, " - ", search_key)  # nothing that names anyone


def test_host_suggestions_put_names_starting_with_the_typed_text_first() -> None:
    hosts = ["Brian Fakehost", "Dan Example", "Jan-Anders Fakeperson", "Ánna Placeholder", "an"]
    assert suggest(hosts, "an", search_key, limit=4) == [
        "an",  # the name itself
        "Ánna Placeholder",  # a word starts with it (accents ignored)
        "Jan-Anders Fakeperson",  # so does a word after a hyphen
        "Brian Fakehost",  # only contains it; Dan Example is cut by the limit
    ]
    assert suggest(hosts, "  ", search_key, limit=5) == []
