"""Reading articles from disk: text files, JSON Lines files and folders of both.

What a document is (:class:`~vnsearch.document.Document`, dates, the size limit) is in
:mod:`vnsearch.document`; the names are also importable from here.

The loader never raises for one bad input: :func:`iter_documents` yields a
:class:`~vnsearch.errors.DocumentError` in its place and carries on, so one broken file
does not stop an indexing run. A :class:`DocumentWarning` (a kind of ``DocumentError``)
reports a problem with a document that *was* still yielded; the indexer counts every
other ``DocumentError`` as a skipped input.

Article text files look like the seeds::

    Tiêu đề của bài báo
    Ngày phát hành: 12/30/2020 11:27:37 AM
    Thân bài ...

Text is returned as decoded, not normalised: NFC, tone-mark placement and the like are
the job of :mod:`vnsearch.normalize`.
"""

from __future__ import annotations

import codecs
import os
import re
import stat
import unicodedata
from collections.abc import Iterator
from pathlib import PurePath

from vnsearch.document import (MAX_ARTICLE_BYTES, Document, DocumentWarning, _too_large,
                               parse_date)
from vnsearch.errors import DocumentError
from vnsearch.json_lines import iter_json_lines
from vnsearch.legacy_encodings import (SAMPLE_CHARS, decode_legacy, guess_legacy_encoding,
                                       undo_font_mojibake)

__all__ = [
    "MAX_ARTICLE_BYTES",
    "Document",
    "DocumentWarning",
    "iter_documents",
    "iter_file",
    "parse_article",
    "parse_date",
    "read_text",
]

JSONL_SUFFIXES = (".jsonl", ".jsonl.gz")


# -------------------------------------------------------------------------- decoding

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),  # before UTF-16 LE: it starts with the same bytes
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)

_NOT_TEXT = (
    (b"%PDF", "a PDF document: extract its text first (for example with pdftotext)"),
    (b"PK\x03\x04", "a ZIP archive (a .docx, .xlsx or .odt file is one): "
                     "save the document as plain text (UTF-8) first"),
    (b"\xd0\xcf\x11\xe0", "a Microsoft Office document (.doc, .xls): "
                          "save it as plain text (UTF-8) first"),
    (b"\x1f\x8b", "a gzip-compressed file: only .jsonl.gz files are decompressed; "
                "gunzip it first"),
    (b"{\\rtf", "an RTF document: save it as plain text (UTF-8) first"),
)


_SPLIT_FILE = ": split it into smaller files"


def read_text(path, *, max_bytes=MAX_ARTICLE_BYTES) -> str:
    """Read an article file and decode it, returning text with ``\\n`` line endings.

    Understands UTF-8 (with or without BOM), UTF-16 and UTF-32 with a BOM, Windows-1258
    and TCVN3 (ABC), the last two only when the bytes are not UTF-8 and the decoded
    text reads as Vietnamese. Raises :class:`DocumentError` (``source=path``) for a file
    that is too large (checked before reading), unreadable, binary, VNI-encoded or in
    an unknown encoding, with a message that says what to do.
    """
    source = os.fsdecode(path)
    try:
        info = os.stat(path)
        if stat.S_ISDIR(info.st_mode):
            raise DocumentError("is a folder, not a file", source=source)
        if not stat.S_ISREG(info.st_mode):
            # Opening a FIFO would block until something writes to it.
            raise DocumentError("not a regular file", source=source)
        if info.st_size > max_bytes:
            raise DocumentError(_too_large("file", info.st_size, max_bytes) + _SPLIT_FILE,
                                source=source)
        with open(path, "rb") as file:
            data = file.read(max_bytes + 1)  # bounded even if the file grew since stat
    except FileNotFoundError:
        raise DocumentError("no such file or folder", source=source) from None
    except OSError as error:
        reason = f"cannot read the file: {error.strerror or error}"
        raise DocumentError(reason, source=source) from None
    if len(data) > max_bytes:
        raise DocumentError(_too_large("file", len(data), max_bytes, at_least=True) + _SPLIT_FILE,
                            source=source)
    try:
        text = _decode(data)
    except ValueError as error:
        raise DocumentError(str(error), source=source) from None
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _decode(data: bytes) -> str:
    """Decode article bytes; raise ValueError with the reason they cannot be read."""
    for magic, kind in _NOT_TEXT:
        if data.startswith(magic):
            raise ValueError(f"looks like {kind}")
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                text = data[len(bom):].decode(encoding)
            except UnicodeDecodeError as error:
                name, offset = encoding.upper(), error.start + len(bom)
                raise ValueError(f"starts with a {name} byte-order mark but is not valid {name} "
                                 f"at byte offset {offset}") from None
            text = undo_font_mojibake(text)
            _reject_control_characters(text)
            return text
    if b"\0" in data:
        hint = ""
        if data[1::2].count(0) > len(data) // 4 or data[0::2].count(0) > len(data) // 4:
            hint = "; if it is UTF-16 text without a byte-order mark, save it again as UTF-8"
        raise ValueError(f"looks like a binary file (it contains NUL bytes){hint}")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        legacy = guess_legacy_encoding(data)
        if legacy is None:
            _reject_control_characters(data.decode("latin-1"))
            raise ValueError(
                f"cannot decode byte 0x{data[error.start]:02X} at byte offset {error.start}: "
                "the file is neither UTF-8 nor Vietnamese in Windows-1258, TCVN3 or VNI; "
                "convert it to UTF-8 (for example `iconv -f ENCODING -t UTF-8 FILE`)"
            ) from None
        text = decode_legacy(data, legacy)
    else:
        text = undo_font_mojibake(text)
    _reject_control_characters(text)
    return text


