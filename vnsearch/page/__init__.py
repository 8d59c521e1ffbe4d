"""The search page at ``/``: server-rendered HTML, made livelier by a small script.

With JavaScript off the page is a plain form: query → results, rendered here. With it on,
``search.js`` fetches the results block (``/?…&fragment=1``, the same template) as the
user types and puts the query in the URL, so a search can be shared and reloaded.
Document text only reaches the page through Jinja's autoescaping and :func:`marked`,
which escapes every piece between highlights: a title ``<script>`` shows as text.

The template and its static files live beside this module and ship with the package.
"""

from __future__ import annotations

from datetime import date
from importlib.resources import files
from inspect import signature
from urllib.parse import urlencode

from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup, escape
from starlette.requests import Request
from starlette.staticfiles import StaticFiles

from ..answers import ERROR_STATUS, MAX_OFFSET, ApiError, run_search
from ..errors import QueryError, VnsearchError

PAGE_SIZE = 10
"""Hits per page."""

FOLDER = files(__name__)

SORTS = [("relevance", "Liên quan nhất"), ("date", "Mới nhất")]

SECURITY_HEADERS = {
    # Nothing but this server's own files: an injected script would not run anyway.
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; "
                               "object-src 'none'; base-uri 'none'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}

_environment = Environment(loader=FileSystemLoader(str(FOLDER)),
                           autoescape=select_autoescape(default=True, default_for_string=True),
                           trim_blocks=True, lstrip_blocks=True)


def marked(snippet: str, spans) -> Markup:
    """The snippet as HTML, each highlighted span in ``<mark>``, all text escaped.

    >>> str(marked("a <b> c", [(2, 5)]))
    'a <mark>&lt;b&gt;</mark> c'
    """
    pieces, last = [], 0
    for start, end in sorted(spans):
        if start < last:
            continue
        pieces.append(escape(snippet[last:start]))
        pieces.append(Markup("<mark>%s</mark>") % snippet[start:end])
        last = end
    pieces.append(escape(snippet[last:]))
    return Markup("").join(pieces)


def number(value) -> str:
    """A count written the Vietnamese way: 12.345."""
    return f"{value:,}".replace(",", ".")


def day(value) -> str:
    """A date written the Vietnamese way: 30/12/2020."""
    return f"{value:%d/%m/%Y}" if value else ""


_environment.filters.update(marked=marked, number=number, day=day)


class PageQuery:
    """The page's query parameters, read leniently: a bad page number is page 1."""

    def __init__(self, params):
        self.q = (params.get("q") or "").strip()
        self.date_from = (params.get("from") or "").strip()
        self.date_to = (params.get("to") or "").strip()
        self.sort = params.get("sort") if params.get("sort") in dict(SORTS) else "relevance"
        page = params.get("page") or "1"
        self.page = max(1, int(page)) if page.isdigit() and len(page) < 6 else 1

    def url(self, **changes) -> str:
        """This page's URL with some parameters changed (None removes one)."""
        params = {"q": self.q, "from": self.date_from, "to": self.date_to,
                  "sort": self.sort if self.sort != "relevance" else "",
                  "page": self.page if self.page > 1 else ""}
        params.update({key.rstrip("_"): value for key, value in changes.items()})
        kept = {key: value for key, value in params.items() if value not in ("", None, 1)}
        return "/?" + urlencode(kept) if kept else "/"

    def year_bounds(self, year: str) -> tuple[str, str]:
        return f"{year}-01-01", f"{year}-12-31"

    def year_filter(self) -> str | None:
        """The year the date filter is exactly, if it is one (a clicked facet)."""
        year = self.date_from[:4]
        if self.date_from and (self.date_from, self.date_to) == self.year_bounds(year):
            return year
        return None


def render(reader, params, *, fragment: bool = False) -> tuple[str, int]:
    """The page (or only its results block) for these query parameters, and its status."""
    query = PageQuery(params)
    results, error, status, documents = None, None, 200, None
    if query.q:
        offset = min((query.page - 1) * PAGE_SIZE, MAX_OFFSET)
        # The script asks for prefix matching while the user is still typing a word.
        prefix = fragment and params.get("prefix") == "1"

        def search(index):
            options = dict(limit=PAGE_SIZE, offset=offset, sort=query.sort,
                           date_from=query.date_from or None,
                           date_to=query.date_to or None, facets=("year",))
            if prefix and "prefix" in signature(index.search).parameters:
                try:
                    return run_search(index, query.q, prefix=True, **options)
                except QueryError:
                    pass  # a last word that starts no word: search it as typed
            return run_search(index, query.q, **options)
        try:
            results = reader.run(search)
        except ApiError as failure:
            error, status = failure.message, failure.status
        except VnsearchError as failure:
            error = str(failure)
            status = next((code for kind, code in ERROR_STATUS.items()
                           if isinstance(failure, kind)), 400)
    elif not fragment:
        try:
            documents = reader.run(len)
        except VnsearchError as failure:
            error, status = str(failure), 503
    pages = 0
    if results is not None:
        pages = min(-(-results.total // PAGE_SIZE), MAX_OFFSET // PAGE_SIZE + 1)
    template = _environment.get_template("results.html" if fragment else "index.html")
    html = template.render(query=query, results=results, error=error, pages=pages,
                           page_numbers=_page_numbers(query.page, pages),
                           documents=documents, sorts=SORTS, page_size=PAGE_SIZE,
                           today=date.today().isoformat())
    return html, status


def render_document(reader, doc_id: str) -> tuple[str, int]:
    """A page showing one document, or saying there is none."""
    try:
        document = reader.run(lambda index: index.get(doc_id))
        error, status = (None, 200) if document else ("Không có tài liệu này.", 404)
    except VnsearchError as failure:
        document, error, status = None, str(failure), 503
    html = _environment.get_template("document.html").render(
        document=document, error=error, doc_id=doc_id)
    return html, status


def _page_numbers(current: int, pages: int, around: int = 2) -> list[int]:
    """The page numbers to link: the first, the last and a few around the current one."""
    shown = {1, pages, *range(current - around, current + around + 1)}
    return sorted(n for n in shown if 1 <= n <= pages)


def add_page_routes(app, reader) -> None:
    """Add ``/``, ``/view/{id}`` and ``/static/…`` to a server application."""
    @app.get("/", include_in_schema=False)
    def page(request: Request):
        fragment = request.query_params.get("fragment") == "1"
        html, status = render(reader, request.query_params, fragment=fragment)
        return HTMLResponse(html, status_code=status, headers=SECURITY_HEADERS)

    @app.get("/view/{doc_id:path}", include_in_schema=False)
    def view(doc_id: str):
        html, status = render_document(reader, doc_id)
        return HTMLResponse(html, status_code=status, headers=SECURITY_HEADERS)

    app.mount("/static", StaticFiles(directory=str(FOLDER / "static")), name="static")


__all__ = ["render", "render_document", "marked", "add_page_routes", "PAGE_SIZE"]
