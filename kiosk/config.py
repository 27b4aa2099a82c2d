"""Typed settings: defaults, then a TOML file, then ``KIOSK_*`` environment variables.

The file is ``$KIOSK_CONFIG`` or ``config.toml`` in the platform config directory. An
unknown key, a wrong type or a value over its cap stops start-up with a message naming
the key.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import json
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import time
from pathlib import Path
from typing import Any, get_type_hints
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers
import platformdirs

from kiosk.documents import DocumentError, office_files
from kiosk.domain.branding import (
    DEFAULT_ACCENT,
    LOGO_HEAD_BYTES,
    BrandingError,
    logo_type,
    palette,
)
from kiosk.domain.labels import LabelError, parse_label
from kiosk.domain.notifications import GENERIC, LOOPBACK, WebhookError, parse_webhook
from kiosk.domain.sites import SLUG
from kiosk.domain.text import TextError, typed_path
from kiosk.domain.watchlist import ON_MATCH
from kiosk.i18n import LANGUAGES

ENV_PREFIX = "KIOSK_"


class ConfigError(Exception):
    """A setting is wrong; the message names it."""


def _clock_time(text: str) -> time:
    """A time of day written as "HH:MM" (24-hour); raises ValueError for anything else."""
    if (
        len(text) != 5
        or text[2] != ":"
        or not (digits := text[:2] + text[3:]).isascii()
        or not digits.isdigit()
    ):
        raise ValueError(text)
    return time(int(text[:2]), int(text[3:]))


def _cap(lo: int, hi: int) -> dict[str, Any]:
    return {"range": (lo, hi)}


@dataclass(frozen=True, slots=True)
class RetentionSettings:
    """Days each category is kept before it is deleted and its keys destroyed."""

    visit_days: int = field(default=30, metadata=_cap(1, 90))
    """Visit records (name, contact, company, host, times). Cap 90."""
    health_answers_days: int = field(default=0, metadata=_cap(0, 14))
    """Stored health answers; 0 means answers are never stored (only the outcome). Cap 14."""
    nda_days: int = field(default=730, metadata=_cap(1, 3650))
    """NDA acceptances, a legal record. Cap 10 years."""
    outbox_days: int = field(default=7, metadata=_cap(1, 30))
    """Host notifications waiting or sent. Cap 30."""
    audit_days: int = field(default=365, metadata=_cap(30, 3650))
    """Audit events (no personal data inside). From 30 days to 10 years."""
    request_days: int = field(default=1095, metadata=_cap(30, 1825))
    """Visitors' rights requests, counted from when each was closed (one still open goes
    a year later than that). Cap 5 years."""


DEFAULT_QUESTIONS_EN = (
    "Do you have a fever, a new cough or shortness of breath?",
    "Have you been in contact with someone with a contagious illness in the last 5 days?",
)
DEFAULT_QUESTIONS_NL = (
    "Heeft u koorts, een nieuwe hoest of bent u kortademig?",
    "Bent u de afgelopen 5 dagen in contact geweest met iemand met een besmettelijke ziekte?",
)


@dataclass(frozen=True, slots=True)
class KioskSettings:
    """The visitor kiosk itself."""

    idle_seconds: int = field(default=60, metadata=_cap(10, 3600))
    """After this long without a touch or key, a half-filled form is wiped."""
    badge_seconds: int = field(default=20, metadata=_cap(8, 600))
    """How long the badge (name, host and check-out code) stays on screen; its code is
    hidden 5 seconds before the kiosk returns to the welcome screen."""
    staff_key: str = "f12"
    """The key that opens the staff PIN prompt."""
    default_language: str = "en"
    """Language the welcome screen starts in: en or nl."""
    nda_types: tuple[str, ...] = ("guest", "contractor", "interview")
    """Visitor types that must accept the NDA."""
    auto_checkout: str = ""
    """Site-local time ("HH:MM") at which visitors still checked in are checked out
    automatically (marked as such); empty: never."""

    def auto_checkout_at(self) -> time | None:
        """:attr:`auto_checkout` as a time, or None when it is off (checked at start)."""
        return _clock_time(self.auto_checkout) if self.auto_checkout else None


@dataclass(frozen=True, slots=True)
class ScreeningSettings:
    """Optional health screening; only the outcome is kept unless answers are opted in
    (retention.health_answers_days > 0)."""

    enabled: bool = False
    questions_en: tuple[str, ...] = DEFAULT_QUESTIONS_EN
    """Yes/no questions; any "yes" means the visitor is asked to see reception."""
    questions_nl: tuple[str, ...] = DEFAULT_QUESTIONS_NL

    def questions(self, language: str) -> tuple[str, ...]:
        """The questions in a visitor's language."""
        return self.questions_nl if language == "nl" else self.questions_en