def _reject_control_characters(text):
    sample = text[:SAMPLE_CHARS]
    controls = sum(1 for char in sample
                   if (char < " " and char not in "\t\n\r\f\v") or char == "\x7f")
    if sample and controls > len(sample) * 0.1:
        raise ValueError("looks like a binary file (it is full of control characters)")


# -------------------------------------------------------------------------- articles

_DATE_LINE = re.compile(r"\s*ngày\s+phát\s+hành\s*:?\s*(?P<value>.*?)\s*", re.IGNORECASE)


def parse_article(text: str, doc_id: str, source=None, *, warnings=None) -> Document:
    """Split an article's text into title, publication date and body.

    Line 1 is the title. If the next non-blank line is ``Ngày phát hành: <date>``, it
    gives the date (see :func:`parse_date`); otherwise the article has no date and the
    body starts right after the title. A date line whose date cannot be read does not
    stop the article: it is indexed without a date and a :class:`DocumentWarning` is
    appended to ``warnings`` (if a list is given). Raises :class:`DocumentError` for an
    empty text or an empty first line.

    >>> parse_article("Tiêu đề\\nNgày phát hành: 12/30/2020 11:27:37 AM\\nThân bài", "a").date
    datetime.datetime(2020, 12, 30, 11, 27, 37)
    """
    lines = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n").split("\n")
    if not text.strip():
        raise DocumentError("the file is empty", source=source)
    title = lines[0].strip()
    if not title:
        raise DocumentError("the first line is empty: an article's first line is its title",
                            source=source, line=1)
    rest = lines[1:]
    first = next((number for number, line in enumerate(rest) if line.strip()), len(rest))
    when = date_line = None
    if first < len(rest):
        date_line = _DATE_LINE.fullmatch(unicodedata.normalize("NFC", rest[first]))
    if date_line:
        rest = rest[first + 1:]
        try:
            when = parse_date(date_line["value"])
            if when is None:
                raise ValueError("no date after 'Ngày phát hành:'")
        except ValueError as error:
            if warnings is not None:
                warnings.append(DocumentWarning(f"{error}; the article is indexed without a date",
                                                source=source, line=first + 2))
    return Document(id=doc_id, title=title, body="\n".join(rest).strip(), date=when, source=source)


# ------------------------------------------------------------------ files and folders

def iter_documents(paths, *, max_bytes=MAX_ARTICLE_BYTES,
                   follow_symlinks=False) -> Iterator[Document | DocumentError]:
    """Yield the documents in files and folders, and a problem for each skipped input.

    ``paths`` is a path or an iterable of paths. Folders are read recursively in name
    order, skipping hidden names (starting with "."); a document's id is its path
    relative to the folder named, in POSIX form, or its file name for a file named
    directly (JSON Lines documents keep their own ids). Problems are yielded, never
    raised, in input order: a :class:`DocumentError` for a skipped input (a missing
    path gives "no such file or folder"), a :class:`DocumentWarning` after a document
    yielded despite a problem.

    A symbolic link inside a folder is followed only while it stays inside that folder,
    unless ``follow_symlinks``; one leading out is reported and skipped. Either way no
    folder is read twice, so a link such as ``loop -> ..`` can never loop. Example::

        for item in iter_documents(["seeds", "news.jsonl.gz"]):
            if isinstance(item, DocumentError):
                print(item, file=sys.stderr)  # "seeds/x.txt: the file is empty"
            else:
                index(item)
    """
    if isinstance(paths, (str, bytes, os.PathLike)):
        paths = [paths]
    for path in paths:
        path = os.fsdecode(path)
        try:
            info = os.stat(path)
        except FileNotFoundError:
            reason = "broken symbolic link" if os.path.islink(path) else "no such file or folder"
            yield DocumentError(reason, source=path)
            continue
        except OSError as error:
            yield DocumentError(f"cannot access: {error.strerror or error}", source=path)
            continue
        if stat.S_ISDIR(info.st_mode):
            walk = _Walk(os.path.realpath(path), max_bytes, follow_symlinks)
            yield from walk.folder(path, "")
        else:
            yield from iter_file(path, max_bytes=max_bytes)


