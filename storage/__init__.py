"""Persistence: typed models, migrations, envelope encryption, retention and audit chain.

Importing this package is free of side effects: nothing here opens a file, creates an
engine or reads a key until :func:`storage.open.open_database` is called.
"""
