"""The index: a folder holding one Whoosh index per generation and a small manifest.

Layout of an index folder::

    index/
      vnsearch.json   {"format": 1, "generation": 2, "sources": [...], "updated": ...}
      gen-2/          the live Whoosh index
      gen-1/          the previous generation, kept so running searches can finish

``vnsearch.json`` is replaced atomically (``os.replace``), so a rebuild swaps a whole new
generation in at once. Whoosh itself commits atomically (a new table of contents is
renamed into place), so a killed writer leaves the last committed state.
"""

import hashlib
import json
import os
import shutil
import socket
import sys
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from whoosh import index as whoosh_index
from whoosh.index import LockError

from . import schema as vn_schema
from .documents import Document, DocumentWarning, iter_documents
from .errors import (DocumentError, IndexBusyError, IndexExistsError,
                     IndexNotFoundError, IndexVersionError, VnsearchError)

MANIFEST = "vnsearch.json"
WRITER_FILE = "WRITER"
COMMIT_EVERY = 1000
"""Documents per commit: what a killed indexer can lose, and what a re-run redoes."""
PARALLEL_FROM = 64
"""Below this many documents to analyse, worker processes cost more than they save."""

Progress = Callable[[int, int], None]


@dataclass
class IndexReport:
    """What one ``add``/``add_paths``/``delete`` did."""

    added: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0
    skipped: int = 0
    problems: list[DocumentError] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def indexed(self) -> int:
        """Documents analysed and written (added or updated)."""
        return self.added + self.updated


@dataclass(frozen=True)
class IndexInfo:
    """What ``vnsearch info`` shows."""

    path: str
    documents: int
    date_from: datetime | None
    date_to: datetime | None
    size_bytes: int
    updated: datetime | None
    format_version: int
    generation: int
    sources: list[str]


