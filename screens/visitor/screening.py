"""Check-in step 5, when the office switches it on: consent to a few health questions,
then the questions."""

from __future__ import annotations

from dataclasses import dataclass

from textual import on
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Button, Label, RadioButton, RadioSet, Static

from kiosk.domain.registration import Registration
from kiosk.domain.visits import ScreeningOutcome
from kiosk.i18n import N_, _, current_language, period
from screens.visitor.base import Step, VisitorScreen
from screens.visitor.nav import nav
from screens.widgets import FieldError


@dataclass(frozen=True, slots=True)
class Consent:
    """The visitor agreed to the questions, told their answers are kept (or not)."""

    keep_answers: bool


@dataclass(frozen=True, slots=True)
class Answered:
    """The answers given ("yes"/"no" by question), to show again after Back."""

    answers: dict[str, str]


class ScreeningConsentScreen(VisitorScreen[Step | Consent]):
    """Consent, or Skip (the outcome is then "skipped" and no question is asked)."""

    BINDINGS = [("escape", "back", "Back")]
    NOT_KEPT = N_(
        "May we ask you a few health questions? Your answers are not stored; we only keep "
        "whether you may go in. This is voluntary."
    )
    KEPT = N_(
        "May we ask you a few health questions? We keep your answers, encrypted, for "
        "{period}; after that only whether you may go in. This is voluntary."
    )

    def __init__(self, registration: Registration) -> None:
        super().__init__()
        self.registration = registration
        self.keep_days = 0  # what this visitor is told: the answers are kept this long

    def question(self) -> str:
        """The request for consent, saying truly what becomes of the answers."""
        self.keep_days = days = self.runtime.terms().health_answers_days
        return _(self.KEPT).format(period=period(days)) if days > 0 else _(self.NOT_KEPT)

    def compose(self) -> ComposeResult:
        with VerticalScroll(classes="step"):
            yield Static(_("Health check"), classes="title")
            yield Static(self.question())
        yield from nav(
            Button(_("Skip"), id="skip"),
            Button(_("Yes, ask me"), id="consent", variant="primary"),
        )

    def on_mount(self) -> None:
        # Skip, not Back (the first button) nor Yes: the questions need a deliberate yes.
        self.query_one("#skip", Button).focus()

    @on(Button.Pressed, "#skip")
    def skip(self) -> None:
        self.registration.screening = ScreeningOutcome.SKIPPED
        self.registration.health_answers = None
        self.leave(Step.SKIP)

    @on(Button.Pressed, "#consent")
    def consent(self) -> None:
        self.dismiss(Consent(keep_answers=self.keep_days > 0))


class ScreeningQuestionsScreen(VisitorScreen[Step | Answered]):
    BINDINGS = [("escape", "back", "Back")]

    def __init__(
        self,
        registration: Registration,
        *,
        keep_answers: bool,
        answers: dict[str, str] | None = None,
    ) -> None:
        super().__init__()
        self.registration = registration
        # As the visitor consented: answers they were told are not stored never are,
        # even if an admin opts in to keeping them while this visitor answers.
        self.keep_answers = keep_answers
        self.answers = answers or {}  # given before, when the visitor came back

    def compose(self) -> ComposeResult:
        questions = self.runtime.settings.screening.questions(current_language())
        with VerticalScroll(classes="step"):
            yield Static(_("Health check"), classes="title")
            for i, question in enumerate(questions):
                given = self.answers.get(f"q{i}")
                yield Label(question, markup=False)
                with RadioSet(id=f"q{i}", classes="question"):
                    yield RadioButton(_("No"), id=f"q{i}-no", value=given == "no")
                    yield RadioButton(_("Yes"), id=f"q{i}-yes", value=given == "yes")
            yield FieldError("", id="screening-error", markup=False)
        yield from nav(Button(_("Next"), id="next", variant="primary"))

    @on(RadioSet.Changed)
    def answered(self) -> None:
        """The message asking for every answer goes once every question has one."""
        count = len(self.runtime.settings.screening.questions(current_language()))
        if all(self.query_one(f"#q{i}", RadioSet).pressed_button for i in range(count)):
            self.query_one("#screening-error", FieldError).update("")

    @on(Button.Pressed, "#next")
    def finish(self) -> None:
        answers: dict[str, str] = {}
        for i, _q in enumerate(self.runtime.settings.screening.questions(current_language())):
            pressed = self.query_one(f"#q{i}", RadioSet).pressed_button
            if pressed is None or pressed.id is None:
                self.query_one("#screening-error", FieldError).update(
                    _("Please answer every question.")
                )
                return
            answers[f"q{i}"] = pressed.id.rsplit("-", 1)[1]
        r = self.registration
        failed = any(a == "yes" for a in answers.values())
        r.screening = ScreeningOutcome.FAILED if failed else ScreeningOutcome.PASSED
        r.health_answers = answers if self.keep_answers else None
        self.dismiss(Answered(answers))
