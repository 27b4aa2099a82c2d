"""What every command shares: one line on stderr for an error a user can cause, the
settings and the services opened on first use, and who runs the command."""

from __future__ import annotations

import getpass
import logging
import os
import re
import sys
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

import click

from kiosk.columns import table
from kiosk.config import ConfigError, Settings, load_settings
from kiosk.domain.registration import NdaRequired, Registration, ValidationErrors
from kiosk.domain.requests import RequestError
from kiosk.domain.staff import Actor
from kiosk.domain.visits import VISITOR_TYPES, VisitorType
from kiosk.domain.watchlist import WatchlistError
from kiosk.services.bundle import Services, open_services
from kiosk.services.errors import ServiceUnavailable
from kiosk.services.rollcall import RollCallError
from storage.errors import StorageError

log = logging.getLogger("kiosk")
F = TypeVar("F", bound=Callable[..., Any])


def cli_actor() -> Actor:
    """The operating-system user running a command: holding the key file is the right."""
    try:
        return Actor("os:" + getpass.getuser())
    except (KeyError, OSError):
        return Actor("os:unknown")


if TYPE_CHECKING:  # generic for type checkers (and in click 8.2+), not in older clicks
    DateParam = click.ParamType[datetime]
else:
    DateParam = click.ParamType


class Day(DateParam):
    """A calendar date as YYYY-MM-DD; a wrong one is named as such in one line."""

    name = "date"

    def get_metavar(self, param: click.Parameter, ctx: click.Context | None = None) -> str:
        return "YYYY-MM-DD"

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> datetime:
        if isinstance(value, datetime):
            return value
        try:
            return datetime.strptime(str(value).strip(), "%Y-%m-%d")
        except ValueError:
            if re.fullmatch(r"\d{4}-\d{2}-\d{2}", str(value).strip()):
                self.fail(f"{value} is not a day of the calendar", param, ctx)
            self.fail(f"{value!r} is not a date: write it as YYYY-MM-DD, e.g. 2026-12-04")


class Moment(DateParam):
    """A day or a moment: YYYY-MM-DD, or YYYY-MM-DDTHH:MM[:SS]."""

    name = "moment"
    FORMATS = ("%Y-%m-%d", "%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S")

    def get_metavar(self, param: click.Parameter, ctx: click.Context | None = None) -> str:
        return "YYYY-MM-DD[THH:MM[:SS]]"

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> datetime:
        if isinstance(value, datetime):
            return value
        for fmt in self.FORMATS:
            try:
                return datetime.strptime(str(value).strip(), fmt)
            except ValueError:
                continue
        self.fail(f"{value!r} is not a moment: write YYYY-MM-DD or YYYY-MM-DDTHH:MM", param, ctx)


def warn_unknown_host(registration: Registration) -> None:
    """A host typed that no host of the directory fits: kept as typed, nobody is told."""
    if registration.host_name and registration.host_id is None:
        click.echo(
            f"kiosk: warning: no host named {registration.host_name!r} in the directory: "
            "kept as typed, and nobody is notified",
            err=True,
        )


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
        except NdaRequired as exc:
            fail(f"{exc} Add --accept-nda once the visitor has accepted it.")
        except (RequestError, WatchlistError, RollCallError) as exc:
            fail(str(exc), 2)
        except (ConfigError, StorageError, ServiceUnavailable) as exc:
            fail(str(exc))
        except BrokenPipeError:
            # The reader went away (kiosk log | head -1): nothing more to say, to anyone.
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            sys.exit(141)
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
    """The settings and the services, opened on first use by the command that needs them."""

    def __init__(self) -> None:
        self._settings: Settings | None = None
        self._services: Services | None = None
        self.actor = cli_actor()

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            self._settings = load_settings()
        return self._settings

    def reload_settings(self) -> None:
        """Read the settings again (the config file changed); before services open."""
        assert self._services is None, "the services are open on the old settings"
        self._settings = load_settings()

    @property
    def services(self) -> Services:
        if self._services is None:
            self._services = open_services(self.settings)
        return self._services


pass_ctx = click.make_pass_decorator(Context, ensure=True)


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
                type=click.Choice(VISITOR_TYPES),
                default=VisitorType.GUEST.value,
                show_default=True,
            ),
        ]
    ):
        command = option(command)
    return command


def print_table(rows: list[dict[str, str]], columns: tuple[str, ...]) -> None:
    """Columns two spaces apart, each as wide as its widest cell (in terminal cells)."""
    for line in table(columns, ([row[c] for c in columns] for row in rows)):
        click.echo(line)
