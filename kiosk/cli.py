"""The `kiosk` command: the kiosk itself, and scripting commands over the same store."""

from __future__ import annotations

import csv
import dataclasses
import getpass
import json
import logging
import os
import shlex
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import click

from kiosk.columns import table
from kiosk.config import ConfigError, Settings, load_settings
from kiosk.documents import Terms
from kiosk.documents import load as load_document
from kiosk.domain.cells import safe_cell
from kiosk.domain.registration import ValidationErrors
from kiosk.i18n import LANGUAGES
from kiosk.runtime import open_from_settings, rotate_keys, store_config
from kiosk.services.checkin import CheckInService, NdaRequired
from kiosk.services.log import LogService, departure_clock, visit_flags
from kiosk.services.retention import RetentionService
from kiosk.services.staff import ROLES, PinPolicyError, StaffService
from storage.errors import StorageError
from storage.records import NdaSignature, VisitorType, VisitRecord
from storage.staff import StaffRepository
from storage.store import Store

log = logging.getLogger("kiosk")
F = TypeVar("F", bound=Callable[..., Any])


def cli_actor() -> str:
    """The operating-system user running a command: holding the key file is the right."""
    try:
        return "os:" + getpass.getuser()
    except (KeyError, OSError):
        return "os:unknown"


def fail(message: str, code: int = 1) -> NoReturn:
    click.echo(f"kiosk: error: {message}", err=True)
    sys.exit(code)


class KioskGroup(click.Group):
    """Turns every error a user can cause into one line on stderr and a non-zero exit."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ValidationErrors as exc:
            fail("; ".join(f"{k}: {v}" for k, v in sorted(exc.fields.items())), 2)
        except (ConfigError, StorageError, NdaRequired) as exc:
            fail(str(exc))
        except click.UsageError as exc:  # a wrong option or value: one line, not click's three
            where = exc.ctx.command_path if exc.ctx else "kiosk"
            fail(f"{exc.format_message()} (see {where} --help)", exc.exit_code)
        except (click.ClickException, click.exceptions.Exit, click.Abort, SystemExit):
            raise
        except Exception as exc:
            # The message of an unexpected error may quote data: show only its type,
            # and the traceback only when debugging is asked for.
            if os.environ.get("KIOSK_DEBUG"):
                raise
            fail(f"internal error ({type(exc).__name__}); run with KIOSK_DEBUG=1 for details", 70)


class Context:
    """Settings and the store, opened on first use by the command that needs them."""

    def __init__(self) -> None:
        self._settings: Settings | None = None
        self._store: Store | None = None

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            self._settings = load_settings()
        return self._settings

    @property
    def store(self) -> Store:
        if self._store is None:
            self._store = open_from_settings(self.settings)
        return self._store


pass_ctx = click.make_pass_decorator(Context, ensure=True)


@click.group(cls=KioskGroup, invoke_without_command=True)
@click.pass_context
def main(ctx: click.Context) -> None:
    """Privacy-first visitor registration kiosk."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    ctx.ensure_object(Context)
    if ctx.invoked_subcommand is None:
        ctx.invoke(run)


def _check_in_service(obj: Context) -> CheckInService:
    return CheckInService(
        obj.store,
        phone_region=obj.settings.phone_region,
        nda_types=obj.settings.kiosk.nda_types,
        actor=cli_actor(),
    )


def visitor_options(command: F) -> F:
    """The visitor's details, shared by checkin and invite."""
    for option in reversed(
        [
            click.option("--name", required=True, help="The visitor's full name."),
            click.option("--email", help="E-mail address (this and/or --phone)."),
            click.option("--phone", help="Phone number (this and/or --email)."),
            click.option("--company", default="", help="Company."),
            click.option("--host", default="", help="Who they visit (a host's name)."),
            click.option(
                "--type",
                "visitor_type",
                type=click.Choice([t.value for t in VisitorType]),
                default=VisitorType.GUEST.value,
                show_default=True,
            ),
        ]
    ):
        command = option(command)
    return command


@main.command()
@pass_ctx
def run(obj: Context) -> None:
    """Open the visitor kiosk (the default command)."""
    from kiosk.app import run_kiosk

    run_kiosk(obj.settings)


