"""Child processes for the crash and concurrency tests.

``python -m tests.helpers.workers CONFIG_JSON COUNT START`` opens the store and checks in
COUNT visitors (0 = forever), printing ``done <visit id>`` after each commit returns.
``python -m tests.helpers.workers CONFIG_JSON purge AS_OF BATCH`` purges as of AS_OF (ISO
8601) in batches of BATCH rows, printing ``batch`` after each and ``purged`` when done.
"""

from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path

from storage.database import Database
from storage.open import StoreConfig, open_repositories
from storage.repositories import retention
from tests.helpers.factories import visitor
from tests.helpers.store import check_in


def config_json(cfg: StoreConfig) -> str:
    return json.dumps(
        {
            "database_url": cfg.database_url,
            "keystore_url": cfg.keystore_url,
            "key_file": str(cfg.key_file),
            "site_name": cfg.site_name,
            "timezone": cfg.timezone,
        }
    )


def main() -> None:
    raw = json.loads(sys.argv[1])
    cfg = StoreConfig(
        database_url=raw["database_url"],
        keystore_url=raw["keystore_url"],
        key_file=Path(raw["key_file"]),
        site_name=raw["site_name"],
        timezone=raw["timezone"],
    )
    repos = open_repositories(cfg)
    print("ready", flush=True)
    if sys.argv[2] == "purge":
        between = retention._between_batches

        def _between_batches(db: Database) -> None:
            between(db)
            print("batch", flush=True)

        retention._between_batches = _between_batches
        retention.purge(repos.db, datetime.fromisoformat(sys.argv[3]), batch=int(sys.argv[4]))
        print("purged", flush=True)
        return
    count, start = int(sys.argv[2]), int(sys.argv[3])
    n = start
    while count == 0 or n < start + count:
        result = check_in(repos, visitor(n), actor="worker")
        print(f"done {result.visit_id}", flush=True)
        n += 1


if __name__ == "__main__":
    main()
