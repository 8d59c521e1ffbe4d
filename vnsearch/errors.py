"""The one error hierarchy of vnsearch.

Every error the library raises on purpose is a :class:`VnsearchError`; its message is
written for the person at the terminal and says what to do next. The CLI turns these
into a message on stderr and an exit status, never a traceback.
"""


class VnsearchError(Exception):
    """Base class of every error vnsearch raises on purpose."""


class IndexNotFoundError(VnsearchError):
    """Raised when opening an index folder that holds no vnsearch index."""


class IndexExistsError(VnsearchError):
    """Raised by ``Index.create`` when the folder already holds an index."""


class IndexVersionError(VnsearchError):
    """Raised when an index was written by an incompatible version of vnsearch."""


class IndexDamagedError(VnsearchError):
    """Raised when an index is there but files of it are missing, cut short or
    unreadable; ``vnsearch rebuild`` repairs it from its sources."""


class StorageError(VnsearchError):
    """Raised when the file system refuses what the index needs: a full disk, a
    read-only or missing folder, a permission. What was committed before is kept."""


class RebuildError(VnsearchError):
    """Raised when a rebuild would lose documents, or has nothing to rebuild from;
    the live index is left as it was."""


class IndexBusyError(VnsearchError):
    """Raised when another process holds the index's write lock past the timeout."""


class DocumentError(VnsearchError):
    """Raised (or reported) for one input document that cannot be indexed.

    ``source`` names the file, ``line`` the line in it (1-based) when known.
    """

    def __init__(self, message, source=None, line=None):
        self.source = source
        self.line = line
        self.reason = message
        where = source if source is not None else "<input>"
        if line is not None:
            where = f"{where}:{line}"
        super().__init__(f"{where}: {message}")


class QueryError(VnsearchError):
    """Raised for a query that cannot be run (for example, a bad date filter)."""


class SynonymError(VnsearchError):
    """Raised for a synonym group that cannot be added (fewer than two phrases, a
    phrase with nothing to search for) or a phrase that cannot be removed."""


class IndexingInterrupted(KeyboardInterrupt):
    """Raised instead of KeyboardInterrupt when Ctrl-C stops an indexing run.

    ``committed`` documents of the run (added or updated) were committed and are kept.
    """

    def __init__(self, committed: int):
        self.committed = committed
        super().__init__(f"interrupted after committing {committed} documents")
