"""One batch committed under the write lock: all of it or none, Ctrl-C included.

:class:`LockedWriter` takes the live generation's write lock (waiting for another
writer up to the index's lock timeout), opens a Whoosh writer on it, and on leaving
either commits, counts and notes the batch in the manifest, or cancels it (segments
are merged afterwards, outside the lock: see :mod:`vnsearch.concurrent_merge`). Ctrl-C
during that is held back until it is done (:func:`interrupts_deferred`), so an
interrupted indexer never leaves a commit that the manifest and its report do not know
of.
"""

import signal
import threading
import time
from contextlib import contextmanager

from . import schema as vn_schema
from .locking import WriteLock, lock_seconds
from .manifest import generation_dir, read_manifest


class LockedWriter:
    """A Whoosh writer on the live generation that commits on success, cancels on error.

    Waits up to the index's lock timeout for another writer, then raises
    IndexBusyError naming the process that holds the lock. With ``commit=False`` it
    only holds the lock (to update the manifest) and cancels. ``index`` is the
    :class:`vnsearch.index.Index` being written: its manifest and Whoosh index, its
    counts of committed documents and its pending manifest note.
    """

    def __init__(self, index, commit: bool = True):
        self.index = index
        self.commit = commit
        self.lock = None
        self.writer = None

    def __enter__(self):
        index = self.index
        self.lock = lock = write_lock(index)
        try:
            self.writer = vn_schema.open_writer(index._whoosh)
        except BaseException:
            lock.release()
            raise
        return self.writer

    def __exit__(self, exc_type, exc, tb):
        index = self.index
        try:
            with interrupts_deferred():  # committed, counted and noted, or none of it
                if exc_type is None and self.commit:
                    self.writer.commit(merge=False)  # merged aside, after the lock
                    index._committed = index._batch_committed
                else:
                    self.writer.cancel()
                if exc_type is None:
                    index._write_manifest_note()
        finally:
            index._manifest_note = None
            self.lock.release()
        return False


def write_lock(index) -> WriteLock:
    """Take the write lock of ``index``'s live generation (following a rebuild that
    swaps generations meanwhile), waiting up to its lock timeout; else IndexBusyError."""
    deadline = time.monotonic() + lock_seconds(index.lock_timeout)
    while True:
        index._current_searcher()  # follow a rebuild that swapped generations
        lock = WriteLock(generation_dir(index.path, index._manifest))
        lock.acquire(max(0.0, deadline - time.monotonic()), index.path)
        if (index._staging or read_manifest(index.path)["generation"]
                == index._manifest["generation"]):
            return lock
        lock.release()  # a rebuild finished while we waited: write to the new one


@contextmanager
def interrupts_deferred():
    """Hold Ctrl-C (SIGINT) back until the block is done, then act on it.

    A handler that only notes the signal, rather than a signal mask: a mask holds only
    the calling thread, and the kernel hands a process's SIGINT to any thread that does
    not block it (the analysis pool has threads), so a mask lets it through.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    received = []
    previous = signal.signal(signal.SIGINT, lambda number, frame: received.append(number))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
        if received:
            if callable(previous):
                previous(signal.SIGINT, None)
            elif previous == signal.SIG_DFL:
                raise KeyboardInterrupt
