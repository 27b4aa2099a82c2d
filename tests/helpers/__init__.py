"""Helpers the tests share; no test imports from another test module."""
