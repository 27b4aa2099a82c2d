"""Forgetting on schedule: `kiosk purge` and `kiosk retention show|set`."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

import click

from kiosk.cli.base import Context, Moment, fail, pass_ctx
from kiosk.services.retention import FROM_DATABASE


@click.command()
@click.option("--as-of", type=Moment(), help="Pretend it is this moment (UTC).")
@click.option("--dry-run", is_flag=True, help="Only count what would be removed.")
@pass_ctx
def purge(obj: Context, as_of: datetime | None, dry_run: bool) -> None:
    """Delete expired records and destroy expired data keys."""
    moment = as_of.replace(tzinfo=UTC) if as_of and as_of.tzinfo is None else as_of
    service = obj.services.retention
    report = service.purge(obj.actor, moment, dry_run=dry_run)
    periods = ", ".join(f"{k} {v}" for k, v in dataclasses.asdict(service.policy).items())
    click.echo(f"periods in force: {periods}")
    verb = "would remove" if dry_run else "removed"
    for label, n in report.rows.items():
        click.echo(f"{label}: {verb} {n}")
    for label, n in report.keys_destroyed.items():
        click.echo(f"{label} keys: {'would destroy' if dry_run else 'destroyed'} {n}")


@click.group()
def retention() -> None:
    """The retention periods in force, for every machine on this database."""


@retention.command("show")
@pass_ctx
def retention_show(obj: Context) -> None:
    """Each category's period and where it comes from: set by an admin in the database,
    the settings file (or its default), or a KIOSK_RETENTION_* variable here."""
    for key, period in obj.services.retention.in_force().items():
        if period.source == FROM_DATABASE and period.changed_at is not None:
            where = f"set in the database on {period.changed_at:%Y-%m-%d %H:%M} UTC"
        elif period.source.startswith("KIOSK_"):
            where = f"pinned on this machine by {period.source}"
        else:
            where = "the settings file's, or the default"
        click.echo(f"{key} = {period.days}  ({where})")


@retention.command("set")
@click.argument("periods", nargs=-1, required=True, metavar="CATEGORY=DAYS...")
@pass_ctx
def retention_set(obj: Context, periods: tuple[str, ...]) -> None:
    """Set periods for every kiosk and console on this database (they follow within a
    minute), e.g. `kiosk retention set visit_days=60`. Checked against the caps and
    audited, like a change in the console's Retention tab."""
    values: dict[str, str] = {}
    for item in periods:
        key, sep, days = item.partition("=")
        if not sep:
            fail(f"{item!r}: write CATEGORY=DAYS, e.g. visit_days=60", 2)
        values[key.strip()] = days
    changed = obj.services.retention.save(values, obj.actor)
    for key, n in changed.items():
        click.echo(f"{key} = {n}")
    if not changed:
        click.echo("no period changed")
