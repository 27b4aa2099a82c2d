"""A kiosk process for the failover test: it checks visitors in, one after another, on
the multi-host database URL it is given, and prints each check-in it was told is stored
("done <visit id> <seconds>"), or that one failed, until its standard input closes."""

from __future__ import annotations

import sys
import threading
import time
import uuid
from pathlib import Path

from kiosk.config import Settings
from kiosk.domain.staff import KIOSK
from kiosk.services.bundle import Services
from kiosk.services.errors import ServiceUnavailable
from storage.open import StoreConfig, open_repositories
from tests.helpers.factories import visitor


def main(records_url: str, keys_url: str, key_file: str) -> None:
    repos = open_repositories(
        StoreConfig(
            database_url=records_url,
            keystore_url=keys_url,
            key_file=Path(key_file),
            site_name="Failover HQ",
        )
    )
    checkin = Services.over(repos, Settings()).checkin
    stop = threading.Event()

    def until_stdin_closes() -> None:
        sys.stdin.read()
        stop.set()

    threading.Thread(target=until_stdin_closes, daemon=True).start()
    print("ready", flush=True)
    n = 0
    while not stop.is_set():
        n += 1
        try:
            result = checkin.store(visitor(n), KIOSK, attempt=uuid.uuid4())
        except ServiceUnavailable as exc:
            print(f"failed {n} {exc}", flush=True)
            continue
        print(f"done {result.visit_id} {time.monotonic():.3f}", flush=True)
        time.sleep(0.02)
    repos.db.dispose()


if __name__ == "__main__":
    main(*sys.argv[1:4])
