"""Which documents an update writes, leaves alone and removes, and its report.

An update (``Index.add``, ``add_paths``, ``update_files``) reads documents as it goes.
:class:`Selection` passes on the new and changed ones (by content hash, so an
unchanged document is never analysed again), keeps the first of two documents with the
same id, and, once everything has been read, names the indexed documents that are stale
(their file is gone or no longer holds them) except those of files that could not be
read this time. :class:`IndexReport` counts what happened and lists the problems.
"""

import functools
import hashlib
import os
from dataclasses import dataclass, field

from .document import Document
from .document import DocumentWarning
from .errors import DocumentError


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

    def note(self, problem: DocumentError) -> None:
        """Record a problem; a document that is not merely warned about is skipped."""
        self.problems.append(problem)
        if not isinstance(problem, DocumentWarning):
            self.skipped += 1


class Selection:
    """The documents of an update to write, and the stale ones to remove.

    ``existing`` maps each indexed id to its (content hash, source). ``stale(source)``
    selects the sources whose documents this update is responsible for (None: none);
    ``keep`` holds sources that must keep their documents, and may be filled while
    the documents are read (files found unreadable).
    """

    def __init__(self, documents, existing, report: IndexReport, *, stale=None,
                 keep=frozenset()):
        self.documents = documents
        self.existing = existing
        self.report = report
        self.stale = stale
        self.keep = keep
        self.first_seen: dict[str, str | None] = {}  # id -> source, to name a duplicate's

    def pending(self):
        """``(document, content hash)`` of each new or changed document, as read."""
        for doc in self.documents:
            if doc.id in self.first_seen:
                earlier = self.first_seen[doc.id]
                self.report.note(DocumentError(
                    f"duplicate id {doc.id!r} (first seen in {earlier or 'this batch'})"
                    f"; the first one is kept", source=doc.source))
                continue
            self.first_seen[doc.id] = doc.source
            digest = content_hash(doc)
            old = self.existing.get(doc.id)
            if old is not None and old[0] == digest:
                self.report.unchanged += 1
            else:
                yield doc, digest

    def doomed(self) -> dict:
        """id -> (hash, source) of the stale documents; call once all are read."""
        if self.stale is None:
            return {}
        return {doc_id: entry for doc_id, entry in self.existing.items()
                if entry[1] and doc_id not in self.first_seen and entry[1] not in self.keep
                and self.stale(entry[1])}


def collect(items, report: IndexReport, index_dir):
    """Split loader output into documents and problems; also the unreadable files.

    Returns an iterator of the documents, read as it is consumed, and the set of
    unreadable files, complete once the iterator is exhausted. An unreadable file is
    one that is there but gave a problem (not a mere warning): pruning must not take
    its documents away. Files inside ``index_dir`` are never documents.
    """
    unreadable = set()
    own_folder = [os.path.realpath(index_dir)]
    real = functools.lru_cache(maxsize=64)(os.path.realpath)  # the lines of one file

    def documents():
        for item in items:
            # Real paths: a followed symbolic link may lead into the index folder.
            if item.source is not None and under(real(str(item.source)), own_folder):
                continue
            if isinstance(item, DocumentError):
                report.note(item)
                if (not isinstance(item, DocumentWarning) and item.source is not None
                        and os.path.lexists(item.source)):
                    unreadable.add(str(item.source))
            else:
                yield item
    return documents(), unreadable


def content_hash(doc: Document) -> str:
    """sha1 (hex) of what a document says: title, date, body and source."""
    parts = [doc.title, doc.date.isoformat() if doc.date else "", doc.body, doc.source or ""]
    return hashlib.sha1("\x00".join(parts).encode("utf-8")).hexdigest()


def under(source: str, roots) -> bool:
    """Whether path ``source`` is one of ``roots`` or inside one of them."""
    return any(source == root or source.startswith(root.rstrip(os.sep) + os.sep)
               for root in roots)


def files_under(folder):
    """The files under ``folder``, in name order, skipping hidden names as the loader does."""
    for current, folders, files in os.walk(folder):
        folders[:] = sorted(name for name in folders if not name.startswith("."))
        for name in sorted(files):
            if not name.startswith("."):
                yield os.path.join(current, name)