class Index:
    """A vnsearch index on disk.

    >>> ix = Index.create("index")                          # doctest: +SKIP
    >>> ix.add([{"id": "1", "title": "Công nghệ thông tin", "body": "..."}])  # doctest: +SKIP
    >>> [hit.title for hit in ix.search("cong nghe")]       # doctest: +SKIP
    """

    lock_timeout = 10.0
    """Seconds a writer waits for another writer before raising IndexBusyError."""

    def __init__(self, path, _manifest):
        self.path = Path(path)
        self._manifest = _manifest
        self._whoosh = _open_generation(self.path, _manifest)
        self._searcher = None

    # -- opening -------------------------------------------------------------------

    @classmethod
    def create(cls, path) -> "Index":
        """Create an empty index in folder ``path`` (which may exist but must be empty)."""
        path = Path(path)
        if (path / MANIFEST).exists():
            raise IndexExistsError(f"There is already an index at {path}: open it instead, "
                                   f"or delete the folder to start again.")
        if path.exists() and any(not p.name.startswith(".") for p in path.iterdir()):
            raise IndexExistsError(f"{path} is not empty: choose an empty or new folder "
                                   f"for the index.")
        path.mkdir(parents=True, exist_ok=True)
        manifest = {"format": vn_schema.FORMAT_VERSION, "generation": 1, "sources": [],
                    "updated": None}
        _create_generation(path, 1)
        _write_manifest(path, manifest)
        return cls(path, manifest)

    @classmethod
    def open(cls, path) -> "Index":
        """Open the index in folder ``path``.

        Raises IndexNotFoundError when there is none and IndexVersionError when it was
        written by an incompatible version of vnsearch.
        """
        path = Path(path)
        return cls(path, _read_manifest(path))

    @classmethod
    def open_or_create(cls, path) -> "Index":
        """Open the index at ``path``, creating an empty one if there is none."""
        try:
            return cls.open(path)
        except IndexNotFoundError:
            return cls.create(path)

    def close(self) -> None:
        """Release open files. The index can still be used; it reopens on demand."""
        if self._searcher is not None:
            self._searcher.close()
            self._searcher = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __len__(self) -> int:
        return self._current_searcher().doc_count()

    # -- writing -------------------------------------------------------------------

    def add(self, documents: Iterable, *, progress: Progress | None = None) -> IndexReport:
        """Add or replace documents (dicts with id/title/date/body, or Documents).

        A document whose id is already indexed replaces it; one whose content is
        unchanged is left alone. Invalid documents are reported in the returned
        report's ``problems`` and skipped; the rest are still indexed.
        """
        report = IndexReport()
        started = time.perf_counter()
        valid = []
        for number, item in enumerate(documents, 1):
            if isinstance(item, DocumentError):
                _note_problem(report, item)
            elif isinstance(item, Document):
                valid.append(item)
            elif isinstance(item, Mapping):
                try:
                    valid.append(Document.from_dict(item, line=number))
                except DocumentError as error:
                    _note_problem(report, error)
            else:
                _note_problem(report, DocumentError(
                    f"expected a dict or Document, got {type(item).__name__}", line=number))
        self._write(valid, report, progress)
        report.seconds = time.perf_counter() - started
        return report

    def add_paths(self, paths: Iterable, *, prune: bool = False,
                  progress: Progress | None = None) -> IndexReport:
        """Index article files, JSON Lines files and folders of them.

        With ``prune``, documents that came from under these paths but whose files are
        gone (or no longer hold them) are removed.
        """
        paths = [Path(p) for p in paths]
        started = time.perf_counter()
        report = IndexReport()
        documents = []
        seen_sources = set()
        for item in iter_documents(paths):
            if isinstance(item, DocumentError):
                _note_problem(report, item)
                if item.source is not None:
                    seen_sources.add(str(item.source))
            else:
                documents.append(item)
                seen_sources.add(item.source)
        roots = [str(p.resolve()) for p in paths if p.exists()]
        self._write(documents, report, progress,
                    prune_roots=roots if prune else None, seen_sources=seen_sources)
        self._remember_sources(roots)
        report.seconds = time.perf_counter() - started
        return report

    def delete(self, ids: Iterable[str]) -> IndexReport:
        """Remove the documents with these ids; unknown ids are reported as problems."""
        report = IndexReport()
        started = time.perf_counter()
        with self._locked_writer() as writer:
            for doc_id in ids:
                if writer.delete_by_term("id", str(doc_id)):
                    report.removed += 1
                else:
                    _note_problem(report, DocumentError(f"no document with id {doc_id!r}"))
        self._touch()
        report.seconds = time.perf_counter() - started
        return report

    def _write(self, documents, report, progress, prune_roots=None, seen_sources=None):
        existing = self._existing_hashes()
        first_seen: dict[str, Document] = {}
        pending = []
        for doc in documents:
            earlier = first_seen.get(doc.id)
            if earlier is not None:
                _note_problem(report, DocumentError(
                    f"duplicate id {doc.id!r} (first seen in {earlier.source or 'this batch'})"
                    f"; the first one is kept", source=doc.source))
                continue
            first_seen[doc.id] = doc
            digest = _content_hash(doc)
            old = existing.get(doc.id)
            if old is not None and old[0] == digest:
                report.unchanged += 1
            else:
                pending.append((doc, digest, old is not None))
        stale = []
        if prune_roots:
            stale = [doc_id for doc_id, (_, source) in existing.items()
                     if doc_id not in first_seen and source
                     and _under(source, prune_roots) and source not in seen_sources]
        total = len(pending)
        if progress:
            progress(0, total)
        done = 0
        writer_cm = None
        try:
            for batch_start in range(0, max(total, 1), COMMIT_EVERY):
                batch = pending[batch_start:batch_start + COMMIT_EVERY]
                if not batch and not stale:
                    break
                writer_cm = self._locked_writer()
                writer = writer_cm.__enter__()
                for (doc, digest, replace), (title, body) in zip(batch, _prepare_all(batch)):
                    fields = dict(id=doc.id, title=title, _stored_title=doc.title,
                                  body=body, _stored_body=doc.body, hash=digest,
                                  source=doc.source or "")
                    if doc.date is not None:
                        fields["date"] = doc.date
                    if replace:
                        writer.update_document(**fields)
                        report.updated += 1
                    else:
                        writer.add_document(**fields)
                        report.added += 1
                    done += 1
                    if progress:
                        progress(done, total)
                if batch_start + COMMIT_EVERY >= total:
                    for doc_id in stale:
                        report.removed += writer.delete_by_term("id", doc_id)
                current, writer_cm = writer_cm, None
                current.__exit__(None, None, None)
        finally:
            if writer_cm is not None:
                writer_cm.__exit__(*sys.exc_info())
        if report.indexed or report.removed:
            self._touch()

    def _existing_hashes(self) -> dict[str, tuple[str, str]]:
        """id -> (content hash, source) for every live document, read from columns."""
        searcher = self._current_searcher()
        found = {}
        for reader, _ in _leaf_readers(searcher):
            if not reader.has_column("id"):
                continue
            ids = reader.column_reader("id")
            hashes = reader.column_reader("hash")
            sources = reader.column_reader("source")
            for docnum in reader.all_doc_ids():
                found[ids[docnum]] = (hashes[docnum], sources[docnum])
        return found

    def _locked_writer(self):
        return _LockedWriter(self)

    # -- reading -------------------------------------------------------------------

    def _current_searcher(self):
        """A searcher on the latest committed state, reused while nothing changes."""
        manifest = _read_manifest(self.path)
        if manifest["generation"] != self._manifest["generation"]:
            self.close()
            self._manifest = manifest
            self._whoosh = _open_generation(self.path, manifest)
        if self._searcher is None:
            self._searcher = self._whoosh.searcher()
        else:
            self._searcher = self._searcher.refresh()
        return self._searcher

    def search(self, query: str, limit: int = 10, date_from=None, date_to=None,
               sort: str = "relevance", fields=None):
        """Search the index; see :func:`vnsearch.search.search` for the query syntax.

        Returns a :class:`vnsearch.search.Results`: a list of hits, best first, with
        ``restored`` set to the accented reading guessed for an unaccented query.
        """
        from .search import search
        return search(self._current_searcher(), query, limit=limit, date_from=date_from,
                      date_to=date_to, sort=sort, fields=fields)

    def info(self) -> IndexInfo:
        """Document count, date range, size on disk, last update and format version."""
        searcher = self._current_searcher()
        dates = [d for d in _column_values(searcher, "date") if d]
        size = sum(f.stat().st_size for f in self.path.rglob("*") if f.is_file())
        updated = self._manifest.get("updated")
        return IndexInfo(
            path=str(self.path), documents=searcher.doc_count(),
            date_from=min(dates) if dates else None, date_to=max(dates) if dates else None,
            size_bytes=size, updated=datetime.fromisoformat(updated) if updated else None,
            format_version=self._manifest["format"],
            generation=self._manifest["generation"],
            sources=list(self._manifest.get("sources", [])))

    # -- rebuilding ----------------------------------------------------------------

    @classmethod
    def rebuild(cls, path, *, progress: Progress | None = None) -> IndexReport:
        """Build a fresh generation beside the live one and swap it in atomically.

        Documents come from the live index when it can be read, otherwise (an index of
        an incompatible version) from the source paths it was built from. Searches keep
        answering from the old generation until the swap.
        """
        path = Path(path)
        manifest = _read_manifest(path, check_version=False)
        try:
            old = cls(path, _read_manifest(path))
        except IndexVersionError:
            old = None
        guard = old._locked_writer() if old else _NoLock()
        with guard:
            number = manifest["generation"] + 1
            shutil.rmtree(path / f"gen-{number}", ignore_errors=True)
            _create_generation(path, number)
            fresh = {"format": vn_schema.FORMAT_VERSION, "generation": number,
                     "sources": manifest.get("sources", []), "updated": None}
            new = cls(path, fresh)
            if old is not None:
                report = new.add(_stored_documents(old), progress=progress)
            else:
                report = new.add_paths(fresh["sources"], progress=progress)
            fresh["updated"] = datetime.now().isoformat(timespec="seconds")
            _write_manifest(path, fresh)
        for leftover in path.glob("gen-*"):
            # Keep the generation just replaced: searches may still be reading it.
            if leftover.name not in (f"gen-{number}", f"gen-{number - 1}"):
                shutil.rmtree(leftover, ignore_errors=True)
        if old is not None:
            old.close()
        new.close()
        return report

    # -- manifest --------------------------------------------------------------------

    def _remember_sources(self, roots):
        manifest = _read_manifest(self.path)
        known = manifest.setdefault("sources", [])
        for root in roots:
            if root not in known:
                known.append(root)
        _write_manifest(self.path, manifest)
        self._manifest = manifest

    def _touch(self):
        manifest = _read_manifest(self.path)
        manifest["updated"] = datetime.now().isoformat(timespec="seconds")
        _write_manifest(self.path, manifest)
        self._manifest = manifest


