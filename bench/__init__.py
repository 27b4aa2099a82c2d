"""Benchmarks: each prints its figure, the raw baseline measured in the same run, and
the ratio. Run with `make bench` (or `python -m bench [name ...]`)."""
