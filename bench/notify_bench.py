"""Check-ins while the e-mail server and the webhook receiver are both down, against the
same check-ins with no sender running: a notification never holds a visitor up."""

from __future__ import annotations

import dataclasses
import socket
import statistics
import threading
import time
from pathlib import Path

from bench.common import BENCH, SCALE, Result, open_bench_store
from bench.store_bench import new_visit
from kiosk.config import NotifySettings, Settings
from kiosk.services.bundle import Services

PACE_S = 0.02


def _closed_port() -> int:
    """A local port nothing listens on: every connection to it is refused at once."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def bench_checkin_notify_down(folder: Path) -> Result:
    """What a visitor waits for while the e-mail server and the webhook receiver are both
    down: each check-in queues an e-mail and two webhook posts (the host's, the site's),
    and, as in the running kiosk, a sender then splits and tries them (connections
    refused) beside the next check-ins. Check-ins come at a steady pace (every 20 ms, far
    quicker than a lobby); rounds alternate with and without the sender. Figure: the
    median check-in time with the sender over that without (goal: at most 1.5x)."""
    n = max(40, int(200 * SCALE))
    store = open_bench_store(folder / "db")
    port = _closed_port()
    notify = NotifySettings(
        smtp_host="127.0.0.1",
        smtp_port=port,
        starttls=False,
        webhooks=(f"slack https://127.0.0.1:{port}/site",),
        webhook_timeout=1,
    )
    services = Services.over(store, dataclasses.replace(Settings(), notify=notify))
    with store.db.uow("bench") as tx:
        host = store.hosts.add(tx, "Bench Host", "bench.host@example.org")
        store.hosts.update(tx, host, webhook=f"teams https://127.0.0.1:{port}/host")
    checkin = services.checkin
    checkin.store(dataclasses.replace(new_visit(0), host_id=host, host_name=None), BENCH)
    times: dict[str, list[float]] = {"down": [], "quiet": []}
    rounds_sent = 0
    done = 0
    for _round in range(4):
        for side in ("down", "quiet"):
            wake, stop = threading.Event(), threading.Event()

            def sender(wake: threading.Event, stop: threading.Event) -> None:
                """The kiosk's notify worker: a round after each check-in."""
                nonlocal rounds_sent
                while not stop.is_set():
                    if wake.wait(0.05):
                        wake.clear()
                        services.notify.deliver_quietly()
                        rounds_sent += 1

            worker = threading.Thread(target=sender, args=(wake, stop))
            if side == "down":
                worker.start()
            for i in range(done + 1, done + n + 1):
                visit = dataclasses.replace(new_visit(i), host_id=host, host_name=None)
                t0 = time.perf_counter()
                checkin.store(visit, BENCH)
                times[side].append((time.perf_counter() - t0) * 1e3)
                if side == "down":
                    wake.set()
                time.sleep(PACE_S)
            stop.set()
            if side == "down":
                worker.join()
            done += n
    assert rounds_sent > 0
    down, quiet = statistics.median(times["down"]), statistics.median(times["quiet"])
    ratio = down / quiet
    return Result(
        "check-in ms, SMTP + webhooks down",
        down,
        "ms",
        quiet,
        ratio,
        "ratio <= 1.5",
        ratio <= 1.5,
    )
