"""A check-in whose commit's answer is lost (the connection drops just after COMMIT) is
found by its idempotency key (the visit's id) and not stored twice; Try again after a
failure sends the same check-in; on both engines."""

from __future__ import annotations

from typing import Any

import pytest

from kiosk.config import load_settings
from kiosk.domain.registration import Registration
from kiosk.domain.staff import KIOSK
from kiosk.services.bundle import Services
from kiosk.services.checkin import CheckInService
from kiosk.services.errors import ServiceUnavailable
from storage.errors import DatabaseUnavailable
from storage.repositories import Repositories
from tests.helpers.factories import visitor
from tests.helpers.visitor_ui import visits_today


def _lose_answers(
    monkeypatch: pytest.MonkeyPatch, checkin: CheckInService, *, commit: bool, times: int = 1
) -> list[int]:
    """The next ``times`` check-ins' connections drop: after their COMMIT went through
    (``commit``), or before."""
    real = checkin._write
    calls: list[int] = []

    def dropping(*args: Any) -> Any:
        calls.append(1)
        if len(calls) <= times:
            if commit:
                real(*args)
            raise DatabaseUnavailable(
                "the database could not be used: server closed the connection"
            )
        return real(*args)

    monkeypatch.setattr(checkin, "_write", dropping)
    return calls


def test_a_commit_whose_answer_was_lost_is_found_not_stored_twice(
    store: Repositories, monkeypatch: pytest.MonkeyPatch
) -> None:
    services = Services.over(store, load_settings())
    calls = _lose_answers(monkeypatch, services.checkin, commit=True)
    result = services.checkin.store(visitor(1), KIOSK)
    assert len(calls) == 1  # not sent again: it was there
    [visit] = visits_today(services)
    assert visit.id == result.visit_id
    # The badge the visitor is shown is the one stored: it checks them out.
    assert services.checkin.check_out(result.badge_code, KIOSK) == result.visit_id


def test_try_again_sends_the_same_check_in(
    store: Repositories, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The kiosk's Try again after a failure it reported (the commit went through, but
    the database was gone before the kiosk could ask): the visitor is stored once, with
    the badge they are then shown."""
    services = Services.over(store, load_settings())
    checkin = services.checkin
    checkin.retry_for_s = 0  # the failure reaches the visitor at once
    attempt = Registration().attempt
    _lose_answers(monkeypatch, checkin, commit=True)
    monkeypatch.setattr(checkin, "_stored", lambda _visit_id: False)  # cannot ask either
    with pytest.raises(ServiceUnavailable):
        checkin.store(visitor(2), KIOSK, attempt=attempt)
    monkeypatch.undo()
    [first] = visits_today(services)  # it was stored, though the kiosk said it failed
    result = checkin.store(visitor(2), KIOSK, attempt=attempt)  # Try again
    assert [v.id for v in visits_today(services)] == [first.id] == [result.visit_id]
    assert checkin.check_out(result.badge_code, KIOSK) == first.id


def test_try_again_after_nothing_was_stored_stores_it_once(
    store: Repositories, monkeypatch: pytest.MonkeyPatch
) -> None:
    services = Services.over(store, load_settings())
    checkin = services.checkin
    checkin.retry_for_s = 0
    attempt = Registration().attempt
    _lose_answers(monkeypatch, checkin, commit=False)
    with pytest.raises(ServiceUnavailable):
        checkin.store(visitor(3), KIOSK, attempt=attempt)
    monkeypatch.undo()
    assert visits_today(services) == []
    result = checkin.store(visitor(3), KIOSK, attempt=attempt)
    assert [v.id for v in visits_today(services)] == [result.visit_id]


def test_on_postgresql_a_dropped_connection_is_retried_for_a_failover(
    store: Repositories, monkeypatch: pytest.MonkeyPatch
) -> None:
    """PostgreSQL: the check-in keeps trying (a failover takes seconds) and succeeds once
    the database answers; SQLite's busy timeout already waited, so it reports at once."""
    services = Services.over(store, load_settings())
    calls = _lose_answers(monkeypatch, services.checkin, commit=False, times=3)
    if store.db.engine.dialect.name == "postgresql":
        result = services.checkin.store(visitor(4), KIOSK)
        assert len(calls) == 4
        assert [v.id for v in visits_today(services)] == [result.visit_id]
    else:
        with pytest.raises(ServiceUnavailable):
            services.checkin.store(visitor(4), KIOSK)
        assert len(calls) == 1 and visits_today(services) == []