@dataclass(frozen=True, slots=True)
class PrintingSettings:
    printer: str = ""
    """The CUPS queue of the label printer (lpstat -p lists them), e.g. "LABEL"; the
    badge is submitted with the label's size and followed until it is printed."""
    label: str = "62x29mm"
    """The label's size: WxHmm, or brother-62x29, brother-29x90, dymo-99014, ... (docs)."""
    command: str = ""
    """Instead of a CUPS queue: a command given the badge's PDF path; empty: none."""
    logo: Path | None = None
    """A small PNG or JPEG drawn in the badge's bottom right corner; default: none."""
    spool_dir: Path | None = None
    """Where printable badges are written; default <data_dir>/badges."""


@dataclass(frozen=True, slots=True)
class NotifySettings:
    """E-mail to a host when their visitor checks in (sent after the check-in, with
    retries; a failure never holds a visitor up)."""

    smtp_host: str = ""
    """SMTP server; empty: no e-mail is sent (notifications wait, then expire)."""
    smtp_port: int = field(default=587, metadata=_cap(1, 65535))
    starttls: bool = True
    """Upgrade the connection with STARTTLS (the server must offer it, and its certificate
    must be trusted); nothing is sent in the clear when the upgrade fails."""
    tls: bool = False
    """Connect over TLS from the first byte (SMTPS, usually port 465) instead of STARTTLS;
    the certificate must be trusted."""
    ca_file: Path | None = None
    """PEM file of the CA that signed the SMTP server's and the webhooks' certificates (an
    office's own CA), trusted on top of the system's; default: the system's store only."""
    username: str = ""
    """Log in to the server as this user; only over TLS (starttls or tls)."""
    password: str = field(default="", repr=False)
    """Better given as $KIOSK_NOTIFY_PASSWORD than in the file; never shown in a repr."""
    sender: str = "kiosk@localhost"
    """The From address."""
    language: str = "en"
    """Language of the e-mails to hosts: en or nl."""
    max_attempts: int = field(default=8, metadata=_cap(1, 50))
    """Attempts before a notification is given up (1, 2, 4 ... minutes apart, at most 1 h);
    on each channel (e-mail, each webhook) on its own."""
    late_minutes: int = field(default=5, metadata=_cap(1, 240))
    """A host notification that has reached its host on no channel this many minutes
    after the check-in (or was given up) shows in the console, so reception can phone."""
    webhooks: tuple[str, ...] = ()
    """Webhooks every host notification is also posted to, each "FORMAT URL" (format:
    slack, teams or generic; https only), e.g. the office's visitors channel. A host's
    own webhook is set with `kiosk hosts webhook`. See docs/notifications.md."""
    reception_email: str = ""
    """Reception's address, told when a visitor's host cannot be reached: not in the
    directory, inactive, no channel, or every channel given up. Empty: console only."""
    reception_webhook: str = ""
    """Reception's chat channel for the same, "FORMAT URL". Empty: none."""
    webhook_secret_file: Path | None = None
    """A file holding the secret generic webhooks are signed with (HMAC-SHA256), or give
    it as $KIOSK_NOTIFY_WEBHOOK_SECRET; never in this file, never in the database."""
    webhook_secret: str = field(default="", repr=False)
    """Only from the environment ($KIOSK_NOTIFY_WEBHOOK_SECRET): refused in the file."""
    webhook_timeout: int = field(default=5, metadata=_cap(1, 30))
    """Seconds a webhook's receiver has to answer (then it is retried later)."""
    insecure_webhook_hosts: tuple[str, ...] = ()
    """Loopback hosts (127.0.0.1, ::1, localhost) webhooks may reach over plain http:
    for tests. Any other webhook must be https."""

    @property
    def configured(self) -> bool:
        """Whether the settings give a way to notify (an SMTP server or a site's or
        reception's webhook); hosts' own webhooks are in the database."""
        return bool(self.smtp_host or self.webhooks or self.reception_webhook)