@main.command()
@pass_ctx
def console(obj: Context) -> None:
    """Open the reception console (staff log in with their PIN)."""
    from kiosk.app import run_console

    run_console(obj.settings)


@main.command()
@visitor_options
@click.option("--accept-nda", is_flag=True, help="The visitor accepts the NDA (signed by --name).")
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
    language: str,
) -> None:
    """Check a visitor in; prints the visit id and the badge code."""
    service = _check_in_service(obj)
    terms = Terms.of(obj.store.retention, screening=False)  # no health questions here
    folder = obj.settings.documents_dir
    privacy = load_document("privacy", language, terms, folder)
    nda = load_document("nda", language, terms, folder)
    reg = service.registration(
        name=name, email=email, phone=phone, company=company, host=host,
        visitor_type=visitor_type,
    )  # fmt: skip
    reg.privacy_version, reg.privacy_sha256 = privacy.version, privacy.sha256
    reg.privacy_language = privacy.language
    if accept_nda:
        reg.nda = NdaSignature(nda.version, nda.language, nda.sha256, name)
    result = service.check_in(reg)
    click.echo(f"visit {result.visit_id}")
    click.echo(f"badge {result.badge_code}")


@main.command()
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
        visit_id = _check_in_service(obj).check_out(code)
        click.echo(f"checked out visit {visit_id}")
        return
    at = obj.settings.kiosk.auto_checkout_at()
    if at is None:
        raise click.ClickException(
            "kiosk.auto_checkout is not set: there is no time to check visitors out at"
        )
    done = obj.store.auto_check_out(at, actor=cli_actor())
    click.echo(f"checked out {done} visit(s) automatically, as of {at:%H:%M}")


LOG_COLUMNS = ("in", "out", "name", "company", "host", "type", "nda", "flag", "status")


def _log_row(v: VisitRecord, hosts: dict[str, str], tz: Any) -> dict[str, str]:
    return {
        "in": v.arrived_at.astimezone(tz).strftime("%H:%M"),
        "out": departure_clock(v, tz),
        "name": v.name,
        "company": v.company or "",
        "host": v.host_name or hosts.get(str(v.host_id), ""),
        "type": v.visitor_type.value,
        "nda": "yes" if v.nda_accepted else "no",
        "flag": ", ".join(visit_flags(v)),
        "status": "on site" if v.on_site else "left",
    }


@main.command("log")
@click.option("--date", "day", type=click.DateTime(["%Y-%m-%d"]), help="Day (default today).")
@click.option("--search", default="", help="Filter on name, company or host.")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table")
@pass_ctx
def log_cmd(obj: Context, day: datetime | None, search: str, fmt: str) -> None:
    """Show a day's visits."""
    service = LogService(obj.store)
    the_day = day.date() if day else service.today()
    result = service.day(the_day)
    visits = service.search(result.visits, search)
    hosts = service.host_names()
    rows = [_log_row(v, hosts, obj.store.timezone) for v in visits]
    obj.store.record_event(  # who read whose visits: audited before they are printed
        cli_actor(),
        "log.view",
        details={"day": the_day.isoformat(), "visits": len(result.visits), "shown": len(rows)},
    )
    if fmt == "json":
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
    elif fmt == "csv":
        writer = csv.DictWriter(sys.stdout, fieldnames=LOG_COLUMNS)
        writer.writeheader()
        writer.writerows({k: safe_cell(v) for k, v in row.items()} for row in rows)
    else:
        _print_table(rows, LOG_COLUMNS)
        click.echo(f"{len(rows)} visit(s)")
    for damaged in result.damaged:
        click.echo(f"kiosk: warning: {damaged.reason}", err=True)


def _print_table(rows: list[dict[str, str]], columns: tuple[str, ...]) -> None:
    """Columns two spaces apart, each as wide as its widest cell (in terminal cells)."""
    for line in table(columns, ([row[c] for c in columns] for row in rows)):
        click.echo(line)


@main.group()
def db() -> None:
    """Database maintenance."""


