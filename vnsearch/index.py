"""The index: the :class:`Index` API over a folder of Whoosh generations.

The pieces live in their own modules, each knowing nothing of the ones above it:
:mod:`vnsearch.manifest` (``vnsearch.json`` and the generation folders it points to),
:mod:`vnsearch.generations` (opening a generation's Whoosh index), :mod:`vnsearch.locking`
(one writer at a time), :mod:`vnsearch.committing` (a batch committed under the lock,
all or nothing), :mod:`vnsearch.updates` (which documents an update writes, keeps and
removes), :mod:`vnsearch.parallel` (analysis in worker processes),
:mod:`vnsearch.contents` (what a committed state holds), :mod:`vnsearch.durability`
(synced writes, records of segment files), :mod:`vnsearch.integrity` (the full check)
and :mod:`vnsearch.rebuilding` (what a rebuild reads). Whoosh commits atomically (a
new table of contents is renamed into place), so a killed writer leaves the last
committed state; a rebuild builds a new generation and swaps it in by replacing the
manifest. The manifest is only ever rewritten by the holder of the live generation's
write lock, so a rebuild's swap and a writer's update of the manifest cannot undo each
other.
"""

import functools
import itertools
import os
import pickle
import struct
import threading
import time
import zlib
from collections.abc import Callable, Iterable, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from . import schema as vn_schema
from .concurrent_merge import merge_aside, merge_while_due
from .contents import date_range, existing_hashes, folder_size
from .committing import LockedWriter
from .documents import Document, iter_documents, iter_file
from .durability import storage_message
from .errors import (DocumentError, IndexDamagedError, IndexExistsError,
                     IndexingInterrupted, IndexNotFoundError, StorageError,
                     VnsearchError)
from .generations import create_generation, open_generation, open_live
from .integrity import CheckReport, check_index
from .locking import lock_seconds
from .manifest import MANIFEST, generation_dir, read_manifest, write_manifest
from .parallel import analysed
from .rebuilding import RebuildPlan, rebuild
from .updates import IndexReport, Selection, collect, files_under, under

COMMIT_EVERY = 4000
"""Documents per commit: what a killed indexer can lose, and what a re-run redoes.

Each commit adds a segment, and every query pays for each segment (news_dated in six
segments answers ~50% slower than in one); a batch's postings wait in memory until
their commit (news_baomoi at 4,000: 1.2 GB peak with separate segment files, see
vnsearch.writing.COMPOUND). 4,000 is ~15 s of work on a fast machine."""
COMMIT_SECONDS = 30.0
"""Seconds of work per commit at most: on a slow machine, or with long documents, a
killed indexer loses at most this much (or COMMIT_EVERY documents, whichever is less)."""

Progress = Callable[[int, int | None], None]
"""Called with (documents done, total); the total is None when the input is read as it
is indexed."""


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


