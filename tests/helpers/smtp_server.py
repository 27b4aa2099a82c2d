"""A real SMTP server for the e-mail tests (aiosmtpd): it keeps what it is sent."""

from __future__ import annotations

import threading
import time
from email import message_from_bytes
from email.message import Message
from typing import Any

from aiosmtpd.controller import Controller

from kiosk.config import NotifySettings
from tests.helpers.factories import free_port


class Inbox:
    """An aiosmtpd handler that keeps what it is sent."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], Message]] = []
        self.sessions: list[tuple[bool, bool]] = []  # per message: (over TLS, logged in)
        self.lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.lock:
            self.messages.append((list(envelope.rcpt_tos), message_from_bytes(envelope.content)))
            # STARTTLS sets session.ssl; SMTPS is TLS from the transport up
            tls = session.ssl is not None or server.transport.get_extra_info("ssl_object")
            self.sessions.append((bool(tls), bool(session.authenticated)))
        return "250 OK"

    def wait_for(self, count: int, timeout: float = 10.0) -> list[tuple[list[str], Message]]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and len(self.messages) < count:
            time.sleep(0.05)
        return list(self.messages)


class SmtpServer:
    def __init__(self, **smtp_parameters: Any) -> None:
        self.port = free_port()
        self.inbox = Inbox()
        self.controller: Controller | None = None
        self.smtp_parameters = smtp_parameters  # aiosmtpd's: TLS, authentication

    def start(self) -> None:
        self.controller = Controller(
            self.inbox, hostname="127.0.0.1", port=self.port, **self.smtp_parameters
        )
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def settings(self, **overrides: Any) -> NotifySettings:
        values: dict[str, Any] = {
            "smtp_host": "127.0.0.1",
            "smtp_port": self.port,
            "starttls": False,
            "sender": "kiosk@example.com",
        }
        values.update(overrides)
        return NotifySettings(**values)
