"""vnsearch: full-text search for Vietnamese documents, with or without diacritics.

>>> from vnsearch import Index
>>> ix = Index.create("my-index")                                  # doctest: +SKIP
>>> ix.add_paths(["seeds"])                                        # doctest: +SKIP
>>> for hit in ix.search("cong nghe thong tin"):                   # doctest: +SKIP
...     print(hit.title, hit.snippet)

Names are loaded on first use, so ``vnsearch --help`` and ``import vnsearch`` stay fast.
"""

from importlib import import_module

from .errors import (DocumentError, IndexBusyError, IndexDamagedError, IndexExistsError,
                     IndexNotFoundError, IndexVersionError, QueryError, RebuildError,
                     StorageError, SynonymError, VnsearchError)

__version__ = "0.1.0"

_LAZY = {
    "Index": "vnsearch.index",
    "IndexReport": "vnsearch.index",
    "IndexInfo": "vnsearch.index",
    "CheckReport": "vnsearch.integrity",
    "Document": "vnsearch.documents",
    "Hit": "vnsearch.search",
    "Results": "vnsearch.search",
}

__all__ = ["Index", "IndexReport", "IndexInfo", "Document", "Hit", "Results",
           "VnsearchError", "DocumentError", "IndexBusyError", "IndexExistsError",
           "IndexNotFoundError", "IndexVersionError", "IndexDamagedError", "RebuildError",
           "StorageError", "QueryError", "SynonymError", "CheckReport", "__version__"]


def __getattr__(name):
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'vnsearch' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value
