"""Analysis of documents in worker processes, a bounded distance ahead of the writer."""

import collections
import itertools
import os
from contextlib import contextmanager

from . import schema as vn_schema

PARALLEL_FROM = 64
"""Below this many documents to analyse, worker processes cost more than they save."""


@contextmanager
def analysed(pending, ahead):
    """Yield an iterator of ``(item, (title, body))`` for each item of ``pending``.

    ``pending`` is any iterable of (Document, anything) pairs, read as the results are
    taken, so a million documents never need to be in memory at once; title and body
    are PreparedTexts. Worker processes, when worth it, are started here, before the
    caller takes the write lock: a forked worker holding a copy of the locked file
    would keep the lock alive after its parent died. They work at most ``ahead``
    documents ahead of the caller.
    """
    pending = iter(pending)
    first = list(itertools.islice(pending, PARALLEL_FROM))
    if len(first) < PARALLEL_FROM or (os.cpu_count() or 1) < 2:
        items = itertools.chain(first, pending)
        yield ((item, _prepare_pair((item[0].title, item[0].body))) for item in items)
        return
    import multiprocessing
    from . import segment
    segment.segment("khởi động")  # load the model once, before forking, to share it
    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else None
    context = multiprocessing.get_context(method)
    with context.Pool(os.cpu_count() or 2, initializer=_ignore_interrupts) as pool:
        yield _parallel_map(pool, itertools.chain(first, pending), ahead)


def _parallel_map(pool, items, ahead, chunksize=8):
    """``(item, prepared)`` for each of ``items``, analysed by ``pool``, in order, with
    at most ``ahead`` items given out and untaken.

    ``pool.imap`` would hand every item to the workers at once and hold their results
    until they are taken: when writing falls behind analysis, the results of a whole
    run pile up in memory. Here the workers stay about one commit ahead of the writer,
    and only the documents in flight are held.
    """
    waiting = collections.deque()
    while True:
        chunk = list(itertools.islice(items, chunksize))
        if chunk:
            texts = [(doc.title, doc.body) for doc, _ in chunk]
            waiting.append((chunk, pool.apply_async(_map_chunk, (_prepare_pair, texts))))
        while waiting and (not chunk or len(waiting) * chunksize >= ahead):
            done, result = waiting.popleft()
            yield from zip(done, result.get())
        if not chunk:
            return


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
