"""What the HTTP API and the search page answer a search with: the request limits, the
error a client is told, library values as JSON, and the one search call both make.

No web framework here: :mod:`vnsearch.server` (the API) and :mod:`vnsearch.page` (the
page) both build on it.
"""

from __future__ import annotations

import dataclasses
import inspect
from datetime import date, datetime
from pathlib import Path
from typing import Any

from .errors import (DocumentError, IndexBusyError, IndexNotFoundError, IndexVersionError,
                     QueryError)

ERROR_STATUS = {
    QueryError: 400,
    DocumentError: 400,
    IndexBusyError: 409,
    IndexNotFoundError: 503,
    IndexVersionError: 503,
}
"""HTTP status of each library error; any other VnsearchError is a 400."""

MAX_LIMIT = 100
"""Most hits one request may ask for."""

MAX_OFFSET = 10_000
"""Deepest a request may page."""

MAX_QUERY_CHARS = 1_000
"""Longest query accepted: longer ones are pasted documents, not searches."""


class ApiError(Exception):
    """An error answered as ``{"status", "error", "message"}`` JSON."""

    def __init__(self, status: int, message: str, headers: dict | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers


def to_json(value: Any) -> Any:
    """A library value as JSON-ready data: dataclasses as objects, dates as ISO strings.

    >>> to_json({"spans": [(0, 3)], "on": date(2021, 3, 1)})
    {'spans': [[0, 3]], 'on': '2021-03-01'}
    """
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_json(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): to_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [to_json(v) for v in value]
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, float):
        return round(value, 4)
    return value


def results_json(results) -> dict:
    """A Results as JSON: every public attribute, facets as ``{value, count}`` objects,
    and the hits."""
    body = {name: to_json(value) for name, value in vars(results).items()
            if not name.startswith("_")}
    body["facets"] = {name: [{"value": value, "count": count} for value, count in pairs]
                      for name, pairs in (results.facets or {}).items()}
    body["hits"] = [to_json(hit) for hit in results]
    return body


def report_json(report) -> dict:
    """An IndexReport as JSON, each problem with its message and line."""
    return {"added": report.added, "updated": report.updated,
            "unchanged": report.unchanged, "removed": report.removed,
            "skipped": report.skipped, "seconds": round(report.seconds, 3),
            "problems": [{"message": getattr(p, "reason", str(p)),
                          "line": getattr(p, "line", None)} for p in report.problems]}


def search_options(index, **options) -> dict:
    """The keyword arguments of ``index.search`` this library version accepts; an option
    it does not know is an error only when it was asked for (not None or False)."""
    accepted = inspect.signature(index.search).parameters
    kept = {}
    for name, value in options.items():
        if name in accepted:
            kept[name] = value
        elif value not in (None, False, (), []):
            raise ApiError(400, f"This server's vnsearch cannot search with {name!r}: "
                                f"leave it out.")
    return kept


def run_search(index, q, *, limit=10, offset=0, date_from=None, date_to=None,
               sort="relevance", fields=None, facets=(), prefix=False, **switches):
    """One search with the options the API and the page share; ``switches`` are
    further options of ``index.search`` (such as ``typos=False``), passed when known."""
    if len(q) > MAX_QUERY_CHARS:
        raise ApiError(400, f"The query is {len(q)} characters long: search with at most "
                            f"{MAX_QUERY_CHARS}.")
    options = search_options(index, offset=offset, facets=tuple(facets), prefix=prefix,
                             **switches)
    return index.search(q, limit=limit, date_from=date_from, date_to=date_to, sort=sort,
                        fields=fields or None, **options)
