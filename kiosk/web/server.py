"""textual-serve's server with the kiosk's own page: its template, and its static files
(the camera's QR reader) under ``/kiosk-static/``."""

from __future__ import annotations

from pathlib import Path

from aiohttp import web
from textual_serve.server import Server

HERE = Path(__file__).parent


class KioskServer(Server):
    def __init__(self, command: str, *, host: str, port: int, title: str) -> None:
        super().__init__(
            command, host=host, port=port, title=title, templates_path=HERE / "templates"
        )

    async def _make_app(self) -> web.Application:
        app = await super()._make_app()
        app.router.add_static("/kiosk-static", HERE / "static", show_index=False)
        return app
