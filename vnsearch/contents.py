"""What a committed state of the index holds, read from a Whoosh searcher."""

from pathlib import Path

from .documents import Document


def leaf_readers(searcher):
    """(segment reader, first document number) of each segment of ``searcher``."""
    reader = searcher.reader()
    if reader.is_atomic():
        return [(reader, 0)]
    return reader.leaf_readers()


def existing_hashes(searcher) -> dict[str, tuple[str, str]]:
    """id -> (content hash, source) for every live document, read from columns."""
    found = {}
    for reader, _ in leaf_readers(searcher):
        if not reader.has_column("id"):
            continue
        ids = reader.column_reader("id")
        hashes = reader.column_reader("hash")
        sources = reader.column_reader("source")
        for docnum in reader.all_doc_ids():
            found[ids[docnum]] = (hashes[docnum], sources[docnum])
    return found


def date_range(searcher):
    """(earliest, latest) date of the documents, or (None, None) if none has a date.

    Read raw from the column: an undated document sharing a segment with dated ones
    holds the column's filler value, which Whoosh cannot turn into a datetime.
    """
    from whoosh.util.times import long_to_datetime
    filler = searcher.schema["date"].default
    low = high = None
    for reader, _ in leaf_readers(searcher):
        if not reader.has_column("date"):
            continue
        column = reader.column_reader("date", translate=False)
        for docnum in reader.all_doc_ids():
            value = column[docnum]
            if value != filler:
                low = value if low is None else min(low, value)
                high = value if high is None else max(high, value)
    if low is None:
        return None, None
    return long_to_datetime(low), long_to_datetime(high)


def stored_documents(searcher):
    """Every live document, as stored (what a rebuild indexes again)."""
    for stored in searcher.reader().all_stored_fields():
        yield Document(id=stored["id"], title=stored.get("title", ""),
                       body=stored.get("body", ""), date=stored.get("date"),
                       source=stored.get("source") or None)


def folder_size(path: Path) -> int:
    """Bytes taken by the files under ``path``."""
    total = 0
    for file in Path(path).rglob("*"):
        try:
            if file.is_file():
                total += file.stat().st_size
        except OSError:
            pass  # removed by a writer meanwhile
    return total
