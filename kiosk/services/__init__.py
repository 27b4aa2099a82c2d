"""Use cases: plain classes taking a Store. No Textual here."""
