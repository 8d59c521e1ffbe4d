"""``vnsearch serve``: the library over HTTP, as a JSON API and a search page.

A FastAPI application on uvicorn. Every endpoint calls one library method and turns its
answer into JSON (:mod:`vnsearch.answers`); :class:`vnsearch.errors.VnsearchError`
subclasses become JSON errors with the status codes of
:data:`vnsearch.answers.ERROR_STATUS`. Results are passed through whole: each public
attribute of :class:`vnsearch.search.Results` and each field of a Hit appears in the
JSON, so what the library learns to say reaches HTTP clients without changes here.

Each process keeps one :class:`~vnsearch.Index` open for reading. The library re-reads
the committed state on every search, so documents written by another process (``vnsearch
index``, ``watch``, ``rebuild``, or this server's own writes) show up without a restart.
Searches in one process run one at a time: they are CPU-bound Python, so threads would
only interleave them; ``--workers N`` runs N processes for N cores.

Writes (``POST /documents``, ``DELETE /documents/{id}``) are off unless a token is set;
they then need ``Authorization: Bearer <token>``.
"""

from __future__ import annotations

import dataclasses
import hmac
import json
import os
import threading
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated

from fastapi import FastAPI, Path as PathParam, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException

from . import __version__
from .answers import (ERROR_STATUS, MAX_LIMIT, MAX_OFFSET, MAX_QUERY_CHARS, ApiError,
                      report_json, results_json, run_search, to_json)
from .errors import DocumentError, IndexNotFoundError, IndexVersionError, VnsearchError

MAX_BODY_BYTES = 10_000_000
"""Default limit on the size of a request body (``--max-body``)."""

KEEP_ALIVE_SECONDS = 30
"""How long an idle HTTP connection is kept open (uvicorn's default is 5 s)."""

JSON_LINES_TYPES = ("application/x-ndjson", "application/jsonl", "application/json-lines",
                    "application/x-jsonlines", "application/jsonlines")


@dataclasses.dataclass(frozen=True)
class ServerSettings:
    """How a server is set up: the index, the write token, CORS origins, body limit."""

    index_path: str = "index"
    token: str | None = None
    cors_origins: tuple[str, ...] = ()
    max_body_bytes: int = MAX_BODY_BYTES

    @classmethod
    def from_env(cls) -> ServerSettings:
        """Settings from ``VNSEARCH_INDEX``, ``VNSEARCH_TOKEN``, ``VNSEARCH_CORS``
        (comma-separated origins) and ``VNSEARCH_MAX_BODY`` (bytes)."""
        origins = os.environ.get("VNSEARCH_CORS", "")
        return cls(index_path=os.environ.get("VNSEARCH_INDEX", "index"),
                   token=os.environ.get("VNSEARCH_TOKEN") or None,
                   cors_origins=tuple(o.strip() for o in origins.split(",") if o.strip()),
                   max_body_bytes=int(os.environ.get("VNSEARCH_MAX_BODY", MAX_BODY_BYTES)))


class IndexReader:
    """The one open index of a server process, opened on first use and reopened after
    a failure, and used by one request at a time."""

    def __init__(self, path):
        self.path = Path(path)
        self._index = None
        self._lock = threading.Lock()

    def run(self, function):
        """``function(index)`` under the lock; IndexNotFoundError drops the index so the
        next request opens it again (it may have been created or repaired meanwhile)."""
        from .index import Index
        with self._lock:
            try:
                if self._index is None:
                    self._index = Index.open(self.path)
                return function(self._index)
            except (IndexNotFoundError, IndexVersionError):
                if self._index is not None:
                    self._index.close()
                self._index = None
                raise

    def close(self) -> None:
        """Release the index's open files."""
        with self._lock:
            if self._index is not None:
                self._index.close()
                self._index = None


def split_names(values) -> list[str]:
    """``["year,month", "day"]`` → ``["year", "month", "day"]``."""
    return [name.strip() for value in values or () for name in value.split(",")
            if name.strip()]


