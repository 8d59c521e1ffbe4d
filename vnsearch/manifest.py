"""The manifest of an index folder, ``vnsearch.json``, and the folders it points to.

Layout of an index folder::

    index/
      vnsearch.json   {"format": 1, "generation": 2, "sources": [...], "updated": ...}
      gen-2/          the live Whoosh index

``vnsearch.json`` is replaced atomically (``os.replace``, after an ``fsync``), so a
rebuild swaps a whole new generation in at once. It is only ever rewritten by the
holder of the live generation's write lock (see :mod:`vnsearch.locking`).
"""

import json
import os
from pathlib import Path

from . import schema as vn_schema
from .durability import sync_folder
from .errors import IndexDamagedError, IndexNotFoundError, IndexVersionError

MANIFEST = "vnsearch.json"


def generation_dir(path, manifest) -> Path:
    """The folder of the generation ``manifest`` names."""
    return Path(path) / f"gen-{manifest['generation']}"


def version_message(path, why) -> str:
    return (f"The index at {path} was written by an incompatible version of vnsearch "
            f"({why}). Rebuild it with `vnsearch rebuild --index {path}`.")


def read_manifest(path: Path, check_version: bool = True) -> dict:
    """The manifest of the index at ``path``.

    Raises IndexNotFoundError when there is none (or only a plain Whoosh index),
    IndexDamagedError when it cannot be read, IndexVersionError when it is of a
    format this version does not read.
    """
    path = Path(path)
    file = path / MANIFEST
    try:
        manifest = json.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        if list(path.glob("_MAIN_*.toc")):
            raise IndexNotFoundError(
                f"{path} holds a Whoosh index that vnsearch did not write (it has no "
                f"{MANIFEST}): vnsearch can neither search nor rebuild it. Index your "
                f"documents into a new folder with `vnsearch index --index NEW_FOLDER "
                f"FOLDER`.") from None
        if generation_numbers(path):
            raise IndexDamagedError(_manifest_damage(path, "is missing")) from None
        raise IndexNotFoundError(f"No index at {path}: create one with "
                                 f"`vnsearch index --index {path} FOLDER`.") from None
    except NotADirectoryError:
        raise IndexNotFoundError(f"No index at {path}: it is a file, not a folder.") from None
    except (OSError, ValueError) as error:
        raise IndexDamagedError(_manifest_damage(path, f"cannot be read: {error}")) from None
    if not isinstance(manifest, dict) or not isinstance(manifest.get("generation"), int):
        raise IndexDamagedError(_manifest_damage(path, "is not a vnsearch manifest"))
    if check_version and manifest.get("format") != vn_schema.FORMAT_VERSION:
        raise IndexVersionError(version_message(
            path, f"format {manifest.get('format')}, this version reads format "
                  f"{vn_schema.FORMAT_VERSION}"))
    return manifest


def _manifest_damage(path, why) -> str:
    return (f"The index at {path} is damaged (its manifest {MANIFEST} {why}): rebuild it "
            f"with `vnsearch rebuild --index {path}`, which recovers the documents from "
            f"its newest intact generation.")


def generation_numbers(path) -> list[int]:
    """The numbers of the generation folders in index folder ``path``, newest first."""
    numbers = []
    for folder in Path(path).glob("gen-*"):
        suffix = folder.name[len("gen-"):]
        if suffix.isdigit() and folder.is_dir():
            numbers.append(int(suffix))
    return sorted(numbers, reverse=True)


def write_manifest(path: Path, manifest: dict) -> None:
    """Replace the manifest atomically: synced before the rename, the folder after."""
    path = Path(path)
    temporary = path / (MANIFEST + f".{os.getpid()}.tmp")
    with open(temporary, "w", encoding="utf-8") as out:
        json.dump(manifest, out, ensure_ascii=False, indent=1)
        out.flush()
        os.fsync(out.fileno())
    os.replace(temporary, path / MANIFEST)
    sync_folder(path)
