"""A visitor's rights requests: `kiosk rights show|export|restrict|withdraw-consent|erase`."""

from __future__ import annotations

from pathlib import Path

import click

from kiosk.cli.base import Context, fail, pass_ctx
from kiosk.domain.text import TextError
from kiosk.services.rights import Person


@click.group()
def rights() -> None:
    """A visitor's rights requests: WHO is their e-mail address or phone number."""


def _person(obj: Context, who: str) -> Person:
    try:
        return obj.services.rights.person(who)
    except TextError as exc:
        fail(exc.message, 2)


@rights.command("show")
@click.argument("who")
@pass_ctx
def rights_show(obj: Context, who: str) -> None:
    """List the visits held about a person."""
    data = obj.services.rights.lookup(_person(obj, who), obj.actor)
    for v in data.visits:
        click.echo(
            f"{v.arrived_at:%Y-%m-%d %H:%M}  {v.id}  {v.name}  {v.company or '-'}"
            + ("  (restricted)" if v.restricted else "")
        )
    click.echo(
        f"{len(data.visits)} visit(s), {len(data.nda_acceptances)} NDA acceptance(s), "
        f"{len(data.invitations)} invitation(s)"
    )


@rights.command("export")
@click.argument("who")
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), required=True)
@pass_ctx
def rights_export(obj: Context, who: str, output: Path) -> None:
    """Write everything held about a person as JSON (never overwrites a file)."""
    person = _person(obj, who)
    if output.exists():
        fail(f"{output} exists; choose a new file")
    done = obj.services.rights.export(person, output, obj.actor)
    click.echo(f"wrote {done.visits} visit(s) to {done.path} (sha256 {done.sha256})")


@rights.command("restrict")
@click.argument("who")
@click.option("--lift", is_flag=True, help="Lift the restriction instead.")
@pass_ctx
def rights_restrict(obj: Context, who: str, lift: bool) -> None:
    """Restrict a person's visits (left out of exports unless an admin asks)."""
    n = obj.services.rights.restrict(_person(obj, who), obj.actor, not lift)
    click.echo(f"{n} visit(s) {'no longer restricted' if lift else 'restricted'}")


@rights.command("withdraw-consent")
@click.argument("who")
@pass_ctx
def rights_withdraw_consent(obj: Context, who: str) -> None:
    """Remove health screening outcomes and answers from a person's visits."""
    n = obj.services.rights.withdraw_consent(_person(obj, who), obj.actor)
    click.echo(f"health screening data removed from {n} visit(s)")


@rights.command("erase")
@click.argument("who")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@pass_ctx
def rights_erase(obj: Context, who: str, yes: bool) -> None:
    """Delete every visit, NDA acceptance and notification of a person."""
    person = _person(obj, who)
    if not yes:
        click.confirm("Erase everything held about this person? This cannot be undone", abort=True)
    report = obj.services.rights.erase(person, obj.actor)
    click.echo(
        f"erased {report.visits} visit(s), {report.nda_acceptances} NDA acceptance(s), "
        f"{report.outbox} notification(s), {report.invitations} invitation(s)"
    )
