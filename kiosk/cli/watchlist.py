"""The watchlist, for admins: `kiosk watchlist add|list|remove`."""

from __future__ import annotations

from datetime import datetime

import click

from kiosk.cli.base import Context, Day, pass_ctx
from kiosk.domain.codes import short_ref


@click.group("watchlist")
def watchlist() -> None:
    """People the office must not let in unannounced: matched at check-in (the visitor
    sees nothing of it; reception is alerted in the console). Entries are encrypted and
    expire by themselves."""


@watchlist.command("add")
@click.option("--email", help="Their e-mail address.")
@click.option("--phone", help="Their phone number.")
@click.option("--name", help="Their name (compared without case, accents or hyphens).")
@click.option("--reason", required=True, help="Why: what reception is shown on a match.")
@click.option(
    "--expires",
    type=Day(),
    required=True,
    help="The last day it holds (at most watchlist.max_days ahead).",
)
@pass_ctx
def watchlist_add(
    obj: Context,
    email: str | None,
    phone: str | None,
    name: str | None,
    reason: str,
    expires: datetime,
) -> None:
    """Add an entry: at least one of --email, --phone, --name."""
    entry_id = obj.services.watchlist.add(
        obj.actor, email=email, phone=phone, name=name, reason=reason,
        expires_on=expires.date(),
    )  # fmt: skip
    click.echo(f"entry {short_ref(entry_id)} added, expires {expires.date().isoformat()}")


@watchlist.command("list")
@pass_ctx
def watchlist_list(obj: Context) -> None:
    """The entries in force, soonest to expire first (the look is audited)."""
    entries = obj.services.watchlist.entries(obj.actor)
    for e in entries:
        who = "  ".join(v for v in (e.email, e.phone, e.name) if v)
        click.echo(
            f"{short_ref(e.id)}  expires {e.expires_on}  {who}  reason: {e.reason}"
            f"  (added by {e.added_by})"
        )
    click.echo(f"{len(entries)} entr{'y' if len(entries) == 1 else 'ies'}")


@watchlist.command("remove")
@click.argument("ref")
@pass_ctx
def watchlist_remove(obj: Context, ref: str) -> None:
    """Remove the entry REF (the 8 characters the list shows, or its id)."""
    entry_id = obj.services.watchlist.remove(ref, obj.actor)
    click.echo(f"entry {short_ref(entry_id)} removed")
