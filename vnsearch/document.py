"""A document: what vnsearch indexes, and what makes one valid.

:class:`Document` is one article (id, title, body, date, source); :func:`parse_date`
reads the dates people write; :data:`MAX_ARTICLE_BYTES` is the largest one indexed.
Readers of each input format (:mod:`vnsearch.documents` for files and folders,
:mod:`vnsearch.json_lines` for JSON Lines) build on this module.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date as date_type
from datetime import datetime

from .errors import DocumentError

#: The largest document indexed, in UTF-8 bytes: an article file, a JSON line, or the
#: title and body of a dict given to ``Index.add``. Bigger ones are skipped (files and
#: lines unread). A news article is a few KB (the largest of 38,000 in the shared
#: corpora: 49 KB); analysing costs ~200 bytes of memory per byte of text, so a 1 MiB
#: document takes ~12 s and ~220 MB, while 5 MiB took 85 s and 1.7 GB (pyvi's CRF over
#: one long sequence) and 20 MB 7.95 GB.
MAX_ARTICLE_BYTES = 1024 * 1024


class DocumentWarning(DocumentError):
    """Reported for a problem with a document that was still yielded.

    For example an article whose ``Ngày phát hành`` line holds no readable date is
    indexed without a date, and this warning follows it.
    """


@dataclass(frozen=True, slots=True)
class Document:
    """One article, ready to be analysed and indexed.

    ``date`` is naive: the wall-clock time the source printed. ``source`` is the path
    of the file the document came from, if any.
    """

    id: str
    title: str
    body: str = ""
    date: datetime | None = None
    source: str | None = None

    @classmethod
    def from_dict(cls, data: Mapping, source=None, line=None) -> Document:
        """Build a document from a mapping with keys ``id``, ``title``, ``date``, ``body``.

        ``id`` is required (a string or an integer, stored as a string); ``title`` and
        ``body`` are strings or missing, but not both empty; ``date`` is anything
        :func:`parse_date` accepts. Other keys are ignored. Raises
        :class:`DocumentError` naming ``source`` and ``line``.

        >>> Document.from_dict({"id": 7, "title": "Tin mới", "date": "2020-12-30"}).id
        '7'
        """

        def problem(message):
            return DocumentError(message, source=source, line=line)

        if not isinstance(data, Mapping):
            raise problem(f"expected a JSON object, got {_json_kind(data)}")
        doc_id = data.get("id")
        if doc_id is None:
            raise problem('no "id": every document needs one')
        # bool is an int subclass, but `"id": true` is a mistake, not an id.
        if isinstance(doc_id, bool) or not isinstance(doc_id, (str, int)):
            raise problem(f'"id" must be a string or an integer, not {_json_kind(doc_id)}')
        doc_id = str(doc_id)
        if not doc_id.strip():
            raise problem('"id" is empty')
        _check_encodable(doc_id, "id", problem)
        title = _text_field(data, "title", problem)
        body = _text_field(data, "body", problem)
        size = len(title.encode("utf-8")) + len(body.encode("utf-8"))
        if size > MAX_ARTICLE_BYTES:
            raise problem(_too_large("title and body", size, MAX_ARTICLE_BYTES)
                          + ": split it into smaller documents")
        if not title and not body:
            # Usually the text is under another key ("text", "content"): say which keys
            # were found so the fix is obvious.
            keys = ", ".join(sorted(map(str, data))) or "none"
            raise problem(f'no "title" and no "body" to index (keys found: {keys})')
        try:
            when = parse_date(data.get("date"))
        except ValueError as error:
            raise problem(f'bad "date": {error}') from None
        return cls(id=doc_id, title=title, body=body, date=when, source=source)


def _text_field(data, key, problem):
    value = data.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise problem(f'"{key}" must be a string, not {_json_kind(value)}')
    _check_encodable(value, key, problem)
    return value.strip()


def _check_encodable(value, key, problem):
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as error:
        # JSON allows "\ud800" alone, but no file or index can store it.
        raise problem(f'"{key}" holds a lone surrogate (\\u{ord(value[error.start]):04x}), '
                      "which is not a character") from None


def _json_kind(value):
    kinds = {dict: "an object", list: "an array", str: "a string", bool: "true/false",
             int: "a number", float: "a number", type(None): "null"}
    return kinds.get(type(value), type(value).__name__)


# --------------------------------------------------------------------------- dates

_US_DATE = re.compile(
    r"(?P<month>\d{1,2})/(?P<day>\d{1,2})/(?P<year>\d{4})"
    r"(?:\s+(?P<hour>\d{1,2}):(?P<minute>\d{2})(?::(?P<second>\d{2}))?"
    # SA/CH (sáng/chiều) are AM/PM in the Vietnamese Windows locale.
    r"(?:\s*(?P<half>[AaPp]\.?[Mm]\.?|SA|CH|sa|ch))?)?"
)

_DATE_FORMATS_HELP = ("use YYYY-MM-DD, an ISO date-time, "
                      "or month/day/year like 12/30/2020 11:27:37 AM")


def parse_date(value) -> datetime | None:
    """Read a publication date, returning a naive ``datetime`` or ``None``.

    Accepts ``None`` or a blank string (no date), a ``datetime`` or ``date``,
    ``"YYYY-MM-DD"``, an ISO 8601 date-time, and the seeds' month/day/year form with a
    12- or 24-hour clock, with or without seconds. A time-zone offset is dropped and the
    wall-clock time kept, so the date indexed is the date printed in the article.
    Raises ``ValueError`` saying what was expected.

    >>> parse_date("12/30/2020 11:27:37 AM")
    datetime.datetime(2020, 12, 30, 11, 27, 37)
    >>> parse_date("2020-12-30")
    datetime.datetime(2020, 12, 30, 0, 0)
    """
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.replace(tzinfo=None)
    if isinstance(value, date_type):
        return datetime(value.year, value.month, value.day)
    if not isinstance(value, str):
        raise ValueError(f"{value!r} is not a date: {_DATE_FORMATS_HELP}")
    text = " ".join(value.split())
    if not text:
        return None
    match = _US_DATE.fullmatch(text)
    if match:
        return _us_datetime(match, value)
    try:
        return datetime.fromisoformat(text).replace(tzinfo=None)
    except ValueError:
        raise ValueError(f"cannot read {value!r} as a date: {_DATE_FORMATS_HELP}") from None


def _us_datetime(match, original):
    month, day, year = int(match["month"]), int(match["day"]), int(match["year"])
    hour = int(match["hour"] or 0)
    minute = int(match["minute"] or 0)
    second = int(match["second"] or 0)
    half = (match["half"] or "").replace(".", "").upper()
    if half:
        if not 1 <= hour <= 12:
            raise ValueError(f"{original!r}: hour {hour} does not exist on a 12-hour clock")
        hour %= 12
        if half in ("PM", "CH"):
            hour += 12
    if month > 12:
        # Vietnamese prose writes day/month/year; the date line never does.
        raise ValueError(f"{original!r}: month {month} does not exist (dates are month/day/year)")
    try:
        return datetime(year, month, day, hour, minute, second)
    except ValueError as error:
        raise ValueError(f"{original!r} is not a real date or time ({error})") from None


def _too_large(what, size, limit, at_least=False):
    """"the file is 6,000,000 bytes (5.7 MiB), over the 1,048,576-byte (1.0 MiB) limit"."""
    mib = 1024 * 1024
    size_text = f"{'at least ' if at_least else ''}{size:,} bytes ({size / mib:.1f} MiB)"
    verb = "are" if what.endswith("body") else "is"
    return (f"the {what} {verb} {size_text}, over the {limit:,}-byte ({limit / mib:.1f} MiB) "
            "limit for one document")
