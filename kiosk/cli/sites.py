"""Sites sharing one database: `kiosk site list|add`."""

from __future__ import annotations

import click

from kiosk.cli.base import Context, pass_ctx, print_table
from kiosk.services.bundle import add_site, site_lines


@click.group()
def site() -> None:
    """Sites (lobbies or offices) sharing this database."""


@site.command("list")
@pass_ctx
def site_list(obj: Context) -> None:
    """The sites in this database: id, name, visits stored; * marks this kiosk's."""
    rows = [
        {
            "": "*" if line.this else "",
            "id": line.slug,
            "name": line.name,
            "visits": str(line.visits),
        }
        for line in site_lines(obj.services)
    ]
    print_table(rows, ("", "id", "name", "visits"))


@site.command("add")
@click.argument("name")
@click.option("--id", "site_id", default="", help="Its stable id (default: from the name).")
@pass_ctx
def site_add(obj: Context, name: str, site_id: str) -> None:
    """Add a new site to a database that other sites share."""
    slug = add_site(obj.settings, name, site_id)
    click.echo(f"added site {slug} ({name!r})")
    click.echo(f'its kiosks: site_id = "{slug}" and site_name = "{name}" in their config')
