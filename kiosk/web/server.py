"""textual-serve's server with the kiosk's own page (its template, and its static files,
the camera's QR reader, under ``/kiosk-static/``), hardened for a public lobby:

- a websocket is accepted only from a page of the kiosk's own origin (the configured
  public address, else the host the browser asked for): another site open in a browser
  on the office network cannot drive a kiosk session;
- every address the page uses (scripts, fonts, the camera's reader, the websocket) is
  built from the configured public address, else from the address the browser asked
  for: its Host header, or the X-Forwarded-Host and -Proto a trusted proxy (configured
  by address) sets; those headers from anyone else are ignored;
- the page is the office's: its name and logo above the terminal, in its colours, with
  the kiosk's text sized for the tablet (static/fit.js);
- at most ``max_sessions`` sessions run at once (each is a kiosk process, about 90 MB);
  one more gets a page saying the kiosk is busy, not a hung tab.
"""

from __future__ import annotations

import ipaddress
import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import aiohttp_jinja2
from aiohttp import web
from textual_serve.server import Server

from kiosk.config import Settings
from kiosk.domain.branding import Palette, logo_type, palette
from kiosk.web.rollcall import RollCallPages

HERE = Path(__file__).parent
log = logging.getLogger(__name__)

BUSY_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="refresh" content="15"><title>{title}</title>
<style>body{{background:{background};color:{foreground};font:24px sans-serif;display:flex;
align-items:center;justify-content:center;height:100vh;margin:0;text-align:center}}</style>
</head><body><div><h1>{title}</h1>
<p>All kiosk sessions are in use. Please wait a moment: this page tries again by itself.</p>
<p lang="nl">Alle kiosksessies zijn in gebruik. Een ogenblik geduld: deze pagina probeert
het vanzelf opnieuw.</p></div></body></html>
"""


HOST = re.compile(
    r"(?:[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?"
)
"""A Host header's value: a name or an address, and a port."""

Network = ipaddress.IPv4Network | ipaddress.IPv6Network

LOGO_PATH = "/kiosk-brand/logo"


@dataclass(frozen=True, slots=True)
class PageBrand:
    """What the page shows of the office: its name, colours and logo (read once)."""

    name: str
    colours: Palette
    logo: bytes = b""
    logo_type: str = ""

    @classmethod
    def of(cls, settings: Settings) -> PageBrand:
        """From the settings (checked at start: the colours and the logo file are good)."""
        b = settings.branding
        logo = b.logo.read_bytes() if b.logo is not None else b""
        return cls(
            name=settings.office_name,
            colours=palette(b.accent, b.mode),
            logo=logo,
            logo_type=logo_type(logo, len(logo)) if logo else "",
        )


def networks(proxies: tuple[str, ...]) -> tuple[Network, ...]:
    """``("127.0.0.1", "10.0.0.0/8")`` → networks; ValueError names a wrong one."""
    return tuple(ipaddress.ip_network(p.strip(), strict=False) for p in proxies)


def _first(value: str | None) -> str:
    """The first of a forwarded header's comma-separated values (the client's side)."""
    return (value or "").split(",", 1)[0].strip()


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
        trusted_proxies: tuple[str, ...] = (),
        brand: PageBrand | None = None,
        settings: Settings | None = None,
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
        self.trusted = networks(trusted_proxies)
        self.brand = brand or PageBrand(title, palette())
        # The marshals' roll-call page (kiosk.web.rollcall), with the settings to open
        # the database by.
        self.rollcall = RollCallPages(settings, self.same_origin) if settings else None

    def _from_trusted_proxy(self, request: web.Request) -> bool:
        try:
            peer = ipaddress.ip_address(request.remote or "")
        except ValueError:
            return False
        return any(peer in net for net in self.trusted)

    def page_base(self, request: web.Request) -> tuple[str, bool] | None:
        """``scheme://host[:port]`` the page's addresses start with, and whether its
        scheme is known (configured, forwarded by a trusted proxy, or TLS here); None
        for a Host header that is not a host."""
        if self.origin:
            return self.public_url, True
        scheme, host, known = request.scheme, request.host, request.secure
        if self._from_trusted_proxy(request):
            host = _first(request.headers.get("X-Forwarded-Host")) or host
            proto = _first(request.headers.get("X-Forwarded-Proto")).lower()
            if proto in ("http", "https"):
                scheme, known = proto, True
        if not HOST.fullmatch(host):
            return None
        return f"{scheme}://{host}", known

    def same_origin(self, request: web.Request) -> bool:
        """Whether the page that opens this websocket is the kiosk's own: its Origin is
        the configured public address, or (none configured) the host the request was
        sent to, as a browser names it in both headers (a TLS proxy in front changes
        the scheme, so only host and port are compared then)."""
        origin = request.headers.get("Origin", "").lower().rstrip("/")
        base = self.page_base(request)
        if not origin or base is None:
            return False
        url, scheme_known = base
        if scheme_known:
            return origin == origin_of(url)
        return urlsplit(origin).netloc == urlsplit(url).netloc.lower()

    async def _make_app(self) -> web.Application:
        app = await super()._make_app()
        app.router.add_static("/kiosk-static", HERE / "static", show_index=False)
        if self.rollcall is not None:
            self.rollcall.add_routes(app)
        app.router.add_get(LOGO_PATH, self.handle_logo)
        return app

    async def handle_logo(self, request: web.Request) -> web.Response:
        """The office's logo, as an image only: an SVG opened by itself runs no script."""
        if not self.brand.logo:
            raise web.HTTPNotFound()
        return web.Response(
            body=self.brand.logo,
            content_type=self.brand.logo_type,
            headers={
                "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'",
                "X-Content-Type-Options": "nosniff",
                "Cache-Control": "max-age=3600",
            },
        )

    def _busy(self) -> web.Response:
        return web.Response(
            status=503,
            text=BUSY_PAGE.format(
                title=self.title,
                background=self.brand.colours.background,
                foreground=self.brand.colours.foreground,
            ),
            content_type="text/html",
            headers={"Retry-After": "15"},
        )

    @aiohttp_jinja2.template("app_index.html")
    async def handle_index(self, request: web.Request) -> Any:
        """textual-serve's page, its addresses built from :meth:`page_base`."""
        if self.sessions >= self.max_sessions:
            return self._busy()
        base = self.page_base(request)
        if base is None:
            raise web.HTTPBadRequest(text="That is not a host name.")
        url = base[0]
        router = request.app.router
        static = url + str(router["static"].url_for(filename="/")).rstrip("/") + "/"
        websocket = url + str(router["websocket"].url_for())
        websocket = ("wss:" if url.startswith("https:") else "ws:") + websocket.split(":", 1)[1]
        try:  # by hand, "?fontsize=N"; otherwise fit.js chooses it from the screen
            font_size = int(request.query.get("fontsize", ""))
        except ValueError:
            font_size = 0
        return {
            "font_size": font_size if 8 <= font_size <= 64 else 0,
            "brand": self.brand,
            "brand_logo_url": url + LOGO_PATH,
            "app_websocket_url": websocket,
            "config": {"static": {"url": static}},
            "application": {"name": self.title},
        }

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
