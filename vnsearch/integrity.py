"""Reading every byte of an index to find damage, as SQLite's ``PRAGMA integrity_check``.

Opening an index only checks that each segment's files are there and as long as when
they were written (see :mod:`vnsearch.durability`). :func:`check_index` reads them all:
the table of contents, each segment's stored documents, every column value and every
posting list, and checks that they agree (one id per document, postings in order and
within the segment, as many as the term table says).
"""

import re
import time
from dataclasses import dataclass, field
from pathlib import Path

from whoosh.codec.whoosh3 import LENGTHS_COLUMN, STORED_COLUMN
from whoosh.reading import SegmentReader

from .durability import segment_file_problems
from .errors import IndexDamagedError, IndexVersionError
from .generations import open_generation
from .manifest import generation_dir, read_manifest
from .pair_counts import PairTable

_HASH = re.compile("[0-9a-f]{40}")
"""What a content hash looks like (vnsearch.updates.content_hash: sha1, hex)."""
MAX_PROBLEMS = 100
"""Problems listed at most; checking goes on, counting the rest."""


@dataclass
class CheckReport:
    """What :func:`check_index` found. ``ok`` when ``problems`` is empty."""

    path: str
    generation: int | None = None
    segments: int = 0
    documents: int = 0
    postings: int = 0
    problems: list[str] = field(default_factory=list)
    more_problems: int = 0
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def advice(self) -> str:
        """What to do about the problems found (empty when there are none)."""
        if self.ok:
            return ""
        return (f"Rebuild it with `vnsearch rebuild --index {self.path}`: it reads the "
                f"documents again from the index where they are intact, else from the "
                f"files they were indexed from.")

    def _add(self, problem: str) -> None:
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(problem)
        else:
            self.more_problems += 1


def check_index(path) -> CheckReport:
    """Read the whole live generation of the index at ``path``; report what is damaged.

    Raises IndexNotFoundError when there is no index at all; damage of any other
    kind, the manifest's included, is reported, not raised.
    """
    started = time.perf_counter()
    path = Path(path)
    report = CheckReport(path=str(path))
    try:
        manifest = read_manifest(path, check_version=False)
    except IndexDamagedError as error:
        report._add(str(error))
        return report
    report.generation = manifest["generation"]
    check_generation(path, manifest, report)
    report.seconds = time.perf_counter() - started
    return report


def check_generation(path, manifest, report: CheckReport) -> CheckReport:
    """Add to ``report`` the damage found in the generation ``manifest`` names."""
    folder = generation_dir(path, manifest)
    try:
        whoosh = open_generation(path, manifest)
        toc = whoosh._read_toc()
    except (IndexDamagedError, IndexVersionError) as error:
        report._add(str(error))
        return report
    except Exception as error:  # noqa: BLE001 - damage shows in many ways
        report._add(f"{folder.name}: the table of contents cannot be read ({error})")
        return report
    storage = whoosh.storage
    for problem in segment_file_problems(storage, toc.segments):
        report._add(f"{folder.name}/{problem}")
    report.segments = len(toc.segments)
    for segment in toc.segments:
        name = f"{folder.name}/{segment.segment_id()}"
        try:
            reader = SegmentReader(storage, toc.schema, segment)
        except Exception as error:  # noqa: BLE001
            report._add(f"{name}: cannot be opened ({type(error).__name__}: {error})")
            continue
        try:
            _check_segment(reader, toc.schema, name, report)
        finally:
            try:
                reader.close()
            except Exception:  # noqa: BLE001 - closing what is damaged may fail too
                pass
    return report


