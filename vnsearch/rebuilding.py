"""Rebuilding an index: deciding what to read, building, checking, swapping.

A rebuild reads the documents stored in the live generation when they can all be
read, whatever else is damaged (a lost column, a cut term table); otherwise the files
the index was built from, as recorded in ``vnsearch.json``. The plan says which, and
how many documents the live index holds: a rebuild must not leave fewer. The new
generation is built beside the live one, checked in full, and swapped in by replacing
the manifest; only then is the old generation removed.
"""

import os
import shutil
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from whoosh.codec.whoosh3 import STORED_COLUMN

from . import schema as vn_schema
from .documents import Document
from .errors import IndexDamagedError, IndexVersionError, RebuildError
from .generations import create_generation, open_generation
from .integrity import CheckReport, check_generation
from .locking import WriteLock
from .manifest import generation_dir, generation_numbers, read_manifest, write_manifest


@dataclass
class RebuildPlan:
    """What a rebuild will read, given to the caller before it reads anything.

    ``origin`` is ``"index"`` (the documents stored in generation ``generation``) or
    ``"sources"`` (the files in ``sources``; ``missing`` lists those not there).
    ``documents`` is how many documents the live index holds, when known.
    """

    path: str
    origin: str
    manifest: dict
    generation: int | None = None
    sources: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    documents: int | None = None
    damage: list[str] = field(default_factory=list)


def plan_rebuild(path) -> RebuildPlan:
    """Decide what a rebuild of the index at ``path`` reads, reading nothing but the
    manifest and the live generation (see the module docstring).

    Raises IndexNotFoundError when there is no vnsearch index there, and RebuildError
    (IndexVersionError for an index of a newer format) when there is nothing to
    rebuild from.
    """
    path = Path(path)
    try:
        manifest = read_manifest(path, check_version=False)
        damage = []
    except IndexDamagedError as error:
        manifest, damage = _recovered_manifest(path), [str(error)]
    sources = [str(s) for s in manifest.get("sources", [])]
    missing = [s for s in sources if not os.path.exists(s)]
    plan = RebuildPlan(path=str(path), origin="sources", manifest=manifest,
                       sources=sources, missing=missing,
                       documents=manifest.get("documents"), damage=damage)
    newer = (isinstance(manifest.get("format"), int)
             and manifest["format"] > vn_schema.FORMAT_VERSION)
    if not newer and manifest.get("generation") is not None:
        report = check_generation(path, manifest, CheckReport(path=str(path)))
        plan.damage += report.problems
        if report.ok:  # intact: what it holds is what it holds
            plan.origin, plan.generation = "index", manifest["generation"]
            plan.documents = report.documents
        else:
            known = plan.documents if plan.documents is not None else \
                _committed_count(path, manifest)
            try:
                count = sum(1 for _ in stored_documents(path, manifest))
            except Exception as error:  # noqa: BLE001 - damage shows in many ways
                plan.damage.append(f"the stored documents cannot all be read ({error})")
                plan.documents = known
            else:
                plan.origin, plan.generation = "index", manifest["generation"]
                plan.documents = max(count, known or 0)
    if plan.origin == "sources" and not sources:
        why = ("was written by a newer, incompatible version of vnsearch" if newer
               else "is damaged")
        error_type = IndexVersionError if newer else RebuildError
        raise error_type(
            f"Cannot rebuild the index at {path}: it {why} and records no source "
            f"files to rebuild it from. Delete {path} and index your documents "
            f"again with `vnsearch index --index {path} FOLDER`.")
    return plan