class _LockedWriter:
    """A Whoosh writer on the live generation that commits on success, cancels on error.

    Waits up to ``Index.lock_timeout`` for another writer, then raises IndexBusyError
    naming the process that holds the lock.
    """

    def __init__(self, index: Index):
        self.index = index
        self.writer = None

    def __enter__(self):
        index = self.index
        deadline = time.monotonic() + index.lock_timeout
        while True:
            index._current_searcher()  # follow a rebuild that swapped generations
            try:
                writer = index._whoosh.writer(
                    timeout=max(0.0, deadline - time.monotonic()), delay=0.1)
            except LockError:
                raise IndexBusyError(_busy_message(index.path, index._manifest)) from None
            if _read_manifest(index.path)["generation"] == index._manifest["generation"]:
                break
            writer.cancel()  # a rebuild finished while we waited: write to the new one
        self.writer = writer
        self._holder = _generation_dir(index.path, index._manifest) / WRITER_FILE
        self._holder.write_text(f"pid {os.getpid()} on {socket.gethostname()} "
                                f"({' '.join(sys.argv[:2]) or 'python'})")
        return writer

    def __exit__(self, exc_type, exc, tb):
        try:
            if exc_type is None:
                self.writer.commit()
            else:
                self.writer.cancel()
        finally:
            self._holder.unlink(missing_ok=True)
        return False


