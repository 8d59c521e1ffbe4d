"""Damaged segment files are found when an index is opened; commits reach the disk in
an order a power cut cannot break."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from vnsearch import Index, IndexDamagedError

from conftest import ARTICLES


@pytest.fixture
def source(tmp_path):
    path = tmp_path / "tin.jsonl"
    path.write_text("".join(json.dumps(a, ensure_ascii=False) + "\n" for a in ARTICLES),
                    encoding="utf-8")
    return path


def vnsearch(*args):
    return subprocess.run([sys.executable, "-m", "vnsearch", *map(str, args)],
                          capture_output=True, text=True)


@pytest.mark.parametrize("suffix", [".id.col", "._stored.col", ".hash.col", ".trm", ".pst"])
@pytest.mark.parametrize("damage", ["removed", "cut short"])
def test_a_missing_or_cut_segment_file_is_found_on_opening(tmp_path, source, suffix, damage):
    index = Index.create(tmp_path / "index")
    index.add_paths([source])
    [file] = (index.path / "gen-1").glob(f"MAIN_*{suffix}")
    if damage == "removed":
        file.unlink()
        expected = f"gen-1/{file.name} is missing"
    else:
        size = file.stat().st_size
        with open(file, "r+b") as out:
            out.truncate(size // 2)
        expected = f"gen-1/{file.name} is {size // 2} bytes long, not {size}"

    with pytest.raises(IndexDamagedError) as error:
        Index.open(index.path)
    assert str(error.value) == (f"The index at {index.path} is damaged ({expected}): "
                                f"rebuild it with `vnsearch rebuild --index {index.path}`.")
    # Indexing the same files again must not add every document a second time.
    result = vnsearch("index", source, "--index", index.path)
    assert result.returncode == 1
    assert result.stderr == f"Error: {error.value}\n"


def test_commits_sync_segment_files_and_folder_before_the_toc_and_manifest(tmp_path,
                                                                          monkeypatch):
    index = Index.create(tmp_path / "index")
    events = []
    real_fsync, real_rename, real_replace = os.fsync, os.rename, os.replace

    def fsync(fd):
        events.append(("fsync", os.readlink(f"/proc/self/fd/{fd}")))
        return real_fsync(fd)

    def rename(old, new, *args, **kwargs):
        events.append(("rename", str(new)))
        return real_rename(old, new, *args, **kwargs)

    def replace(old, new, *args, **kwargs):
        events.append(("rename", str(new)))
        return real_replace(old, new, *args, **kwargs)

    if not os.path.isdir("/proc/self/fd"):
        pytest.skip("file descriptors are named through /proc")
    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "rename", rename)
    monkeypatch.setattr(os, "replace", replace)
    index.add(ARTICLES)
    monkeypatch.undo()

    folder = str(index.path / "gen-1")
    segment_files = sorted(str(p) for p in Path(folder).glob("MAIN_*"))
    assert segment_files and all(p.endswith((".col", ".trm", ".pst", ".prs")) or
                                 p.endswith("WRITELOCK") for p in segment_files)
    segment_files = [p for p in segment_files if not p.endswith("WRITELOCK")]
    [toc] = [i for i, e in enumerate(events) if e[0] == "rename" and e[1].endswith(".toc")]
    [manifest] = [i for i, e in enumerate(events)
                  if e[0] == "rename" and e[1].endswith("vnsearch.json")]
    synced_before_toc = {path for kind, path in events[:toc] if kind == "fsync"}
    assert set(segment_files) <= synced_before_toc
    assert folder in synced_before_toc
    last_file = max(i for i, e in enumerate(events) if e[1] in segment_files)
    assert ("fsync", folder) in events[last_file:toc]  # their names, after the last one
    toc_temp = [path for kind, path in events[:toc] if ".toc." in path]
    assert toc_temp, "the table of contents is synced before it is renamed into place"
    assert ("fsync", folder) in events[toc:manifest]  # the TOC's rename
    assert any(".tmp" in path for kind, path in events[toc:manifest])  # the manifest's data
    assert events[-1] == ("fsync", str(index.path))  # the manifest's rename