@db.command()
@pass_ctx
def upgrade(obj: Context) -> None:
    """Apply the migrations of the records database and the key store."""
    _ = obj.store
    click.echo("database is up to date")


@main.group()
def keys() -> None:
    """Master key management."""


@keys.command()
@pass_ctx
def rotate(obj: Context) -> None:
    """Re-wrap every data key under a new master key (rows are not re-encrypted)."""
    count = rotate_keys(obj.settings)
    click.echo(f"rotated the master key; re-wrapped {count} data key(s)")
    click.echo(f"back up the new key file now: {store_config(obj.settings).key_file}")


@main.command()
@click.option("--as-of", type=click.DateTime(), help="Pretend it is this moment (UTC).")
@click.option("--dry-run", is_flag=True, help="Only count what would be removed.")
@pass_ctx
def purge(obj: Context, as_of: datetime | None, dry_run: bool) -> None:
    """Delete expired records and destroy expired data keys."""
    moment = as_of.replace(tzinfo=UTC) if as_of and as_of.tzinfo is None else as_of
    store = obj.store
    report = RetentionService(store, actor=cli_actor()).purge(moment, dry_run=dry_run)
    periods = ", ".join(f"{k} {v}" for k, v in dataclasses.asdict(store.retention).items())
    click.echo(f"periods in force: {periods}")
    verb = "would remove" if dry_run else "removed"
    for label, n in report.rows.items():
        click.echo(f"{label}: {verb} {n}")
    for label, n in report.keys_destroyed.items():
        click.echo(f"{label} keys: {'would destroy' if dry_run else 'destroyed'} {n}")


@main.command()
@click.option(
    "--records",
    "records_to",
    type=click.Path(path_type=Path),
    required=True,
    help="A new file, or a folder to put a dated file in.",
)
@click.option(
    "--keystore",
    "keystore_to",
    type=click.Path(path_type=Path),
    help="The same for the key store: another folder than the records'.",
)
@pass_ctx
def backup(obj: Context, records_to: Path, keystore_to: Path | None) -> None:
    """Copy the records and the key store (SQLite) while kiosks keep running."""
    from kiosk.services.backup import BackupService

    result = BackupService(obj.store, actor=cli_actor()).backup(records_to, keystore_to)
    mb = result.records.size / 1e6
    click.echo(f"records: {result.records.path} ({result.records.rows} visit(s), {mb:.1f} MB)")
    if result.keystore is not None:
        click.echo(f"key store: {result.keystore.path} ({result.keystore.rows} data key(s))")
    else:
        click.echo("key store: not copied (--keystore): the records copy is unreadable without it")
    key_file = store_config(obj.settings).key_file
    click.echo(f"the master key is in neither copy: keep {key_file} safe, apart from both")


@main.command()
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@pass_ctx
def status(obj: Context, fmt: str) -> None:
    """What this installation is doing, and what needs attention (exit 1 if anything)."""
    from kiosk.services.status import collect

    report = collect(obj.store, datetime.now(UTC), email=bool(obj.settings.notify.smtp_host))
    if fmt == "json":
        click.echo(json.dumps({"ok": report.ok, **report.data, "attention": report.attention}))
        sys.exit(0 if report.ok else 1)
    width = max(len(label) for label, _ in report.facts)
    for label, value in report.facts:
        click.echo(f"{label + ':':<{width + 1}} {value}")
    for line in report.attention:
        click.echo(f"attention: {line}")
    if not report.ok:
        sys.exit(1)


@main.group()
def retention() -> None:
    """The retention periods in force, for every machine on this database."""


@retention.command("show")
@pass_ctx
def retention_show(obj: Context) -> None:
    """Each category's period and where it comes from: set by an admin in the database,
    the settings file (or its default), or a KIOSK_RETENTION_* variable here."""
    from kiosk.services.retention import FROM_DATABASE, in_force

    for key, period in in_force(obj.store, obj.settings).items():
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
    from kiosk.services.admin import RetentionAdmin

    values: dict[str, str] = {}
    for item in periods:
        key, sep, days = item.partition("=")
        if not sep:
            fail(f"{item!r}: write CATEGORY=DAYS, e.g. visit_days=60", 2)
        values[key.strip()] = days
    admin = RetentionAdmin(obj.store, obj.settings, actor=cli_actor())
    changed = admin.save(values)
    for key, n in changed.items():
        click.echo(f"{key} = {n}")
    if not changed:
        click.echo("no period changed")


