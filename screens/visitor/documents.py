"""Check-in steps 3 and 4: the privacy notice, and the NDA with its typed signature (or
the visitor declining it)."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, Input, Label, Markdown, Static

from kiosk.documents import Document
from kiosk.domain.registration import Registration
from kiosk.domain.text import search_key
from kiosk.domain.visits import NdaSignature
from kiosk.i18n import N_, _, current_language, period
from screens.visitor.base import Step, VisitorScreen
from screens.visitor.nav import nav
from screens.widgets import FieldError

MSG_SIGNATURE = N_("Please type your full name as you entered it.")
MSG_GUARDIAN_SIGNATURE = N_("Please type the parent's or guardian's full name as entered.")
GUARDIAN_CONSENT = N_(
    "For a visitor under 16, their parent or guardian reads this and consents on their behalf."
)


def document_view(doc: Document) -> Markdown:
    """A privacy notice or NDA. Its links do nothing: an office's text may hold one, and
    opening it would start a browser on the kiosk machine (or a tab on the lobby
    tablet), a way out of the kiosk."""
    return Markdown(doc.text, id="document", open_links=False)


def version_line(doc: Document) -> str:
    """Which version of the text this is, and the day it applies from when it says."""
    if doc.effective is None:
        return _("Version {version}.").format(version=doc.version)
    return _("Version {version}, in effect from {day}.").format(
        version=doc.version, day=doc.effective.isoformat()
    )


class PrivacyScreen(VisitorScreen[Step]):
    BINDINGS = [("escape", "back", "Back")]
    SUMMARY = N_(
        "We keep your name, contact details, company, host and visit times to know who "
        "is in the building and to tell your host you are here. Everything is encrypted "
        "and deleted automatically after {period}. You can ask reception for a copy, a "
        "correction or deletion at any time."
    )

    def __init__(self, registration: Registration) -> None:
        super().__init__()
        self.registration = registration

    def compose(self) -> ComposeResult:
        terms = self.runtime.terms()
        # Kept: the visit records this very text, even if an admin changes the
        # retention while the visitor reads.
        self.shown = doc = self.runtime.document("privacy", current_language(), terms)
        with Vertical(classes="step"):
            yield Static(_("Privacy notice"), classes="title")
            yield Static(version_line(doc), id="notice-version", classes="hint", markup=False)
            summary = _(self.SUMMARY).format(period=period(terms.visit_days))
            yield Static(summary, classes="summary")
            if self.registration.under_16:
                yield Static(_(GUARDIAN_CONSENT), id="guardian-consent", classes="warning")
            with VerticalScroll(id="document-box"):
                yield document_view(doc)
        accept = (
            _("I consent, as parent or guardian")
            if self.registration.under_16
            else _("I have read this")
        )
        yield from nav(Button(accept, id="accept", variant="primary"))

    def on_mount(self) -> None:
        self.query_one("#accept", Button).focus()

    @on(Button.Pressed, "#accept")
    def accept(self) -> None:
        doc = self.shown
        r = self.registration
        r.privacy_version, r.privacy_sha256 = doc.version, doc.sha256
        r.privacy_language = doc.language
        self.leave(Step.NEXT)


def _same_name(typed: str, name: str) -> bool:
    """The typed signature is the visitor's name, compared as search compares names: case,
    accents, hyphens and spacing ignored, since a lobby keyboard or tablet may not offer
    the "ë" or "Å" the name was typed with (the signature is kept as typed)."""
    return bool(search_key(typed)) and search_key(typed) == search_key(name)


class NdaScreen(VisitorScreen[Step]):
    """Next once signed (``registration.nda``); Decline when the visitor does not accept."""

    BINDINGS = [("escape", "back", "Back")]

    def __init__(self, registration: Registration) -> None:
        super().__init__()
        self.registration = registration

    def compose(self) -> ComposeResult:
        doc = self.runtime.document("nda", current_language())
        signed = self.registration.nda
        with Vertical(classes="step"):
            yield Static(_("Non-disclosure agreement"), classes="title")
            with VerticalScroll(id="document-box"):
                yield document_view(doc)
            with Horizontal(id="signature-row"):
                label = (
                    _("Parent or guardian, type your full name to accept:")
                    if self.registration.under_16
                    else _("Type your full name to accept:")
                )
                yield Label(label, id="signature-label")
                # Signed already when the visitor came back from a later step.
                yield Input(signed.signed_name if signed else "", id="signature", max_length=120)
            yield FieldError("", id="signature-error", markup=False)
        yield from nav(
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
        # An under-16's parent or guardian signs for them.
        signer, message = (
            (r.guardian, MSG_GUARDIAN_SIGNATURE) if r.under_16 else (r.name, MSG_SIGNATURE)
        )
        if not _same_name(typed, signer):
            self.query_one("#signature-error", FieldError).update(_(message))
            return
        doc = self.runtime.document("nda", current_language())
        r.nda = NdaSignature(doc.version, doc.language, doc.sha256, typed.strip())
        self.leave(Step.NEXT)

    @on(Button.Pressed, "#decline")
    def decline(self) -> None:
        self.registration.nda = None
        self.leave(Step.DECLINE)


class DeclinedScreen(VisitorScreen[Step]):
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
        self.leave(Step.DONE)
