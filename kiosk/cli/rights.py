"""A visitor's rights requests: `kiosk rights show|export|restrict|withdraw-consent|erase`,
and their register: `kiosk rights request open|list|show|extend|answer|refuse`."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import click

from kiosk.cli.base import Context, Day, fail, pass_ctx
from kiosk.domain.codes import short_ref
from kiosk.domain.requests import (
    CHANNELS,
    MAX_EXTENSION_MONTHS,
    OBJECTION_PURPOSES,
    RequestKind,
    RightsRequest,
)
from kiosk.domain.text import TextError
from kiosk.services.rights import Person

REQUEST = click.option(
    "--request",
    "request",
    metavar="ID",
    help="The open rights request this answers (its id, or the 8 characters the"
    " register lists): the action is recorded on it.",
)


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
@click.option(
    "--format",
    "form",
    type=click.Choice(["json", "csv"]),
    help="JSON, or CSV rows (section, item, field, value) for the person to take"
    " elsewhere. Default: csv for an --output ending in .csv, else json.",
)
@REQUEST
@pass_ctx
def rights_export(
    obj: Context, who: str, output: Path, form: str | None, request: str | None
) -> None:
    """Write everything held about a person as JSON or CSV (never overwrites a file)."""
    person = _person(obj, who)
    if output.exists():
        fail(f"{output} exists; choose a new file")
    form = form or ("csv" if output.suffix.lower() == ".csv" else "json")
    done = obj.services.rights.export(person, output, obj.actor, request, form=form)
    click.echo(f"wrote {done.visits} visit(s) to {done.path} (sha256 {done.sha256})")


@rights.command("restrict")
@click.argument("who")
@click.option("--lift", is_flag=True, help="Lift the restriction instead.")
@REQUEST
@pass_ctx
def rights_restrict(obj: Context, who: str, lift: bool, request: str | None) -> None:
    """Restrict a person's visits (left out of exports unless an admin asks)."""
    n = obj.services.rights.restrict(_person(obj, who), obj.actor, not lift, request)
    click.echo(f"{n} visit(s) {'no longer restricted' if lift else 'restricted'}")


@rights.command("object")
@click.argument("who")
@click.option(
    "--to",
    "purposes",
    type=click.Choice(OBJECTION_PURPOSES),
    multiple=True,
    required=True,
    help="What they object to: notifications (their host e-mailed when they arrive),"
    " exports (being in security's access exports). Repeat for both.",
)
@click.option(
    "--request",
    "request",
    metavar="ID",
    required=True,
    help="Their objection in the register (kiosk rights request open objection ...).",
)
@pass_ctx
def rights_object(obj: Context, who: str, purposes: tuple[str, ...], request: str) -> None:
    """Uphold a person's objection: stop using their data for these purposes, for what is
    held and for visits to come (kept: the on-site and evacuation lists, their NDAs)."""
    done = obj.services.rights.object(_person(obj, who), purposes, obj.actor, request)
    click.echo(
        f"objection to {' and '.join(done.purposes)} upheld for {done.visits} visit(s) held"
        f" and those to come: {done.emails_dropped} host e-mail(s) not sent,"
        f" {done.restricted} visit(s) left out of exports"
    )


@rights.command("withdraw-consent")
@click.argument("who")
@REQUEST
@pass_ctx
def rights_withdraw_consent(obj: Context, who: str, request: str | None) -> None:
    """Remove health screening outcomes and answers from a person's visits."""
    n = obj.services.rights.withdraw_consent(_person(obj, who), obj.actor, request)
    click.echo(f"health screening data removed from {n} visit(s)")


@rights.command("erase")
@click.argument("who")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@REQUEST
@pass_ctx
def rights_erase(obj: Context, who: str, yes: bool, request: str | None) -> None:
    """Delete every visit, NDA acceptance and notification of a person."""
    person = _person(obj, who)
    if not yes:
        click.confirm("Erase everything held about this person? This cannot be undone", abort=True)
    report = obj.services.rights.erase(person, obj.actor, request)
    click.echo(
        f"erased {report.visits} visit(s), {report.nda_acceptances} NDA acceptance(s), "
        f"{report.outbox} notification(s), {report.invitations} invitation(s)"
    )


