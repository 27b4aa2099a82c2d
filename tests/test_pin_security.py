"""PIN checks an attacker in the lobby cannot race, use to lock staff out of the
reception console, or time; and PINs too easy to guess refused. On SQLite and on
PostgreSQL."""

from __future__ import annotations

import multiprocessing
import threading
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path
from typing import Any, Literal

import pytest
from argon2 import PasswordHasher

from kiosk.config import Settings
from kiosk.domain.staff import StaffUser
from kiosk.services.bundle import Services
from kiosk.services.context import ServiceContext
from kiosk.services.errors import PinPolicyError
from kiosk.services.staff import CONSOLE, LOBBY, LOCK_AFTER, StaffService, check_pin_policy
from storage.open import StoreConfig, open_repositories
from storage.repositories import Repositories
from tests.helpers.kiosk_ui import OPERATOR, kiosk_settings, open_services, type_into
from tests.helpers.store import services_over
from tests.helpers.visitor_ui import kiosk_app
from tests.kiosk_app.test_staff_access import open_pin_dialog

PIN = "482915"
WRONG = "000000"


@pytest.fixture
def services(store: Repositories) -> Services:
    services = services_over(store)
    services.staff.add("rita", "reception", PIN, OPERATOR)
    return services


def _staff(services: Services, sleep: Callable[[float], None] = lambda _: None) -> StaffService:
    """A StaffService of its own, as another process (or served session) has."""
    return StaffService(ServiceContext(services.repos, services.settings), sleep=sleep)


def test_parallel_guesses_lock_the_account(services: Services) -> None:
    """Fifteen guesses at once, each from its own session: every one counts, so the lock
    engages after LOCK_AFTER and the right PIN sent after them does not get in."""
    sessions = [_staff(services) for _ in range(15)]
    start = threading.Barrier(len(sessions))

    def guess(staff: StaffService) -> StaffUser | None:
        start.wait()
        return staff.verify("rita", WRONG)

    with ThreadPoolExecutor(len(sessions)) as pool:
        assert not any(pool.map(guess, sessions))
    [account] = [a for a in services.staff.accounts(OPERATOR) if a.username == "rita"]
    assert account.failed_attempts == 15 and account.locked_at == (LOBBY,)
    assert _staff(services).verify("rita", PIN) is None  # right, but locked
    failed = services.repos.audit.events(action="staff.login_failed")
    assert len(failed) == 16 and failed[-1].details == {"at": LOBBY, "locked": True}


def _guess_from_a_process(cfg: StoreConfig, guesses: int) -> int:
    repos = open_repositories(cfg, migrate=False)
    try:
        staff = StaffService(ServiceContext(repos, Settings()), sleep=lambda _: None)
        return sum(staff.verify("rita", WRONG) is None for _ in range(guesses))
    finally:
        repos.db.dispose()


def test_guesses_from_several_processes_lock_the_account(
    services: Services, store_config: StoreConfig
) -> None:
    """Served tablets are processes: their guesses meet only in the database."""
    spawn = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(4, mp_context=spawn) as pool:
        refused = sum(pool.map(_guess_from_a_process, [store_config] * 4, [4] * 4))
    assert refused == 16
    assert services.staff.is_locked("rita", LOBBY)
    [account] = [a for a in services.staff.accounts(OPERATOR) if a.username == "rita"]
    assert account.failed_attempts == 16


def test_the_lobby_cannot_lock_staff_out_of_the_console(services: Services) -> None:
    """Someone at the lobby tablet types wrong PINs for rita until she is locked there;
    at the reception console rita still logs in. An admin can unlock the lobby."""
    lobby = _staff(services)
    for _ in range(LOCK_AFTER + 2):
        assert lobby.verify("rita", WRONG, scope=LOBBY) is None
    assert lobby.verify("rita", PIN, scope=LOBBY) is None
    assert services.staff.is_locked("rita", LOBBY)
    assert not services.staff.is_locked("rita", CONSOLE)
    console = _staff(services)
    assert console.verify("rita", WRONG, scope=CONSOLE) is None
    assert console.verify("rita", PIN, scope=CONSOLE) == StaffUser("rita", "reception")
    # Each failure is audited as the kind of terminal it was typed at.
    failed = services.repos.audit.events(action="staff.login_failed")
    assert {e.actor for e in failed if e.details["at"] == LOBBY} == {"kiosk"}
    assert [e.actor for e in failed if e.details["at"] == CONSOLE] == ["console"]
    assert services.staff.is_locked("rita", LOBBY)  # a console login leaves the lobby's lock
    services.staff.unlock("rita", OPERATOR)
    assert lobby.verify("rita", PIN, scope=LOBBY) == StaffUser("rita", "reception")
    assert services.repos.audit.events(action="staff.unlock")


class _CountingHasher(PasswordHasher):
    def __init__(self) -> None:
        super().__init__()
        self.verified = 0

    def verify(self, hash: str | bytes, password: str | bytes) -> Literal[True]:
        self.verified += 1
        return super().verify(hash, password)


def test_known_and_unknown_names_answer_alike(services: Services) -> None:
    """After the same failures, a name that is an account and one that is not get the
    same delays and the same hashing work; both are counted in the database (a new
    session, as a new served tablet is, knows the unknown name's failures too)."""
    for name in ("rita", "nobody"):
        slept: list[float] = []
        for _ in range(6):  # each try from a new session
            hasher = _CountingHasher()
            staff = StaffService(
                ServiceContext(services.repos, services.settings), hasher, sleep=slept.append
            )
            assert staff.verify(name, WRONG) is None
            assert hasher.verified == 1
        assert slept == [0.0, 0.0, 0.0, 1.0, 2.0, 4.0], name
    assert len(services.repos.staff.failures()) == 2  # both names, neither in clear


@pytest.mark.parametrize(
    "pin", ["111111", "123456", "987654", "121212", "123123", "0123456789", "112233", "159753"]
)
def test_pins_easy_to_guess_are_refused(services: Services, pin: str) -> None:
    with pytest.raises(PinPolicyError, match="too easy to guess"):
        services.staff.add("sam", "security", pin, OPERATOR)
    with pytest.raises(PinPolicyError, match="too easy to guess"):
        services.staff.reset_pin("rita", pin, OPERATOR)
    assert services.repos.staff.get("sam") is None


def test_ordinary_pins_are_accepted() -> None:
    for pin in ("482915", "730164", "246810", "19740312"):
        check_pin_policy(pin)


async def test_enter_again_while_a_pin_is_checked_checks_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    services = open_services(kiosk_settings(tmp_path))
    services.staff.add("ada", "admin", "246810", OPERATOR)
    real, calls = services.staff.verify, []

    def slow(user: str, pin: str, **kw: Any) -> StaffUser | None:
        calls.append(kw)
        time.sleep(0.5)
        return real(user, pin, **kw)

    monkeypatch.setattr(services.staff, "verify", slow)
    async with kiosk_app(services).run_test(size=(100, 30)) as pilot:
        await open_pin_dialog(pilot)
        await type_into(pilot, "#user", "ada")
        await type_into(pilot, "#pin", WRONG)
        for _ in range(5):
            await pilot.press("enter")
        await pilot.pause(1.0)
        assert calls == [{"scope": LOBBY}]
