"""Check-in steps 2 to 5: age, privacy notice, NDA, health screening."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, Input, Label, Markdown, RadioButton, RadioSet, Static

from kiosk.documents import Document
from kiosk.domain import NdaSignature, ScreeningOutcome
from kiosk.domain.registration import Registration
from kiosk.domain.text import search_key
from kiosk.i18n import N_, _, current_language, period
from screens.base import KioskScreen
from screens.widgets import FieldError

MSG_SIGNATURE = N_("Please type your full name as you entered it.")


def next_after_documents(screen: KioskScreen, r: Registration) -> None:
    """After the privacy notice and NDA: screening if switched on, else save."""
    if screen.services.settings.screening.enabled and not r.under_16:
        screen.app.push_screen(ScreeningConsentScreen(r))
    else:
        from screens.badge import SubmitScreen

        screen.app.push_screen(SubmitScreen(r))


def document_view(doc: Document) -> Markdown:
    """A privacy notice or NDA. Its links do nothing: an office's text may hold one, and
    opening it would start a browser on the kiosk machine (or a tab on the lobby
    tablet), a way out of the kiosk."""
    return Markdown(doc.text, id="document", open_links=False)


class StepScreen(KioskScreen):
    """A step with Back (one screen back) and Cancel (to the welcome screen)."""

    BINDINGS = [("escape", "back", "Back")]

    def __init__(self, registration: Registration) -> None:
        super().__init__()
        self.registration = registration

    def nav(self, *extra: Button) -> ComposeResult:
        with Horizontal(classes="nav"):
            yield Button(_("Back"), id="back")
            yield Button(_("Cancel"), id="cancel", variant="error")
            yield from extra

    def action_back(self) -> None:
        self.app.pop_screen()

    @on(Button.Pressed, "#back")
    def back(self) -> None:
        self.app.pop_screen()


class AgeScreen(StepScreen):
    def compose(self) -> ComposeResult:
        with VerticalScroll(classes="step"):
            yield Static(_("How old are you?"), classes="title")
            yield Button(_("I am 16 or older"), id="adult", variant="primary")
            yield Button(_("I am under 16 and accompanied"), id="minor")
        yield from self.nav()

    @on(Button.Pressed, "#adult, #minor")
    def choose(self, event: Button.Pressed) -> None:
        self.registration.under_16 = event.button.id == "minor"
        self.app.push_screen(PrivacyScreen(self.registration))


class PrivacyScreen(StepScreen):
    SUMMARY = N_(
        "We keep your name, contact details, company, host and visit times to know who "
        "is in the building and to tell your host you are here. Everything is encrypted "
        "and deleted automatically after {period}. You can ask reception for a copy, a "
        "correction or deletion at any time."
    )

    def compose(self) -> ComposeResult:
        terms = self.services.terms()
        # Kept: the visit records this very text, even if an admin changes the
        # retention while the visitor reads.
        self.shown = doc = self.services.document("privacy", current_language(), terms)
        with Vertical(classes="step"):
            yield Static(_("Privacy notice"), classes="title")
            summary = _(self.SUMMARY).format(period=period(terms.visit_days))
            yield Static(summary, classes="summary")
            with VerticalScroll(id="document-box"):
                yield document_view(doc)
        yield from self.nav(Button(_("I have read this"), id="accept", variant="primary"))

    def on_mount(self) -> None:
        self.query_one("#accept", Button).focus()

    @on(Button.Pressed, "#accept")
    def accept(self) -> None:
        doc = self.shown
        r = self.registration
        r.privacy_version, r.privacy_sha256 = doc.version, doc.sha256
        r.privacy_language = doc.language
        if self.services.nda_required(r.visitor_type):
            self.app.push_screen(NdaScreen(r))
        else:
            r.nda = None
            next_after_documents(self, r)


def _same_name(typed: str, name: str) -> bool:
    """The typed signature is the visitor's name, compared as search compares names: case,
    accents, hyphens and spacing ignored, since a lobby keyboard or tablet may not offer
    the "ë" or "Å" the name was typed with (the signature is kept as typed)."""
    return bool(search_key(typed)) and search_key(typed) == search_key(name)


class NdaScreen(StepScreen):
    def compose(self) -> ComposeResult:
        doc = self.services.document("nda", current_language())
        with Vertical(classes="step"):
            yield Static(_("Non-disclosure agreement"), classes="title")
            with VerticalScroll(id="document-box"):
                yield document_view(doc)
            with Horizontal(id="signature-row"):
                yield Label(_("Type your full name to accept:"), id="signature-label")
                yield Input(id="signature", max_length=120)
            yield FieldError("", id="signature-error", markup=False)
        yield from self.nav(
            Button(_("I do not accept"), id="decline"),
            Button(_("I accept"), id="accept", variant="primary"),
        )

    def on_mount(self) -> None:
        self.query_one("#signature", Input).focus()

    @on(Button.Pressed, "#accept")
    @on(Input.Submitted, "#signature")
    def accept(self) -> None:
        typed = self.query_one("#signature", Input).value
        r = self.registration
        if not _same_name(typed, r.name):
            self.query_one("#signature-error", FieldError).update(_(MSG_SIGNATURE))
            return
        doc = self.services.document("nda", current_language())
        r.nda = NdaSignature(doc.version, doc.language, doc.sha256, typed.strip())
        next_after_documents(self, r)

    @on(Button.Pressed, "#decline")
    def decline(self) -> None:
        self.registration.nda = None
        self.app.push_screen(DeclinedScreen())


class DeclinedScreen(KioskScreen):
    def compose(self) -> ComposeResult:
        with VerticalScroll(classes="step"):
            yield Static(_("Thank you"), classes="title")
            yield Static(
                _(
                    "Without accepting the agreement we cannot register your visit. "
                    "Please contact reception; they will be glad to help you."
                )
            )
            yield Button(_("Done"), id="done", variant="primary")

    @on(Button.Pressed, "#done")
    def done(self) -> None:
        self.go_home()


class ScreeningConsentScreen(StepScreen):
    NOT_KEPT = N_(
        "May we ask you a few health questions? Your answers are not stored; we only keep "
        "whether you may go in. This is voluntary."
    )
    KEPT = N_(
        "May we ask you a few health questions? We keep your answers, encrypted, for "
        "{period}; after that only whether you may go in. This is voluntary."
    )

    def __init__(self, registration: Registration) -> None:
        super().__init__(registration)
        self.keep_days = 0  # what this visitor is told: the answers are kept this long

    def question(self) -> str:
        """The request for consent, saying truly what becomes of the answers."""
        self.keep_days = days = self.services.terms().health_answers_days
        return _(self.KEPT).format(period=period(days)) if days > 0 else _(self.NOT_KEPT)

    def compose(self) -> ComposeResult:
        with VerticalScroll(classes="step"):
            yield Static(_("Health check"), classes="title")
            yield Static(self.question())
        yield from self.nav(
            Button(_("Skip"), id="skip"),
            Button(_("Yes, ask me"), id="consent", variant="primary"),
        )

    def on_mount(self) -> None:
        # Skip, not Back (the first button) nor Yes: the questions need a deliberate yes.
        self.query_one("#skip", Button).focus()

    @on(Button.Pressed, "#skip")
    def skip(self) -> None:
        from screens.badge import SubmitScreen

        self.registration.screening = ScreeningOutcome.SKIPPED
        self.registration.health_answers = None
        self.app.push_screen(SubmitScreen(self.registration))

    @on(Button.Pressed, "#consent")
    def consent(self) -> None:
        keep = self.keep_days > 0
        self.app.push_screen(ScreeningQuestionsScreen(self.registration, keep_answers=keep))


class ScreeningQuestionsScreen(StepScreen):
    def __init__(self, registration: Registration, *, keep_answers: bool) -> None:
        super().__init__(registration)
        # As the visitor consented: answers they were told are not stored never are,
        # even if an admin opts in to keeping them while this visitor answers.
        self.keep_answers = keep_answers

    def compose(self) -> ComposeResult:
        questions = self.services.screening_questions(current_language())
        with VerticalScroll(classes="step"):
            yield Static(_("Health check"), classes="title")
            for i, question in enumerate(questions):
                yield Label(question, markup=False)
                with RadioSet(id=f"q{i}", classes="question"):
                    yield RadioButton(_("No"), id=f"q{i}-no")
                    yield RadioButton(_("Yes"), id=f"q{i}-yes")
            yield FieldError("", id="screening-error", markup=False)
        yield from self.nav(Button(_("Next"), id="next", variant="primary"))

    @on(Button.Pressed, "#next")
    def finish(self) -> None:
        from screens.badge import SubmitScreen

        answers: dict[str, str] = {}
        for i, _q in enumerate(self.services.screening_questions(current_language())):
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
        self.app.push_screen(SubmitScreen(r))
