"""A real HTTPS server receiving webhooks (its certificate from a throw-away CA made by
trustme, which the kiosk is told to trust as notify.ca_file): it keeps every POST, and
answers each path as the test scripts it (a status per request, or a redirect)."""

from __future__ import annotations

import ssl
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import trustme

from tests.helpers.factories import free_port


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    status: int  # what it was answered


class WebhookReceiver:
    def __init__(self, ca: trustme.CA, ca_file: Path) -> None:
        self.port = free_port()
        self.ca_file = ca_file
        self.context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ca.issue_cert("127.0.0.1", "localhost").configure_cert(self.context)
        self.received: list[Received] = []
        # path -> the statuses of its next requests (the last one stays); default 200
        self.script: dict[str, list[int]] = {}
        self.redirects: dict[str, str] = {}  # path -> Location
        self.lock = threading.Lock()
        self.server: ThreadingHTTPServer | None = None

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        return f"https://{host}:{self.port}{path}"

    def start(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                with receiver.lock:
                    location = receiver.redirects.get(self.path)
                    statuses = receiver.script.get(self.path, [200])
                    status = 302 if location else statuses[0]
                    if len(statuses) > 1:
                        statuses.pop(0)
                    receiver.received.append(
                        Received(self.path, dict(self.headers.items()), body, status)
                    )
                self.send_response(status)
                if location:
                    self.send_header("Location", location)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:  # quiet
                pass

        server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        server.socket = self.context.wrap_socket(server.socket, server_side=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        self.server = server

    def stop(self) -> None:
        """Down: the port refuses connections (start() brings it back on the same port)."""
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    def posts(self, path: str, status: int | None = 200) -> list[Received]:
        """What came to ``path`` (answered ``status``; None: all)."""
        with self.lock:
            return [
                r
                for r in self.received
                if r.path == path and (status is None or r.status == status)
            ]

    def wait_for(self, path: str, count: int, timeout: float = 10.0) -> list[Received]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and len(self.posts(path)) < count:
            time.sleep(0.05)
        return self.posts(path)
