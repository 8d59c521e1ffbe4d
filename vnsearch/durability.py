"""Index files that survive a power cut, and a record of them to detect damage.

A commit makes new segment files, then a new table of contents (TOC) naming them.
After a power cut the file system may hold the TOC's rename but not the data of the
files it names, unless they were synced first. :class:`DurableStorage` syncs every file
it writes when it is closed, and the folder after every rename; a writer also syncs the
folder before writing the TOC (see :func:`sync_folder`), so the order on disk is
segment files, then the TOC, then the manifest.

:func:`record_segment_files` notes each new segment's files and sizes in the segment
object itself, which the TOC pickles: the TOC then says exactly which files a reader
must find, and how long they are. :func:`segment_file_problems` compares the two.
"""

import errno
import os

from whoosh.filedb.filestore import FileStorage

FILES_ATTRIBUTE = "vnsearch_files"
"""Attribute of a Whoosh segment holding {file name: size in bytes} of its files."""


def sync_folder(folder) -> None:
    """Make the entries of ``folder`` (new names, renames, removals) durable."""
    if os.name == "nt":
        return  # folders cannot be opened there; NTFS journals its metadata
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class DurableStorage(FileStorage):
    """Whoosh's file storage, syncing each file it writes before closing it and the
    folder after each rename."""

    def create_file(self, name, excl=False, mode="wb", **kwargs):
        onclose = kwargs.pop("onclose", None)

        def sync(structfile):
            if onclose is not None:
                onclose(structfile)
            structfile.file.flush()
            os.fsync(structfile.file.fileno())

        return super().create_file(name, excl=excl, mode=mode, onclose=sync, **kwargs)

    def rename_file(self, oldname, newname, safe=False):
        super().rename_file(oldname, newname, safe=safe)
        sync_folder(self.folder)


def segment_files(storage, segment) -> dict[str, int]:
    """{name: size} of the files on disk whose names belong to ``segment``."""
    prefix = segment.segment_id() + "."
    found = {}
    for name in storage.list():
        if name.startswith(prefix):
            try:
                found[name] = storage.file_length(name)
            except OSError:
                pass
    return found


def record_segment_files(storage, segments) -> None:
    """Note the files of each segment not noted yet (the new ones) in the segment."""
    for segment in segments:
        if getattr(segment, FILES_ATTRIBUTE, None) is None:
            setattr(segment, FILES_ATTRIBUTE, segment_files(storage, segment))


def segment_file_problems(storage, segments) -> list[str]:
    """What is wrong with the files the segments' records name: missing or wrong size.

    Segments written before records were kept are not checked here.
    """
    problems = []
    for segment in segments:
        recorded = getattr(segment, FILES_ATTRIBUTE, None) or {}
        for name, size in sorted(recorded.items()):
            try:
                actual = storage.file_length(name)
            except OSError:
                problems.append(f"{name} is missing")
                continue
            if actual != size:
                problems.append(f"{name} is {actual} bytes long, not {size}")
    return problems


_CAUSES = {
    errno.ENOSPC: ("the disk is full", "free some space and run the same command again"),
    errno.EDQUOT: ("the disk quota is used up",
                   "free some space and run the same command again"),
    errno.EROFS: ("the file system is read-only",
                  "copy the index to a writable place, or remount it read-write"),
    errno.EACCES: ("permission denied",
                   "give this user write access to the folder, or use another one"),
    errno.EPERM: ("permission denied",
                  "give this user write access to the folder, or use another one"),
    errno.ENOENT: ("a folder on the way does not exist, or cannot hold files",
                   "choose a folder that can be created, e.g. --index ./index"),
    errno.ENOTDIR: ("a part of the path is a file, not a folder",
                    "choose a path whose parent folders are folders"),
}


def storage_message(path, error: OSError, doing: str = "write to the index at") -> str:
    """One line saying what the file system refused, and what to do about it."""
    cause, advice = _CAUSES.get(error.errno, (error.strerror or str(error),
                                              "fix that and run the same command again"))
    where = f" ({error.filename})" if error.filename else ""
    return (f"Cannot {doing} {path}: {cause}{where}. Everything committed before is "
            f"kept; {advice}.")