def rebuild(open_staging, path, *, progress=None, force=False, announce=None,
            lock_timeout: float = 10.0):
    """What :meth:`vnsearch.Index.rebuild` does (see there).

    ``open_staging(path, manifest, whoosh)`` gives the index object that writes the
    new generation without touching the manifest (a staging :class:`vnsearch.Index`).
    """
    path = Path(path)
    while True:
        plan = plan_rebuild(path)
        manifest = plan.manifest
        lock = WriteLock(generation_dir(path, manifest))
        lock.acquire(lock_timeout, path)
        try:
            current = read_manifest(path, check_version=False)["generation"]
        except IndexDamagedError:
            current = manifest["generation"]  # recovering from a corrupt manifest
        if current == manifest["generation"]:
            break
        lock.release()  # another rebuild swapped generations while we waited
    number = max([manifest["generation"], *generation_numbers(path)]) + 1
    try:
        if announce:
            announce(plan)
        fresh = {"format": vn_schema.FORMAT_VERSION, "generation": number,
                 "sources": plan.sources, "updated": None}
        new = open_staging(path, fresh, create_generation(path, number))
        try:
            if plan.origin == "index":
                report = new.add(stored_documents(path, manifest), progress=progress)
            else:
                report = new.add_paths([s for s in plan.sources if s not in plan.missing],
                                       progress=progress)
            built = _checked(path, fresh, plan, force)
        finally:
            new.close()
        fresh["updated"] = datetime.now().isoformat(timespec="seconds")
        fresh["documents"] = built
        write_manifest(path, fresh)
    except BaseException:
        shutil.rmtree(path / f"gen-{number}", ignore_errors=True)
        raise
    finally:
        lock.release()
    for leftover in path.glob("gen-*"):
        # Readers of the old generation have all its files open already (see
        # vnsearch.generations); new ones read the new manifest.
        if leftover.name != f"gen-{number}":
            shutil.rmtree(leftover, ignore_errors=True)
    return report


def _checked(path, manifest, plan: RebuildPlan, force: bool) -> int:
    """Check a rebuilt generation in full; return its number of documents.

    Raises RebuildError when it is damaged, or (unless ``force``) holds fewer
    documents than the live index.
    """
    report = check_generation(path, manifest, CheckReport(path=str(path)))
    if not report.ok:
        raise RebuildError(f"The rebuilt index at {path} failed its check "
                           f"({'; '.join(report.problems[:3])}); the live index is "
                           f"unchanged.")
    expected = plan.documents
    if not force and (report.documents < (expected or 0)
                      or (expected is None and report.documents == 0)):
        had = "an unknown number" if expected is None else str(expected)
        missing = (f"; {len(plan.missing)} of its source paths are gone: "
                   f"{', '.join(plan.missing[:5])}" if plan.missing else "")
        raise RebuildError(
            f"Rebuilding the index at {path} would leave {report.documents} documents "
            f"where it holds {had}{missing}. Nothing was changed. Bring the missing "
            f"files back and rebuild again, or keep only {report.documents} documents "
            f"with `vnsearch rebuild --force --index {path}`.")
    return report.documents


def stored_documents(path, manifest):
    """The live documents stored in the generation ``manifest`` names, read segment
    by segment from the stored-fields column only (nothing else needs to be intact)."""
    whoosh = open_generation(path, manifest)
    toc = whoosh._read_toc()
    for segment in toc.segments:
        # The per-document reader alone: a segment reader would open the term table.
        reader = segment.codec().per_document_reader(whoosh.storage, segment)
        try:
            stored = reader.column_reader("_stored", STORED_COLUMN)
            for docnum in range(segment.doc_count_all()):
                if segment.is_deleted(docnum):
                    continue
                fields = stored[docnum]
                yield Document(id=fields["id"], title=fields.get("title", ""),
                               body=fields.get("body", ""), date=fields.get("date"),
                               source=fields.get("source") or None)
        finally:
            reader.close()


def _committed_count(path, manifest) -> int | None:
    """How many documents the generation's table of contents says it holds, if it
    can be read."""
    try:
        return sum(segment.doc_count() for segment in
                   open_generation(path, manifest)._read_toc().segments)
    except Exception:  # noqa: BLE001
        return None


def _recovered_manifest(path) -> dict:
    """A manifest for an index whose own is unreadable: its newest generation folder
    (sources unknown)."""
    numbers = generation_numbers(path)
    if not numbers:
        raise RebuildError(f"Cannot rebuild the index at {path}: its manifest is "
                           f"unreadable and it has no generation folder to recover "
                           f"documents from.")
    return {"format": vn_schema.FORMAT_VERSION, "generation": numbers[0], "sources": [],
            "updated": None}
