"""Textual screens and widgets of the visitor kiosk and the reception console."""