@main.command()
@pass_ctx
def notify(obj: Context) -> None:
    """Send the host notifications that are due (the running kiosk does this by itself;
    this is for a kiosk that is not running, or cron)."""
    from kiosk.services.notify import Notifier

    notifier = Notifier(obj.store, obj.settings.notify, obj.settings.site_name)
    if not notifier.enabled:
        fail("notify.smtp_host is not set: no e-mail can be sent")
    report = notifier.deliver_due()
    click.echo(f"sent {report.sent}, retrying {report.retrying}, given up {report.given_up}")


@main.group()
def hosts() -> None:
    """The hosts directory."""


@hosts.command("add")
@click.argument("name")
@click.option("--email", help="Where arrival notifications go.")
@click.option(
    "--language",
    type=click.Choice(sorted(LANGUAGES)),
    help="The language of the host's e-mails (default: notify.language).",
)
@pass_ctx
def hosts_add(obj: Context, name: str, email: str | None, language: str | None) -> None:
    """Add a host."""
    from kiosk.domain.registration import normalise_email
    from kiosk.domain.text import TextError, clean_text, search_key
    from kiosk.services.hosts import duplicate_host_message
    from storage.errors import DuplicateName

    try:
        clean = clean_text(name, max_len=120, required=True)
        mail = normalise_email(email) if email else None
    except TextError as exc:
        fail(exc.message, 2)
    assert clean is not None
    try:
        host_id = obj.store.add_host(clean, mail, language, actor=cli_actor(), name_key=search_key)
    except DuplicateName as exc:
        fail(duplicate_host_message(exc), 1)
    click.echo(f"host {host_id}")


@hosts.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@pass_ctx
def hosts_import(obj: Context, path: Path) -> None:
    """Import hosts from a CSV file with a header: name[,email][,language].

    A host already in the directory (same name) is updated; an empty e-mail or language
    keeps what it has. The language (en, nl) is that of the host's e-mails; without one
    they go in notify.language."""
    from kiosk.domain.registration import normalise_email
    from kiosk.domain.text import TextError, clean_text, search_key
    from kiosk.i18n import host_language
    from storage.hosts import HostDirectory

    rows: list[tuple[str, str | None, str | None]] = []
    with path.open(newline="", encoding="utf-8-sig") as fh:
        reader = csv.DictReader(fh)
        if not reader.fieldnames or "name" not in reader.fieldnames:
            fail(f"{path}: the first line must name the columns: name[,email][,language]", 2)
        for line_no, record in enumerate(reader, start=2):
            try:
                name = clean_text(record.get("name"), max_len=120, required=True)
                email = (record.get("email") or "").strip()
                language = host_language(record.get("language") or "")
                rows.append(
                    (name or "", normalise_email(email) if email else None, language or None)
                )
            except TextError as exc:
                fail(f"{path}, line {line_no}: {exc.message}", 2)
    added, updated = HostDirectory(obj.store, search_key).import_many(rows, actor=cli_actor())
    click.echo(f"imported {len(rows)} host(s): {added} added, {updated} updated")


@hosts.command("list")
@pass_ctx
def hosts_list(obj: Context) -> None:
    """List active hosts."""
    for h in obj.store.hosts():
        click.echo(f"{h.id}  {h.name}  {h.email or ''}  {h.language or ''}".rstrip())


@main.command()
@visitor_options
@click.option("--date", "day", type=click.DateTime(["%Y-%m-%d"]), required=True)
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
    from kiosk.services.invite import invite as create_invitation
    from kiosk.services.invite import send_invitation

    registration = _check_in_service(obj).registration(
        name=name, email=email, phone=phone, company=company, host=host,
        visitor_type=visitor_type,
    )  # fmt: skip
    invitation_id, code = create_invitation(
        obj.store,
        obj.settings,
        registration,
        day.date(),
        today=LogService(obj.store).today(),
        actor=cli_actor(),
        send=send,
        language=language,
    )
    click.echo(f"invitation {code}")
    if send:
        sent = send_invitation(obj.store, obj.settings, invitation_id)
        click.echo("e-mailed" if sent else "e-mail not sent yet: kiosk notify retries it")


