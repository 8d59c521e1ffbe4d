"""The plain baseline every vnsearch figure stands beside: SQLite FTS5 (stdlib sqlite3).

One FTS5 table over id, title and body with ``tokenize='unicode61 remove_diacritics 2'``
(lower-case, diacritics removed, so "hòa", "hoà" and "hoa" are one token), ranked by FTS5's
built-in bm25, the query's words OR-ed. One addition: unicode61 treats "đ" as a letter of
its own, not a "d" with a diacritic, so without help "duong" never finds "đường"; the
baseline maps đ→d in documents and queries, as anyone building it for Vietnamese would.

Example::

    fts = Fts5Index.build(docs, path="/tmp/fts.db")
    fts.search("công nghệ thông tin", limit=10)     # -> ["doc-3", "doc-17", ...]
"""

import os
import sqlite3
import time
import unicodedata

from bench.common import words

TOKENIZER = "unicode61 remove_diacritics 2"


def fts5_query(query, body_only=False):
    """Turn free text into an FTS5 query: each word quoted as a string, all OR-ed.

    Quoting makes FTS5 syntax characters (``*``, ``:``, ``(``, ``-``, ``NEAR``) plain text.
    Returns None when the query holds no word.

    >>> fts5_query('Việt Nam: "vô địch"?', body_only=True)
    '{body} : ("Việt" OR "Nam" OR "vô" OR "dịch")'
    """
    terms = [f'"{word}"' for word in words(_fold_d(query))]
    if not terms:
        return None
    expression = " OR ".join(terms)
    return f"{{body}} : ({expression})" if body_only else expression


class Fts5Index:
    """An FTS5 table of documents, in memory or in a file."""

    def __init__(self, connection, path=None):
        self.connection = connection
        self.path = path

    @classmethod
    def build(cls, documents, path=None):
        """Create the table and insert ``documents`` (dicts with id, title, body).

        ``path`` None builds in memory; otherwise the file is created (replaced if it
        exists). Everything is inserted in one transaction.
        """
        if path is not None and os.path.exists(path):
            os.remove(path)
        connection = sqlite3.connect(":memory:" if path is None else str(path))
        connection.execute(
            "CREATE VIRTUAL TABLE docs USING fts5("
            f"id UNINDEXED, title, body, tokenize='{TOKENIZER}')"
        )
        with connection:
            connection.executemany(
                "INSERT INTO docs (id, title, body) VALUES (?, ?, ?)",
                ((doc["id"], _fold_d(doc.get("title") or ""), _fold_d(doc.get("body") or ""))
                 for doc in documents),
            )
        return cls(connection, path)

    @classmethod
    def open(cls, path):
        """Open a table built earlier by :meth:`build` in ``path``."""
        return cls(sqlite3.connect(str(path)), path)

    def search(self, query, limit=10, body_only=False, snippets=False):
        """Return the ids of the ``limit`` best documents for ``query``, best first.

        With ``snippets`` the rows are ``(id, title, snippet)`` instead, the snippet built
        by FTS5's ``snippet()`` (matched words in brackets), for timing what a user sees.
        """
        expression = fts5_query(query, body_only)
        if expression is None:
            return []
        if snippets:
            sql = ("SELECT id, title, snippet(docs, 2, '[', ']', '…', 24) FROM docs "
                   "WHERE docs MATCH ? ORDER BY rank LIMIT ?")
            return self.connection.execute(sql, (expression, limit)).fetchall()
        sql = "SELECT id FROM docs WHERE docs MATCH ? ORDER BY rank LIMIT ?"
        return [row[0] for row in self.connection.execute(sql, (expression, limit))]

    def size_bytes(self):
        """Size of the database file on disk (None when the table is in memory)."""
        return os.path.getsize(self.path) if self.path is not None else None

    def __len__(self):
        return self.connection.execute("SELECT count(*) FROM docs").fetchone()[0]

    def close(self):
        """Close the connection."""
        self.connection.close()


def build_timed(documents, path=None):
    """Build an :class:`Fts5Index` and return ``(index, seconds)``."""
    start = time.perf_counter()
    index = Fts5Index.build(documents, path)
    return index, time.perf_counter() - start


def _fold_d(text):
    # NFC first: some documents are NFD, and words() would split a decomposed word at
    # its combining marks.
    return unicodedata.normalize("NFC", text).replace("đ", "d").replace("Đ", "D")
