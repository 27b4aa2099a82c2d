"""The hosts directory kept from the company's LDAP directory (Active Directory or
OpenLDAP), with ldap3: `kiosk hosts sync`, a timer, and the running kiosk every
``directory.sync_minutes``.

The directory is read first, over TLS only (ldaps://, or ldap:// with StartTLS; the
server's certificate verified), as a read-only account whose password comes from a
secret file or the environment; then the hosts change in one transaction. Any failure
(unreachable, TLS, a refused login, a base DN that does not exist, or an answer with
no hosts at all) is one clear error and changes nothing. What is logged or audited is
counts and kinds of failure, never a name or an address.
"""

from __future__ import annotations

import logging
import ssl
import uuid
from collections.abc import Iterable, Mapping
from typing import Any

from kiosk.domain.hosts import HOST_NAME_MAX, DirectoryHost, SyncSummary
from kiosk.domain.notifications import WebhookError, parse_webhook
from kiosk.domain.registration import normalise_email
from kiosk.domain.staff import Actor
from kiosk.domain.text import TextError, clean_text
from kiosk.i18n import LANGUAGES
from kiosk.services.context import ServiceContext

log = logging.getLogger(__name__)

PAGE_SIZE = 500


class DirectoryError(Exception):
    """The directory could not be read; the message says why (for staff, in English),
    never the password. Nothing was changed."""


class DirectoryService:
    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx
        self.settings = ctx.settings.directory
        self.repos = ctx.repos

    @property
    def configured(self) -> bool:
        return bool(self.settings.url)

    def sync(self, actor: Actor) -> SyncSummary:
        """Read the directory, then update the hosts (see HostRepository.sync); raises
        DirectoryError, with nothing changed, when the directory cannot be read."""
        actor.require("hosts")
        if not self.configured:
            raise DirectoryError("directory.url is not set: there is no directory to sync from")
        entries, unusable = self._read()
        if not entries:
            raise DirectoryError(
                "the directory listed no hosts under directory.base_dn with directory.filter;"
                " nothing was changed (check both)"
            )
        with self.repos.db.uow(actor.name) as tx:
            return self.repos.hosts.sync(
                tx, entries, webhooks=bool(self.settings.webhook_attribute), unusable=unusable
            )

    def sync_quietly(self, actor: Actor) -> None:
        """:meth:`sync` for the running kiosk's schedule: a failure is logged (its
        reason, which names no person) and tried again next time."""
        try:
            summary = self.sync(actor)
        except DirectoryError as exc:
            log.warning("hosts directory not synced: %s", exc)
        except Exception as exc:  # the database may be away: next time
            log.warning("hosts directory not synced: %s", type(exc).__name__)
        else:
            log.info("hosts directory synced: %s", summary)

    def _password(self) -> str:
        d = self.settings
        if d.password:
            return d.password
        if d.password_file is None:
            return ""
        try:
            return d.password_file.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise DirectoryError(
                f"directory.password_file cannot be read ({type(exc).__name__})"
            ) from None

    def _read(self) -> tuple[list[DirectoryHost], int]:
        """The directory's hosts, checked, and how many entries were left out (no name)."""
        import ldap3  # here: ~0.1 s of imports the kiosk's start need not wait for
        from ldap3.core import exceptions as ldap_errors

        d = self.settings
        tls = ldap3.Tls(
            validate=ssl.CERT_REQUIRED,
            ca_certs_file=str(d.ca_file) if d.ca_file else None,
            version=ssl.PROTOCOL_TLS_CLIENT,
        )
        ldaps = d.url.lower().startswith("ldaps://")
        server = ldap3.Server(d.url, use_ssl=ldaps, tls=tls, connect_timeout=d.timeout)
        attributes = [
            a
            for a in (
                d.id_attribute,
                d.name_attribute,
                d.email_attribute,
                d.language_attribute,
                d.webhook_attribute,
            )
            if a
        ]
        conn = ldap3.Connection(
            server,
            user=d.bind_dn or None,
            password=self._password() or None,
            raise_exceptions=True,
            receive_timeout=d.timeout,
            read_only=True,
        )
        try:
            conn.open()
            if not ldaps:
                conn.start_tls()  # nothing in the clear: the bind comes after
            conn.bind()
            results = conn.extend.standard.paged_search(
                d.base_dn, d.filter, attributes=attributes, paged_size=PAGE_SIZE, generator=False
            )
            entries = [r for r in results if r.get("type") == "searchResEntry"]
        except ldap_errors.LDAPInvalidCredentialsResult:
            raise DirectoryError(
                "the directory refused the login of directory.bind_dn (wrong name or"
                " password); nothing was changed"
            ) from None
        except ldap_errors.LDAPNoSuchObjectResult:
            raise DirectoryError(
                "directory.base_dn does not exist in the directory; nothing was changed"
            ) from None
        except ldap_errors.LDAPStartTLSError as exc:
            raise DirectoryError(
                f"TLS with the directory failed ({_kind(exc)}): is its certificate trusted"
                " (directory.ca_file)? Nothing was changed"
            ) from None
        except (ldap_errors.LDAPSocketOpenError, ldap_errors.LDAPSocketReceiveError) as exc:
            raise DirectoryError(
                f"cannot reach the directory at {d.url} ({_kind(exc)}); nothing was changed"
            ) from None
        except ldap_errors.LDAPException as exc:
            raise DirectoryError(
                f"the directory could not be read ({type(exc).__name__}); nothing was changed"
            ) from None
        finally:
            conn.unbind()
        return self._hosts(entry.get("attributes", {}) for entry in entries)

    def _hosts(self, entries: Iterable[Mapping[str, Any]]) -> tuple[list[DirectoryHost], int]:
        d = self.settings
        insecure = self.ctx.settings.notify.insecure_webhook_hosts
        hosts: list[DirectoryHost] = []
        unusable = 0
        for attrs in entries:
            directory_id = _identifier(_first(attrs, d.id_attribute))
            try:
                name = clean_text(
                    _text(_first(attrs, d.name_attribute)), max_len=HOST_NAME_MAX, required=False
                )
            except TextError:
                name = None
            if not directory_id or not name:
                unusable += 1
                continue
            try:
                email: str | None = normalise_email(_text(_first(attrs, d.email_attribute)))
            except TextError:
                email = None  # none, or not an address: the host gets no e-mail
            language = _text(_first(attrs, d.language_attribute))[:2].lower() or None
            webhook = None
            hook = _text(_first(attrs, d.webhook_attribute))
            if hook:
                try:
                    webhook = str(parse_webhook(hook, insecure))
                except WebhookError:
                    log.warning("a host's webhook in the directory is refused (not https?)")
            hosts.append(
                DirectoryHost(
                    directory_id,
                    name,
                    email or None,
                    language if language in LANGUAGES else None,
                    webhook,
                )
            )
        return hosts, unusable


def _first(attrs: Mapping[str, Any], name: str) -> Any:
    if not name:
        return None
    value = attrs.get(name)
    if isinstance(value, list):
        return value[0] if value else None
    return value


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace").strip()
    return str(value).strip()


def _identifier(value: Any) -> str:
    """entryUUID is text; AD's objectGUID comes as 16 bytes (or as ldap3 formats it)."""
    if isinstance(value, bytes) and len(value) == 16:
        return str(uuid.UUID(bytes_le=value))
    return _text(value).strip("{}").lower()


def _kind(exc: BaseException) -> str:
    return type(exc).__name__
