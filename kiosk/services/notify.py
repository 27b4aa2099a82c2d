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
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage

from kiosk.domain.hosts import HostEntry
from kiosk.domain.notifications import BADGE, INVITATION, WATCH_ALERT, Notification
from kiosk.domain.staff import NOTIFIER, Actor
from kiosk.i18n import LANGUAGES, N_, translate
from kiosk.services.context import ServiceContext
from kiosk.services.qr import qr_png

log = logging.getLogger(__name__)

TIMEOUT_S = 15
MAX_BACKOFF = timedelta(hours=1)
NO_ADDRESS = "no e-mail address for this host"

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

    @property
    def enabled(self) -> bool:
        return bool(self.settings.smtp_host)

    def deliver_quietly(self) -> None:
        """:meth:`deliver_due` for a running kiosk (a worker: after each check-in and every
        minute). Never raises: a notification waits for the next try instead."""
        if not self.enabled:
            return
        try:
            self.deliver_due()
        except Exception as exc:  # the database may be away; the messages wait
            log.warning("e-mails not sent now: %s", type(exc).__name__)

    def deliver_due(self, *, now: datetime | None = None) -> DeliveryReport:
        """Send every notification that is due; one SMTP connection for all of them."""
        if not self.enabled:
            return DeliveryReport()
        now = now or datetime.now(UTC)
        outcomes: Counter[str] = Counter()
        deliverable = []
        with self.repos.db.uow(NOTIFIER.name, now=now) as tx:
            claimed = self.outbox.claim_due(tx)
        for note in claimed:
            if note.recipient:
                deliverable.append(note)
            else:
                self._mark_failed(note, NO_ADDRESS, retry_at=None)
                outcomes["given_up"] += 1
        if deliverable:
            try:
                smtp = self._connect()
            except (OSError, smtplib.SMTPException) as exc:
                for note in deliverable:
                    outcomes[self._failed(note, exc, now)] += 1
            else:
                with smtp:
                    for note in deliverable:
                        outcomes[self._send(smtp, note, now)] += 1
        return DeliveryReport(**outcomes)

    def _send(self, smtp: smtplib.SMTP, note: Notification, now: datetime) -> str:
        try:
            smtp.send_message(self._message(note))
        except smtplib.SMTPRecipientsRefused as exc:  # the address itself: no retry
            self._mark_failed(note, _reason(exc), retry_at=None)
            return "given_up"
        except (OSError, smtplib.SMTPException) as exc:
            return self._failed(note, exc, now)
        with self.repos.db.uow(NOTIFIER.name, now=now) as tx:
            self.outbox.mark_sent(tx, note.id)
        return "sent"

    def _mark_failed(self, note: Notification, error: str, *, retry_at: datetime | None) -> None:
        with self.repos.db.uow(NOTIFIER.name) as tx:
            self.outbox.mark_failed(tx, note.id, error, retry_at=retry_at)

    def _failed(self, note: Notification, exc: BaseException, now: datetime) -> str:
        """Count a failed attempt: retry after the back-off, or give up after the last."""
        attempt = note.attempts + 1
        if attempt >= self.settings.max_attempts:
            self._mark_failed(note, _reason(exc), retry_at=None)
            return "given_up"
        wait = min(timedelta(minutes=2 ** (attempt - 1)), MAX_BACKOFF)
        self._mark_failed(note, _reason(exc), retry_at=now + wait)
        log.warning("%s e-mail not sent (%s); retrying in %s", note.kind, _reason(exc), wait)
        return "retrying"

    def test(self, host: HostEntry, actor: Actor) -> list[tuple[str, bool, str]]:
        """Try each channel configured for this host now, outside the outbox: (channel,
        whether it went, what happened). E-mail is the only channel there is; a host with
        no address, or no SMTP server set, is said so. Audited with the outcomes only."""
        actor.require("hosts")
        results: list[tuple[str, bool, str]] = []
        if not self.enabled:
            results.append(("e-mail", False, "notify.smtp_host is not set"))
        elif not host.email:
            results.append(("e-mail", False, "this host has no e-mail address"))
        else:
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
                results.append(("e-mail", False, f"not sent: {_reason(exc)}"))
            else:
                results.append(("e-mail", True, f"sent to {host.email}"))
        with self.repos.db.uow(actor.name) as tx:
            tx.audit(
                "notify.test",
                str(host.id),
                {"results": [[channel, ok] for channel, ok, _what in results]},
            )
        return results

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

    def _message(self, note: Notification) -> EmailMessage:
        if note.kind == INVITATION:
            return self._invitation(note)
        if note.kind == BADGE:
            return self._badge(note)
        if note.kind == WATCH_ALERT:
            return self._watch_alert(note)
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
