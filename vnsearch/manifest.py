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
from .errors import IndexNotFoundError, IndexVersionError

MANIFEST = "vnsearch.json"


def generation_dir(path, manifest) -> Path:
    """The folder of the generation ``manifest`` names."""
    return Path(path) / f"gen-{manifest['generation']}"


def version_message(path, why) -> str:
    return (f"The index at {path} was written by an incompatible version of vnsearch "
            f"({why}). Rebuild it with `vnsearch rebuild --index {path}`.")


def read_manifest(path: Path, check_version: bool = True) -> dict:
    """The manifest of the index at ``path``.

    Raises IndexNotFoundError when there is none, IndexVersionError when it is not
    one this version reads.
    """
    path = Path(path)
    file = path / MANIFEST
    try:
        manifest = json.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        if list(path.glob("_MAIN_*.toc")):
            raise IndexVersionError(version_message(path, "it has no vnsearch.json")) from None
        raise IndexNotFoundError(f"No index at {path}: create one with "
                                 f"`vnsearch index --index {path} FOLDER`.") from None
    except (OSError, ValueError) as error:
        raise IndexVersionError(version_message(path, f"{file} is unreadable: {error}"))
    if not isinstance(manifest, dict) or "generation" not in manifest:
        raise IndexVersionError(version_message(path, f"{file} is not a vnsearch manifest"))
    if check_version and manifest.get("format") != vn_schema.FORMAT_VERSION:
        raise IndexVersionError(version_message(
            path, f"format {manifest.get('format')}, this version reads format "
                  f"{vn_schema.FORMAT_VERSION}"))
    return manifest


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
