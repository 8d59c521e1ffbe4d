"""The index: a folder holding one Whoosh index per generation and a small manifest.

Layout of an index folder::

    index/
      vnsearch.json   {"format": 1, "generation": 2, "sources": [...], "updated": ...}
      gen-2/          the live Whoosh index
      gen-1/          the previous generation, kept so running searches can finish

``vnsearch.json`` is replaced atomically (``os.replace``), so a rebuild swaps a whole new
generation in at once. Whoosh itself commits atomically (a new table of contents is
renamed into place), so a killed writer leaves the last committed state.

One process writes at a time: a writer holds the write lock of the live generation
(Whoosh's own lock file, which the operating system releases when the process dies,
however it dies) and leaves a note in ``gen-N/WRITER`` saying who it is. The manifest
is only ever rewritten by the holder of that lock, so a rebuild's swap and a writer's
update of the manifest cannot undo each other.
"""

import collections
import hashlib
import itertools
import json
import os
import pickle
import shutil
import socket
import sys
import time
from collections.abc import Callable, Iterable, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from whoosh import index as whoosh_index
from whoosh.filedb.filestore import FileStorage

from . import schema as vn_schema
from .documents import Document, DocumentWarning, iter_documents, iter_file
from .errors import (DocumentError, IndexBusyError, IndexExistsError,
                     IndexNotFoundError, IndexVersionError, VnsearchError)

MANIFEST = "vnsearch.json"
WRITER_FILE = "WRITER"
WHOOSH_LOCK = "MAIN_WRITELOCK"
"""Whoosh's write-lock file in a generation folder (``<indexname>_WRITELOCK``)."""
COMMIT_EVERY = 4000
"""Documents per commit: what a killed indexer can lose, and what a re-run redoes.

Each commit adds a segment, and every query pays for each segment (news_dated in six
segments answers ~50% slower than in one); a batch's postings wait in memory until
their commit (news_baomoi at 4,000: 1.2 GB peak with separate segment files, see
vnsearch.writing.COMPOUND). 4,000 is ~15 s of work."""
PARALLEL_FROM = 64
"""Below this many documents to analyse, worker processes cost more than they save."""
LOCK_TIMEOUT = 10.0
"""Seconds a writer waits for another one, unless $VNSEARCH_LOCK_TIMEOUT says otherwise."""

Progress = Callable[[int, int], None]