async def read_body(request: Request, limit: int) -> bytes:
    """The request body, or a 413 as soon as it is known to exceed ``limit`` bytes."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise ApiError(413, f"The body is {int(declared):,} bytes; this server accepts at "
                            f"most {limit:,}: send the documents in smaller batches.")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise ApiError(413, f"The body is over {limit:,} bytes, the most this server "
                                f"accepts: send the documents in smaller batches.")
        chunks.append(chunk)
    return b"".join(chunks)


def parse_documents(body: bytes, content_type: str) -> list:
    """Documents (or DocumentErrors, kept in place) from a JSON or JSON Lines body."""
    from .documents import Document
    media = content_type.split(";")[0].strip().lower()
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ApiError(400, "The body is not UTF-8: send JSON encoded as UTF-8.") from None
    if media in JSON_LINES_TYPES:
        items = []
        for number, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            try:
                items.append((number, json.loads(line)))
            except ValueError as error:
                items.append((number, DocumentError(f"not JSON: {error}", "<body>", number)))
    elif media == "application/json" or media.endswith("+json"):
        try:
            data = json.loads(text)
        except ValueError as error:
            raise ApiError(400, f"The body is not JSON: {error}.") from None
        data = [data] if isinstance(data, dict) else data
        if not isinstance(data, list):
            raise ApiError(400, "Send a document object, or a list of them.")
        items = list(enumerate(data, 1))
    else:
        raise ApiError(415, f"Cannot read a body of type {media or 'none'!r}: send "
                            f"application/json or application/x-ndjson (JSON Lines).")
    documents = []
    for number, item in items:
        if isinstance(item, DocumentError):
            documents.append(item)
        elif not isinstance(item, dict):
            documents.append(DocumentError("not a JSON object", "<body>", number))
        else:
            try:
                documents.append(Document.from_dict(item, source=None, line=number))
            except DocumentError as error:
                documents.append(error)
    if not documents:
        raise ApiError(400, "The body holds no documents.")
    return documents


def create_app(settings: ServerSettings | None = None) -> FastAPI:
    """The ASGI application serving ``settings.index_path``."""
    settings = settings or ServerSettings.from_env()
    reader = IndexReader(settings.index_path)

    @asynccontextmanager
    async def lifespan(app):
        await run_in_threadpool(_warm_up, reader)
        yield
        reader.close()

    app = FastAPI(title="vnsearch", version=__version__, lifespan=lifespan,
                  docs_url=None, redoc_url=None,
                  description="Full-text search for Vietnamese documents, typed with or "
                              "without diacritics. Errors are JSON objects with `status`, "
                              "`error` and `message`.")
    app.state.reader = reader
    app.state.settings = settings
    if settings.cors_origins:
        app.add_middleware(CORSMiddleware, allow_origins=list(settings.cors_origins),
                           allow_methods=["GET", "POST", "DELETE"],
                           allow_headers=["Authorization", "Content-Type"])
    _add_error_handlers(app)

    def check_token(request: Request) -> None:
        if settings.token is None:
            raise ApiError(403, "Writes over HTTP are off: start the server with --token "
                                "(or VNSEARCH_TOKEN) to allow them.")
        scheme, _, given = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not given.strip():
            raise ApiError(401, "This needs the server's token: send the header "
                                "'Authorization: Bearer <token>'.",
                           headers={"WWW-Authenticate": "Bearer"})
        if not hmac.compare_digest(given.strip().encode(), settings.token.encode()):
            raise ApiError(403, "The token is wrong: send the one the server was started "
                                "with.")

    errors = {400: {"description": "Bad query, date, limit or document"},
              503: {"description": "The index cannot be opened"}}

    @app.get("/search", responses=errors, summary="Search the index")
    def search(
            q: Annotated[str, Query(description="The query: words with or without "
                                    "diacritics, \"phrases\", -exclusions.")],
            limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 10,
            offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
            date_from: Annotated[str | None, Query(alias="from",
                                 description="Published on or after (YYYY-MM-DD).")] = None,
            date_to: Annotated[str | None, Query(alias="to",
                               description="Published on or before (YYYY-MM-DD).")] = None,
            sort: Annotated[str, Query(description="'relevance' or 'date' (newest "
                                       "first).")] = "relevance",
            field: Annotated[list[str] | None, Query(description="Search only this field "
                             "('title' or 'body'); repeatable.")] = None,
            facets: Annotated[list[str] | None, Query(description="Counts over all matches "
                              "per 'year' or 'month'; comma-separated or repeated.")] = None,
            prefix: Annotated[bool, Query(description="Treat the last word as the start "
                              "of a word (search as you type).")] = False,
            synonyms: Annotated[bool, Query(description="Also match abbreviations and "
                                "synonyms.")] = True,
            typos: Annotated[bool, Query(description="Correct typos and offer a likelier "
                             "query.")] = True):
        """Ranked hits with highlighted snippets, plus what the engine made of the query
        (``restored``, ``corrected``, ``suggestion``), ``total``, ``took_ms`` and facets.
        Each hit's ``highlights`` are ``[start, end)`` spans into its ``snippet``."""
        results = reader.run(lambda index: run_search(
            index, q, limit=limit, offset=offset, date_from=date_from, date_to=date_to,
            sort=sort, fields=field, facets=split_names(facets), prefix=prefix,
            **({} if synonyms else {"synonyms": False}), **({} if typos else {"typos": False})))
        # Already JSON-ready: answered as is, without FastAPI's slower generic encoder.
        return JSONResponse({**results_json(results), "limit": limit})

    @app.get("/suggest", responses=errors, summary="Complete a query as it is typed")
    def suggest(q: Annotated[str, Query(max_length=MAX_QUERY_CHARS)],
                limit: Annotated[int, Query(ge=1, le=50)] = 10):
        """Completions for the start of a query, best first."""
        def complete(index):
            if not hasattr(index, "suggest"):
                raise ApiError(501, "This server's vnsearch cannot suggest completions.")
            return index.suggest(q, limit=limit)
        return {"query": q, "suggestions": to_json(reader.run(complete))}

    @app.get("/documents/{doc_id:path}", responses={404: {"description": "No such document"},
                                               503: errors[503]},
             summary="One document, as indexed")
    def get_document(doc_id: Annotated[str, PathParam()]):
        """The document's id, title, date, body and source."""
        document = reader.run(lambda index: index.get(doc_id))
        if document is None:
            raise ApiError(404, f"No document with id {doc_id!r}.")
        return to_json(document)

    @app.get("/info", responses={503: errors[503]}, summary="About the index")
    def info():
        """Document count, date range, size on disk, last update, format version."""
        return to_json(reader.run(lambda index: index.info()))

    @app.get("/health", responses={503: errors[503]}, summary="Is the index searchable")
    def health():
        """``{"status": "ok", "documents": N}`` while the index can be read; 503 if not."""
        count = reader.run(len)
        return {"status": "ok", "documents": count, "version": __version__}

    writes = {400: errors[400], 401: {"description": "No token"},
              403: {"description": "Wrong token, or writes are off"},
              409: {"description": "Another process is writing: try again"},
              413: {"description": "Body too large"}}

    @app.post("/documents", responses=writes, summary="Add or replace documents",
              openapi_extra={"requestBody": {"required": True, "content": {
                  "application/json": {"schema": {"oneOf": [
                      {"$ref": "#/components/schemas/Document"},
                      {"type": "array", "items": {"$ref": "#/components/schemas/Document"}}]}},
                  "application/x-ndjson": {"schema": {"type": "string"}}}}})
    async def add_documents(request: Request):
        """Add documents sent as JSON (an object or a list) or JSON Lines
        (``application/x-ndjson``); a document whose id exists replaces it. Answers with
        what was added, updated, unchanged and skipped; invalid documents are listed in
        ``problems`` with their line (400 when none could be indexed)."""
        check_token(request)
        body = await read_body(request, settings.max_body_bytes)
        documents = parse_documents(body, request.headers.get("content-type", ""))
        report = await run_in_threadpool(_write, settings.index_path, "add", documents)
        answer = report_json(report)
        if report.skipped and not (report.indexed or report.unchanged):
            return JSONResponse({"status": 400, "error": "DocumentError",
                                 "message": "No document could be indexed: "
                                            + answer["problems"][0]["message"],
                                 **answer}, status_code=400)
        return answer

    @app.delete("/documents/{doc_id:path}", responses={**writes, 404: {"description":
                                                                   "No such document"}},
                summary="Remove a document")
    def delete_document(doc_id: Annotated[str, PathParam()], request: Request):
        """Remove the document with this id."""
        check_token(request)
        report = _write(settings.index_path, "delete", [doc_id])
        if not report.removed:
            raise ApiError(404, f"No document with id {doc_id!r}.")
        return report_json(report)

    from .page import add_page_routes
    add_page_routes(app, reader)
    app.openapi_schema = None
    _document_schema(app)
    return app


