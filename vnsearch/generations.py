"""The Whoosh index of one generation folder: creating it, and reading it safely.

Readers never lock: a writer may commit while a reader opens the index or searches
it. Whoosh's own reader fails in three ways then, all fixed here:

* it finds the newest table of contents (TOC) by listing the folder, and a listing
  that runs while a commit renames the new TOC in and deletes the old one can see
  neither ("Index 'MAIN' does not exist"): opening retries;
* a commit that merges segments deletes their files, perhaps between a reader's
  reading of the TOC and its opening of the files: opening retries with the new TOC;
* a segment reader opens its column files (stored fields, ids, field lengths) only
  when first asked, possibly long after a merge deleted them (then
  ``stored_fields`` fails on a None): :func:`open_reader` opens every file of a
  segment at once, and an open file stays readable after it is deleted (POSIX).

A problem that stays while the TOC does not change is damage, not a race, and
raises :class:`IndexDamagedError` naming the files.
"""

import os
import time
from pathlib import Path

from whoosh.codec.whoosh3 import W3PerDocReader
from whoosh.index import TOC, EmptyIndexError, FileIndex

from . import schema as vn_schema
from .durability import (FILES_ATTRIBUTE, DurableStorage, segment_file_problems,
                         segment_files)
from .errors import IndexDamagedError, IndexVersionError
from .manifest import generation_dir, read_manifest, version_message

INDEX_NAME = "MAIN"
OPEN_PATIENCE = 10.0
"""Seconds a reader keeps retrying while writers commit, before giving up."""
DAMAGE_AFTER = 0.5
"""Seconds a problem must persist under an unchanged TOC to be called damage."""


class SafeFileIndex(FileIndex):
    """Whoosh's ``FileIndex`` whose readers survive concurrent commits (see above)."""

    index_path = None  # the vnsearch index folder, for messages

    def reader(self, reuse=None):
        return open_reader(self, reuse)


class _OpenedPerDocReader(W3PerDocReader):
    """A per-document reader whose column files were all opened up front: a column
    it holds open exists, whatever has happened to the file since."""

    def has_column(self, fieldname):
        return fieldname in self._colfiles or super().has_column(fieldname)


def create_generation(path: Path, number: int) -> SafeFileIndex:
    """Create the empty Whoosh index of generation ``number`` in index folder ``path``."""
    folder = Path(path) / f"gen-{number}"
    folder.mkdir(parents=True, exist_ok=True)
    storage = DurableStorage(str(folder))
    TOC.create(storage, vn_schema.build_schema(), INDEX_NAME)
    index = SafeFileIndex(storage, indexname=INDEX_NAME)
    index.index_path = Path(path)
    return index


def open_live(path: Path):
    """(manifest, Whoosh index) of the live generation, following a concurrent swap.

    A rebuild may swap generations, and delete the old one, between reading the
    manifest and opening the folder it names; the manifest is then read again.
    """
    manifest = read_manifest(path)
    for _ in range(50):
        try:
            return manifest, open_generation(path, manifest)
        except IndexDamagedError:
            latest = read_manifest(path)
            if latest["generation"] == manifest["generation"]:
                raise
            manifest = latest
    return manifest, open_generation(path, manifest)


def open_generation(path: Path, manifest) -> SafeFileIndex:
    """The Whoosh index of the generation ``manifest`` names (its TOC read, not its
    segments: :func:`open_reader` checks those)."""
    folder = generation_dir(path, manifest)
    storage = DurableStorage(str(folder))
    deadline = time.monotonic() + DAMAGE_AFTER
    while True:
        if not folder.is_dir():
            raise IndexDamagedError(_damage_message(path, [f"{folder} is missing"]))
        try:
            index = SafeFileIndex(storage, indexname=INDEX_NAME)
            index.index_path = Path(path)
            return index
        except (EmptyIndexError, FileNotFoundError):
            # A commit replaced the TOC as we looked for it; or there is none.
            if time.monotonic() >= deadline:
                raise IndexDamagedError(_damage_message(
                    path, [f"{folder} holds no table of contents"])) from None
            time.sleep(0.02)
        except (ImportError, AttributeError) as error:
            raise IndexVersionError(version_message(
                path, f"its schema cannot be read: {error}")) from None
        except Exception as error:  # noqa: BLE001 - a TOC cut short fails in many ways
            raise IndexDamagedError(_damage_message(
                path, [f"{_toc_name(storage)} is unreadable ({type(error).__name__}: "
                       f"{error})"])) from None


def open_reader(index: SafeFileIndex, reuse=None):
    """A reader of ``index``'s latest committed state, every segment file open.

    Retries while commits replace the TOC or delete merged segments' files; raises
    IndexDamagedError when files the TOC names are missing or cut short, or the
    TOC cannot be read, and that does not change.
    """
    storage = index.storage
    started = time.monotonic()
    first_seen = {}
    delay = 0.005
    while True:
        generation, problems = None, []
        try:
            toc = index._read_toc()
        except (EmptyIndexError, FileNotFoundError):
            if not os.path.isdir(storage.folder):  # removed after a rebuild's swap
                raise IndexDamagedError(_damage_message(
                    index.index_path or storage.folder,
                    [f"{storage.folder} is missing"])) from None
            problems = [f"{Path(storage.folder)} holds no table of contents"]
        except Exception as error:  # noqa: BLE001
            problems = [f"{_toc_name(storage)} is unreadable ({type(error).__name__}: "
                        f"{error})"]
        else:
            generation = toc.generation
            problems = [f"{Path(storage.folder).name}/{problem}"
                        for problem in segment_file_problems(storage, toc.segments)]
            if not problems:
                try:
                    reader = FileIndex._reader(storage, toc.schema, toc.segments,
                                               toc.generation, reuse=reuse)
                    _open_every_file(reader, storage)
                    return reader
                except OSError as error:
                    reuse = None  # it may have closed some of them
                    problems = [f"cannot read {getattr(error, 'filename', None) or error}"]
        now = time.monotonic()
        since = first_seen.setdefault((generation, tuple(problems)), now)
        if now - since >= DAMAGE_AFTER or now - started >= OPEN_PATIENCE:
            raise IndexDamagedError(_damage_message(index.index_path or storage.folder,
                                                    problems))
        time.sleep(delay)
        delay = min(delay * 2, 0.05)


def _open_every_file(reader, storage) -> None:
    """Open each segment's column files now (see the module docstring)."""
    leaves = [reader] if reader.is_atomic() else [r for r, _ in reader.leaf_readers()]
    for leaf in leaves:
        perdoc = getattr(leaf, "_perdoc", None)
        if type(perdoc) is not W3PerDocReader:
            continue  # already opened (a reused reader), or not a Whoosh 3 segment
        segment = leaf.segment()
        prefix = segment.segment_id() + "."
        names = getattr(segment, FILES_ATTRIBUTE, None) or segment_files(storage, segment)
        for name in names:
            if name.endswith(".col"):
                column = name[len(prefix):-len(".col")]
                if column not in perdoc._colfiles:
                    perdoc._colfiles[column] = perdoc._get_column_file(column)
        perdoc.__class__ = _OpenedPerDocReader


def _toc_name(storage) -> str:
    latest = TOC._latest_generation(storage, INDEX_NAME)
    return str(Path(storage.folder) / TOC._filename(INDEX_NAME, latest))


def _damage_message(path, problems) -> str:
    shown = "; ".join(problems[:3])
    if len(problems) > 3:
        shown += f"; and {len(problems) - 3} more"
    return (f"The index at {path} is damaged ({shown}): rebuild it with "
            f"`vnsearch rebuild --index {path}`.")
