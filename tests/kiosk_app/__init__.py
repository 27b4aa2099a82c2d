"""The visitor kiosk, driven headless with Pilot against a real store: one module per
step of the visit, plus staff access and start-up."""
