"""Analysis of documents in worker processes, a bounded distance ahead of the writer."""

import collections
import os
from contextlib import contextmanager

from . import schema as vn_schema

PARALLEL_FROM = 64
"""Below this many documents to analyse, worker processes cost more than they save."""


@contextmanager
def analysed(pending, ahead):
    """Yield an iterator of (title, body) PreparedTexts for each pending document.

    ``pending`` holds (Document, anything) pairs. Worker processes, when worth it, are
    started here, before the caller takes the write lock: a forked worker holding a
    copy of the locked file would keep the lock alive after its parent died. They
    work at most ``ahead`` documents ahead of the caller.
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
    with context.Pool(os.cpu_count() or 2, initializer=_ignore_interrupts) as pool:
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


def _ignore_interrupts():
    # Ctrl-C reaches every process of the terminal's group: the parent stops the
    # workers (Pool.terminate); they must not each print a KeyboardInterrupt traceback.
    import signal
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _map_chunk(function, items):
    return [function(item) for item in items]


def _prepare_pair(pair):
    title, body = pair
    return vn_schema.prepare(title), vn_schema.prepare(body)