class _NoLock:
    def __enter__(self):
        return None

    def __exit__(self, *exc):
        return False


def _busy_message(path, manifest) -> str:
    holder = _generation_dir(path, manifest) / WRITER_FILE
    try:
        who = holder.read_text().strip()
    except OSError:
        who = "another process"
    return (f"The index at {path} is busy: {who} is writing to it. "
            f"Try again when it has finished.")


def _prepare_all(batch):
    """(title, body) PreparedTexts for each (doc, ...) of ``batch``, in order."""
    texts = [(doc.title, doc.body) for doc, _, _ in batch]
    if len(texts) < PARALLEL_FROM or (os.cpu_count() or 1) < 2:
        return map(_prepare_pair, texts)
    return _parallel_map(_prepare_pair, texts)


def _prepare_pair(pair):
    title, body = pair
    return vn_schema.prepare(title), vn_schema.prepare(body)


def _parallel_map(function, items):
    import multiprocessing
    from . import segment
    segment.segment("khởi động")  # load the model once, before forking, to share it
    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else None
    context = multiprocessing.get_context(method)
    processes = os.cpu_count() or 2
    with context.Pool(processes) as pool:
        yield from pool.imap(function, items, chunksize=8)


def _content_hash(doc: Document) -> str:
    parts = [doc.title, doc.date.isoformat() if doc.date else "", doc.body, doc.source or ""]
    return hashlib.sha1("\x00".join(parts).encode("utf-8")).hexdigest()


