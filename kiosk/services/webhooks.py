"""Posting a notification to a webhook: Slack's and Microsoft Teams' incoming webhooks,
or a generic receiver that checks our HMAC signature (docs/notifications.md).

HTTPS only (plain http only to an allowed loopback host, for tests); the server's
certificate is verified (the system's store, plus notify.ca_file); an answer must come
within notify.webhook_timeout seconds. A redirect is followed only to the same scheme,
host and port: a webhook never carries a message to a host nobody configured. What is
kept of a failure is its kind ("HTTP 500", "ConnectTimeout"), never the URL (a Slack or
Teams webhook's URL is its secret).
"""

from __future__ import annotations

import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urljoin, urlsplit

from kiosk.config import NotifySettings
from kiosk.domain.notifications import (
    DELIVERY_HEADER,
    GENERIC,
    SIGNATURE_HEADER,
    Webhook,
    WebhookError,
    check_webhook_url,
    signature,
    webhook_body,
)

if TYPE_CHECKING:
    import httpx

MAX_REDIRECTS = 3
RETRY_STATUSES = frozenset({408, 425, 429})  # and every 5xx: the receiver may recover
NO_SECRET = "no webhook secret (notify.webhook_secret_file or $KIOSK_NOTIFY_WEBHOOK_SECRET)"  # noqa: S105 - what is missing, not a secret


@dataclass(frozen=True, slots=True)
class PostResult:
    ok: bool
    retry: bool  # a failure worth trying again later (else: a dead letter at once)
    reason: str  # what happened, without the URL


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    port = parts.port or {"https": 443, "http": 80}.get(parts.scheme)
    return parts.scheme, (parts.hostname or "").lower(), port


class WebhookPoster:
    def __init__(self, settings: NotifySettings, secret: Callable[[], bytes | None]) -> None:
        self.settings = settings
        self.secret = secret

    def _client(self) -> httpx.Client:
        import httpx  # here: ~0.1 s of imports the kiosk's start need not wait for

        context = ssl.create_default_context()
        if self.settings.ca_file is not None:
            context.load_verify_locations(cafile=self.settings.ca_file)
        return httpx.Client(
            verify=context,
            timeout=httpx.Timeout(self.settings.webhook_timeout),
            follow_redirects=False,
        )

    def post(
        self, webhook: Webhook, text: str, event: dict[str, object], delivery_id: str
    ) -> PostResult:
        """POST the message in the webhook's format; never raises for the network's or
        the receiver's failures."""
        insecure = self.settings.insecure_webhook_hosts
        try:
            check_webhook_url(webhook.url, insecure)
        except WebhookError as exc:
            return PostResult(False, False, str(exc))
        body = webhook_body(webhook.format, text, event)
        headers = {"Content-Type": "application/json", DELIVERY_HEADER: delivery_id}
        if webhook.format == GENERIC:
            secret = self.secret()
            if not secret:
                return PostResult(False, False, NO_SECRET)
            headers[SIGNATURE_HEADER] = signature(secret, int(time.time()), body)
        url = webhook.url
        import httpx

        with self._client() as client:
            for _hop in range(MAX_REDIRECTS + 1):
                try:
                    response = client.post(url, content=body, headers=headers)
                except httpx.HTTPError as exc:  # connection, TLS, timeout: later again
                    return PostResult(False, True, type(exc).__name__)
                status = response.status_code
                if 200 <= status < 300:
                    return PostResult(True, False, f"HTTP {status}")
                if response.is_redirect:
                    target = urljoin(url, response.headers.get("location", ""))
                    if _origin(target) != _origin(url):
                        return PostResult(False, False, "redirect to another host refused")
                    url = target
                    continue
                retry = status in RETRY_STATUSES or status >= 500
                return PostResult(False, retry, f"HTTP {status}")
        return PostResult(False, False, "too many redirects")
