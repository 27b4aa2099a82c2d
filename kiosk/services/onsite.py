"""The evacuation list: everyone checked in and not out, today and any earlier day still
open (someone who stayed overnight is still in the building)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from kiosk.columns import table
from kiosk.domain.text import search_key
from kiosk.services.hosts import directory_names, host_shown
from storage.errors import StorageError
from storage.records import VisitRecord

if TYPE_CHECKING:
    from storage.store import Store


@dataclass(frozen=True, slots=True)
class OnSite:
    name: str
    company: str
    host: str
    since: str


ON_SITE_TITLES = ("Name", "Company", "Host", "Since")
PRINT_WIDTH = 80  # a line of a text page on the printer


def on_site_lines(people: list[OnSite], room: int = PRINT_WIDTH) -> list[str]:
    """The list under its column titles, fitted into ``room`` cells: each column as wide
    as its longest entry; when they do not fit, companies and hosts are cut before names
    (nothing when nobody is on site)."""
    if not people:
        return []
    rows = ((p.name, p.company, p.host, p.since) for p in people)
    return table(ON_SITE_TITLES, rows, room, keep=(0, 3))


PAGE_LINES = 60  # a printed page of text: A4 or Letter at six lines an inch, less margins


def on_site_printout(people: list[OnSite], heading: str, page_lines: int = PAGE_LINES) -> str:
    """The list as printed: pages of at most ``page_lines`` lines, split by form feeds,
    each under ``heading`` (when the list was read) and the column titles and ending
    with "Page n of m", so that a marshal handed any one page knows what it is, how old,
    and that there are more."""
    lines = on_site_lines(people)
    if not lines:
        return f"{heading}\n\nNobody on site.\n"
    titles, rows = lines[0], lines[1:]
    per_page = page_lines - 5  # heading, a blank line, titles; a blank line, the page line
    chunks = [rows[i : i + per_page] for i in range(0, len(rows), per_page)]
    return "\f".join(
        "\n".join([heading, "", titles, *chunk, "", f"Page {n} of {len(chunks)}"]) + "\n"
        for n, chunk in enumerate(chunks, 1)
    )


ON_SITE_DAYS = 2  # today and yesterday: someone who stayed the night is still here


def on_site_now(
    store: Store, *, days: int = ON_SITE_DAYS, today: date | None = None
) -> list[OnSite]:
    """Visitors with no check-out among the last ``days`` days, sorted by name the way a
    marshal reads a list: Åse with the A's, Ørsted with the O's."""
    today = today or datetime.now(store.timezone).date()
    hosts = directory_names(store)
    people = []
    for v in store.stream_range(today - timedelta(days=days - 1), today):
        if not isinstance(v, VisitRecord) or v.departed_at is not None:
            continue
        people.append(
            OnSite(
                name=v.name,
                company=v.company or "",
                host=host_shown(v.host_name, v.host_id, hosts),
                since=v.arrived_at.astimezone(store.timezone).strftime("%Y-%m-%d %H:%M"),
            )
        )
    return sorted(people, key=lambda p: (search_key(p.name), p.name))


log = logging.getLogger(__name__)


def audit_best_effort(store: Store, actor: str, action: str, details: dict[str, Any]) -> None:
    """Audit a look at the evacuation list without ever standing in its way: in an
    emergency the list is shown (or printed) even when the event cannot be written."""
    try:
        store.record_event(actor, action, details=details)
    except (StorageError, OSError) as exc:  # the database, or the checkpoint file
        log.warning("%s not audited (%s); the list is shown anyway", action, type(exc).__name__)
