"""The domain: plain records, value types, validation and codes.

The lowest layer: it imports the standard library and the validation libraries only (no
Textual, no SQLAlchemy, nothing else of ours). Storage builds its rows from these records
and returns them; the services and the screens work with them. Import each from its
module (``kiosk.domain.visits``, ``kiosk.domain.codes`` ...).
"""