@main.command("export")
@click.option("--from", "start", type=click.DateTime(["%Y-%m-%d"]), required=True)
@click.option("--to", "end", type=click.DateTime(["%Y-%m-%d"]), required=True)
@click.option("--site", help="Another site sharing the database (default: this kiosk's).")
@click.option("--format", "fmt", type=click.Choice(["csv", "jsonl", "json"]), default="csv")
@click.option("--fields", help="Comma-separated fields (default: all but health).")
@click.option("--include-health", is_flag=True, help="Add the health screening outcome.")
@click.option("--include-restricted", is_flag=True, help="Include restricted records.")
@click.option("--encrypt-to", "recipients", multiple=True, help="age public key (repeatable).")
@click.option("--passphrase", is_flag=True, help="Encrypt with a passphrase (asked twice).")
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), required=True)
@pass_ctx
def export_cmd(
    obj: Context,
    start: datetime,
    end: datetime,
    site: str | None,
    fmt: str,
    fields: str | None,
    include_health: bool,
    include_restricted: bool,
    recipients: tuple[str, ...],
    passphrase: bool,
    output: Path,
) -> None:
    """Export access records for a date range (streamed; CSV safe for spreadsheets)."""
    from kiosk.services.export import FIELDS, ExportError, ExportRequest, ExportService

    secret = None
    if passphrase:
        secret = str(click.prompt("Passphrase", hide_input=True, confirmation_prompt=True))
    request = ExportRequest(
        start=start.date(),
        end=end.date(),
        output=output,
        fmt=fmt,
        fields=tuple(f.strip() for f in fields.split(",")) if fields else FIELDS,
        include_health=include_health,
        include_restricted=include_restricted,
        encrypt_to=recipients,
        passphrase=secret,
        site=site if site and site != obj.settings.site_name else None,
    )
    service = ExportService(obj.store, actor=cli_actor())
    try:
        if sys.stderr.isatty():
            from rich.progress import Progress

            with Progress(transient=True) as bar:
                task = bar.add_task("exporting", total=None)
                result = service.export(request, lambda n: bar.update(task, completed=n))
        else:
            result = service.export(request)
    except ExportError as exc:
        fail(str(exc), 2)
    click.echo(f"exported {result.rows} row(s) to {result.path}")
    click.echo(f"sha256 {result.sha256}")
    if result.skipped_damaged:
        click.echo(
            f"kiosk: warning: {result.skipped_damaged} unreadable record(s) left out", err=True
        )


ONSITE_COLUMNS = ("name", "company", "host", "since")


@main.command()
@click.option("--format", "fmt", type=click.Choice(["text", "csv"]), default="text")
@pass_ctx
def onsite(obj: Context, fmt: str) -> None:
    """Everyone on site now (the evacuation list), sorted by name."""
    from kiosk.services.onsite import audit_best_effort, on_site_now

    people = on_site_now(obj.store)
    audit_best_effort(obj.store, cli_actor(), "onsite.view", {"people": len(people)})
    if fmt == "csv":
        writer = csv.writer(sys.stdout)
        writer.writerow(ONSITE_COLUMNS)
        for p in people:
            writer.writerow([safe_cell(p.name), safe_cell(p.company), safe_cell(p.host), p.since])
        return
    click.echo(f"On site now: {len(people)}")
    if people:
        _print_table([dataclasses.asdict(p) for p in people], ONSITE_COLUMNS)


@main.group()
def audit() -> None:
    """The tamper-evident audit trail."""


@audit.command("verify")
@pass_ctx
def audit_verify(obj: Context) -> None:
    """Check the whole chain and the checkpoint kept outside the database."""
    from storage.audit_trail import verify

    result = verify(obj.store)
    if not result.ok:
        hint = (
            " (if the database was restored from a backup: kiosk audit accept-restore)"
            if result.behind_checkpoint
            else ""
        )
        fail(f"audit trail broken after {result.checked} good event(s): {result.problem}{hint}")
    click.echo(f"audit trail intact: {result.checked} event(s) checked")


