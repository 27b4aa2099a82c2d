"""The use cases, one class each (one module each), used alike by the kiosk, the console
and the CLI: checking in and out, the log, the evacuation list, hosts, staff, retention,
rights requests, exports, the audit trail... Each works over the open database's
repositories, and each write is one unit of work. No Textual here.

``bundle.Services`` holds one of each; ``errors`` is light (the visitor screens import it
before the database libraries are loaded), so this package imports nothing itself.
"""