@rights.group("request")
def request_group() -> None:
    """The register of rights requests: when each came in, what was asked, what was done
    and when the answer is due (a month; once extendable by up to two)."""


def _line(r: RightsRequest, today: date) -> str:
    if r.overdue(today):
        state = f"OVERDUE by {(today - r.due_on).days} day(s)"
    elif r.status.value == "open":
        state = f"open, {(r.due_on - today).days} day(s) left"
    else:
        state = r.status.value
    who = r.email or r.phone or "-"
    return (
        f"{short_ref(r.id)}  {r.kind.value:<13} received {r.received_on}  due {r.due_on}"
        f"{' (extended)' if r.extended_months else ''}  {state}  {who}"
    )


@request_group.command("open")
@click.argument("kind", type=click.Choice([k.value for k in RequestKind]))
@click.argument("who")
@click.option(
    "--via", "channel", type=click.Choice(CHANNELS), required=True, help="How it came in."
)
@click.option("--received", type=Day(), help="The day it came in (default today).")
@pass_ctx
def request_open(
    obj: Context, kind: str, who: str, channel: str, received: datetime | None
) -> None:
    """Register a request of KIND from WHO (their e-mail address or phone number)."""
    day = received.date() if received else None
    r = obj.services.rights.open_request(kind, _person(obj, who), channel, obj.actor, day)
    click.echo(f"request {r.id} registered: {r.kind.value}, due {r.due_on}")


@request_group.command("list")
@pass_ctx
def request_list(obj: Context) -> None:
    """Every request held: overdue first, then due within a week, then the other open
    ones, then the closed ones."""
    today = obj.services.ctx.today()
    found = obj.services.rights.requests(obj.actor)
    for r in found:
        click.echo(_line(r, today))
    overdue = sum(r.overdue(today) for r in found)
    click.echo(f"{len(found)} request(s), {overdue} overdue")


@request_group.command("show")
@click.argument("ref", metavar="ID")
@pass_ctx
def request_show(obj: Context, ref: str) -> None:
    """One request with what was done for it."""
    r = obj.services.rights.request(ref, obj.actor)
    click.echo(_line(r, obj.services.ctx.today()))
    click.echo(f"id {r.id}, received via {r.channel}")
    if r.extended_months:
        click.echo(f"extended by {r.extended_months} month(s): {r.extension_reason}")
    for a in r.actions:
        click.echo(f"  {a.at:%Y-%m-%d %H:%M} UTC  {a.action}  by {a.actor}")
    if r.closed_at:
        click.echo(f"{r.status.value} {r.closed_at:%Y-%m-%d %H:%M} UTC: {r.note or '-'}")


@request_group.command("extend")
@click.argument("ref", metavar="ID")
@click.option("--months", type=click.IntRange(1, MAX_EXTENSION_MONTHS), required=True)
@click.option("--reason", required=True, help="Why it needs longer (told to the person).")
@pass_ctx
def request_extend(obj: Context, ref: str, months: int, reason: str) -> None:
    """Extend a request's due date once, by one or two months."""
    r = obj.services.rights.extend(ref, months, reason, obj.actor)
    click.echo(f"request {r.id} now due {r.due_on}")


@request_group.command("answer")
@click.argument("ref", metavar="ID")
@click.option("--note", default="", help="What was answered (optional).")
@pass_ctx
def request_answer(obj: Context, ref: str, note: str) -> None:
    """Close a request as answered."""
    r = obj.services.rights.close(ref, "answered", note, obj.actor)
    click.echo(f"request {r.id} answered")


@request_group.command("refuse")
@click.argument("ref", metavar="ID")
@click.option("--reason", required=True, help="Why it is refused (told to the person).")
@pass_ctx
def request_refuse(obj: Context, ref: str, reason: str) -> None:
    """Close a request as refused, with the reason."""
    r = obj.services.rights.close(ref, "refused", reason, obj.actor)
    click.echo(f"request {r.id} refused")
