"""textual-serve's server with the kiosk's own page (its template, and its static files,
the camera's QR reader, under ``/kiosk-static/``), hardened for a public lobby:

- a websocket is accepted only from a page of the kiosk's own origin (the configured
  public address, else the host the browser asked for): another site open in a browser
  on the office network cannot drive a kiosk session;
- at most ``max_sessions`` sessions run at once (each is a kiosk process, about 90 MB);
  one more gets a page saying the kiosk is busy, not a hung tab.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web
from textual_serve.server import Server

HERE = Path(__file__).parent
log = logging.getLogger(__name__)

BUSY_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="refresh" content="15"><title>{title}</title>
<style>body{{background:#0c181f;color:#e0e0e0;font:24px sans-serif;display:flex;
align-items:center;justify-content:center;height:100vh;margin:0;text-align:center}}</style>
</head><body><div><h1>{title}</h1>
<p>All kiosk sessions are in use. Please wait a moment: this page tries again by itself.</p>
<p lang="nl">Alle kiosksessies zijn in gebruik. Een ogenblik geduld: deze pagina probeert
het vanzelf opnieuw.</p></div></body></html>
"""


def origin_of(url: str) -> str:
    """``scheme://host[:port]`` as a browser sends it in the Origin header (no default
    port, lower case)."""
    parts = urlsplit(url)
    scheme, host = parts.scheme.lower(), (parts.hostname or "").lower()
    if ":" in host:
        host = f"[{host}]"
    default = {"http": 80, "https": 443}.get(scheme)
    port = f":{parts.port}" if parts.port and parts.port != default else ""
    return f"{scheme}://{host}{port}"


class KioskServer(Server):
    def __init__(
        self,
        command: str,
        *,
        host: str,
        port: int,
        title: str,
        public_url: str = "",
        max_sessions: int = 8,
    ) -> None:
        super().__init__(
            command,
            host=host,
            port=port,
            title=title,
            public_url=public_url.rstrip("/") or None,
            templates_path=HERE / "templates",
        )
        self.max_sessions = max_sessions
        self.sessions = 0
        self.origin = origin_of(public_url) if public_url else ""

    def same_origin(self, request: web.Request) -> bool:
        """Whether the page that opens this websocket is the kiosk's own: its Origin is
        the configured public address, or (none configured) the host the request was
        sent to, as a browser names it in both headers (a TLS proxy in front changes
        the scheme, so only host and port are compared then)."""
        origin = request.headers.get("Origin", "").lower().rstrip("/")
        if not origin:
            return False
        if self.origin:
            return origin == self.origin
        return urlsplit(origin).netloc == request.host.lower()

    async def _make_app(self) -> web.Application:
        app = await super()._make_app()
        app.router.add_static("/kiosk-static", HERE / "static", show_index=False)
        return app

    def _busy(self) -> web.Response:
        return web.Response(
            status=503,
            text=BUSY_PAGE.format(title=self.title),
            content_type="text/html",
            headers={"Retry-After": "15"},
        )

    async def handle_index(self, request: web.Request) -> Any:
        if self.sessions >= self.max_sessions:
            return self._busy()
        return await super().handle_index(request)

    async def handle_websocket(self, request: web.Request) -> web.WebSocketResponse:
        if not self.same_origin(request):
            log.warning("refused a kiosk session from another origin")  # not the origin itself
            raise web.HTTPForbidden(text="This kiosk does not accept sessions from that page.")
        if self.sessions >= self.max_sessions:
            log.warning("refused a kiosk session: %d sessions already run", self.sessions)
            raise web.HTTPServiceUnavailable(
                text="All kiosk sessions are in use.", headers={"Retry-After": "15"}
            )
        self.sessions += 1
        try:
            return await super().handle_websocket(request)
        finally:
            self.sessions -= 1