@dataclass
class IndexReport:
    """What one ``add``/``add_paths``/``update_files``/``delete`` did."""

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

    lock_timeout: float | None = None
    """Seconds a writer waits for another writer before raising IndexBusyError.

    None means $VNSEARCH_LOCK_TIMEOUT if set, else :data:`LOCK_TIMEOUT` (10 s).
    """

    commit_every: int = COMMIT_EVERY
    """Documents written per commit (see :data:`COMMIT_EVERY`)."""

    def __init__(self, path, _manifest, _whoosh=None, *, _staging=False):
        self.path = Path(path)
        self._manifest = _manifest
        # A staging index is a rebuild's new generation: it stays on that generation
        # and leaves the manifest to the rebuild, which swaps it in when complete.
        self._staging = _staging
        self._whoosh = _whoosh if _whoosh is not None else _open_generation(path, _manifest)
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
        whoosh = _create_generation(path, 1)
        _write_manifest(path, manifest)
        return cls(path, manifest, whoosh)

    @classmethod
    def open(cls, path) -> "Index":
        """Open the index in folder ``path``.

        Raises IndexNotFoundError when there is none and IndexVersionError when it was
        written by an incompatible version of vnsearch.
        """
        path = Path(path)
        manifest, whoosh = _open_live(path)
        return cls(path, manifest, whoosh)

    @classmethod
    def open_or_create(cls, path) -> "Index":
        """Open the index at ``path``, creating an empty one if there is none."""
        try:
            return cls.open(path)
        except IndexNotFoundError:
            if (Path(path) / MANIFEST).exists():
                raise  # there is an index, but it is damaged: do not hide that
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

        With ``prune``, documents that came from under these paths are removed when
        their file is gone or no longer holds them. A file that is there but cannot be
        read this time (half-written, say) keeps its documents. Files inside the index
        folder itself are never read as documents.
        """
        started = time.perf_counter()
        roots = [os.path.abspath(p) for p in paths]
        report = IndexReport()
        documents, unreadable = self._collect(iter_documents(roots), report)
        self._write(documents, report, progress,
                    stale=(lambda source: _under(source, roots)) if prune else None,
                    keep=unreadable, sources=[r for r in roots if os.path.exists(r)])
        report.seconds = time.perf_counter() - started
        return report

    def update_files(self, files: Iterable, *, root=None,
                     progress: Progress | None = None) -> IndexReport:
        """Bring the documents of some files up to date, as ``add_paths([root],
        prune=True)`` would, without reading the rest of ``root``.

        Files that exist are indexed, with ids relative to ``root`` (the folder given to
        :meth:`add_paths`; without one, a file's id is its name). The documents of files
        that are gone, or no longer hold them, are removed. A folder stands for every
        file under it. A file that cannot be read is reported and keeps its documents,
        so a half-written file loses nothing and can be retried when it changes.
        This is what ``vnsearch watch`` calls for each batch of changed files.
        """
        started = time.perf_counter()
        report = IndexReport()
        root = os.path.abspath(root) if root is not None else None
        scope_files, scope_folders, items = set(), [], []
        for target in map(os.path.abspath, files):
            if root is not None and not _under(target, [root]):
                _note_problem(report, DocumentError(f"not under {root}", source=target))
            elif os.path.isdir(target):
                scope_folders.append(target)
                items.extend(itertools.chain.from_iterable(
                    iter_file(file, root) for file in _files_under(target)))
            elif os.path.lexists(target):
                scope_files.add(target)
                items.extend(iter_file(target, root))
            else:
                scope_files.add(target)
                scope_folders.append(target)
        documents, unreadable = self._collect(items, report)
        self._write(documents, report, progress, keep=unreadable,
                    stale=lambda source: source in scope_files or _under(source, scope_folders))
        report.seconds = time.perf_counter() - started
        return report

    def delete(self, ids: Iterable[str]) -> IndexReport:
        """Remove the documents with these ids; unknown ids are reported as problems."""
        report = IndexReport()
        started = time.perf_counter()
        with self._locked_writer() as writer:
            for doc_id in dict.fromkeys(map(str, ids)):
                if writer.delete_by_term("id", doc_id):
                    report.removed += 1
                else:
                    _note_problem(report, DocumentError(f"no document with id {doc_id!r}"))
            self._note_in_manifest(touched=report.removed > 0)
        report.seconds = time.perf_counter() - started
        return report

    def _collect(self, items, report):
        """Split loader output into documents and problems; also the unreadable files.

        An unreadable file is one that is there but gave a problem (not a mere
        warning): pruning must not take its documents away.
        """
        documents, unreadable = [], set()
        own_folder = [os.path.abspath(self.path)]
        for item in items:
            if item.source is not None and _under(str(item.source), own_folder):
                continue
            if isinstance(item, DocumentError):
                _note_problem(report, item)
                if (not isinstance(item, DocumentWarning) and item.source is not None
                        and os.path.lexists(item.source)):
                    unreadable.add(str(item.source))
            else:
                documents.append(item)
        return documents, unreadable

    def _write(self, documents, report, progress, *, stale=None, keep=frozenset(),
               sources=()):
        """Write new and changed ``documents``, a commit every ``commit_every``.

        Existing documents whose source ``stale(source)`` selects, that were not given
        now and whose source is not in ``keep``, are removed in the last commit, and
        ``sources`` are recorded in the manifest. Analysis (the slow part) runs outside
        the write lock, so the lock is held only while a batch is written; if another
        writer committed meanwhile, what is already indexed is read again under the
        lock, so that a document is never added twice.
        """
        self._current_searcher()  # follow a rebuild first
        snapshot = self._snapshot()
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
                pending.append((doc, digest))
        doomed = {}
        if stale is not None:
            doomed = {doc_id: entry for doc_id, entry in existing.items()
                      if entry[1] and doc_id not in first_seen and entry[1] not in keep
                      and stale(entry[1])}
        known = self._manifest.get("sources", [])
        new_sources = [s for s in sources if s not in known] if not self._staging else []
        total = len(pending)
        if progress:
            progress(0, total)
        if not (pending or doomed or new_sources):
            return
        size = max(1, self.commit_every)
        with _analysed(pending, ahead=size) as prepared:
            for start in range(0, max(total, 1), size):
                batch = pending[start:start + size]
                texts = []
                for pair in itertools.islice(prepared, len(batch)):
                    texts.append(pair)
                    if progress:
                        progress(start + len(texts), total)
                last = start + size >= total
                changes = bool(batch) or (last and bool(doomed))
                with self._locked_writer(commit=changes) as writer:
                    current = self._snapshot()
                    if current != snapshot:
                        existing = self._existing_hashes()  # another writer was here
                    for (doc, digest), (title, body) in zip(batch, texts):
                        old = existing.get(doc.id)
                        if old is not None and old[0] == digest:
                            report.unchanged += 1
                            continue
                        fields = dict(id=doc.id, title=title, _stored_title=doc.title,
                                      body=body, _stored_body=doc.body, hash=digest,
                                      source=doc.source or "")
                        if doc.date is not None:
                            fields["date"] = doc.date
                        if old is not None:
                            writer.update_document(**fields)
                            report.updated += 1
                        else:
                            writer.add_document(**fields)
                            report.added += 1
                    if last:
                        for doc_id, entry in doomed.items():
                            # Only what is still as we saw it: not re-added meanwhile.
                            if existing.get(doc_id) == entry:
                                report.removed += writer.delete_by_term("id", doc_id)
                    self._note_in_manifest(touched=changes,
                                           sources=new_sources if last else ())
                snapshot = (self._whoosh, writer.generation) if changes else current

    def _snapshot(self):
        """Which committed state this index object is on: (Whoosh index, generation)."""
        return self._whoosh, self._whoosh.latest_generation()

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

    def _locked_writer(self, commit: bool = True):
        return _LockedWriter(self, commit)

    # -- reading -------------------------------------------------------------------

    def _current_searcher(self):
        """A searcher on the latest committed state, reused while nothing changes."""
        for attempt in range(3):
            if not self._staging:
                manifest = _read_manifest(self.path)
                if manifest["generation"] != self._manifest["generation"]:
                    self.close()
                    manifest, self._whoosh = _open_live(self.path)
                self._manifest = manifest
            try:
                if self._searcher is None:
                    self._searcher = self._whoosh.searcher()
                else:
                    self._searcher = self._searcher.refresh()
                return self._searcher
            except OSError as error:
                # Whoosh already retried a file deleted under it by a commit; unless a
                # rebuild swapped generations meanwhile, files are really missing.
                self._searcher = None
                if self._staging or _read_manifest(self.path)["generation"] == \
                        self._manifest["generation"]:
                    raise IndexNotFoundError(
                        f"The index at {self.path} is damaged (cannot read "
                        f"{getattr(error, 'filename', None) or error}): rebuild it with "
                        f"`vnsearch rebuild --index {self.path}`.") from None
        raise IndexNotFoundError(f"The index at {self.path} keeps changing under this "
                                 f"process: try again.")

    def search(self, query: str, limit: int = 10, date_from=None, date_to=None,
               sort: str = "relevance", fields=None, *, offset: int = 0, facets=(),
               prefix: bool = False, synonyms: bool = True, typos: bool = True):
        """Search the index; see :func:`vnsearch.search.search` for the query syntax.

        Returns a :class:`vnsearch.search.Results`: a list of hits, best first, with
        ``total``, ``restored`` (the accented reading guessed for an unaccented
        query), ``corrected`` (the query with typos corrected), ``suggestion`` ("did
        you mean") and ``facets``. With ``prefix``, the last word counts as the
        beginning of a word, as in a search box that searches while the user types.
        ``synonyms`` (built-in abbreviations and the index's synonyms file) and
        ``typos`` (corrections and suggestions) are on unless turned off.
        """
        from .search import search
        return search(self._current_searcher(), query, limit=limit, date_from=date_from,
                      date_to=date_to, sort=sort, fields=fields, offset=offset,
                      facets=facets, prefix=prefix, synonyms=synonyms, typos=typos,
                      index_dir=self.path)

    def synonyms(self) -> list[list[str]]:
        """The synonym groups added to this index (the built-in ones are in
        :data:`vnsearch.synonyms.BUILT_IN`)."""
        from .synonyms import user_groups
        return user_groups(self.path)

    def add_synonyms(self, *phrases: str) -> list[str]:
        """Make phrases synonyms of each other in searches of this index, at once
        and with no re-indexing: ``ix.add_synonyms("KCN", "khu công nghiệp")``.

        Returns the group as kept (merged with a group already holding one of them).
        """
        from .synonyms import add_group
        return add_group(self.path, phrases)

    def remove_synonym(self, phrase: str) -> int:
        """Take a phrase out of this index's synonym groups; returns how many groups
        held it (SynonymError when none did)."""
        from .synonyms import remove_phrase
        return remove_phrase(self.path, phrase)

    def suggest(self, prefix: str, limit: int = 10) -> list[str]:
        """Completions of what a user is typing: ``prefix`` with its last word completed
        by words of the index, most useful first.

        >>> ix.suggest("cong ng")                               # doctest: +SKIP
        ['công nghệ', 'công nghiệp', 'công nghệ cao', ...]
        """
        from .analysis import PAIR
        from .errors import QueryError
        from .lexicon import FIELDS, lexicon_for
        from .ranking import Ranker
        from .suggest import complete
        if not isinstance(limit, int) or isinstance(limit, bool) or limit < 1:
            raise QueryError(f"The limit must be a positive whole number, not {limit!r}.")
        searcher = self._current_searcher()
        ranker = Ranker.for_searcher(searcher)

        def pairs(left: str, right: str) -> int:
            return sum(ranker.doc_frequency(name, f"{PAIR}{left} {right}") for name in FIELDS)

        return complete(prefix or "", lexicon_for(searcher, self.path), pairs, limit)

    def get(self, doc_id: str) -> Document | None:
        """The indexed document with this id, as stored, or None if there is none."""
        stored = self._current_searcher().document(id=str(doc_id))
        if stored is None:
            return None
        return Document(id=stored["id"], title=stored.get("title", ""),
                        body=stored.get("body", ""), date=stored.get("date"),
                        source=stored.get("source") or None)

    def info(self) -> IndexInfo:
        """Document count, date range, size on disk, last update and format version."""
        searcher = self._current_searcher()
        date_from, date_to = _date_range(searcher)
        updated = self._manifest.get("updated")
        return IndexInfo(
            path=str(self.path), documents=searcher.doc_count(), date_from=date_from,
            date_to=date_to,
            size_bytes=_folder_size(self.path),
            updated=datetime.fromisoformat(updated) if updated else None,
            format_version=self._manifest["format"],
            generation=self._manifest["generation"],
            sources=list(self._manifest.get("sources", [])))

    # -- rebuilding ----------------------------------------------------------------

    @classmethod
    def rebuild(cls, path, *, progress: Progress | None = None) -> IndexReport:
        """Build a fresh generation beside the live one and swap it in atomically.

        Documents come from the live index when it can be read, otherwise (an index of
        an incompatible version, or a damaged one) from the source paths it was built
        from. Searches keep answering from the old generation until the swap. Writers
        wait for the rebuild (up to their lock timeout), then write to the new one.
        """
        path = Path(path)
        while True:
            manifest = _read_manifest(path, check_version=False)
            try:
                old = cls.open(path)
                old._current_searcher()  # are its files all there?
            except (IndexVersionError, IndexNotFoundError) as error:
                old, unreadable = None, error
            if old is None and not manifest.get("sources"):
                why = ("was written by an incompatible version of vnsearch"
                       if isinstance(unreadable, IndexVersionError) else "is damaged")
                raise type(unreadable)(
                    f"Cannot rebuild the index at {path}: it {why} and records no source "
                    f"files to rebuild it from. Delete {path} and index your documents "
                    f"again with `vnsearch index --index {path} FOLDER`.")
            if old is not None:
                manifest = old._manifest
            lock = _WriteLock(_generation_dir(path, manifest))
            lock.acquire(_lock_seconds(old.lock_timeout if old else cls.lock_timeout), path)
            if _read_manifest(path, check_version=False)["generation"] == manifest["generation"]:
                break
            lock.release()  # another rebuild swapped generations while we waited
            if old is not None:
                old.close()
        try:
            number = manifest["generation"] + 1
            shutil.rmtree(path / f"gen-{number}", ignore_errors=True)
            fresh = {"format": vn_schema.FORMAT_VERSION, "generation": number,
                     "sources": manifest.get("sources", []), "updated": None}
            new = cls(path, fresh, _create_generation(path, number), _staging=True)
            if old is not None:
                report = new.add(_stored_documents(old), progress=progress)
            else:
                report = new.add_paths(fresh["sources"], progress=progress)
            fresh["updated"] = datetime.now().isoformat(timespec="seconds")
            _write_manifest(path, fresh)
        finally:
            lock.release()
        for leftover in path.glob("gen-*"):
            # Keep the generation just replaced: searches may still be reading it.
            if leftover.name not in (f"gen-{number}", f"gen-{number - 1}"):
                shutil.rmtree(leftover, ignore_errors=True)
        if old is not None:
            old.close()
        new.close()
        return report

    # -- manifest --------------------------------------------------------------------

    def _note_in_manifest(self, *, touched: bool, sources=()) -> None:
        """Record the last update time and new source paths. Call with the lock held."""
        if self._staging or not (touched or sources):
            return
        manifest = _read_manifest(self.path)
        known = manifest.setdefault("sources", [])
        known.extend(s for s in sources if s not in known)
        if touched:
            manifest["updated"] = datetime.now().isoformat(timespec="seconds")
        _write_manifest(self.path, manifest)
        self._manifest = manifest


class _WriteLock:
    """The write lock of one generation folder, with a note saying who holds it.

    The lock is Whoosh's own lock file (so no Whoosh writer can slip in either): an
    ``flock`` on POSIX, ``msvcrt.locking`` on Windows, both released by the operating
    system when the holder dies. The ``WRITER`` note can outlive a killed holder, so
    it is only believed while the process it names is running.
    """

    def __init__(self, folder: Path):
        self.folder = Path(folder)
        self._lock = FileStorage(str(folder)).lock(WHOOSH_LOCK)
        self._note = self.folder / WRITER_FILE

    def acquire(self, timeout: float, index_path) -> None:
        deadline = time.monotonic() + timeout
        self.folder.mkdir(parents=True, exist_ok=True)  # a damaged index may have lost it
        while not self._lock.acquire():
            if time.monotonic() >= deadline:
                raise IndexBusyError(_busy_message(index_path, self.folder))
            time.sleep(0.05)
        note = {"pid": os.getpid(), "host": socket.gethostname(), "command": _command(),
                "since": datetime.now().isoformat(timespec="seconds")}
        try:
            self._note.write_text(json.dumps(note, ensure_ascii=False), encoding="utf-8")
        except OSError:
            pass  # the note is a courtesy; the lock is what matters

    def release(self) -> None:
        try:
            self._note.unlink(missing_ok=True)
        finally:
            self._lock.release()


class _LockedWriter:
    """A Whoosh writer on the live generation that commits on success, cancels on error.

    Waits up to the index's lock timeout for another writer, then raises
    IndexBusyError naming the process that holds the lock. With ``commit=False`` it
    only holds the lock (to update the manifest) and cancels.
    """

    def __init__(self, index: Index, commit: bool = True):
        self.index = index
        self.commit = commit
        self.lock = None
        self.writer = None

    def __enter__(self):
        index = self.index
        deadline = time.monotonic() + _lock_seconds(index.lock_timeout)
        while True:
            index._current_searcher()  # follow a rebuild that swapped generations
            lock = _WriteLock(_generation_dir(index.path, index._manifest))
            lock.acquire(max(0.0, deadline - time.monotonic()), index.path)
            if (index._staging or _read_manifest(index.path)["generation"]
                    == index._manifest["generation"]):
                break
            lock.release()  # a rebuild finished while we waited: write to the new one
        self.lock = lock
        try:
            self.writer = vn_schema.open_writer(index._whoosh)
        except BaseException:
            lock.release()
            raise
        return self.writer

    def __exit__(self, exc_type, exc, tb):
        try:
            if exc_type is None and self.commit:
                self.writer.commit()
            else:
                self.writer.cancel()
        finally:
            self.lock.release()
        return False


def _command() -> str:
    """What this process is, for the WRITER note: "vnsearch index", "python"..."""
    argv = sys.argv or [""]
    name = Path(argv[0]).name
    if name == "__main__.py":  # python -m package
        name = Path(argv[0]).parent.name
    if name in ("", "-c"):
        return "python"
    return " ".join([name, *argv[1:2]])


def _lock_seconds(configured) -> float:
    """The lock timeout: ``configured``, else $VNSEARCH_LOCK_TIMEOUT, else LOCK_TIMEOUT."""
    if configured is not None:
        return float(configured)
    value = os.environ.get("VNSEARCH_LOCK_TIMEOUT", "").strip()
    if not value:
        return LOCK_TIMEOUT
    try:
        return max(0.0, float(value))
    except ValueError:
        raise VnsearchError(f"VNSEARCH_LOCK_TIMEOUT must be a number of seconds, "
                            f"not {value!r}.") from None


def _busy_message(path, folder) -> str:
    who = _lock_holder(Path(folder)) or "another process"
    return (f"The index at {path} is busy: {who} is writing to it. Try again when it has "
            f"finished, or wait longer by setting VNSEARCH_LOCK_TIMEOUT (seconds).")


def _lock_holder(folder: Path) -> str | None:
    """Who the WRITER note says holds the lock, if that process is still running."""
    try:
        note = json.loads((folder / WRITER_FILE).read_text(encoding="utf-8"))
        pid, host = int(note["pid"]), str(note["host"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if host == socket.gethostname() and not _process_exists(pid):
        return None  # left behind by a writer that was killed
    where = "" if host == socket.gethostname() else f" on {host}"
    since = f" since {note['since']}" if note.get("since") else ""
    return f"process {pid}{where} ({note.get('command') or 'vnsearch'}){since}"


def _process_exists(pid: int) -> bool:
    if os.name == "nt":
        return True  # os.kill would terminate it there, not probe it
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True  # it exists, under another user (or we cannot tell)
    try:  # on Linux, a killed process its parent has not reaped yet is a zombie
        return Path(f"/proc/{pid}/stat").read_text().rsplit(") ", 1)[1][:1] != "Z"
    except (OSError, IndexError):
        return True


@contextmanager
def _analysed(pending, ahead=COMMIT_EVERY):
    """Yield an iterator of (title, body) PreparedTexts for each pending document.

    Worker processes, when worth it, are started here, before the caller takes the
    write lock: a forked worker holding a copy of the locked file would keep the
    lock alive after its parent died. They work at most ``ahead`` documents ahead of
    the caller.
    """
    texts = [(doc.title, doc.body) for doc, _ in pending]
    if len(texts) < PARALLEL_FROM or (os.cpu_count() or 1) < 2:
        yield map(_prepare_pair, texts)
        return
    import multiprocessing
    from . import segment
    segment.segment("khởi động")  # load the model once, before forking, to share it
    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else None
    context = multiprocessing.get_context(method)
    with context.Pool(os.cpu_count() or 2) as pool:
        yield _parallel_map(pool, _prepare_pair, texts, ahead)


def _parallel_map(pool, function, items, ahead, chunksize=8):
    """``pool.imap(function, items)``, with at most ``ahead`` items given out and untaken.

    ``imap`` hands every item to the workers at once and holds their results until
    they are taken: when writing falls behind analysis, the results of a whole run
    pile up in memory. Here the workers stay about one commit ahead of the writer.
    """
    waiting = collections.deque()
    for start in range(0, len(items), chunksize):
        waiting.append(pool.apply_async(_map_chunk, (function, items[start:start + chunksize])))
        while len(waiting) * chunksize >= ahead:
            yield from waiting.popleft().get()
    while waiting:
        yield from waiting.popleft().get()


def _map_chunk(function, items):
    return [function(item) for item in items]


def _prepare_pair(pair):
    title, body = pair
    return vn_schema.prepare(title), vn_schema.prepare(body)


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


def _files_under(folder):
    """The files under ``folder``, in name order, skipping hidden names as the loader does."""
    for current, folders, files in os.walk(folder):
        folders[:] = sorted(name for name in folders if not name.startswith("."))
        for name in sorted(files):
            if not name.startswith("."):
                yield os.path.join(current, name)


def _folder_size(path: Path) -> int:
    total = 0
    for file in path.rglob("*"):
        try:
            if file.is_file():
                total += file.stat().st_size
        except OSError:
            pass  # removed by a writer meanwhile
    return total


def _leaf_readers(searcher):
    reader = searcher.reader()
    if reader.is_atomic():
        return [(reader, 0)]
    return reader.leaf_readers()


def _date_range(searcher):
    """(earliest, latest) date of the documents, or (None, None) if none has a date.

    Read raw from the column: an undated document sharing a segment with dated ones
    holds the column's filler value, which Whoosh cannot turn into a datetime.
    """
    from whoosh.util.times import long_to_datetime
    filler = searcher.schema["date"].default
    low = high = None
    for reader, _ in _leaf_readers(searcher):
        if not reader.has_column("date"):
            continue
        column = reader.column_reader("date", translate=False)
        for docnum in reader.all_doc_ids():
            value = column[docnum]
            if value != filler:
                low = value if low is None else min(low, value)
                high = value if high is None else max(high, value)
    if low is None:
        return None, None
    return long_to_datetime(low), long_to_datetime(high)


def _stored_documents(index: Index):
    searcher = index._current_searcher()
    for stored in searcher.reader().all_stored_fields():
        yield Document(id=stored["id"], title=stored.get("title", ""),
                       body=stored.get("body", ""), date=stored.get("date"),
                       source=stored.get("source") or None)


# -- the folder layout ---------------------------------------------------------------

def _generation_dir(path: Path, manifest) -> Path:
    return Path(path) / f"gen-{manifest['generation']}"


def _create_generation(path: Path, number: int):
    folder = path / f"gen-{number}"
    folder.mkdir(parents=True, exist_ok=True)
    return whoosh_index.create_in(str(folder), vn_schema.build_schema())


def _open_live(path: Path):
    """(manifest, Whoosh index) of the live generation, following a concurrent swap.

    A rebuild may swap generations, and delete an old one, between reading the
    manifest and opening the folder it names; the manifest is then read again.
    """
    manifest = _read_manifest(path)
    for _ in range(50):
        try:
            return manifest, _open_generation(path, manifest)
        except IndexNotFoundError:
            latest = _read_manifest(path)
            if latest["generation"] == manifest["generation"]:
                raise
            manifest = latest
    return manifest, _open_generation(path, manifest)


def _open_generation(path: Path, manifest):
    folder = _generation_dir(path, manifest)
    for attempt in range(20):
        try:
            return whoosh_index.open_dir(str(folder))
        except FileNotFoundError:
            # A writer committed and removed the table of contents we had just found.
            if attempt == 19 or not folder.is_dir():
                break
            time.sleep(0.02)
        except whoosh_index.EmptyIndexError:
            break
        except (ImportError, AttributeError, TypeError, ValueError, EOFError,
                pickle.UnpicklingError, whoosh_index.IndexError) as error:
            raise IndexVersionError(_version_message(
                path, f"its schema cannot be read: {error}")) from None
    raise IndexNotFoundError(f"The index at {path} is damaged ({folder} holds no "
                             f"index): rebuild it with `vnsearch rebuild --index "
                             f"{path}`.")


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