def app_from_env() -> FastAPI:
    """The application factory uvicorn calls in each worker (settings from the environment)."""
    return create_app(ServerSettings.from_env())


def serve(settings: ServerSettings, host: str = "127.0.0.1", port: int = 8080,
          workers: int = 1, access_log: bool = True) -> None:
    """Run the server until interrupted. Settings reach each worker process through the
    environment, as :meth:`ServerSettings.from_env` reads them."""
    import uvicorn
    os.environ["VNSEARCH_INDEX"] = str(settings.index_path)
    os.environ["VNSEARCH_CORS"] = ",".join(settings.cors_origins)
    os.environ["VNSEARCH_MAX_BODY"] = str(settings.max_body_bytes)
    if settings.token:
        os.environ["VNSEARCH_TOKEN"] = settings.token
    else:
        os.environ.pop("VNSEARCH_TOKEN", None)
    uvicorn.run("vnsearch.server:app_from_env", factory=True, host=host, port=port,
                workers=workers if workers > 1 else None, access_log=access_log,
                server_header=False, timeout_graceful_shutdown=5,
                # Keep idle connections open longer than a reader pauses between two
                # searches: a connection closed just as a request is sent fails it.
                timeout_keep_alive=KEEP_ALIVE_SECONDS)


def _write(index_path, method: str, argument):
    """One write through a fresh Index: writes wait for the index's write lock, which
    must not hold up the searches of this process."""
    from .index import Index
    index = Index.open_or_create(index_path) if method == "add" else Index.open(index_path)
    try:
        return getattr(index, method)(argument)
    finally:
        index.close()