@dataclass(frozen=True, slots=True)
class BrandingSettings:
    """The office's look on the kiosk (both in a terminal and in a tablet's browser)."""

    name: str = ""
    """The office's name, over the served page and on the welcome screen; empty: site_name."""
    accent: str = DEFAULT_ACCENT
    """The office's colour, as #rrggbb: titles, buttons, the line under the page's header."""
    mode: str = "dark"
    """The kiosk's background: "dark" or "light"."""
    logo: Path | None = None
    """A small SVG or PNG (at most 256 kB) left of the name in the served page's header;
    default: none."""


@dataclass(frozen=True, slots=True)
class WatchlistSettings:
    """People the office must not let in unannounced, matched at check-in (admins keep
    the list: console or kiosk watchlist)."""

    max_days: int = field(default=365, metadata=_cap(1, 730))
    """An entry expires at most this many days after it is added (it must expire)."""
    on_match: str = "complete"
    """What a visitor who matches sees: "complete" (a check-in like any other) or
    "see_reception" (the badge asks them to see reception first). Reception is alerted
    either way; the visitor is never shown why."""
    alert_email: str = ""
    """Also e-mail this address (reception's, security's) that a visitor matched, with
    no name or reason in it: the console shows those. Empty: the console only."""


@dataclass(frozen=True, slots=True)
class DirectorySettings:
    """The hosts directory kept from the company's LDAP (Active Directory, OpenLDAP):
    `kiosk hosts sync`, and the running kiosk every sync_minutes. See docs/directory.md."""

    url: str = ""
    """ldaps://dc.example.com (or ldap://... upgraded with StartTLS); empty: no sync."""
    starttls: bool = True
    """For an ldap:// URL: upgrade with StartTLS (nothing is sent in the clear; an
    ldap:// URL without it is refused)."""
    ca_file: Path | None = None
    """PEM file of the CA that signed the directory server's certificate, trusted on top
    of the system's."""
    bind_dn: str = ""
    """Who the kiosk reads the directory as (a read-only service account)."""
    password_file: Path | None = None
    """A file holding that account's password; or $KIOSK_DIRECTORY_PASSWORD. Never in
    this file, never in the database."""
    password: str = field(default="", repr=False)
    """Only from the environment ($KIOSK_DIRECTORY_PASSWORD): refused in the file."""
    base_dn: str = ""
    """Where the hosts are, e.g. "ou=people,dc=example,dc=com"."""
    filter: str = "(&(objectClass=person)(mail=*))"
    """Which entries are hosts (AD: "(&(objectClass=user)(mail=*)(!(userAccountControl:
    1.2.840.113556.1.4.803:=2)))" leaves disabled accounts out)."""
    id_attribute: str = "entryUUID"
    """What stays the same when a person is renamed: entryUUID (OpenLDAP), objectGUID (AD)."""
    name_attribute: str = "displayName"
    email_attribute: str = "mail"
    language_attribute: str = ""
    """Of the host's e-mails (en, nl; e.g. preferredLanguage); empty: the site's."""
    webhook_attribute: str = ""
    """An attribute holding the host's own webhook, "FORMAT URL"; empty: none."""
    sync_minutes: int = field(default=60, metadata=_cap(0, 1440))
    """The running kiosk syncs this often (0: only `kiosk hosts sync`, e.g. from a timer)."""
    timeout: int = field(default=10, metadata=_cap(1, 60))
    """Seconds the server has to answer."""

    @property
    def scheduled(self) -> bool:
        """Whether the running kiosk syncs the hosts by itself."""
        return bool(self.url and self.sync_minutes)


@dataclass(frozen=True, slots=True)
class ExportSettings:
    recipients: tuple[str, ...] = ()
    """age public keys (age1...) of whoever receives exports: the console's Export tab
    then encrypts to them by default."""


@dataclass(frozen=True, slots=True)
class ServeSettings:
    """`kiosk serve`: the visitor kiosk in a lobby tablet's browser."""

    public_url: str = ""
    """The address tablets open (e.g. https://kiosk.lobby.example.com, behind the TLS
    proxy): a websocket from a page of any other origin is refused. Empty: the address
    it listens on."""
    trusted_proxies: tuple[str, ...] = ()
    """Addresses (or networks, "10.0.0.0/8") of the reverse proxy in front: only from
    them are X-Forwarded-Host and -Proto believed, for the page's addresses when there
    is no public_url. Empty: those headers are ignored."""
    max_sessions: int = field(default=8, metadata=_cap(1, 64))
    """Browser sessions at once (each is a kiosk process); one more gets a page saying so."""
    allow_console: bool = False
    """Whether staff may open the reception console from a served tablet (F12 + PIN);
    off by default: a tablet in a public lobby shows the visitor kiosk only."""