@audit.command("accept-restore")
@pass_ctx
def audit_accept_restore(obj: Context) -> None:
    """After restoring the database from a backup: record the restore in the audit trail
    and move the checkpoint to the restored chain (refused for a broken chain)."""
    from storage.audit_trail import accept_restore

    accepted = accept_restore(obj.store, cli_actor())
    click.echo(
        f"restore accepted: the checkpoint recorded event {accepted.checkpoint_seq}, the "
        f"restored chain ended at {accepted.chain_seq}; audited as audit.restore_accepted"
    )


@audit.command("show")
@click.option("--from", "start", type=click.DateTime(), help="From this moment (UTC).")
@click.option("--to", "end", type=click.DateTime(), help="Until this moment (UTC).")
@click.option("--actor")
@click.option("--action")
@pass_ctx
def audit_show(
    obj: Context,
    start: datetime | None,
    end: datetime | None,
    actor: str | None,
    action: str | None,
) -> None:
    """List audit events (ids and actions; they never hold personal data)."""
    from storage.audit_trail import iter_events

    def utc(d: datetime | None) -> datetime | None:
        return d.replace(tzinfo=UTC) if d and d.tzinfo is None else d

    for e in iter_events(obj.store, start=utc(start), end=utc(end), actor=actor, action=action):
        details = json.dumps(e.details, sort_keys=True) if e.details else ""
        click.echo(
            f"{e.seq:>6}  {e.at:%Y-%m-%d %H:%M:%S}  {e.actor:<16} {e.action:<24} "
            f"{e.object_id or '-'}  {details}".rstrip()
        )


@main.group()
def documents() -> None:
    """The privacy notices and NDAs visitors were shown, kept under their SHA-256."""


@documents.command("list")
@pass_ctx
def documents_list(obj: Context) -> None:
    """Every text shown: kind, language, version, SHA-256, first shown, records citing it."""
    from storage.documents import kept_documents

    for d in kept_documents(obj.store):
        click.echo(
            f"{d.kind:<8} {d.language:<3} {d.version:<12} {d.sha256}  "
            f"{d.first_shown_at:%Y-%m-%d %H:%M} UTC  {d.uses} record(s)"
        )


@documents.command("show")
@click.argument("sha256")
@pass_ctx
def documents_show(obj: Context, sha256: str) -> None:
    """Print the exact text kept under SHA256 (`| sha256sum` gives SHA256 back): what
    an NDA acceptance or a visit with that hash was shown."""
    from storage.documents import document_text

    click.echo(document_text(obj.store, sha256.strip().lower()), nl=False)


@main.group()
def rights() -> None:
    """A visitor's rights requests: WHO is their e-mail address or phone number."""


def _rights_person(obj: Context, who: str) -> tuple[Any, Any]:
    from kiosk.domain.text import TextError
    from kiosk.services.rights import RightsService

    service = RightsService(obj.store, actor=cli_actor(), phone_region=obj.settings.phone_region)
    try:
        return service, service.person(who)
    except TextError as exc:
        fail(exc.message, 2)


@rights.command("show")
@click.argument("who")
@pass_ctx
def rights_show(obj: Context, who: str) -> None:
    """List the visits held about a person."""
    service, person = _rights_person(obj, who)
    data = service.lookup(person)
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
    service, person = _rights_person(obj, who)
    if output.exists():
        fail(f"{output} exists; choose a new file")
    done = service.export(person, output)
    click.echo(f"wrote {done.visits} visit(s) to {done.path} (sha256 {done.sha256})")


@rights.command("restrict")
@click.argument("who")
@click.option("--lift", is_flag=True, help="Lift the restriction instead.")
@pass_ctx
def rights_restrict(obj: Context, who: str, lift: bool) -> None:
    """Restrict a person's visits (left out of exports unless an admin asks)."""
    service, person = _rights_person(obj, who)
    n = service.restrict(person, not lift)
    click.echo(f"{n} visit(s) {'no longer restricted' if lift else 'restricted'}")


