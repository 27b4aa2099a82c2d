"""E-mails: to the host when their visitor checks in, an invitation to an expected
visitor when reception asks for one, and a visitor's badge when they ask for it.

The check-in (or the invitation) only writes an outbox row (storage.outbox); this sends
what is due, from a worker in the running kiosk (right after each check-in and every
minute), from the console right after an invitation, or from `kiosk notify` in cron. A
failure is retried 1, 2, 4 ... minutes later (at most an hour apart) until
``notify.max_attempts``; it never holds up or fails a check-in. What is stored or logged
about a failure is its kind (an exception class, an SMTP code), never an address or a
name.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from typing import NamedTuple

from kiosk.domain.hosts import HostEntry
from kiosk.domain.notifications import (
    BADGE,
    EMAIL,
    HOST_CHANNELS,
    HOST_KINDS,
    INVITATION,
    PARCEL,
    RECEPTION_ALERT,
    SITE_WEBHOOK,
    TO_HOST,
    WATCH_ALERT,
    WEBHOOK,
    HostNotReached,
    Notification,
    Undelivered,
    WebhookError,
    first_name,
    parse_webhook,
)
from kiosk.domain.staff import NOTIFIER, Actor
from kiosk.i18n import LANGUAGES, N_, translate
from kiosk.services.context import ServiceContext
from kiosk.services.qr import qr_png
from kiosk.services.webhooks import WebhookPoster
from storage.errors import StorageError
from storage.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)

TIMEOUT_S = 15
MAX_BACKOFF = timedelta(hours=1)
HOST_HOOKS_TTL_S = 60.0
CHANNEL_NAMES = {EMAIL: "e-mail", WEBHOOK: "webhook", SITE_WEBHOOK: "site webhook"}  # in logs
# Why a message is a dead letter (stored, shown to staff: English, no personal data).
NO_ADDRESS = "no e-mail address for this host"
HOST_UNKNOWN = "the host is not in the directory"
HOST_INACTIVE = "the host is inactive in the directory"
NO_CHANNEL = "no e-mail address or webhook reaches this host"

# The e-mail, in the host's language if the directory gives one, else notify.language
# (hosts are staff: never the visitor's).
MAIL_SUBJECT = N_("Your visitor has arrived at {site}")
MAIL_GREETING = N_("Hello {host},")
MAIL_HELLO = N_("Hello,")
MAIL_BODY = N_("{visitor} checked in at {time} and is waiting for you at reception ({site}).")
MAIL_MINOR = N_(
    "Your visitor is under 16 and came with a parent or guardian. Please meet them at "
    "reception and confirm the visit there."
)
MAIL_SIGNATURE = N_("the visitor kiosk")
# A webhook's message (Slack, Teams, the generic event's text): the first name only.
HOOK_ARRIVED = N_("{visitor} checked in at {time} and is waiting for {host} at reception ({site}).")
# To reception's channels when a host was not reached.
HOOK_NOT_REACHED = N_(
    "{host} was not told that {visitor} checked in at {time} ({site}). Please let them know."
)
TEST_TEXT = N_(
    "This is a test from the visitor kiosk at {site}: when a visitor checks in, a message"
    " like this one tells their host."
)
# A parcel delivered at the kiosk, to its recipient (the carrier's name, no person's).
PARCEL_SUBJECT = N_("A parcel for you at reception ({site})")
PARCEL_BODY = N_(
    "A parcel from {carrier} arrived at {time} and is waiting for you at reception ({site})."
)
HOOK_PARCEL = N_(
    "A parcel from {carrier} for {host} arrived at {time} and is waiting at reception ({site})."
)
PARCEL_NOT_REACHED = N_(
    "{host} was not told that a parcel from {carrier} arrived for them at {time} ({site})."
    " Please let them know."
)
RECEPTION_SUBJECT = N_("A host was not told their visitor arrived ({site})")
# To watchlist.alert_email: no name, no reason (the console shows those to staff).
WATCH_SUBJECT = N_("Watchlist: a visitor to see at reception ({site})")
WATCH_BODY = N_(
    "A visitor who matches an entry of the watchlist checked in at {time} at {site}. "
    "The reception console shows who, and why they are listed."
)
# The invitation, in the language reception chose (else notify.language).
INVITE_SUBJECT = N_("Your visit to {site} on {day}")
INVITE_GREETING = N_("Hello {visitor},")
INVITE_EXPECTED = N_("You are expected at {site} on {day}.")
INVITE_HOST = N_("You are visiting {host}.")
INVITE_HOW = N_(
    'At the kiosk in the lobby, choose "{button}" and type this code: {code}. It fills '
    "in your details; you check them there and sign in. The code works on that day only."
)
INVITE_BUTTON = N_("I have an invitation code")  # the kiosk's button, as it reads there
INVITE_QR = N_(
    "Or show the QR code attached to this e-mail at the kiosk: hold it up to its scanner,"
    ' or on a tablet choose "{button}" and then "{camera}".'
)
INVITE_CAMERA = N_("Scan with the camera")  # the button, as the kiosk in a browser shows it
# A visitor's badge, in the language they checked in in.
BADGE_SUBJECT = N_("Your visitor badge for {site}, {day}")
BADGE_CODE = N_("You checked in at {site} on {day}. Your badge code is {code}.")
BADGE_HOW = N_(
    'When you leave, choose "{button}" at the kiosk and hold the QR code attached to this '
    "e-mail up to its scanner (or its camera), or type the code."
)
BADGE_BUTTON = N_("Check out")  # the kiosk's button, as it reads there


class Failure(NamedTuple):
    """A message not sent in a round: tried again at ``retry_at``, or given up (None)."""

    note: Notification
    error: str
    retry_at: datetime | None


@dataclass(frozen=True, slots=True)
class DeliveryReport:
    sent: int = 0
    retrying: int = 0
    given_up: int = 0


class NotifyService:
    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx
        self.settings = ctx.settings.notify
        self.site_name = ctx.settings.site_name
        self.repos = ctx.repos
        self.outbox = ctx.repos.outbox
        self.poster = WebhookPoster(self.settings, self._secret)
        self._host_hooks: tuple[float, bool] | None = None  # (when looked up, any)

    @property
    def enabled(self) -> bool:
        """Whether e-mail can be sent (an SMTP server is set)."""
        return bool(self.settings.smtp_host)

    def on(self) -> bool:
        """Whether this site notifies at all: an SMTP server, a site's or reception's
        webhook, or an active host with a webhook of their own (looked up at most once a
        minute). Off, host notifications wait, unsplit, and expire."""
        if self.settings.configured:
            return True
        now = time.monotonic()
        if self._host_hooks is None or now - self._host_hooks[0] > HOST_HOOKS_TTL_S:
            self._host_hooks = (now, self.repos.hosts.any_webhook())
        return self._host_hooks[1]

    def deliver_quietly(self) -> None:
        """:meth:`deliver_due` for a running kiosk (a worker: after each check-in and every
        minute). Never raises: a notification waits for the next try instead."""
        try:
            if self.on():
                self.deliver_due()
        except Exception as exc:  # the database may be away; the messages wait
            log.warning("notifications not sent now: %s", type(exc).__name__)

    def deliver_due(self, *, now: datetime | None = None) -> DeliveryReport:
        """Split the new host notifications into their channels, then send every message
        that is due: e-mails over one SMTP connection, webhooks one by one. Each message
        sent is marked at once (so it is not sent twice); the failures of the round are
        written together, in one transaction at its end."""
        if not self.on():
            return DeliveryReport()
        now = now or datetime.now(UTC)
        outcomes: Counter[str] = Counter()
        with self.repos.db.uow(NOTIFIER.name, now=now) as tx:
            for note in self.outbox.claim_due(tx, (TO_HOST,)):
                outcomes.update(self._split(tx, note))
        channels = (WEBHOOK, SITE_WEBHOOK, *((EMAIL,) if self.enabled else ()))
        with self.repos.db.uow(NOTIFIER.name, now=now) as tx:
            claimed = self.outbox.claim_due(tx, channels)
        failed: list[Failure] = []
        try:
            mails = []
            for note in claimed:
                if note.channel != EMAIL:
                    self._post(note, now, failed)
                elif note.recipient:
                    mails.append(note)
                else:
                    failed.append(Failure(note, NO_ADDRESS, None))
            if mails:
                try:
                    smtp = self._connect()
                except (OSError, smtplib.SMTPException) as exc:
                    failed += [self._failure(note, _reason(exc), now) for note in mails]
                else:
                    with smtp:
                        for note in mails:
                            self._send(smtp, note, now, failed)
        finally:
            self._record(failed, now)
        outcomes["sent"] += len(claimed) - len(failed)
        for failure in failed:
            outcomes["retrying" if failure.retry_at else "given_up"] += 1
        return DeliveryReport(**outcomes)

    def _split(self, tx: UnitOfWork, note: Notification) -> Counter[str]:
        """A new host notification: one message per channel that reaches the host (their
        e-mail, their own webhook) and one per site webhook; or, when nothing reaches
        the host (not in the directory, inactive, no channel), a dead letter for the
        console and a message to reception's channels."""
        channels: list[tuple[str, str | None]] = []
        dead: str | None = None
        if note.host_id is None:
            dead = HOST_UNKNOWN
        elif not note.host_active:
            dead = HOST_INACTIVE
        else:
            if note.host_email and self.enabled:
                channels.append((EMAIL, None))
            if note.host_webhook:
                channels.append((WEBHOOK, note.host_webhook))
            if not channels:
                dead = NO_CHANNEL
        channels += [(SITE_WEBHOOK, hook) for hook in self.settings.webhooks]
        self.outbox.split(tx, note, channels, dead=dead)
        if dead is None:
            return Counter()
        self._alert_reception(tx, note, dead)
        return Counter(given_up=1)

    def _alert_reception(self, tx: UnitOfWork, note: Notification, why: str) -> None:
        """Queue a message to reception's channels (if any) that a visitor's host was not
        reached; the console shows it in any case."""
        s = self.settings
        channels: list[tuple[str, str | None]] = []
        if s.reception_email and self.enabled:
            channels.append((EMAIL, s.reception_email))
        if s.reception_webhook:
            channels.append((WEBHOOK, s.reception_webhook))
        if not channels or note.arrived_at is None:
            return
        parcel = note.kind == PARCEL
        payload = {
            "visitor": note.visitor if parcel else first_name(note.visitor),  # or carrier
            "company": note.company,
            "arrived_at": note.arrived_at.isoformat(),
            "host": note.host_name or "",
            "reason": why,
            "parcel": parcel,
        }
        self.outbox.queue_reception_alert(tx, note.visit_id, payload, channels)

    def _post(self, note: Notification, now: datetime, failed: list[Failure]) -> None:
        hook = note.webhook or note.host_webhook
        if not hook:
            failed.append(Failure(note, "no webhook", None))
            return
        try:
            webhook = parse_webhook(hook, self.settings.insecure_webhook_hosts)
        except WebhookError as exc:
            failed.append(Failure(note, str(exc), None))
            return
        text, event = self._webhook_message(note)
        result = self.poster.post(webhook, text, event, str(note.id))
        if result.ok:
            with self.repos.db.uow(NOTIFIER.name, now=now) as tx:
                self.outbox.mark_sent(tx, note.id)
        elif result.retry:
            failed.append(self._failure(note, result.reason, now))
        else:
            failed.append(Failure(note, result.reason, None))

    def _send(
        self, smtp: smtplib.SMTP, note: Notification, now: datetime, failed: list[Failure]
    ) -> None:
        try:
            smtp.send_message(self._message(note))
        except smtplib.SMTPRecipientsRefused as exc:  # the address itself: no retry
            failed.append(Failure(note, _reason(exc), None))
            return
        except (OSError, smtplib.SMTPException) as exc:
            failed.append(self._failure(note, _reason(exc), now))
            return
        with self.repos.db.uow(NOTIFIER.name, now=now) as tx:
            self.outbox.mark_sent(tx, note.id)

    def _failure(self, note: Notification, error: str, now: datetime) -> Failure:
        """A failed attempt: retried after the back-off (1, 2, 4 ... minutes, at most an
        hour), or given up after notify.max_attempts."""
        attempt = note.attempts + 1
        if attempt >= self.settings.max_attempts:
            return Failure(note, error, None)
        return Failure(note, error, now + min(timedelta(minutes=2 ** (attempt - 1)), MAX_BACKOFF))

    def _record(self, failed: list[Failure], now: datetime) -> None:
        """A round's failures, in one transaction: each retried later, or a dead letter;
        a dead letter that was the last hope of reaching a visitor's host tells
        reception."""
        if not failed:
            return
        with self.repos.db.uow(NOTIFIER.name, now=now) as tx:
            for note, error, retry_at in failed:
                self.outbox.mark_failed(tx, note.id, error, retry_at=retry_at)
            for note, error, retry_at in failed:
                if (
                    retry_at is None
                    and note.kind in HOST_KINDS
                    and note.channel in HOST_CHANNELS
                    and note.visit_id is not None
                    and not self.outbox.host_may_be_reached(tx, note.visit_id)
                ):
                    self._alert_reception(tx, note, error)
        for note, error, retry_at in failed:
            channel = CHANNEL_NAMES.get(note.channel, note.channel)
            if retry_at is None:
                log.warning("%s %s given up (%s)", note.kind, channel, error)
            else:
                log.warning("%s %s not sent (%s); retrying", note.kind, channel, error)

    def _secret(self) -> bytes | None:
        """The generic webhooks' signing secret: $KIOSK_NOTIFY_WEBHOOK_SECRET, else the
        secret file's content (read each time: a rotated secret is used at once)."""
        if self.settings.webhook_secret:
            return self.settings.webhook_secret.encode()
        path = self.settings.webhook_secret_file
        if path is None:
            return None
        try:
            return path.read_bytes().strip() or None
        except OSError:
            return None

    def _webhook_message(self, note: Notification) -> tuple[str, dict[str, object]]:
        """A webhook's text and generic event: what the e-mail holds, with the visitor's
        first name only (a channel may be read by many)."""
        language = self.settings.language
        if note.channel == WEBHOOK and note.kind in HOST_KINDS:  # the host's own
            language = note.host_language if note.host_language in LANGUAGES else language

        def t(message: str, **values: str) -> str:
            return translate(message, language).format(**values)

        assert note.arrived_at is not None
        at = note.arrived_at.astimezone(self.ctx.tz).strftime("%H:%M")
        first = first_name(note.visitor)
        who = f"{first} ({note.company})" if note.company else first
        host = note.host_name or ""
        event: dict[str, object] = {
            "id": str(note.id),
            "site": self.site_name,
            "host": host,
            "visitor": {"first_name": first, "company": note.company or ""},
            "arrived_at": note.arrived_at.astimezone(UTC).isoformat(),
        }
        if note.kind == PARCEL or note.parcel:  # the carrier, no person
            event["carrier"] = note.visitor
            del event["visitor"]
        if note.kind == RECEPTION_ALERT:
            message = PARCEL_NOT_REACHED if note.parcel else HOOK_NOT_REACHED
            values = {"host": host or "?", "time": at, "site": self.site_name}
            text = t(message, visitor=who, carrier=note.visitor, **values)
            return text, {"event": "host.not_reached", **event, "reason": note.reason or ""}
        if note.kind == PARCEL:
            text = t(HOOK_PARCEL, carrier=note.visitor, time=at, host=host, site=self.site_name)
            return text, {"event": "parcel.arrived", **event}
        text = t(HOOK_ARRIVED, visitor=who, time=at, host=host, site=self.site_name)
        if note.minor:
            text += " " + t(MAIL_MINOR)
        return text, {"event": "visitor.arrived", **event, "under_16": note.minor}

    def test(self, host: HostEntry, actor: Actor) -> list[tuple[str, bool, str]]:
        """Try each channel that would carry this host's notifications now, outside the
        outbox: (channel, whether it went, what happened): their e-mail, their own
        webhook, each site webhook. What is missing is said so. Audited with the
        outcomes only."""
        actor.require("hosts")
        results = [self._test_email(host)]
        hooks = [("webhook (own)", host.webhook)] if host.webhook else []
        hooks += [(f"webhook (site {n})", hook) for n, hook in enumerate(self.settings.webhooks, 1)]
        for label, hook in hooks:
            try:
                webhook = parse_webhook(hook, self.settings.insecure_webhook_hosts)
            except WebhookError as exc:
                results.append((label, False, str(exc)))
                continue
            label = f"{label[:-1]}, {webhook.format})"
            text = translate(TEST_TEXT, self.settings.language).format(site=self.site_name)
            event: dict[str, object] = {"event": "test", "site": self.site_name}
            result = self.poster.post(webhook, text, event, str(uuid.uuid4()))
            results.append((label, result.ok, "posted" if result.ok else result.reason))
        with self.repos.db.uow(actor.name) as tx:
            tx.audit(
                "notify.test",
                str(host.id),
                {"results": [[channel, ok] for channel, ok, _what in results]},
            )
        return results

    def _test_email(self, host: HostEntry) -> tuple[str, bool, str]:
        if not self.enabled:
            return ("e-mail", False, "notify.smtp_host is not set")
        if not host.email:
            return ("e-mail", False, "this host has no e-mail address")
        msg = EmailMessage()
        msg["From"] = self.settings.sender
        msg["To"] = host.email
        msg["Subject"] = f"Test from the visitor kiosk at {self.site_name}"
        msg.set_content(
            f"This is a test: when a visitor checks in for you at {self.site_name},"
            " an e-mail like this one tells you.\n"
        )
        try:
            with self._connect() as smtp:
                smtp.send_message(msg)
        except (OSError, smtplib.SMTPException) as exc:
            return ("e-mail", False, f"not sent: {_reason(exc)}")
        return ("e-mail", True, f"sent to {host.email}")

    def _connect(self) -> smtplib.SMTP:
        """A connection over verified TLS (from the first byte, or by STARTTLS) unless the
        settings ask for none; a login only ever over TLS."""
        s = self.settings
        context = None
        if s.tls or s.starttls:
            context = ssl.create_default_context()
            if s.ca_file is not None:
                context.load_verify_locations(cafile=s.ca_file)
        smtp: smtplib.SMTP
        if s.tls:
            smtp = smtplib.SMTP_SSL(s.smtp_host, s.smtp_port, timeout=TIMEOUT_S, context=context)
        else:
            smtp = smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=TIMEOUT_S)
        try:
            if s.starttls and not s.tls:
                smtp.starttls(context=context)
            if s.username:
                if context is None:
                    raise smtplib.SMTPNotSupportedError("no login without TLS")
                smtp.login(s.username, s.password)
        except BaseException:
            smtp.close()
            raise
        return smtp

    def _watch_alert(self, note: Notification) -> EmailMessage:
        """To watchlist.alert_email: that someone on the watchlist checked in, and when;
        who, and why they are listed, only in the console."""
        language = self.settings.language

        def t(message: str, **values: str) -> str:
            return translate(message, language).format(**values)

        assert note.to is not None and note.arrived_at is not None
        at = note.arrived_at.astimezone(self.ctx.tz).strftime("%H:%M")
        msg = EmailMessage()
        msg["From"] = self.settings.sender
        msg["To"] = note.to
        msg["Subject"] = t(WATCH_SUBJECT, site=self.site_name)
        body = t(WATCH_BODY, time=at, site=self.site_name)
        msg.set_content(f"{body}\n\n-- {t(MAIL_SIGNATURE)}\n")
        return msg

    def _parcel(self, note: Notification) -> EmailMessage:
        """To the host: a parcel for them is waiting at reception."""
        assert note.host_email is not None and note.arrived_at is not None
        language = note.host_language if note.host_language in LANGUAGES else None
        t = self._in_language(language or self.settings.language)
        at = note.arrived_at.astimezone(self.ctx.tz).strftime("%H:%M")
        msg = EmailMessage()
        msg["From"] = self.settings.sender
        msg["To"] = note.host_email
        msg["Subject"] = t(PARCEL_SUBJECT, site=self.site_name)
        greeting = t(MAIL_GREETING, host=note.host_name) if note.host_name else t(MAIL_HELLO)
        body = t(PARCEL_BODY, carrier=note.visitor, time=at, site=self.site_name)
        msg.set_content(f"{greeting}\n\n{body}\n\n-- {t(MAIL_SIGNATURE)}\n")
        return msg

    def _reception_alert(self, note: Notification) -> EmailMessage:
        """To notify.reception_email: a host was not reached, and why."""
        assert note.to is not None
        text, _event = self._webhook_message(note)
        t = self._in_language(self.settings.language)
        msg = EmailMessage()
        msg["From"] = self.settings.sender
        msg["To"] = note.to
        msg["Subject"] = t(RECEPTION_SUBJECT, site=self.site_name)
        msg.set_content(f"{text}\n({note.reason})\n\n-- {t(MAIL_SIGNATURE)}\n")
        return msg

    @staticmethod
    def _in_language(language: str) -> Callable[..., str]:
        def t(message: str, **values: str) -> str:
            return translate(message, language).format(**values)

        return t

    # -- reception's view ----------------------------------------------------------

    def undelivered(self, actor: Actor, *, now: datetime | None = None) -> list[HostNotReached]:
        """The last 24 hours' host notifications that reached their host on no channel:
        given up, or still trying notify.late_minutes after the check-in; for reception
        to phone the host. None while this site notifies nobody."""
        actor.require("log")
        if not self.on():
            return []
        now = now or datetime.now(UTC)
        late = now - timedelta(minutes=self.settings.late_minutes)
        found = self.outbox.undelivered(now - timedelta(hours=24), late)
        return [self._not_reached(u) for u in found]

    def _not_reached(self, u: Undelivered) -> HostNotReached:
        visitor, host, arrived = "", "", u.created_at
        try:
            visit = self.repos.visits.get(u.visit_id)
        except StorageError:  # erased meanwhile, its key destroyed, or damaged
            pass
        else:
            visitor, host, arrived = visit.name, visit.host_name or "", visit.arrived_at
        if not host and u.host_id is not None:
            host = self.repos.hosts.names([u.host_id]).get(u.host_id, "")
        return HostNotReached(u.visit_id, visitor, host, arrived, u.given_up, u.reasons, u.parcel)

    def handled(self, visit_id: uuid.UUID, actor: Actor) -> None:
        """Reception phoned the host: the visit's notification leaves the list and is not
        tried again (audited with the visit's id)."""
        actor.require("log")
        with self.repos.db.uow(actor.name) as tx:
            self.outbox.mark_handled(tx, visit_id)

    def _message(self, note: Notification) -> EmailMessage:
        if note.kind == INVITATION:
            return self._invitation(note)
        if note.kind == BADGE:
            return self._badge(note)
        if note.kind == WATCH_ALERT:
            return self._watch_alert(note)
        if note.kind == RECEPTION_ALERT:
            return self._reception_alert(note)
        if note.kind == PARCEL:
            return self._parcel(note)
        assert note.host_email is not None and note.arrived_at is not None
        language = note.host_language
        if language not in LANGUAGES:  # none set (or not one this kiosk speaks)
            language = self.settings.language

        def t(message: str, **values: str) -> str:
            return translate(message, language).format(**values)

        at = note.arrived_at.astimezone(self.ctx.tz).strftime("%H:%M")
        who = f"{note.visitor} ({note.company})" if note.company else note.visitor
        msg = EmailMessage()
        msg["From"] = self.settings.sender
        msg["To"] = note.host_email
        msg["Subject"] = t(MAIL_SUBJECT, site=self.site_name)
        greeting = t(MAIL_GREETING, host=note.host_name) if note.host_name else t(MAIL_HELLO)
        body = t(MAIL_BODY, visitor=who, time=at, site=self.site_name)
        if note.minor:
            body += "\n\n" + t(MAIL_MINOR)
        msg.set_content(f"{greeting}\n\n{body}\n\n-- {t(MAIL_SIGNATURE)}\n")
        return msg

    def _in_visitors_language(self, note: Notification) -> Callable[..., str]:
        """Translating for an e-mail to a visitor: in their language, else notify's."""
        language = note.language if note.language in LANGUAGES else self.settings.language

        def t(message: str, **values: str) -> str:
            return translate(message, language).format(**values)

        return t

    def _badge(self, note: Notification) -> EmailMessage:
        assert note.to is not None and note.code is not None and note.day is not None
        t = self._in_visitors_language(note)
        lines = [
            t(INVITE_GREETING, visitor=note.visitor),
            "",
            t(BADGE_CODE, site=self.site_name, day=note.day, code=note.code),
            "",
            t(BADGE_HOW, button=t(BADGE_BUTTON)),
            "",
            f"-- {t(MAIL_SIGNATURE)}",
        ]
        subject = t(BADGE_SUBJECT, site=self.site_name, day=note.day)
        return self._with_code(note, subject, lines, "badge")

    def _with_code(
        self, note: Notification, subject: str, lines: list[str], name: str
    ) -> EmailMessage:
        """An e-mail to the visitor, with their code as a QR image to show a scanner."""
        assert note.to is not None and note.code is not None
        msg = EmailMessage()
        msg["From"] = self.settings.sender
        msg["To"] = note.to
        msg["Subject"] = subject
        msg.set_content("\n".join(lines) + "\n")
        msg.add_attachment(
            qr_png(note.code), maintype="image", subtype="png", filename=f"{name}-code.png",
            disposition="inline",
        )  # fmt: skip
        return msg

    def _invitation(self, note: Notification) -> EmailMessage:
        assert note.to is not None and note.code is not None and note.day is not None
        t = self._in_visitors_language(note)
        lines = [
            t(INVITE_GREETING, visitor=note.visitor),
            "",
            t(INVITE_EXPECTED, site=self.site_name, day=note.day),
        ]
        if note.host_name:
            lines.append(t(INVITE_HOST, host=note.host_name))
        button = t(INVITE_BUTTON)
        lines += [
            "",
            t(INVITE_HOW, button=button, code=note.code),
            "",
            t(INVITE_QR, button=button, camera=t(INVITE_CAMERA)),
        ]
        subject = t(INVITE_SUBJECT, site=self.site_name, day=note.day)
        lines += ["", f"-- {t(MAIL_SIGNATURE)}"]
        return self._with_code(note, subject, lines, "invitation")


def _reason(exc: BaseException) -> str:
    """What went wrong, without what an SMTP server may have echoed back (addresses)."""
    code = getattr(exc, "smtp_code", None)
    return f"{type(exc).__name__} {code}" if code else type(exc).__name__