@dataclass(frozen=True, slots=True)
class AuditSettings:
    witness: str = ""
    """Where each new head of the audit chain is also written, out of a database
    writer's reach: "syslog" (this machine's /dev/log), "syslog://host:514" (a syslog
    server, UDP) or a file path (an append-only share); empty: nowhere. See docs/security.md."""
    lane: str = ""
    """This kiosk's lane of the audit chain (lower case, digits, hyphens), e.g. "lobby-b":
    kiosks sharing a PostgreSQL database, each with a lane of its own, append without
    waiting for each other; kiosks with the same lane (or none) take turns. Set it once
    per kiosk and keep it: see docs/storage.md."""


@dataclass(frozen=True, slots=True)
class Settings:
    site_name: str = "Main office"
    """Shown on the welcome screen and badges; one database can hold several sites.
    Changing it renames this site (its hosts and visits stay)."""
    site_id: str = ""
    """The site's stable identifier (lower case, digits, hyphens), e.g. "amsterdam-hq".
    Empty: the one recorded beside the key file at the first start. Set it on every kiosk
    of a database shared by several sites."""
    timezone: str = "UTC"
    """IANA time zone of the site, e.g. Europe/Amsterdam: decides what "today" is."""
    phone_region: str = "NL"
    """Region assumed for phone numbers typed without a +country code."""
    data_dir: Path = field(default_factory=lambda: Path(platformdirs.user_data_dir("kiosk")))
    """Where the SQLite files and the key file live by default ($KIOSK_DATA_DIR)."""
    database_url: str = ""
    """Records database; default sqlite:///<data_dir>/kiosk.db. PostgreSQL:
    postgresql+psycopg://user@host/db."""
    keystore_url: str = ""
    """Key store database; default a SQLite file beside the key file (for SQLite records)
    or the records database itself (for PostgreSQL; see docs/storage.md for that limit)."""
    key_file: Path | None = None
    """The master key file (32 bytes, mode 0600); default <data_dir>/master.key."""
    documents_dir: Path | None = None
    """A folder of the office's own privacy notice and NDA (privacy.en.md, nda.nl.md,
    ...; see docs/kiosk.md); default: the built-in texts."""
    blind_index_bits: int = field(default=16, metadata=_cap(8, 63))
    """Bits kept of each e-mail/phone blind index: about log2(expected people) - 3."""
    retention: RetentionSettings = field(default_factory=RetentionSettings)
    kiosk: KioskSettings = field(default_factory=KioskSettings)
    screening: ScreeningSettings = field(default_factory=ScreeningSettings)
    printing: PrintingSettings = field(default_factory=PrintingSettings)
    notify: NotifySettings = field(default_factory=NotifySettings)
    audit: AuditSettings = field(default_factory=AuditSettings)
    serve: ServeSettings = field(default_factory=ServeSettings)
    branding: BrandingSettings = field(default_factory=BrandingSettings)
    export: ExportSettings = field(default_factory=ExportSettings)
    watchlist: WatchlistSettings = field(default_factory=WatchlistSettings)
    directory: DirectorySettings = field(default_factory=DirectorySettings)
    config_file: Path | None = field(default=None, compare=False, metadata={"internal": True})
    """The file these settings were read from (not a setting itself)."""
    retention_in_file: frozenset[str] = field(
        default=frozenset(), compare=False, metadata={"internal": True}
    )
    """The [retention] keys that file sets (an admin's period in the database wins)."""

    @property
    def office_name(self) -> str:
        """The name the kiosk shows as the office's: branding.name, else the site's."""
        return self.branding.name or self.site_name

    @property
    def resolved_spool_dir(self) -> Path:
        return self.printing.spool_dir or self.data_dir / "badges"

    @property
    def resolved_key_file(self) -> Path:
        return self.key_file or self.data_dir / "master.key"

    @property
    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'kiosk.db'}"

    @property
    def resolved_keystore_url(self) -> str:
        if self.keystore_url:
            return self.keystore_url
        if self.resolved_database_url.startswith("sqlite"):
            return f"sqlite:///{self.resolved_key_file.parent / 'keystore.db'}"
        return self.resolved_database_url