@rights.command("withdraw-consent")
@click.argument("who")
@pass_ctx
def rights_withdraw_consent(obj: Context, who: str) -> None:
    """Remove health screening outcomes and answers from a person's visits."""
    service, person = _rights_person(obj, who)
    n = service.withdraw_consent(person)
    click.echo(f"health screening data removed from {n} visit(s)")


@rights.command("erase")
@click.argument("who")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@pass_ctx
def rights_erase(obj: Context, who: str, yes: bool) -> None:
    """Delete every visit, NDA acceptance and notification of a person."""
    service, person = _rights_person(obj, who)
    if not yes:
        click.confirm("Erase everything held about this person? This cannot be undone", abort=True)
    report = service.erase(person)
    click.echo(
        f"erased {report.visits} visit(s), {report.nda_acceptances} NDA acceptance(s), "
        f"{report.outbox} notification(s), {report.invitations} invitation(s)"
    )


LOOPBACK = {"127.0.0.1", "::1", "localhost"}


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option(
    "--allow-network",
    is_flag=True,
    help="Allow a non-loopback --host (put a TLS reverse proxy in front of it).",
)
@pass_ctx
def serve(obj: Context, host: str, port: int, allow_network: bool) -> None:
    """Serve the visitor kiosk to a browser (the lobby tablet), with textual-serve."""
    if host not in LOOPBACK and not allow_network:
        fail(f"{host} is not a loopback address; add --allow-network to serve on it", 2)
    _ = obj.store  # check the key and migrate now, not in the first visitor's session
    if host not in LOOPBACK:
        click.echo(
            "kiosk: warning: serving on the network without TLS; put this behind a TLS "
            "reverse proxy (see README) before a tablet uses it",
            err=True,
        )
    from kiosk.web.server import KioskServer

    server = KioskServer(
        shlex.join([sys.executable, "-m", "kiosk", "run"]),
        host=host,
        port=port,
        title=obj.settings.site_name,
    )
    server.serve()


@main.group()
def staff() -> None:
    """Staff accounts (the PIN opens the staff menu at the kiosk)."""


def _read_pin(pin_stdin: bool) -> str:
    if pin_stdin:
        return sys.stdin.readline().strip()
    return str(click.prompt("PIN", hide_input=True, confirmation_prompt=True))


@staff.command("add")
@click.argument("username")
@click.option("--role", type=click.Choice(ROLES), required=True)
@click.option("--pin-stdin", is_flag=True, help="Read the PIN from standard input.")
@pass_ctx
def staff_add(obj: Context, username: str, role: str, pin_stdin: bool) -> None:
    """Add a staff account; the PIN (6+ digits) is asked twice."""
    pin = _read_pin(pin_stdin)
    try:
        StaffService(obj.store).add(username, role, pin, actor=cli_actor())
    except PinPolicyError as exc:
        fail(str(exc), 2)
    click.echo(f"added {role} {username}")


@staff.command("list")
@pass_ctx
def staff_list(obj: Context) -> None:
    """List staff accounts."""
    for row in StaffRepository(obj.store).all():
        locked = "  locked" if row.locked_until and row.locked_until > datetime.now(UTC) else ""
        click.echo(f"{row.username}  {row.role}{locked}")


@staff.command("reset-pin")
@click.argument("username")
@click.option("--pin-stdin", is_flag=True, help="Read the new PIN from standard input.")
@pass_ctx
def staff_reset_pin(obj: Context, username: str, pin_stdin: bool) -> None:
    """Set a new PIN (and unlock the account)."""
    pin = _read_pin(pin_stdin)
    try:
        StaffService(obj.store).reset_pin(username, pin, actor=cli_actor())
    except PinPolicyError as exc:
        fail(str(exc), 2)
    click.echo(f"new PIN set for {username}")


@staff.command("remove")
@click.argument("username")
@pass_ctx
def staff_remove(obj: Context, username: str) -> None:
    """Remove a staff account."""
    StaffRepository(obj.store).remove(username, actor=cli_actor())
    click.echo(f"removed {username}")
