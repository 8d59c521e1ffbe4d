"""Keeping an index current while files change: what ``vnsearch watch`` runs.

File-system events come from `watchfiles <https://watchfiles.helpmanual.io>`_ (inotify,
FSEvents, ReadDirectoryChangesW, or polling where those are missing). Events only say
*which* files to look at: a changed file is indexed once its size and modification time
have stayed the same for ``settle`` seconds, so a file still being copied is not indexed
half-way. If it cannot be read even then (a copy paused for longer, say), the problem is
reported, the file keeps the documents it had, and it is read again when it next
changes. A file that disappears takes its documents with it.

>>> from vnsearch import Index
>>> from vnsearch.watch import watch
>>> watch(Index.open_or_create("index"), ["tin-tuc"], on_update=print)  # doctest: +SKIP
"""

import os
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from .errors import IndexBusyError, VnsearchError
from .index import Index, IndexReport

SETTLE = 1.0
"""Seconds a file must stay unchanged before it is indexed."""
STEP = 0.25
"""Seconds between looks at files waiting to settle, when no event arrives."""


@dataclass(frozen=True)
class WatchUpdate:
    """One batch of changed files applied to the index, or put off because of ``error``.

    ``initial`` marks the first update, the sync of everything being watched.
    """

    paths: list[str]
    report: IndexReport | None = None
    error: VnsearchError | None = None
    initial: bool = False
    at: float = field(default_factory=time.time)


def watch(index: Index, paths: Iterable, *, on_update: Callable[[WatchUpdate], None] | None = None,
          stop_event=None, settle: float = SETTLE, step: float = STEP,
          force_polling: bool | None = None) -> None:
    """Keep ``index`` current with the files under ``paths`` until ``stop_event`` is set.

    First brings the index up to date with ``paths`` (as ``index.add_paths(paths,
    prune=True)`` does), then applies each change as it happens: new and changed files
    are indexed once they have settled, deleted files' documents removed. Ids are
    those :meth:`Index.add_paths` gives. Each batch is passed to ``on_update``. While
    another process holds the index, changes wait and are retried.

    ``stop_event`` is anything with ``is_set()`` (a ``threading.Event``); without one
    this runs until interrupted (KeyboardInterrupt propagates, after any write in
    progress is cancelled, leaving the index as last committed).
    """
    import watchfiles

    roots = [os.path.abspath(p) for p in paths]
    for root in roots:
        if not os.path.exists(root):
            raise VnsearchError(f"Cannot watch {root}: no such file or folder.")
    notify = on_update or (lambda update: None)
    ignored = _IgnoredPaths(roots, os.path.abspath(index.path))
    waiting = _Settling(settle)
    synced = False
    # A merge falling due runs in a thread: the next change need not wait for it.
    background, index.merge_in_background = index.merge_in_background, True
    try:
        for changes in watchfiles.watch(
                *roots, watch_filter=None, stop_event=stop_event, yield_on_timeout=True,
                rust_timeout=max(1, int(step * 1000)), debounce=max(1, int(step * 1000)),
                step=50, force_polling=force_polling, raise_interrupt=True):
            if not synced:
                # The watcher is running now, so a change made during this sync is not
                # lost: it arrives as an event afterwards.
                notify(WatchUpdate(list(roots), index.add_paths(roots, prune=True),
                                   initial=True))
                synced = True
            now = time.monotonic()
            for _, path in changes:
                if not ignored(path):
                    waiting.changed(path, now)
            for root, files in _by_root(waiting.settled(time.monotonic()), roots):
                try:
                    report = index.update_files(files, root=root)
                except IndexBusyError as error:
                    for file in files:
                        waiting.changed(file, time.monotonic())
                    notify(WatchUpdate(files, error=error))
                else:
                    notify(WatchUpdate(files, report))
    finally:
        index.merge_in_background = background


class _Settling:
    """Changed paths waiting until they have stopped changing for ``settle`` seconds."""

    def __init__(self, settle: float):
        self.settle = settle
        self.waiting: dict[str, tuple[object, float]] = {}

    def changed(self, path: str, now: float) -> None:
        self.waiting[path] = (_signature(path), now)

    def settled(self, now: float) -> list[str]:
        """Remove and return the paths unchanged for ``settle`` seconds."""
        ready = []
        for path, (signature, since) in list(self.waiting.items()):
            current = _signature(path)
            if current != signature:
                self.waiting[path] = (current, now)  # still being written
            elif now - since >= self.settle:
                ready.append(path)
                del self.waiting[path]
        return sorted(ready)


def _signature(path: str):
    try:
        info = os.stat(path)
    except OSError:
        return None
    return (info.st_size, info.st_mtime_ns, info.st_mode)


class _IgnoredPaths:
    """Hidden files and folders (as the loader skips them) and the index's own files."""

    def __init__(self, roots, index_folder):
        self.roots = roots
        self.index_folder = index_folder

    def __call__(self, path: str) -> bool:
        if _under(path, self.index_folder):
            return True
        root = _root_of(path, self.roots)
        relative = os.path.relpath(path, root) if root and root != path else ""
        return any(part.startswith(".") for part in relative.split(os.sep) if part)


def _by_root(files, roots):
    """Group files by the watched folder they are under (None for a file watched itself)."""
    groups: dict[str | None, list[str]] = {}
    for file in files:
        root = _root_of(file, roots)
        groups.setdefault(None if root == file or root is None else root, []).append(file)
    return groups.items()


def _root_of(path, roots):
    """The innermost watched root holding ``path``."""
    holding = [root for root in roots if _under(path, root)]
    return max(holding, key=len) if holding else None


def _under(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)