def default_config_path() -> Path:
    return Path(platformdirs.user_config_dir("kiosk")) / "config.toml"


def config_path(environ: Mapping[str, str] | None = None) -> Path:
    """The settings file in use: ``$KIOSK_CONFIG``, else the platform default."""
    env = os.environ if environ is None else environ
    return Path(env["KIOSK_CONFIG"]) if env.get("KIOSK_CONFIG") else default_config_path()


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Read the settings the way the app does: file, then environment."""
    env = os.environ if environ is None else environ
    path = config_path(env)
    if not path.exists() and env.get("KIOSK_CONFIG"):
        raise ConfigError(f"KIOSK_CONFIG points to {path}, which does not exist")
    raw = _read_file(path)
    for section, secret in (("notify", "webhook_secret"), ("directory", "password")):
        table = raw.get(section)
        if isinstance(table, Mapping) and secret in table:
            raise ConfigError(
                f"{path}: {section}.{secret} is not taken from the file; give it as"
                f" ${ENV_PREFIX}{section.upper()}_{secret.upper()} or put it in"
                f" {section}.{secret}_file"
            )
    in_file = raw.get("retention")
    _merge_env(raw, env)
    settings: Settings = _build(Settings, raw, "")
    check_settings(settings)
    return dataclasses.replace(
        settings,
        config_file=path,
        retention_in_file=frozenset(in_file) if isinstance(in_file, Mapping) else frozenset(),
    )


def _read_file(path: Path) -> dict[str, Any]:
    """The settings file's tables; none when there is no file."""
    if not path.exists():
        return {}
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from None


def _merge_env(raw: dict[str, Any], env: Mapping[str, str]) -> None:
    """KIOSK_SITE_NAME=x sets site_name; KIOSK_RETENTION_VISIT_DAYS=7 sets retention.visit_days."""
    hints = get_type_hints(Settings)
    for f in dataclasses.fields(Settings):
        if f.metadata.get("internal"):
            continue
        section = hints[f.name]
        if dataclasses.is_dataclass(section):
            for sub in dataclasses.fields(section):
                name = f"{ENV_PREFIX}{f.name.upper()}_{sub.name.upper()}"
                if name in env:
                    raw.setdefault(f.name, {})[sub.name] = env[name]
        else:
            name = ENV_PREFIX + f.name.upper()
            if name in env:
                raw[f.name] = env[name]


def _build(cls: Any, raw: Mapping[str, Any], prefix: str) -> Any:
    if not isinstance(raw, Mapping):
        raise ConfigError(f"{prefix.rstrip('.')}: must be a table")
    fields = {f.name: f for f in dataclasses.fields(cls) if not f.metadata.get("internal")}
    hints = get_type_hints(cls)
    for key in raw:
        if key not in fields:
            raise ConfigError(f"unknown setting '{prefix}{key}'")
    values: dict[str, Any] = {}
    for key, value in raw.items():
        name = prefix + key
        hint = hints[key]
        if dataclasses.is_dataclass(hint):
            values[key] = _build(hint, value, name + ".")
        else:
            values[key] = _coerce(name, hint, value)
        lo_hi = fields[key].metadata.get("range")
        if lo_hi and not lo_hi[0] <= values[key] <= lo_hi[1]:
            raise ConfigError(f"{name} = {values[key]} is outside {lo_hi[0]}..{lo_hi[1]}")
    return cls(**values)


def _coerce(name: str, hint: Any, value: Any) -> Any:
    from_env = isinstance(value, str)
    if hint is int:
        if isinstance(value, bool):
            raise ConfigError(f"{name} must be a whole number")
        if isinstance(value, int):
            return value
        if from_env and value.strip().lstrip("-").isdigit():
            return int(value)
        raise ConfigError(f"{name} must be a whole number")
    if hint is bool:
        if isinstance(value, bool):
            return value
        if from_env and value.lower() in {"1", "true", "yes", "on", "0", "false", "no", "off"}:
            return value.lower() in {"1", "true", "yes", "on"}
        raise ConfigError(f"{name} must be true or false")
    if hint is str:
        if not isinstance(value, str):
            raise ConfigError(f"{name} must be text")
        return value
    if hint == tuple[str, ...]:
        if from_env:
            value = [part.strip() for part in value.split(",") if part.strip()]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ConfigError(f"{name} must be a list of texts")
        return tuple(value)
    if hint in (Path, Path | None):
        if not isinstance(value, str) or not value:
            raise ConfigError(f"{name} must be a path")
        try:
            return typed_path(value)
        except TextError as exc:
            raise ConfigError(f"{name}: {exc.message}") from None
    raise ConfigError(f"{name}: unsupported setting type")  # pragma: no cover


