"""The reception console, driven headless with Pilot against a real store: one module
per tab, plus logging in, the layout at every size, and outages."""