def _storage_errors(method):
    """Turn what the file system refuses (full disk, read-only folder...) into a
    StorageError; Whoosh commits atomically, so what was committed before is kept."""
    @functools.wraps(method)
    def guarded(self_or_cls, *args, **kwargs):
        try:
            return method(self_or_cls, *args, **kwargs)
        except OSError as error:
            path = getattr(self_or_cls, "path", None) or (args[0] if args else "?")
            raise StorageError(storage_message(path, error)) from None
    return guarded


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
    """Documents written per commit at most (see :data:`COMMIT_EVERY`)."""

    commit_seconds: float = COMMIT_SECONDS
    """Seconds of analysis per commit at most (see :data:`COMMIT_SECONDS`)."""

    merge_in_background: bool = False
    """Whether a merge that falls due runs in a thread of its own, so that the next
    batch need not wait for it (what ``watch`` does); else it runs after the commit,
    before ``add`` returns. Either way no other writer waits for it."""

    def __init__(self, path, _manifest, _whoosh=None, *, _staging=False):
        self.path = Path(path)
        self._manifest = _manifest
        # A staging index is a rebuild's new generation: it stays on that generation
        # and leaves the manifest to the rebuild, which swaps it in when complete.
        self._staging = _staging
        self._whoosh = _whoosh if _whoosh is not None else open_generation(path, _manifest)
        self._searcher = None
        self._manifest_note = None
        self._committed = 0  # documents of the current run committed so far
        self._batch_committed = 0
        self._merger = None  # the thread merging, with merge_in_background

    # -- opening -------------------------------------------------------------------

    @classmethod
    def create(cls, path) -> "Index":
        """Create an empty index in folder ``path`` (which may exist but must be empty)."""
        path = Path(path)
        try:
            return cls._create(path)
        except OSError as error:
            raise StorageError(storage_message(path, error, "create an index at")) from None

    @classmethod
    def _create(cls, path: Path) -> "Index":
        if (path / MANIFEST).exists():
            raise IndexExistsError(f"There is already an index at {path}: open it instead, "
                                   f"or delete the folder to start again.")
        if path.exists() and any(not p.name.startswith(".") for p in path.iterdir()):
            raise IndexExistsError(f"{path} is not empty: choose an empty or new folder "
                                   f"for the index.")
        path.mkdir(parents=True, exist_ok=True)
        manifest = {"format": vn_schema.FORMAT_VERSION, "generation": 1, "sources": [],
                    "updated": None}
        whoosh = create_generation(path, 1)
        write_manifest(path, manifest)
        return cls(path, manifest, whoosh)

    @classmethod
    def open(cls, path) -> "Index":
        """Open the index in folder ``path``.

        Raises IndexNotFoundError when there is none and IndexVersionError when it was
        written by an incompatible version of vnsearch.
        """
        path = Path(path)
        manifest, whoosh = open_live(path)
        index = cls(path, manifest, whoosh)
        index._current_searcher()  # are its files all there?
        return index

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

    @_storage_errors
    def add(self, documents: Iterable, *, progress: Progress | None = None) -> IndexReport:
        """Add or replace documents (dicts with id/title/date/body, or Documents).

        A document whose id is already indexed replaces it; one whose content is
        unchanged is left alone. Invalid documents are reported in the returned
        report's ``problems`` and skipped; the rest are still indexed.
        """
        report = IndexReport()
        started = time.perf_counter()

        def valid():
            for number, item in enumerate(documents, 1):
                if isinstance(item, DocumentError):
                    report.note(item)
                elif isinstance(item, Document):
                    yield item
                elif isinstance(item, Mapping):
                    try:
                        yield Document.from_dict(item, line=number)
                    except DocumentError as error:
                        report.note(error)
                else:
                    report.note(DocumentError(
                        f"expected a dict or Document, got {type(item).__name__}",
                        line=number))
        self._write(valid(), report, progress)
        report.seconds = time.perf_counter() - started
        return report

    @_storage_errors
    def add_paths(self, paths: Iterable, *, prune: bool = False,
                  progress: Progress | None = None,
                  follow_symlinks: bool = False) -> IndexReport:
        """Index article files, JSON Lines files and folders of them.

        With ``prune``, documents that came from under these paths are removed when
        their file is gone or no longer holds them. A file that is there but cannot be
        read this time (half-written, say) keeps its documents. Files inside the index
        folder itself are never read as documents. Symbolic links are followed out of
        a folder only with ``follow_symlinks`` (see :func:`~vnsearch.documents.iter_documents`).
        """
        started = time.perf_counter()
        self._check_writable()  # before reading and analysing everything
        roots = [os.path.abspath(p) for p in paths]
        report = IndexReport()
        documents, unreadable = collect(
            iter_documents(roots, follow_symlinks=follow_symlinks), report, self.path)
        self._write(documents, report, progress,
                    stale=(lambda source: under(source, roots)) if prune else None,
                    keep=unreadable, sources=[r for r in roots if os.path.exists(r)])
        report.seconds = time.perf_counter() - started
        return report

    @_storage_errors
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
            if root is not None and not under(target, [root]):
                report.note(DocumentError(f"not under {root}", source=target))
            elif os.path.isdir(target):
                scope_folders.append(target)
                items.extend(itertools.chain.from_iterable(
                    iter_file(file, root) for file in files_under(target)))
            elif os.path.lexists(target):
                scope_files.add(target)
                items.extend(iter_file(target, root))
            else:
                scope_files.add(target)
                scope_folders.append(target)
        documents, unreadable = collect(items, report, self.path)
        self._write(documents, report, progress, keep=unreadable,
                    stale=lambda source: source in scope_files or under(source, scope_folders))
        report.seconds = time.perf_counter() - started
        return report

    @_storage_errors
    def delete(self, ids: Iterable[str]) -> IndexReport:
        """Remove the documents with these ids; unknown ids are reported as problems."""
        report = IndexReport()
        started = time.perf_counter()
        with self._locked_writer() as writer:
            for doc_id in dict.fromkeys(map(str, ids)):
                if writer.delete_by_term("id", doc_id):
                    report.removed += 1
                else:
                    report.note(DocumentError(f"no document with id {doc_id!r}"))
            self._note_in_manifest(touched=report.removed > 0)
        report.seconds = time.perf_counter() - started
        return report

    def _write(self, documents, report, progress, *, stale=None, keep=frozenset(),
               sources=()):
        """Write new and changed ``documents``, a commit every ``commit_every``.

        ``documents`` is read as it is written (an archive need not fit in memory), so
        progress reports a total of None. Existing documents whose source
        ``stale(source)`` selects, that were not given now and whose source is not in
        ``keep`` (read once ``documents`` is exhausted), are removed in the last commit,
        and ``sources`` are recorded in the manifest. Analysis (the slow part) runs
        outside the write lock, so the lock is held only while a batch is written; if
        another writer committed meanwhile, what is already indexed is read again under
        the lock, so that a document is never added twice.
        """
        self._current_searcher()  # follow a rebuild first
        self._check_writable()
        snapshot = self._snapshot()
        existing = self._existing_hashes()
        selection = Selection(documents, existing, report, stale=stale, keep=keep)
        known = self._manifest.get("sources", [])
        new_sources = [s for s in sources if s not in known] if not self._staging else []
        if progress:
            progress(0, None)
        queue = selection.pending()
        first = next(queue, None)
        if first is None and not selection.doomed() and not new_sources:
            return
        queue = itertools.chain([first] if first is not None else [], queue)
        try:
            self._write_batches(queue, existing, snapshot, selection.doomed, new_sources,
                                report, progress, max(1, self.commit_every))
        except KeyboardInterrupt:
            raise IndexingInterrupted(self._committed) from None

    def _write_batches(self, pending, existing, snapshot, doomed, new_sources, report,
                       progress, size):
        """Analyse and write ``pending`` in batches, a commit each (see :meth:`_write`)."""
        done = self._committed = 0
        with analysed(pending, ahead=size) as prepared:
            last = False
            while not last:
                # A batch ends at commit_every documents or commit_seconds of work.
                deadline = time.monotonic() + self.commit_seconds
                batch, last = [], True
                for item in prepared:
                    batch.append(item)
                    if progress:
                        progress(done + len(batch), None)
                    if len(batch) >= size or time.monotonic() >= deadline:
                        last = False
                        break
                done += len(batch)
                gone = doomed() if last else {}
                changes = bool(batch) or bool(gone)
                with self._locked_writer(commit=changes) as writer:
                    current = self._snapshot()
                    if current != snapshot:
                        existing = self._existing_hashes()  # another writer was here
                    for (doc, digest), (title, body) in batch:
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
                    for doc_id, entry in gone.items():
                        # Only what is still as we saw it: not re-added meanwhile.
                        if existing.get(doc_id) == entry:
                            report.removed += writer.delete_by_term("id", doc_id)
                    self._note_in_manifest(touched=changes,
                                           sources=new_sources if last else ())
                    self._batch_committed = report.indexed  # once the commit is done
                snapshot = (self._whoosh, writer.generation) if changes else current
                if changes:
                    snapshot = self._merge(snapshot)

    def _merge(self, snapshot):
        """Merge segments if due, outside the write lock (see
        :mod:`vnsearch.concurrent_merge`); returns the snapshot to compare with next."""
        if self.merge_in_background and not self._staging:
            if self._merger is None or not self._merger.is_alive():
                self._merger = threading.Thread(
                    target=merge_while_due, args=(Index.open, self.path, self.lock_timeout),
                    daemon=True, name="vnsearch-merge")
                self._merger.start()
            return snapshot
        merged = merge_aside(self)
        if merged is not None and snapshot == (self._whoosh, merged.generation):
            return self._whoosh, merged.generation + 1  # no one else committed meanwhile
        return snapshot

    def _check_writable(self) -> None:
        """Fail now, not after analysing everything, if the index cannot be written."""
        for folder in (self.path, generation_dir(self.path, self._manifest)):
            probe = folder / f".write-test-{os.getpid()}"
            probe.write_bytes(b"")
            probe.unlink()

    def _snapshot(self):
        """Which committed state this index object is on: (Whoosh index, generation)."""
        return self._whoosh, self._whoosh.latest_generation()

    def _existing_hashes(self) -> dict[str, tuple[str, str]]:
        """id -> (content hash, source) for every live document, read from columns."""
        return existing_hashes(self._current_searcher())

    def _locked_writer(self, commit: bool = True):
        return LockedWriter(self, commit)

    # -- reading -------------------------------------------------------------------

    def _current_searcher(self):
        """A searcher on the latest committed state, reused while nothing changes."""
        for attempt in range(3):
            if not self._staging:
                manifest = read_manifest(self.path)
                if manifest["generation"] != self._manifest["generation"]:
                    self.close()
                    manifest, self._whoosh = open_live(self.path)
                self._manifest = manifest
            try:
                if self._searcher is None:
                    self._searcher = self._whoosh.searcher()
                else:
                    self._searcher = self._searcher.refresh()
                return self._searcher
            except IndexDamagedError:
                # Unless a rebuild swapped generations meanwhile, it is really damaged.
                self._searcher = None
                if self._staging or read_manifest(self.path)["generation"] == \
                        self._manifest["generation"]:
                    raise
        raise IndexDamagedError(f"The index at {self.path} keeps changing under this "
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
        searcher = self._current_searcher()
        with _reading(self.path):
            return search(searcher, query, limit=limit, date_from=date_from,
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
        from .search import completions
        searcher = self._current_searcher()
        with _reading(self.path):
            return completions(searcher, prefix, limit, index_dir=self.path)

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
        with _reading(self.path):
            date_from, date_to = date_range(searcher)
        updated = self._manifest.get("updated")
        return IndexInfo(
            path=str(self.path), documents=searcher.doc_count(), date_from=date_from,
            date_to=date_to,
            size_bytes=folder_size(self.path),
            updated=datetime.fromisoformat(updated) if updated else None,
            format_version=self._manifest["format"],
            generation=self._manifest["generation"],
            sources=list(self._manifest.get("sources", [])))

    def check(self) -> CheckReport:
        """Read every segment in full and report what is damaged and what to do, like
        SQLite's ``PRAGMA integrity_check`` (see :mod:`vnsearch.integrity`)."""
        return check_index(self.path)

    # -- rebuilding ----------------------------------------------------------------

    @classmethod
    @_storage_errors
    def rebuild(cls, path, *, progress: Progress | None = None, force: bool = False,
                announce: Callable[[RebuildPlan], None] | None = None) -> IndexReport:
        """Build a fresh generation beside the live one, check it, and swap it in.

        Documents come from the live index when its stored documents can all be read
        (even if other files are damaged), otherwise from the files it was built
        from (see :func:`vnsearch.rebuilding.plan_rebuild`); ``announce(plan)`` is
        called with what will be read before anything is. The new generation is
        checked in full before the swap, and the old one is removed after it.
        Unless ``force``, a rebuild that would leave fewer documents than the live
        index holds raises RebuildError and changes nothing. Searches keep answering
        from the old generation until the swap; writers wait for the rebuild (up to
        their lock timeout), then write to the new one.
        """
        def staging(path, manifest, whoosh):
            return cls(path, manifest, whoosh, _staging=True)
        return rebuild(staging, path, progress=progress, force=force, announce=announce,
                       lock_timeout=lock_seconds(cls.lock_timeout))

    # -- manifest --------------------------------------------------------------------

    def _note_in_manifest(self, *, touched: bool, sources=()) -> None:
        """Record the last update time and new source paths once the writer whose lock
        is held has committed (the manifest never speaks of an uncommitted state)."""
        if self._staging or not (touched or sources):
            return
        self._manifest_note = (touched, list(sources))

    def _write_manifest_note(self) -> None:
        """Write what :meth:`_note_in_manifest` noted, with the number of documents
        now committed (what a rebuild must not fall below). Call with the lock held."""
        note, self._manifest_note = self._manifest_note, None
        if note is None:
            return
        touched, sources = note
        manifest = read_manifest(self.path)
        known = manifest.setdefault("sources", [])
        known.extend(s for s in sources if s not in known)
        if touched:
            manifest["updated"] = datetime.now().isoformat(timespec="seconds")
        manifest["documents"] = self._whoosh.doc_count()
        write_manifest(self.path, manifest)
        self._manifest = manifest


@contextmanager
def _reading(path):
    """Turn a failure to read what the index holds into IndexDamagedError."""
    try:
        yield
    except VnsearchError:
        raise
    except (OSError, EOFError, zlib.error, struct.error, pickle.UnpicklingError,
            ValueError, KeyError, IndexError) as error:
        raise IndexDamagedError(
            f"The index at {path} is damaged (reading it failed: {type(error).__name__}: "
            f"{error}). See what is damaged with `vnsearch check --index {path}`, and "
            f"repair it with `vnsearch rebuild --index {path}`.") from None


__all__ = ["Index", "IndexReport", "IndexInfo", "VnsearchError"]