def check_settings(settings: Settings) -> None:
    try:
        ZoneInfo(settings.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"timezone {settings.timezone!r} is not a known time zone") from None
    if settings.phone_region not in phonenumbers.SUPPORTED_REGIONS:
        raise ConfigError(f"phone_region {settings.phone_region!r} is not a known region code")
    if not settings.site_name.strip() or len(settings.site_name) > 120:
        raise ConfigError("site_name must be 1 to 120 characters")
    try:
        parse_label(settings.printing.label)
    except LabelError as exc:
        raise ConfigError(f"printing.{exc}") from None
    logo = settings.printing.logo
    if logo is not None and not logo.is_file():
        raise ConfigError(f"printing.logo: {logo} is not a file")
    if logo is not None and logo.suffix.lower() not in (".png", ".jpg", ".jpeg"):
        raise ConfigError(f"printing.logo: {logo} must be a PNG or JPEG image")
    _check_branding(settings.branding)
    for proxy in settings.serve.trusted_proxies:
        try:
            ipaddress.ip_network(proxy, strict=False)
        except ValueError:
            raise ConfigError(
                f"serve.trusted_proxies: {proxy!r} is not an IP address or network"
            ) from None
    if settings.site_id and not SLUG.fullmatch(settings.site_id):
        raise ConfigError(
            "site_id must be lower-case letters, digits and inner hyphens (at most 63)"
        )
    if settings.audit.lane and not SLUG.fullmatch(settings.audit.lane):
        raise ConfigError(
            "audit.lane must be lower-case letters, digits and inner hyphens (at most 63)"
        )
    if settings.watchlist.on_match not in ON_MATCH:
        raise ConfigError(f"watchlist.on_match must be {' or '.join(ON_MATCH)}")
    if settings.watchlist.alert_email and "@" not in settings.watchlist.alert_email:
        raise ConfigError("watchlist.alert_email must be an e-mail address")
    choices = " or ".join(LANGUAGES)
    if settings.kiosk.default_language not in LANGUAGES:
        raise ConfigError(f"kiosk.default_language must be {choices}")
    n = settings.notify
    if n.language not in LANGUAGES:
        raise ConfigError(f"notify.language must be {choices}")
    _check_webhooks(n)
    _check_directory(settings.directory)
    if n.username and not (n.starttls or n.tls):
        raise ConfigError(
            "notify.username needs notify.starttls or notify.tls: the password would be sent"
            " in the clear"
        )
    try:
        settings.kiosk.auto_checkout_at()
    except ValueError:
        raise ConfigError(
            'kiosk.auto_checkout must be a time of day as "HH:MM" (e.g. "23:00"), or empty'
        ) from None
    unknown = set(settings.kiosk.nda_types) - {"guest", "contractor", "interview", "delivery"}
    if unknown:
        raise ConfigError(f"kiosk.nda_types: unknown visitor type(s) {sorted(unknown)}")
    s = settings.screening
    if len(s.questions_en) != len(s.questions_nl) or not s.questions_en:
        raise ConfigError("screening.questions_en and questions_nl need the same, non-zero length")
    if settings.documents_dir is not None:
        try:
            office_files(settings.documents_dir)
        except DocumentError as exc:
            raise ConfigError(f"documents_dir: {exc}") from None


