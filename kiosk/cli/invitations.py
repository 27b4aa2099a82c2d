"""Pre-registering an expected visitor: `kiosk invite`."""

from __future__ import annotations

from datetime import datetime

import click

from kiosk.cli.base import Context, Day, pass_ctx, visitor_options, warn_unknown_host
from kiosk.i18n import LANGUAGES


@click.command()
@visitor_options
@click.option("--date", "day", type=Day(), required=True)
@click.option("--send", is_flag=True, help="E-mail the invitation (its code) to --email.")
@click.option(
    "--language",
    type=click.Choice(sorted(LANGUAGES)),
    help="The language of that e-mail (default: notify.language).",
)
@pass_ctx
def invite(
    obj: Context,
    name: str,
    email: str | None,
    phone: str | None,
    company: str,
    host: str,
    day: datetime,
    visitor_type: str,
    send: bool,
    language: str | None,
) -> None:
    """Pre-register an expected visitor; prints the invitation code."""
    services = obj.services
    registration = services.checkin.registration(
        name=name, email=email, phone=phone, company=company, host=host,
        visitor_type=visitor_type,
    )  # fmt: skip
    warn_unknown_host(registration)
    send_in = (language or obj.settings.notify.language) if send else ""
    invitation_id, code = services.invitations.preregister(
        registration, day.date(), obj.actor, send_in=send_in
    )
    click.echo(f"invitation {code}")
    if send:
        sent = services.invitations.send(invitation_id)
        click.echo("e-mailed" if sent else "e-mail not sent yet: kiosk notify retries it")
