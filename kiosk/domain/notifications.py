"""Messages waiting in the outbox: to a host when their visitor arrives (by e-mail and
webhooks), an invitation to an expected visitor, a visitor's own badge, and alerts to
reception; the webhooks' bodies and their signature."""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple
from urllib.parse import urlsplit

HOST_ARRIVAL = "host_arrival"  # the kinds of e-mail
PARCEL = "parcel"  # to a host: a parcel for them is waiting at reception
HOST_KINDS = (HOST_ARRIVAL, PARCEL)  # the kinds that go to a host, by their channels
INVITATION = "invitation"
BADGE = "badge"  # a visitor's badge code, e-mailed to them at their asking
TO_VISITOR = (INVITATION, BADGE)  # the kinds that go to the visitor's own address
WATCH_ALERT = "watch_alert"  # to watchlist.alert_email: a visitor matched (no name in it)
EMAIL = "email"  # the channels of an outbox row
WEBHOOK = "webhook"
# A host notification as the check-in writes it: to the host, by every channel that
# reaches them. The sender splits it into one row per channel (each retried on its own)
# or, when nothing reaches the host, gives it up and alerts reception.
TO_HOST = "host"
# A site's webhook (notify.webhooks): every host notification is posted there too; it
# tells the office's channel, not the host, so it does not count as reaching them.
SITE_WEBHOOK = "site"
HOST_CHANNELS = (EMAIL, WEBHOOK)  # the channels that reach a host themselves
RECEPTION_ALERT = "reception_alert"  # a host was not reached: to reception's channels


@dataclass(frozen=True, slots=True)
class Notification:
    """A claimed e-mail, decrypted. A host notification (kind "host_arrival") goes to the
    host: ``host_email`` is None when the host has no address (or the visitor typed a host
    the directory does not hold). An invitation ("invitation") goes to the visitor's
    address in ``to``, in ``language``, with the ``code`` for ``day``; so does a badge
    ("badge"), with the visit's badge code."""

    id: uuid.UUID
    kind: str
    attempts: int
    host_name: str | None
    host_email: str | None
    host_language: str | None  # None: the site's
    visitor: str
    company: str | None
    arrived_at: datetime | None  # a host notification's
    to: str | None = None  # an invitation's
    day: str | None = None
    code: str | None = None
    language: str | None = None
    minor: bool = False  # a host notification's: the visitor is under 16, with a guardian
    channel: str = EMAIL
    visit_id: uuid.UUID | None = None
    host_id: uuid.UUID | None = None
    host_active: bool = True
    host_webhook: str | None = None  # the host's own, "FORMAT URL"
    webhook: str | None = None  # a site's or reception's webhook the message goes to
    created_at: datetime | None = None
    reason: str | None = None  # a reception alert's: why the host was not reached
    parcel: bool = False  # a reception alert's: about a parcel (``visitor``: the carrier)

    @property
    def recipient(self) -> str | None:
        if self.kind in (*TO_VISITOR, WATCH_ALERT, RECEPTION_ALERT):
            return self.to
        return self.host_email


class OutboxEntry(NamedTuple):
    """A message's state, for checking the outbox (no personal data)."""

    id: uuid.UUID
    attempts: int
    next_attempt_at: datetime | None
    sent_at: datetime | None
    last_error: str | None


class SentAbout(NamedTuple):
    """An e-mail about a person's visit or invitation, as their export lists it (what it
    said is what the visit or invitation holds)."""

    kind: str
    visit_id: uuid.UUID | None
    invitation_id: uuid.UUID | None
    created_at: datetime
    sent_at: datetime | None
    given_up: bool


class ChannelState(NamedTuple):
    """How a visit's host notification went on one channel: sent, or when it is tried
    next (None: given up, or reception took over), and why the last try failed."""

    channel: str
    sent_at: datetime | None
    next_attempt_at: datetime | None
    last_error: str | None
    handled_at: datetime | None


class Undelivered(NamedTuple):
    """A host notification that reached its host on no channel: given up on each, or
    still trying past notify.late_minutes. For reception, who phones the host."""

    visit_id: uuid.UUID
    host_id: uuid.UUID | None
    created_at: datetime
    given_up: bool  # on every channel (else: late, still trying)
    reasons: tuple[str, ...]  # "email: ConnectionRefusedError", "webhook: HTTP 404"
    parcel: bool = False  # a parcel's notice, not a visitor's


# -- channels and webhooks -------------------------------------------------------------

