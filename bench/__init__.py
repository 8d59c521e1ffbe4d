"""Benchmarks for vnsearch: relevance and speed, each beside a SQLite FTS5 baseline.

Run from the repository root (see docs/benchmarks.md)::

    python -m bench.relevance --set xquad
    python -m bench.speed

They read the shared data from ``../shared/data`` (``--data-dir`` to change it) and never
copy it into the repository.
"""