def _check_webhooks(n: NotifySettings) -> None:
    for host in n.insecure_webhook_hosts:
        if host not in LOOPBACK:
            raise ConfigError(
                f"notify.insecure_webhook_hosts: {host!r} is not a loopback host"
                " (127.0.0.1, ::1, localhost)"
            )
    hooks = [("notify.webhooks", hook) for hook in n.webhooks]
    if n.reception_webhook:
        hooks.append(("notify.reception_webhook", n.reception_webhook))
    for name, hook in hooks:
        try:
            webhook = parse_webhook(hook, n.insecure_webhook_hosts)
        except WebhookError as exc:
            raise ConfigError(f"{name}: {exc}") from None
        if webhook.format == GENERIC and not (n.webhook_secret or n.webhook_secret_file):
            raise ConfigError(
                f"{name}: a generic webhook is signed: set notify.webhook_secret_file or"
                " $KIOSK_NOTIFY_WEBHOOK_SECRET"
            )
    if n.webhook_secret_file is not None and not n.webhook_secret_file.is_file():
        raise ConfigError(f"notify.webhook_secret_file: {n.webhook_secret_file} is not a file")
    if n.reception_email and "@" not in n.reception_email:
        raise ConfigError("notify.reception_email must be an e-mail address")


def _check_directory(d: DirectorySettings) -> None:
    if not d.url:
        return
    scheme = d.url.split("://", 1)[0].lower()
    if scheme not in ("ldap", "ldaps") or "://" not in d.url:
        raise ConfigError("directory.url must be ldaps://host[:port] or ldap://host[:port]")
    if scheme == "ldap" and not d.starttls:
        raise ConfigError(
            "directory.url is ldap:// without directory.starttls: the password would be"
            " sent in the clear (use ldaps:// or starttls = true)"
        )
    if not d.base_dn:
        raise ConfigError("directory.base_dn is needed with directory.url")
    if d.password_file is not None and not d.password_file.is_file():
        raise ConfigError(f"directory.password_file: {d.password_file} is not a file")
    if d.ca_file is not None and not d.ca_file.is_file():
        raise ConfigError(f"directory.ca_file: {d.ca_file} is not a file")


def _check_branding(branding: BrandingSettings) -> None:
    if len(branding.name) > 60 or (branding.name and not branding.name.strip()):
        raise ConfigError("branding.name must be at most 60 characters, not only spaces")
    try:
        palette(branding.accent, branding.mode)
        if branding.logo is not None:
            # At every start: the file's size and its first bytes, not the whole image.
            with branding.logo.open("rb") as fh:
                logo_type(fh.read(LOGO_HEAD_BYTES), os.fstat(fh.fileno()).st_size)
    except BrandingError as exc:
        raise ConfigError(f"branding: {exc}") from None
    except OSError:
        raise ConfigError(f"branding.logo: {branding.logo} cannot be read") from None


def retention_env_name(key: str) -> str:
    return f"{ENV_PREFIX}RETENTION_{key.upper()}"


def retention_range(key: str) -> tuple[int, int]:
    found = {f.name: f for f in dataclasses.fields(RetentionSettings)}[key]
    lo, hi = found.metadata["range"]
    return int(lo), int(hi)


def check_retention(values: Mapping[str, Any]) -> dict[str, int]:
    """The periods in ``values`` checked as start-up checks them (whole days within
    their range); raises ConfigError naming the first wrong one."""
    checked = _build(RetentionSettings, dict(values), "retention.")
    return {key: getattr(checked, key) for key in values}


def write_top_level(path: Path, values: Mapping[str, str]) -> None:
    """Set top-level text settings in the TOML file at ``path`` (made if missing), keeping
    every other line and comment as it is: an existing ``key = ...`` line before the first
    table is replaced, a missing key goes before the first table."""
    lines = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
    first_table = next((i for i, line in enumerate(lines) if line.lstrip().startswith("[")), None)
    top = len(lines) if first_table is None else first_table
    for key, value in values.items():
        line = f"{key} = {json.dumps(value, ensure_ascii=False)}"
        found = next(
            (i for i in range(top) if re.match(rf"\s*{re.escape(key)}\s*=", lines[i])), None
        )
        if found is not None:
            lines[found] = line
        else:
            while top > 0 and not lines[top - 1].strip():
                top -= 1  # after the settings, before the blank lines above the table
            lines.insert(top, line)
            top += 1
    text = "\n".join(lines) + "\n"
    parsed = tomllib.loads(text)  # the file stays valid TOML, with the values asked for
    if any(parsed.get(key) != value for key, value in values.items()):
        raise ConfigError(f"{path}: could not set {', '.join(values)}")  # pragma: no cover
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    if path.exists():
        os.chmod(tmp, path.stat().st_mode & 0o777)
    os.replace(tmp, path)