def iter_file(path, root=None, *, max_bytes=MAX_ARTICLE_BYTES,
              follow_symlinks=False) -> Iterator[Document | DocumentError]:
    """Yield the document(s) in one file, with problems yielded as in :func:`iter_documents`.

    A ``.jsonl`` or ``.jsonl.gz`` file gives one document per line; any other file is one
    article, whose id is its path relative to ``root`` (in POSIX form; ``root`` must
    contain ``path``) or, without a root, its file name. ``max_bytes`` limits the size
    of an article file, and of each line of a JSON Lines file (which is streamed). A
    file under ``root`` that is a symbolic link leading out of it is reported, not
    read, unless ``follow_symlinks``.
    """
    source = os.fsdecode(path)
    if root is None:
        doc_id = PurePath(source).name
    else:
        doc_id = PurePath(source).relative_to(os.fsdecode(root)).as_posix()
        if not follow_symlinks:
            outside = _link_out_of(source, os.path.realpath(os.fsdecode(root)))
            if outside is not None:
                yield outside
                return
    yield from _iter_path(source, doc_id, max_bytes)


def _link_out_of(path, real_root):
    """The problem to report if ``path`` resolves to a place outside ``real_root``."""
    target = os.path.realpath(path)
    if target == real_root or target.startswith(real_root.rstrip(os.sep) + os.sep):
        return None
    return DocumentError(f"a symbolic link out of the folder (to {_printable(target)}): not "
                         "followed; index its target directly, or use --follow-symlinks",
                         source=_printable(path))


class _Walk:
    """One recursive read of a folder: where it may go, and the folders already read."""

    def __init__(self, real_root, max_bytes, follow_symlinks):
        self.real_root = real_root
        self.max_bytes = max_bytes
        self.follow_symlinks = follow_symlinks
        self.visited = set()

    def folder(self, folder, prefix):
        try:
            info = os.stat(folder)
            if (info.st_dev, info.st_ino) in self.visited:
                return  # reached again through a link: its files are read once already
            self.visited.add((info.st_dev, info.st_ino))
            with os.scandir(folder) as scan:
                entries = sorted(scan, key=lambda entry: entry.name)
        except OSError as error:
            reason = f"cannot read the folder: {error.strerror or error}"
            yield DocumentError(reason, source=_printable(folder))
            return
        for entry in entries:
            if entry.name.startswith("."):
                continue
            if entry.is_symlink() and not self.follow_symlinks:
                outside = _link_out_of(entry.path, self.real_root)
                if outside is not None:
                    yield outside
                    continue
            try:
                is_folder = entry.is_dir()
            except OSError:
                is_folder = False  # reading it will report the problem
            if is_folder:
                yield from self.folder(entry.path, f"{prefix}{entry.name}/")
            else:
                yield from _iter_path(entry.path, prefix + entry.name, self.max_bytes)


def _iter_path(source, doc_id, max_bytes):
    try:
        source.encode("utf-8")
    except UnicodeEncodeError:
        # Undecodable bytes in a name arrive as surrogates, which no output can print.
        reason = "the path is not valid UTF-8: rename the file"
        yield DocumentError(reason, source=_printable(source))
        return
    if source.lower().endswith(JSONL_SUFFIXES):
        yield from iter_json_lines(source, max_bytes=max_bytes)
        return
    warnings = []
    try:
        text = read_text(source, max_bytes=max_bytes)
        document = parse_article(text, doc_id, source, warnings=warnings)
    except DocumentError as problem:
        yield problem
        return
    yield document
    yield from warnings


def _printable(path):
    return os.fsencode(path).decode("utf-8", errors="backslashreplace")
