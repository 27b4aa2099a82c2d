"""Visitors in and out: `kiosk checkin`, `kiosk checkout`, `kiosk log`, `kiosk onsite`."""

from __future__ import annotations

import csv
import json
import sys
from datetime import datetime

import click

from kiosk.cli.base import (
    Context,
    Day,
    fail,
    pass_ctx,
    print_table,
    visitor_options,
    warn_unknown_host,
)
from kiosk.documents import Terms
from kiosk.documents import load as load_document
from kiosk.domain.cells import safe_cell
from kiosk.domain.visits import NdaSignature
from kiosk.i18n import LANGUAGES
from kiosk.services.log import LogRow
from kiosk.services.onsite import on_site_count


@click.command()
@visitor_options
@click.option(
    "--accept-nda",
    is_flag=True,
    help="The visitor accepts the NDA (signed by --name; for an under-16, by --guardian).",
)
@click.option(
    "--under-16",
    "under_16",
    is_flag=True,
    help="The visitor is under 16: only with --guardian, who consents and signs for them.",
)
@click.option("--guardian", help="An under-16's parent or guardian (full name), who is with them.")
@click.option("--language", type=click.Choice(sorted(LANGUAGES)), default="en", show_default=True)
@pass_ctx
def checkin(
    obj: Context,
    name: str,
    email: str | None,
    phone: str | None,
    company: str,
    host: str,
    visitor_type: str,
    accept_nda: bool,
    under_16: bool,
    guardian: str | None,
    language: str,
) -> None:
    """Check a visitor in; prints the visit id and the badge code."""
    if under_16 and not (guardian or "").strip():
        raise click.UsageError(
            "an under-16 visitor is registered only with the parent or guardian who is with"
            " them: add --guardian NAME (one on their own is sent to reception)"
        )
    if guardian is not None and not under_16:
        raise click.UsageError("--guardian is for an under-16 visitor: add --under-16")
    services = obj.services
    terms = Terms.of(services.retention.policy, screening=False)  # no health questions here
    folder = obj.settings.documents_dir
    privacy = load_document("privacy", language, terms, folder)
    nda = load_document("nda", language, terms, folder)
    reg = services.checkin.registration(
        name=name, email=email, phone=phone, company=company, host=host,
        visitor_type=visitor_type,
    )  # fmt: skip
    reg.privacy_version, reg.privacy_sha256 = privacy.version, privacy.sha256
    reg.privacy_language = privacy.language
    reg.under_16, reg.guardian = under_16, guardian or ""
    if accept_nda:  # an under-16's guardian signs for them
        signer = guardian if under_16 and guardian else name
        reg.nda = NdaSignature(nda.version, nda.language, nda.sha256, signer)
    result = services.checkin.check_in(reg, obj.actor)
    warn_unknown_host(reg)
    click.echo(f"visit {result.visit_id}")
    click.echo(f"badge {result.badge_code}")
    if services.badges.prints:  # the label, as the kiosk prints it; its outcome said
        printed = services.badges.print(services.badges.issue(result, reg), obj.actor)
        if printed is not None:  # (a failure is also logged as a warning, on stderr)
            click.echo(
                "badge printed" if printed.printed else f"badge not printed ({printed.reason})"
            )


@click.command()
@click.argument("code", required=False)
@click.option(
    "--overdue",
    is_flag=True,
    help="Instead: check out everyone still checked in at the kiosk.auto_checkout time,"
    " on every day held.",
)
@pass_ctx
def checkout(obj: Context, code: str | None, overdue: bool) -> None:
    """Check a visitor out by badge code."""
    if overdue == (code is not None):
        raise click.UsageError("give a badge code, or --overdue")
    if code is not None:
        visit_id = obj.services.checkin.check_out(code, obj.actor)
        click.echo(f"checked out visit {visit_id}")
        return
    at = obj.settings.kiosk.auto_checkout_at()
    if at is None:
        raise click.ClickException(
            "kiosk.auto_checkout is not set: there is no time to check visitors out at"
        )
    done = obj.services.visits.auto_check_out(obj.actor)
    click.echo(f"checked out {done} visit(s) automatically, as of {at:%H:%M}")


LOG_COLUMNS = ("in", "out", "name", "company", "host", "type", "nda", "flag", "status")


def _log_columns(row: LogRow) -> dict[str, str]:
    return {
        "in": row.arrived,
        "out": row.departed,
        "name": row.name,
        "company": row.company,
        "host": row.host,
        "type": row.visitor_type,
        "nda": row.nda,
        "flag": row.flag,
        "status": row.status,
    }


@click.command("log")
@click.option("--date", "day", type=Day(), help="Day (default today).")
@click.option("--search", default="", help="Filter on name, company or host.")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table")
@pass_ctx
def log_cmd(obj: Context, day: datetime | None, search: str, fmt: str) -> None:
    """Show a day's visits."""
    services = obj.services
    the_day = day.date() if day else services.ctx.today()
    # Who read whose visits: audited before they are printed.
    found = services.log.day(the_day, obj.actor, search=search, expected=False)
    rows = [_log_columns(r) for r in found.rows]
    if fmt == "json":
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
    elif fmt == "csv":
        writer = csv.DictWriter(sys.stdout, fieldnames=LOG_COLUMNS)
        writer.writeheader()
        writer.writerows({k: safe_cell(v) for k, v in row.items()} for row in rows)
    else:
        print_table(rows, LOG_COLUMNS)
        click.echo(f"{len(rows)} visit(s)")
    for why in found.why:
        click.echo(f"kiosk: warning: {why}", err=True)


ONSITE_COLUMNS = ("name", "company", "host", "since")
EXIT_UNREADABLE = 3  # kiosk onsite: the list holds records that could not be read


@click.command()
@click.option("--format", "fmt", type=click.Choice(["text", "csv"]), default="text")
@pass_ctx
def onsite(obj: Context, fmt: str) -> None:
    """Everyone on site now (the evacuation list), sorted by name."""
    people = obj.services.onsite.people(obj.actor)
    if fmt == "csv":
        writer = csv.writer(sys.stdout)
        writer.writerow(ONSITE_COLUMNS)
        for p in people:
            writer.writerow([safe_cell(p.name), safe_cell(p.company), safe_cell(p.host), p.since])
    else:
        click.echo(on_site_count(people))
        if people:
            print_table(
                [{c: getattr(p, c) for c in ONSITE_COLUMNS} for p in people], ONSITE_COLUMNS
            )
    bad = [p for p in people if p.unreadable]
    for p in bad:
        click.echo(f"kiosk: warning: {p.unreadable}", err=True)
    if bad:  # a script printing the list must notice it is not the whole truth
        fail(f"{len(bad)} record(s) on the list could not be read", EXIT_UNREADABLE)
