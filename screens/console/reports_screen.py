"""Reports (opened from the Export tab): visits per day over the last four weeks and
arrivals per hour of today, as charts in the terminal (textual-plotext, over counts the
database computed), and the same as CSV."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Static
from textual.worker import Worker, WorkerState
from textual_plotext import PlotextPlot

from kiosk.domain.text import TextError, typed_path
from kiosk.services.errors import user_message
from kiosk.services.reports import Report
from screens.console.desk import Desk


def _whole_ticks(plt: Any, highest: int) -> None:
    """Counts on the y axis as whole numbers (at most about five of them)."""
    step = max(1, -(-highest // 5))
    ticks = [float(v) for v in range(0, highest + step, step)]
    plt.yticks(ticks, [str(int(v)) for v in ticks])


class ReportsScreen(ModalScreen[None]):
    DEFAULT_CSS = """
    ReportsScreen { align: center middle; }
    #reports { width: 100%; height: 100%; border: thick $primary; background: $surface;
               padding: 0 1; }
    #reports PlotextPlot { height: 1fr; min-height: 8; }
    #reports .row { height: auto; }
    #report-output { width: 1fr; }
    #reports .row Button { margin: 0 0 0 1; }
    #report-status { height: auto; }
    """
    BINDINGS = [("escape", "close", "Close")]

    @dataclass
    class Loaded(Message):
        report: Report

    def __init__(self, desk: Desk) -> None:
        super().__init__()
        self.desk = desk
        self.report: Report | None = None

    def compose(self) -> ComposeResult:
        with Vertical(id="reports"):
            yield PlotextPlot(id="report-days")
            yield PlotextPlot(id="report-hours")
            with Horizontal(classes="row"):
                yield Input(placeholder="Write the counts as CSV to", id="report-output")
                yield Button("Write CSV", id="report-csv")
                yield Button("Close", id="report-close")
            yield Static("", id="report-status", markup=False)

    def on_mount(self) -> None:
        self.load()

    @work(thread=True, exclusive=True, exit_on_error=False, group="reports")
    def load(self) -> None:
        self.post_message(self.Loaded(self.desk.services.reports.report(self.desk.actor)))

    def on_reports_screen_loaded(self, message: Loaded) -> None:
        report = self.report = message.report
        days = self.query_one("#report-days", PlotextPlot)
        plt = days.plt
        plt.clear_figure()
        # Every seventh day labelled (dd-mm): four weeks fit 64 columns.
        plt.bar(list(range(len(report.days))), [n for _d, n in report.days], marker="hd")
        weekly = list(range(0, len(report.days), 7))
        plt.xticks(
            [float(i) for i in weekly], [report.days[i][0].strftime("%d-%m") for i in weekly]
        )
        _whole_ticks(plt, max(n for _d, n in report.days))
        first, last = report.days[0][0], report.days[-1][0]
        plt.title(f"Visits per day, {first.isoformat()} to {last.isoformat()}")
        days.refresh()
        hours = self.query_one("#report-hours", PlotextPlot)
        plt = hours.plt
        plt.clear_figure()
        plt.bar([f"{h:02d}" for h in range(24)], report.hours, marker="hd")
        _whole_ticks(plt, max(report.hours))
        plt.title(f"Arrivals per hour, {report.day.isoformat()}")
        hours.refresh()
        total = sum(n for _d, n in report.days)
        self.say(f"{total} visit(s) in {len(report.days)} days; {sum(report.hours)} today.")

    def say(self, text: str) -> None:
        self.query_one("#report-status", Static).update(text)

    @on(Button.Pressed, "#report-csv")
    def write_csv(self) -> None:
        box = self.query_one("#report-output", Input)
        if not box.value.strip():
            stamp = datetime.now(self.desk.tz).strftime("%Y%m%d-%H%M%S")
            box.value = str(self.desk.settings.data_dir / "exports" / f"report-{stamp}.csv")
        try:
            path = typed_path(box.value)
        except TextError as exc:
            self.say(exc.message)
            return
        if self.report is not None:
            self.write(self.report, path)

    @work(thread=True, exclusive=True, exit_on_error=False, group="report-csv")
    def write(self, report: Report, path: Path) -> None:
        written = self.desk.services.reports.write_csv(report, path, self.desk.actor)
        self.app.call_from_thread(self.say, f"Wrote {written}")

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state is WorkerState.ERROR:
            self.say(user_message(event.worker.error))

    @on(Button.Pressed, "#report-close")
    def action_close(self) -> None:
        self.dismiss(None)