SLACK, TEAMS, GENERIC = "slack", "teams", "generic"
FORMATS = (SLACK, TEAMS, GENERIC)
SIGNATURE_HEADER = "X-Kiosk-Signature"  # t=<unix seconds>,v1=<hex HMAC-SHA256>
DELIVERY_HEADER = "X-Kiosk-Delivery"  # the message's id: a receiver drops a repeat
SIGNATURE_TOLERANCE_S = 300  # a receiver refuses a signature older (or newer) than this
LOOPBACK = frozenset({"localhost", "127.0.0.1", "::1"})


class WebhookError(ValueError):
    """A webhook that is refused; the message says why (in English: staff read it) and
    never repeats the URL, which is a secret to whoever holds it."""


@dataclass(frozen=True, slots=True)
class Webhook:
    format: str  # slack, teams or generic
    url: str

    def __str__(self) -> str:
        return f"{self.format} {self.url}"


def parse_webhook(text: str, insecure_hosts: frozenset[str] | tuple[str, ...] = ()) -> Webhook:
    """A webhook as configured or set by an admin: "FORMAT URL" (e.g. "slack
    https://hooks.slack.com/services/..."). HTTPS only; plain http only to a loopback
    host listed in ``insecure_hosts`` (a test's receiver). No user name or password in
    the URL (a generic receiver checks the signature instead)."""
    parts = text.split()
    if len(parts) != 2:
        raise WebhookError('a webhook is "FORMAT URL", e.g. "slack https://hooks.slack.com/..."')
    kind, url = parts[0].lower(), parts[1]
    if kind not in FORMATS:
        raise WebhookError(f"a webhook's format is {', '.join(FORMATS)}")
    check_webhook_url(url, insecure_hosts)
    return Webhook(kind, url)


def check_webhook_url(url: str, insecure_hosts: frozenset[str] | tuple[str, ...] = ()) -> None:
    """Raise WebhookError unless ``url`` is one we post to (see parse_webhook)."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port out of range
    except ValueError:
        raise WebhookError("the webhook's URL is not a valid URL") from None
    host = (parts.hostname or "").lower()
    if not host:
        raise WebhookError("the webhook's URL has no host")
    if parts.username is not None or parts.password is not None:
        raise WebhookError("the webhook's URL must not hold a user name or password")
    if parts.scheme == "https":
        return
    if parts.scheme == "http" and host in LOOPBACK and host in insecure_hosts:
        return
    raise WebhookError("a webhook must use https (plain http only to an allowed loopback host)")


def first_name(name: str) -> str:
    """What a chat message says of a visitor: their first name only."""
    return name.split()[0] if name.split() else ""


def webhook_body(kind: str, text: str, event: dict[str, object]) -> bytes:
    """The POST body in the shape the receiver takes: Slack's incoming webhook ({"text"}),
    a Microsoft Teams workflow webhook (a message with an Adaptive Card), or our generic
    JSON (the event's fields, and the text)."""
    if kind == SLACK:
        body: dict[str, object] = {"text": text}
    elif kind == TEAMS:
        body = {
            "type": "message",
            "attachments": [
                {
                    "contentType": "application/vnd.microsoft.card.adaptive",
                    "contentUrl": None,
                    "content": {
                        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
                        "type": "AdaptiveCard",
                        "version": "1.4",
                        "body": [{"type": "TextBlock", "text": text, "wrap": True}],
                    },
                }
            ],
        }
    else:
        body = {**event, "text": text}
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()


def signature(secret: bytes, timestamp: int, body: bytes) -> str:
    """The X-Kiosk-Signature header of a generic webhook: HMAC-SHA256 under the shared
    secret over "<timestamp>." followed by the body's bytes."""
    mac = hmac.new(secret, f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def signature_valid(secret: bytes, header: str, body: bytes, now: float) -> bool:
    """What a receiver checks (documented in docs/notifications.md): the MAC matches,
    and the timestamp is within SIGNATURE_TOLERANCE_S of the receiver's clock."""
    fields = dict(part.split("=", 1) for part in header.split(",") if "=" in part)
    try:
        timestamp = int(fields["t"])
    except (KeyError, ValueError):
        return False
    if abs(now - timestamp) > SIGNATURE_TOLERANCE_S:
        return False
    expected = signature(secret, timestamp, body).split("v1=", 1)[1]
    return hmac.compare_digest(expected, fields.get("v1", ""))


@dataclass(frozen=True, slots=True)
class HostNotReached:
    """An Undelivered notification as the console shows it: who came for whom, when."""

    visit_id: uuid.UUID
    visitor: str  # "" when the visit cannot be read
    host: str
    arrived_at: datetime
    given_up: bool
    reasons: tuple[str, ...]
    parcel: bool = False  # a parcel delivered (``visitor``: the carrier)
