"""What the file system refuses becomes one clear message, and loses nothing committed.

Disk full and read-only run on a real small tmpfs, mounted for the test (root only).
"""

import json
import os
import subprocess
import sys
import time

import pytest

from vnsearch import Index, StorageError

from conftest import ARTICLES
from test_concurrency import write_feed


def vnsearch(*args):
    return subprocess.run([sys.executable, "-m", "vnsearch", *map(str, args)],
                          capture_output=True, text=True)


@pytest.fixture
def small_disk(tmp_path):
    """A 1 MB tmpfs, unmounted afterwards."""
    if os.geteuid() != 0:
        pytest.skip("mounting a small file system needs root")
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mount)],
                          capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def big_feed(path, count, words=700):
    with open(path, "w", encoding="utf-8") as out:
        for number in range(count):
            body = " ".join(f"từ{number}x{i} tiếng Việt" for i in range(words))
            out.write(json.dumps({"id": f"lon-{number}", "title": f"Bài dài {number}",
                                  "body": body}, ensure_ascii=False) + "\n")
    return path


def test_a_full_disk_is_one_clear_message_and_keeps_what_was_committed(small_disk,
                                                                      tmp_path):
    index = Index.create(small_disk / "index")
    index.add(ARTICLES)
    index.close()
    feed = big_feed(tmp_path / "big.jsonl", 60, words=400)  # more than 1 MB indexed
    result = vnsearch("index", feed, "--index", small_disk / "index")
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.splitlines()[-1] == (
        f"Error: Cannot write to the index at {small_disk / 'index'}: the disk is full. "
        f"Everything committed before is kept; free some space and run the same command "
        f"again.")
    kept = Index.open(small_disk / "index")
    assert len(kept) >= len(ARTICLES) and kept.check().ok
    assert [h.id for h in kept.search("dầu khí")][:1] == ["dau-khi"]


def test_a_read_only_index_fails_before_analysing_anything(small_disk, tmp_path):
    index = Index.create(small_disk / "index")
    index.add(ARTICLES)
    index.close()
    feed = write_feed(tmp_path / "feed.jsonl", 3000)
    subprocess.run(["mount", "-o", "remount,ro", str(small_disk)], check=True)
    started = time.monotonic()
    result = vnsearch("index", feed, "--index", small_disk / "index")
    took = time.monotonic() - started
    assert result.returncode == 1
    assert result.stderr.startswith(
        f"Error: Cannot write to the index at {small_disk / 'index'}: the file system is "
        f"read-only ({small_disk / 'index'}/.write-test-")
    assert result.stderr.endswith(
        "). Everything committed before is kept; copy the index to a writable place, or "
        "remount it read-write.\n")
    assert len(result.stderr.splitlines()) == 1
    assert took < 8, f"it took {took:.1f} s to fail: it analysed first"
    assert len(Index.open(small_disk / "index")) == len(ARTICLES)  # still searchable


def test_an_index_under_a_file_or_in_proc_is_a_clear_error(tmp_path):
    (tmp_path / "a-file").write_text("x")
    with pytest.raises(StorageError) as error:
        Index.create(tmp_path / "a-file" / "index")
    assert str(error.value) == (
        f"Cannot create an index at {tmp_path / 'a-file' / 'index'}: a part of the path "
        f"is a file, not a folder ({tmp_path / 'a-file' / 'index'}). Everything committed "
        f"before is kept; choose a path whose parent folders are folders.")
    if not os.path.isdir("/proc/self"):
        return
    result = vnsearch("index", tmp_path / "a-file", "--index", "/proc/nope")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr.startswith("Error: Cannot create an index at /proc/nope: ")
    assert len(result.stderr.splitlines()) == 1
