"""Reading JSON Lines files (``.jsonl``, ``.jsonl.gz``): one document per line, as a stream.

A line is the unit of failure: whatever goes wrong with one line (bad bytes, bad JSON,
JSON nested too deeply for the parser, a number too long to convert, a document that
fails validation, a line over the size limit) is reported as a
:class:`~vnsearch.errors.DocumentError` naming ``file:line``, and the next line is read.
Only a file that cannot be read on (a truncated ``.gz``) stops early, and what was read
before is kept.

The file is read in chunks and split here, not by Python's line iterator, so that:

* memory stays bounded whatever the file holds: a line over the limit is counted and
  skipped, never held whole;
* lines end at ``\\n``, ``\\r\\n`` or a lone ``\\r`` (old Mac files), as article files do;
* UTF-16 and UTF-32 files (with a byte-order mark, or recognised by their NUL bytes as
  the JSON standard describes) are decoded like UTF-8 ones.
"""

import codecs
import gzip
import json
import os
import re
import stat
import zlib
from collections.abc import Iterator

from .document import MAX_ARTICLE_BYTES, Document, _too_large
from .errors import DocumentError

__all__ = ["iter_json_lines"]

_CHUNK = 64 * 1024
_NEWLINE_BYTES = re.compile(rb"\r\n|\r|\n")
_NEWLINE_TEXT = re.compile(r"\r\n|\r|\n")


def iter_json_lines(source: str, *,
                    max_bytes: int = MAX_ARTICLE_BYTES) -> Iterator[Document | DocumentError]:
    """Yield one document or problem per non-blank line of the JSON Lines file ``source``.

    A line longer than ``max_bytes`` (in UTF-8) is skipped unread with a problem saying
    its size. Problems are yielded, never raised. Example::

        for item in iter_json_lines("tin-tuc.jsonl.gz"):
            ...  # a Document, or a DocumentError such as "tin-tuc.jsonl.gz:7: not valid JSON"
    """
    opener = gzip.open if source.lower().endswith(".gz") else open
    try:
        if not stat.S_ISREG(os.stat(source).st_mode):
            yield DocumentError("not a regular file", source=source)  # a FIFO would block
            return
        file = opener(source, "rb")
    except FileNotFoundError:
        yield DocumentError("no such file or folder", source=source)
        return
    except OSError as error:
        yield DocumentError(f"cannot read the file: {error.strerror or error}", source=source)
        return
    number = 0
    with file:
        try:
            for number, (line, size) in enumerate(_lines(file, max_bytes), start=1):
                if line is None:
                    reason = _too_large("line", size, max_bytes) + ": split it into smaller documents"
                    yield DocumentError(reason, source=source, line=number)
                elif line.strip():
                    yield _document(line, source, number)
        except UnicodeDecodeError as error:
            # UTF-16/32 is decoded as a stream: a bad unit ends it. UTF-8 never gets here.
            reason = f"not valid {error.encoding.upper()} ({error.reason})"
            yield DocumentError(f"stopped reading here: {reason}", source=source, line=number + 1)
        except (OSError, EOFError, zlib.error) as error:
            # A truncated or corrupt .gz fails part-way: keep what was read, report the rest.
            reason = getattr(error, "strerror", None) or str(error) or type(error).__name__
            yield DocumentError(f"stopped reading here: {reason}", source=source, line=number + 1)


def _lines(file, max_bytes):
    """Yield ``(line, size)`` for each line of a binary file; ``line`` is None if too long.

    UTF-8 files give ``bytes`` lines, decoded one by one later so that a bad byte costs
    one line; UTF-16 and UTF-32 files give ``str`` lines. ``size`` is the line's length
    in UTF-8 bytes without its line break.
    """
    first = file.read(_CHUNK)
    # json.detect_encoding reads byte-order marks, and the NUL bytes of BOM-less
    # UTF-16/32 around the ASCII character a JSON text starts with.
    encoding = json.detect_encoding(first[:4])
    if encoding in ("utf-8", "utf-8-sig"):
        chunks = _chunks(file, first.removeprefix(codecs.BOM_UTF8))
        yield from _split(chunks, _NEWLINE_BYTES, max_bytes, len)
    else:
        decoder = codecs.getincrementaldecoder(encoding)("strict")
        chunks = (decoder.decode(chunk) for chunk in _chunks(file, first))
        text_chunks = _with_final(chunks, decoder)
        yield from _split(text_chunks, _NEWLINE_TEXT, max_bytes, _utf8_size)


def _chunks(file, first):
    chunk = first
    while chunk:
        yield chunk
        chunk = file.read(_CHUNK)


def _with_final(chunks, decoder):
    yield from chunks
    yield decoder.decode(b"", final=True)  # raises if the file ends inside a character


def _utf8_size(text):
    return len(text.encode("utf-8", "surrogatepass"))


def _split(chunks, newline, max_bytes, size_of):
    """Split a stream of chunks into lines, holding at most ``max_bytes`` of one line."""
    parts, size, carriage_return = [], 0, False
    for chunk in chunks:
        start = 0
        if carriage_return and chunk[:1] in (b"\n", "\n"):
            start = 1  # the "\n" of a "\r\n" split between two chunks
        carriage_return = False
        for match in newline.finditer(chunk, start):
            size += size_of(chunk[start:match.start()])
            if size <= max_bytes:
                parts.append(chunk[start:match.start()])
            yield (chunk[:0].join(parts) if size <= max_bytes else None), size
            parts, size, start = [], 0, match.end()
            carriage_return = match.group() in (b"\r", "\r") and start == len(chunk)
        rest = chunk[start:]
        size += size_of(rest)
        if size > max_bytes:
            parts = []  # over the limit: only its size is still counted
        elif rest:
            parts.append(rest)
    if size:  # a last line without a line break
        yield (parts[0][:0].join(parts) if size <= max_bytes else None), size


def _document(line, source, number):
    """The document on one line, or the problem with it: never raises."""
    def problem(reason):
        return DocumentError(reason, source=source, line=number)

    try:
        text = line.decode("utf-8") if isinstance(line, bytes) else line
        data = json.loads(text)
        return Document.from_dict(data, source=source, line=number)
    except DocumentError as error:
        return error
    except UnicodeDecodeError as error:
        return problem(f"not valid UTF-8 at byte {error.start + 1} of the line")
    except json.JSONDecodeError as error:
        what = error.msg.removesuffix(" at")  # "Unterminated string starting at"
        return problem(f"not valid JSON ({what} at column {error.colno})")
    except RecursionError:
        return problem("JSON nested too deeply to read (arrays or objects inside each other "
                       "thousands of levels deep)")
    except Exception as error:  # noqa: BLE001 - one line's failure must not end the run
        # For example a number of more than 4,300 digits (ValueError), or memory.
        detail = str(error) or type(error).__name__
        return problem(f"cannot read this line: {detail}")
