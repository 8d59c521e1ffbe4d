"""``vnsearch watch``: the real command in a subprocess, checked by searching from here.

Each step changes the watched folder the way people and copy tools do, then polls the
index from this (another) process until the change shows, and reports how long it took.
"""

import os
import signal
import subprocess
import sys
import threading
import time

import pytest

from vnsearch import Index
from vnsearch.watch import SETTLE, WatchUpdate, watch

from conftest import ids

REFLECTED_WITHIN = 15.0
"""Seconds a change may take to show before the test fails (the figure printed is the
measured one: about SETTLE plus a fraction of a second on an idle machine)."""


def article(title, body, date="3/1/2021 8:00:00 AM"):
    return f"{title}\nNgày phát hành: {date}\n{body}\n"


def wait_for(condition, what, timeout=REFLECTED_WITHIN):
    """Poll ``condition`` until true; return the seconds it took."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if condition():
            return time.monotonic() - started
        time.sleep(0.05)
    pytest.fail(f"{what}: not seen after {timeout} s")


def found(index_path, query):
    """Ids a fresh search finds, as any other process would see them."""
    return ids(Index.open(index_path).search(query, limit=20))


class WatchProcess:
    """``python -m vnsearch watch`` running, with its stderr collected line by line."""

    def __init__(self, folder, index_path):
        self.process = subprocess.Popen(
            [sys.executable, "-m", "vnsearch", "watch", str(folder), "--index",
             str(index_path)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.lines = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self):
        for line in self.process.stderr:
            self.lines.append(line.rstrip("\n"))

    def wait_for_line(self, text, after=0):
        wait_for(lambda: any(text in line for line in self.lines[after:]),
                 f"a line with {text!r} from vnsearch watch (got {self.lines})")

    def stop(self, signum=signal.SIGINT):
        self.process.send_signal(signum)
        returncode = self.process.wait(timeout=20)
        self._reader.join(timeout=5)
        return returncode

    def kill(self):
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


@pytest.fixture
def watched(tmp_path):
    folder = tmp_path / "tin tức"  # Vietnamese and a space, as real folders have
    folder.mkdir()
    (folder / "sẵn có.txt").write_text(article("Giá vàng tăng mạnh", "Vàng lên đỉnh."),
                                       encoding="utf-8")
    index_path = tmp_path / "index"
    process = WatchProcess(folder, index_path)
    try:
        process.wait_for_line(": 1 added, 0 updated, 0 removed, 0 unchanged")
        yield folder, index_path, process
    finally:
        process.kill()


def test_watch_reflects_new_changed_slow_broken_and_deleted_files(watched):
    folder, index_path, process = watched
    delays = {}
    assert found(index_path, "giá vàng") == ["sẵn có.txt"]

    # A new file.
    (folder / "mới.txt").write_text(article("Xuất khẩu gạo kỷ lục", "Gạo sang châu Âu."),
                                    encoding="utf-8")
    delays["new file"] = wait_for(lambda: found(index_path, "xuất khẩu gạo") == ["mới.txt"],
                                  "the new file")

    # The same file changed.
    (folder / "mới.txt").write_text(article("Xuất khẩu cà phê tăng", "Cà phê sang Đức."),
                                    encoding="utf-8")
    delays["changed file"] = wait_for(
        lambda: found(index_path, "cà phê") == ["mới.txt"] and not found(index_path, "gạo"),
        "the changed file")

    # A file written slowly, in pieces, as a copy over a slow link: not indexed before
    # it is whole, as long as the pieces come faster than the settle time.
    pieces = ["Bóng đá Việt Nam thắng lớn\n", "Ngày phát hành: 3/2/2021 9:00:00 PM\n"]
    pieces += [f"Phần {n} của bài tường thuật trận đấu.\n" for n in range(1, 7)]
    pieces.append("Kết thúc bằng chiến thắng.\n")
    slow = folder / "chậm.txt"
    gaps_short = True
    with open(slow, "w", encoding="utf-8") as out:
        last = time.monotonic()
        for piece in pieces:
            out.write(piece)
            out.flush()
            gaps_short = gaps_short and time.monotonic() - last < SETTLE * 0.8
            last = time.monotonic()
            if gaps_short:
                assert "chậm.txt" not in found(index_path, "bóng đá"), \
                    "a file still being written was indexed"
            time.sleep(SETTLE * 0.3)
    delays["file written slowly (after its last piece)"] = wait_for(
        lambda: found(index_path, '"chiến thắng"') == ["chậm.txt"], "the slowly written file")

    # A file that cannot be read yet is reported, and read again when it changes.
    mark = len(process.lines)
    (folder / "hỏng.txt").write_bytes(b"\x00\x01\x02\x03 half a binary copy")
    process.wait_for_line("skipped: ", after=mark)
    assert "hỏng.txt" in "\n".join(process.lines[mark:])
    (folder / "hỏng.txt").write_text(article("Thời tiết miền Bắc", "Trời rét đậm."),
                                     encoding="utf-8")
    delays["file fixed after failing"] = wait_for(
        lambda: found(index_path, "rét đậm") == ["hỏng.txt"], "the fixed file")

    # A file that breaks keeps its last good version until it reads again.
    mark = len(process.lines)
    (folder / "mới.txt").write_bytes(b"")
    process.wait_for_line("skipped: ", after=mark)
    assert found(index_path, "cà phê") == ["mới.txt"]

    # A deleted file.
    (folder / "sẵn có.txt").unlink()
    delays["deleted file"] = wait_for(lambda: found(index_path, "giá vàng") == [],
                                      "the deleted file")

    assert process.stop() == 0
    assert process.lines[-1].startswith("Stopped watching")
    assert not any("Traceback" in line for line in process.lines)
    # What watch left is what a full re-run finds: nothing to add, update or remove
    # (and the empty file still unreadable, its last version kept).
    rerun = Index.open(index_path).add_paths([folder], prune=True)
    assert (rerun.added, rerun.updated, rerun.removed, rerun.unchanged, rerun.skipped) \
        == (0, 0, 0, 2, 1)
    assert sorted(found(index_path, "cà phê bóng đá rét")) == ["chậm.txt", "hỏng.txt",
                                                               "mới.txt"]
    print("\nvnsearch watch, seconds until searches saw the change:",
          {what: round(delay, 2) for what, delay in delays.items()})
    for what, delay in delays.items():
        assert delay < REFLECTED_WITHIN, what


def test_watch_library_reports_updates_and_stops_on_the_event(tmp_path):
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "a.txt").write_text(article("Giá xăng giảm", "Xăng giảm."), encoding="utf-8")
    index = Index.create(folder / "index")  # inside the watched folder: must be ignored
    updates, stop = [], threading.Event()
    thread = threading.Thread(target=watch, args=(index, [folder]),
                              kwargs={"on_update": updates.append, "stop_event": stop,
                                      "settle": 0.3})
    thread.start()
    try:
        wait_for(lambda: updates, "the initial sync")
        (folder / "b.txt").write_text(article("Giá điện tăng", "Điện tăng."),
                                      encoding="utf-8")
        wait_for(lambda: len(updates) >= 2, "the update for b.txt")
        time.sleep(1.0)  # the index's own writes must not come back as changes
    finally:
        stop.set()
        thread.join(timeout=10)
    assert not thread.is_alive()
    initial, added = updates[0], updates[1]
    assert isinstance(initial, WatchUpdate) and initial.initial
    assert initial.paths == [str(folder)] and initial.report.added == 1
    assert added.paths == [str(folder / "b.txt")] and added.report.added == 1
    assert len(updates) == 2, updates
    assert sorted(ids(index.search("giá"))) == ["a.txt", "b.txt"]


def test_watch_refuses_a_missing_folder(tmp_path):
    result = subprocess.run([sys.executable, "-m", "vnsearch", "watch",
                             str(tmp_path / "không có"), "--index", str(tmp_path / "ix")],
                            capture_output=True, text=True)
    assert result.returncode == 2
    assert "does not exist" in result.stderr and "Traceback" not in result.stderr


def test_watch_stops_cleanly_on_sigterm(tmp_path):
    (tmp_path / "docs").mkdir()
    process = WatchProcess(tmp_path / "docs", tmp_path / "index")
    try:
        process.wait_for_line(": 0 added, 0 updated, 0 removed, 0 unchanged")
        assert process.stop(signal.SIGTERM) == 0
        assert process.lines[-1].startswith("Stopped watching")
    finally:
        process.kill()