def _warm_up(reader: IndexReader) -> None:
    """Load the segmentation model and open the index before the first request."""
    from .analysis import analyse
    analyse("Khởi động")
    try:
        reader.run(len)
    except VnsearchError:
        pass  # reported to each request until the index can be opened


def _error(status: int, error: str, message: str, headers=None) -> JSONResponse:
    return JSONResponse({"status": status, "error": error, "message": message},
                        status_code=status, headers=headers)


def _add_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def api_error(request, error: ApiError):
        return _error(error.status, _STATUS_NAMES.get(error.status, "Error"),
                      error.message, error.headers)

    @app.exception_handler(VnsearchError)
    async def library_error(request, error: VnsearchError):
        status = next((code for kind, code in ERROR_STATUS.items()
                       if isinstance(error, kind)), 400)
        return _error(status, type(error).__name__, str(error))

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request, error: RequestValidationError):
        problems = []
        for problem in error.errors():
            where = ".".join(str(part) for part in problem.get("loc", ())[1:]) or "request"
            problems.append(f"{where}: {problem.get('msg', 'invalid')}")
        return _error(400, "BadRequest", "; ".join(problems) or "Invalid request.")

    @app.exception_handler(HTTPException)
    async def http_error(request, error: HTTPException):
        message = {404: f"Nothing at {request.url.path}: see /openapi.json for the API.",
                   405: f"{request.method} is not allowed on {request.url.path}."}.get(
            error.status_code, str(error.detail))
        return _error(error.status_code, _STATUS_NAMES.get(error.status_code, "Error"),
                      message, getattr(error, "headers", None))

    @app.exception_handler(Exception)
    async def unexpected(request, error: Exception):
        return _error(500, "InternalError", f"Unexpected {type(error).__name__}: {error}")


_STATUS_NAMES = {400: "BadRequest", 401: "Unauthorized", 403: "Forbidden", 404: "NotFound",
                 405: "MethodNotAllowed", 409: "Conflict", 413: "PayloadTooLarge",
                 415: "UnsupportedMediaType", 501: "NotImplemented",
                 503: "ServiceUnavailable"}


def _document_schema(app: FastAPI) -> None:
    """Declare the Document schema the POST body refers to, in the generated OpenAPI."""
    original = app.openapi

    def openapi():
        if app.openapi_schema is None:
            schema = original()
            schema.setdefault("components", {}).setdefault("schemas", {})["Document"] = {
                "type": "object", "required": ["id"],
                "properties": {"id": {"type": ["string", "integer"]},
                               "title": {"type": "string"}, "body": {"type": "string"},
                               "date": {"type": ["string", "null"],
                                        "description": "YYYY-MM-DD or a full date-time"}}}
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi


__all__ = ["ServerSettings", "create_app", "app_from_env", "serve", "to_json",
           "results_json", "ERROR_STATUS"]
