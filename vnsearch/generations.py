"""The Whoosh index of one generation folder: creating it and opening it.

A rebuild may swap generations, and delete an old one, between reading the manifest
and opening the folder it names; opening then reads the manifest again.
"""

import pickle
import time
from pathlib import Path

from whoosh import index as whoosh_index

from . import schema as vn_schema
from .errors import IndexNotFoundError, IndexVersionError
from .manifest import generation_dir, read_manifest, version_message


def create_generation(path: Path, number: int):
    """Create the empty Whoosh index of generation ``number`` in index folder ``path``."""
    folder = Path(path) / f"gen-{number}"
    folder.mkdir(parents=True, exist_ok=True)
    return whoosh_index.create_in(str(folder), vn_schema.build_schema())


def open_live(path: Path):
    """(manifest, Whoosh index) of the live generation, following a concurrent swap."""
    manifest = read_manifest(path)
    for _ in range(50):
        try:
            return manifest, open_generation(path, manifest)
        except IndexNotFoundError:
            latest = read_manifest(path)
            if latest["generation"] == manifest["generation"]:
                raise
            manifest = latest
    return manifest, open_generation(path, manifest)


def open_generation(path: Path, manifest):
    """The Whoosh index of the generation ``manifest`` names."""
    folder = generation_dir(path, manifest)
    for attempt in range(20):
        try:
            return whoosh_index.open_dir(str(folder))
        except FileNotFoundError:
            # A writer committed and removed the table of contents we had just found.
            if attempt == 19 or not folder.is_dir():
                break
            time.sleep(0.02)
        except whoosh_index.EmptyIndexError:
            break
        except (ImportError, AttributeError, TypeError, ValueError, EOFError,
                pickle.UnpicklingError, whoosh_index.IndexError) as error:
            raise IndexVersionError(version_message(
                path, f"its schema cannot be read: {error}")) from None
    raise IndexNotFoundError(f"The index at {path} is damaged ({folder} holds no "
                             f"index): rebuild it with `vnsearch rebuild --index "
                             f"{path}`.")