def _note_problem(report: IndexReport, problem: DocumentError) -> None:
    report.problems.append(problem)
    if not isinstance(problem, DocumentWarning):
        report.skipped += 1


def _under(source: str, roots) -> bool:
    return any(source == root or source.startswith(root.rstrip(os.sep) + os.sep)
               for root in roots)


def _leaf_readers(searcher):
    reader = searcher.reader()
    if reader.is_atomic():
        return [(reader, 0)]
    return reader.leaf_readers()


def _column_values(searcher, name):
    for reader, _ in _leaf_readers(searcher):
        if reader.has_column(name):
            column = reader.column_reader(name)
            for docnum in reader.all_doc_ids():
                yield column[docnum]


def _stored_documents(index: Index):
    searcher = index._current_searcher()
    for stored in searcher.reader().all_stored_fields():
        yield Document(id=stored["id"], title=stored.get("title", ""),
                       body=stored.get("body", ""), date=stored.get("date"),
                       source=stored.get("source") or None)


# -- the folder layout ---------------------------------------------------------------

def _generation_dir(path: Path, manifest) -> Path:
    return path / f"gen-{manifest['generation']}"


def _create_generation(path: Path, number: int):
    folder = path / f"gen-{number}"
    folder.mkdir(parents=True, exist_ok=True)
    return whoosh_index.create_in(str(folder), vn_schema.build_schema())


def _open_generation(path: Path, manifest):
    folder = _generation_dir(path, manifest)
    try:
        return whoosh_index.open_dir(str(folder))
    except whoosh_index.EmptyIndexError:
        raise IndexNotFoundError(f"The index at {path} is damaged ({folder} holds no "
                                 f"index): rebuild it with `vnsearch rebuild --index "
                                 f"{path}`.") from None
    except (ImportError, AttributeError, ModuleNotFoundError, TypeError,
            ValueError) as error:
        raise IndexVersionError(_version_message(path, f"its schema cannot be read: {error}"))


def _version_message(path, why) -> str:
    return (f"The index at {path} was written by an incompatible version of vnsearch "
            f"({why}). Rebuild it with `vnsearch rebuild --index {path}`.")


def _read_manifest(path: Path, check_version: bool = True) -> dict:
    file = path / MANIFEST
    try:
        manifest = json.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        if list(path.glob("_MAIN_*.toc")):
            raise IndexVersionError(_version_message(path, "it has no vnsearch.json")) from None
        raise IndexNotFoundError(f"No index at {path}: create one with "
                                 f"`vnsearch index --index {path} FOLDER`.") from None
    except (OSError, ValueError) as error:
        raise IndexVersionError(_version_message(path, f"{file} is unreadable: {error}"))
    if not isinstance(manifest, dict) or "generation" not in manifest:
        raise IndexVersionError(_version_message(path, f"{file} is not a vnsearch manifest"))
    if check_version and manifest.get("format") != vn_schema.FORMAT_VERSION:
        raise IndexVersionError(_version_message(
            path, f"format {manifest.get('format')}, this version reads format "
                  f"{vn_schema.FORMAT_VERSION}"))
    return manifest


def _write_manifest(path: Path, manifest: dict) -> None:
    temporary = path / (MANIFEST + f".{os.getpid()}.tmp")
    with open(temporary, "w", encoding="utf-8") as out:
        json.dump(manifest, out, ensure_ascii=False, indent=1)
        out.flush()
        os.fsync(out.fileno())
    os.replace(temporary, path / MANIFEST)


__all__ = ["Index", "IndexReport", "IndexInfo", "VnsearchError"]
