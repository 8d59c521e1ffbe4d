"""The write lock of an index: one writer at a time, and who it is.

A writer holds the write lock of the live generation (Whoosh's own lock file, which
the operating system releases when the process dies, however it dies) and leaves a
note in ``gen-N/WRITER`` saying who it is, so a second writer can say who it waits for.
"""

import json
import os
import socket
import sys
import time
from datetime import datetime
from pathlib import Path

from whoosh.filedb.filestore import FileStorage

from .errors import IndexBusyError, VnsearchError

WRITER_FILE = "WRITER"
WHOOSH_LOCK = "MAIN_WRITELOCK"
"""Whoosh's write-lock file in a generation folder (``<indexname>_WRITELOCK``)."""
LOCK_TIMEOUT = 10.0
"""Seconds a writer waits for another one, unless $VNSEARCH_LOCK_TIMEOUT says otherwise."""


class WriteLock:
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
        """Take the lock, waiting up to ``timeout`` seconds; else raise IndexBusyError."""
        deadline = time.monotonic() + timeout
        self.folder.mkdir(parents=True, exist_ok=True)  # a damaged index may have lost it
        while not self._lock.acquire():
            if time.monotonic() >= deadline:
                raise IndexBusyError(busy_message(index_path, self.folder))
            time.sleep(0.05)
        note = {"pid": os.getpid(), "host": socket.gethostname(), "command": _command(),
                "since": datetime.now().isoformat(timespec="seconds")}
        try:
            self._note.write_text(json.dumps(note, ensure_ascii=False), encoding="utf-8")
        except OSError:
            pass  # the note is a courtesy; the lock is what matters

    def release(self) -> None:
        """Remove the note and release the lock."""
        try:
            self._note.unlink(missing_ok=True)
        finally:
            self._lock.release()


def lock_seconds(configured) -> float:
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


def busy_message(path, folder) -> str:
    who = lock_holder(Path(folder)) or "another process"
    return (f"The index at {path} is busy: {who} is writing to it. Try again when it has "
            f"finished, or wait longer by setting VNSEARCH_LOCK_TIMEOUT (seconds).")


def lock_holder(folder: Path) -> str | None:
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


def _command() -> str:
    """What this process is, for the WRITER note: "vnsearch index", "python"..."""
    argv = sys.argv or [""]
    name = Path(argv[0]).name
    if name == "__main__.py":  # python -m package
        name = Path(argv[0]).parent.name
    if name in ("", "-c"):
        return "python"
    return " ".join([name, *argv[1:2]])


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
