"""A child process for the cold-start benchmark: prints "ready" at the first
interactive frame, then exits. `python -m bench.startup_probe kiosk|minimal`."""

from __future__ import annotations

import asyncio
import sys


def main() -> None:
    mode = sys.argv[1]
    # Each mode imports only its own app: what the import costs is what is measured.
    if mode == "minimal":
        from textual.app import App, ComposeResult
        from textual.widgets import Button, Static

        class Minimal(App[None]):
            def compose(self) -> ComposeResult:
                yield Static("Welcome")
                yield Button("Check in")

        app: object = Minimal()
    else:
        from kiosk.app import make_app
        from kiosk.config import load_settings

        app = make_app(load_settings())

    async def until_interactive(pilot: object) -> None:
        # The first frame is up and takes input; then (kiosk) wait for the store too.
        print("frame", flush=True)
        runtime = getattr(app, "runtime", None)
        while runtime is not None and not runtime.ready:
            await asyncio.sleep(0.002)
        print("ready", flush=True)
        app.exit()  # type: ignore[attr-defined]

    app.run(headless=True, auto_pilot=until_interactive)  # type: ignore[attr-defined]


if __name__ == "__main__":
    main()
