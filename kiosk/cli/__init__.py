"""The `kiosk` command: the apps, and scripting commands over the same services.

One module per command group; every command calls the services (kiosk.services) and
never the storage layer (import-linter checks it).
"""

from __future__ import annotations

import logging

import click

from kiosk.cli import (
    apps,
    audit,
    badges,
    documents,
    export,
    hosts,
    invitations,
    maintenance,
    retention,
    rights,
    rollcall,
    setup,
    sites,
    staff,
    visits,
    watchlist,
)
from kiosk.cli.base import Context, KioskGroup


@click.group(cls=KioskGroup, invoke_without_command=True)
@click.version_option(package_name="kiosk", prog_name="kiosk")
@click.pass_context
def main(ctx: click.Context) -> None:
    """Privacy-first visitor registration kiosk."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    ctx.ensure_object(Context)
    if ctx.invoked_subcommand is None:
        ctx.invoke(apps.run)


for command in (
    apps.run,
    apps.console,
    apps.serve,
    setup.setup,
    visits.checkin,
    visits.checkout,
    visits.log_cmd,
    visits.onsite,
    badges.badge,
    invitations.invite,
    hosts.hosts,
    staff.staff,
    sites.site,
    export.export_cmd,
    export.report_cmd,
    rights.rights,
    watchlist.watchlist,
    rollcall.rollcall,
    audit.audit,
    documents.documents,
    retention.purge,
    retention.retention,
    maintenance.db,
    maintenance.keys,
    maintenance.backup,
    maintenance.status,
    maintenance.notify,
):
    main.add_command(command)