def _check_segment(reader, schema, name, report) -> None:
    count = reader.doc_count_all()
    live = [n for n in range(count) if not reader.is_deleted(n)]
    perdoc = reader._perdoc
    # Stored documents: every live one has an id, which the id column agrees with.
    stored_ids = {}
    try:
        stored = perdoc.column_reader("_stored", STORED_COLUMN)
        for docnum in live:
            fields = stored[docnum]
            if not isinstance(fields, dict) or not fields.get("id"):
                report._add(f"{name}: document {docnum} has no stored id")
            else:
                stored_ids[docnum] = fields["id"]
    except Exception as error:  # noqa: BLE001
        report._add(f"{name}: stored documents unreadable ({type(error).__name__}: {error})")
        return
    report.documents += len(live)
    # Every column, every value.
    for fieldname in sorted(schema.names()):
        column = schema[fieldname].column_type
        if column is None or not perdoc.has_column(fieldname):
            if fieldname in ("id", "hash", "source") and live:
                report._add(f"{name}: the {fieldname} column is missing")
            continue
        try:
            values = perdoc.column_reader(fieldname, column)
            for docnum in range(count):
                value = values[docnum]
                if isinstance(value, bytes) and fieldname in ("id", "hash"):
                    value = value.decode("utf-8")
                if fieldname == "hash" and docnum in stored_ids and not _HASH.fullmatch(value):
                    report._add(f"{name}: document {docnum} has a content hash that is "
                                f"not one ({value[:50]!r})")
                if fieldname == "id" and docnum in stored_ids and value != stored_ids[docnum]:
                    report._add(f"{name}: document {docnum} has id {value!r} in the id "
                                f"column but {stored_ids[docnum]!r} stored")
        except Exception as error:  # noqa: BLE001
            report._add(f"{name}: the {fieldname} column is unreadable "
                        f"({type(error).__name__}: {error})")
    for fieldname in schema.scorable_names():
        lengths = f"_{fieldname}_len"
        if perdoc.has_column(lengths):
            try:
                values = perdoc.column_reader(lengths, LENGTHS_COLUMN)
                for docnum in range(count):
                    values[docnum]
            except Exception as error:  # noqa: BLE001
                report._add(f"{name}: the {fieldname} lengths are unreadable "
                            f"({type(error).__name__}: {error})")
    # Every term's postings: in order, inside the segment, as many as recorded.
    try:
        for fieldname, text in reader.all_terms():
            expected = reader.doc_frequency(fieldname, text)
            # Deleted documents' postings too, as the term table counts them (the
            # public reader.postings leaves them out).
            matcher = reader._terms.matcher(fieldname, text, schema[fieldname].format)
            previous, found = -1, 0
            while matcher.is_active():
                docnum = matcher.id()
                if not previous < docnum < count:
                    report._add(f"{name}: postings of {fieldname}:{text!r} out of order "
                                f"or beyond the segment ({docnum})")
                    break
                matcher.weight()
                previous = docnum
                found += 1
                matcher.next()
            if found != expected:
                report._add(f"{name}: {fieldname}:{text!r} has {found} postings, its "
                            f"term table says {expected}")
            report.postings += found
    except Exception as error:  # noqa: BLE001
        report._add(f"{name}: the terms or postings are unreadable "
                    f"({type(error).__name__}: {error})")
    _check_pairs(reader, name, report)


def _check_pairs(reader, name, report) -> None:
    # The exact pairs' counts: every block inflates, keys in order, counts positive.
    try:
        table = PairTable.open(reader.storage(), reader.segment())
        if table is None:
            report._add(f"{name}: the pair table is missing")
            return
        try:
            previous, found = None, 0
            for key, count in table.items():
                if (previous is not None and key <= previous) or count <= 0:
                    report._add(f"{name}: the pair table is out of order near "
                                f"{key.decode('utf-8', 'replace')!r}")
                    return
                previous, found = key, found + 1
            if found != table.pairs:
                report._add(f"{name}: the pair table holds {found} pairs, its trailer "
                            f"says {table.pairs}")
        finally:
            table.close()
    except Exception as error:  # noqa: BLE001 - damage shows in many ways
        report._add(f"{name}: the pair table is unreadable ({error})")


