"""Killing the indexer for real (SIGKILL) at several moments, then reopening and re-running.

An indexing run commits every ``Index.commit_every`` documents; whatever moment it dies,
the index must open, answer with the last committed state (a whole number of commits),
leave no lock and no process behind, and a re-run must end where a clean build ends.
"""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from vnsearch import Index, IndexBusyError
from vnsearch.locking import WHOOSH_LOCK, WRITER_FILE

from test_concurrency import write_feed

pytestmark = pytest.mark.skipif(not os.path.isdir("/proc/self"),
                                reason="kills with SIGKILL and looks for survivors in /proc")

DOCUMENTS = 3000
COMMIT = 200
QUERIES = ["giá vàng", '"ngân hàng" -"lãi suất"', "dau khi ha noi"]

INDEXER = '''
import sys
from vnsearch import Index
Index.commit_every = int(sys.argv[3])
index = Index.open_or_create(sys.argv[1])
print("started", flush=True)
print(index.add_paths([sys.argv[2]]).added, flush=True)
'''

# The same, but it stops inside its second commit, after Whoosh has written the new
# segment and table of contents and just before renaming the table into place: the
# moment when a commit is all written but not yet made.
INDEXER_STOPPING_IN_A_COMMIT = '''
import time
from whoosh.filedb.filestore import FileStorage
rename = FileStorage.rename_file
commits = []
def rename_slowly(self, source, target, safe=False):
    if target.endswith(".toc") and not target.endswith("_0.toc"):  # _0: creating it
        commits.append(target)
        if len(commits) == 2:
            print("committing", flush=True)
            time.sleep(600)
    return rename(self, source, target, safe)
FileStorage.rename_file = rename_slowly
''' + INDEXER


def start(script, index_path, feed):
    process = subprocess.Popen([sys.executable, "-c", script, str(index_path), str(feed),
                                str(COMMIT)], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    assert process.stdout.readline().strip() == "started", process.stderr.read()
    return process


def kill(process):
    """SIGKILL ``process``; False if it had already finished its work."""
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    process.stdout.close()
    process.stderr.close()
    assert process.returncode in (0, -signal.SIGKILL)
    return process.returncode == -signal.SIGKILL


def processes_mentioning(text):
    """Pids of running (not zombie) processes whose command line contains ``text``."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if text in (entry / "cmdline").read_bytes().decode(errors="replace") and \
                    (entry / "stat").read_text().split(") ")[1][0] != "Z":
                found.append(int(entry.name))
        except OSError:
            continue
    return found


def lock_is_free(index_path):
    from whoosh.filedb.filestore import FileStorage
    manifest = json.loads((index_path / "vnsearch.json").read_text())
    lock = FileStorage(str(index_path / f"gen-{manifest['generation']}")).lock(WHOOSH_LOCK)
    if not lock.acquire():
        return False
    lock.release()
    return True


def scores(index, query):
    return {hit.id: hit.score for hit in index.search(query, limit=DOCUMENTS)}


def assert_same_results(index, clean, query):
    """Same matches; scores equal up to Whoosh's field-length rounding.

    A merge of segments keeps each document's field length as the one-byte
    approximation Whoosh stores, so the average length behind BM25 depends a little
    on the commit and merge history: here within 2 %.
    """
    got, expected = scores(index, query), scores(clean, query)
    assert got.keys() == expected.keys(), query
    assert got == pytest.approx(expected, rel=0.02), query


def check_committed_state(index_path, clean_ids, at_least):
    """The index after a kill: opens, answers, holds whole commits only."""
    deadline = time.monotonic() + 5
    while processes_mentioning(str(index_path)) and time.monotonic() < deadline:
        time.sleep(0.1)  # analysis workers notice their parent is gone
    assert processes_mentioning(str(index_path)) == []
    assert lock_is_free(index_path)
    index = Index.open(index_path)
    count = len(index)
    assert count % COMMIT == 0 or count == DOCUMENTS
    assert count >= at_least
    # Documents are written in feed order, so a committed state is a prefix of it.
    stored = {stored["id"] for stored in
              index._current_searcher().reader().all_stored_fields()}
    assert stored == {f"tin-{number:05d}" for number in range(count)} <= clean_ids
    assert index.search("khẩn", limit=1).total == (count + 3) // 4
    assert index.info().documents == count
    return count


def test_killed_indexer_keeps_the_last_commit_and_a_rerun_completes(tmp_path):
    feed = write_feed(tmp_path / "feed.jsonl", DOCUMENTS, seed=7)
    clean = Index.create(tmp_path / "clean")
    started = time.monotonic()
    assert clean.add_paths([feed]).added == DOCUMENTS
    build = time.monotonic() - started  # kill times are fractions of it, to land mid-way
    clean_ids = {stored["id"] for stored in
                 clean._current_searcher().reader().all_stored_fields()}
    index_path = tmp_path / "killed"
    counts = {}

    # Killed inside its second commit: exactly the first one is there.
    process = start(INDEXER_STOPPING_IN_A_COMMIT, index_path, feed)
    assert process.stdout.readline().strip() == "committing"
    writer_pid = process.pid
    assert kill(process)
    counts["in the 2nd commit"] = check_committed_state(index_path, clean_ids, 0)
    assert counts["in the 2nd commit"] == COMMIT
    # The killed writer's note is left behind; it must not be taken for the holder.
    generation = json.loads((index_path / "vnsearch.json").read_text())["generation"]
    note = index_path / f"gen-{generation}" / WRITER_FILE
    assert json.loads(note.read_text())["pid"] == writer_pid
    from whoosh.filedb.filestore import FileStorage
    foreign = FileStorage(str(note.parent)).lock(WHOOSH_LOCK)  # a holder that leaves no note
    assert foreign.acquire()
    try:
        index = Index.open(index_path)
        index.lock_timeout = 0.2
        with pytest.raises(IndexBusyError) as error:
            index.delete(["tin-00000"])
        assert f"process {writer_pid}" not in str(error.value)
        assert "busy: another process is writing to it" in str(error.value)
    finally:
        foreign.release()

    # Killed at moments chosen by the clock: each run goes on from the last commit.
    killed = 0
    for share in (0.3, 0.6, 1.0):
        before = max(counts.values())
        process = start(INDEXER, index_path, feed)
        time.sleep(share * build)
        killed += kill(process)
        counts[f"after {share * build:.1f} s"] = check_committed_state(index_path, clean_ids,
                                                                      before)
    assert killed >= 2, f"the indexer kept finishing before it was killed: {counts}"

    # The re-run does the rest, and ends where the clean build ended.
    process = start(INDEXER, index_path, feed)
    out, err = process.communicate(timeout=120)
    assert process.returncode == 0, err
    assert int(out) == DOCUMENTS - max(counts.values())
    rerun = Index.open(index_path)
    assert check_committed_state(index_path, clean_ids, 0) == DOCUMENTS
    for query in QUERIES:
        assert_same_results(rerun, clean, query)
    print(f"\nclean build {build:.1f} s; documents after each kill (commit every {COMMIT} "
          f"of {DOCUMENTS}): {counts}")


def test_commits_come_every_commit_seconds_however_few_documents_that_is(tmp_path):
    # A slow machine, or long documents, must not put more than commit_seconds of work
    # at risk: a kill then loses at most that.
    feed = write_feed(tmp_path / "feed.jsonl", 6000, seed=5)
    index = Index.create(tmp_path / "index")
    indexer = subprocess.Popen(
        [sys.executable, "-c", "import sys\nfrom vnsearch import Index\n"
         "Index.commit_every = 10 ** 6\nIndex.commit_seconds = 0.1\n"
         "Index.open(sys.argv[1]).add_paths([sys.argv[2]])", str(index.path), str(feed)],
        stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 120
        while len(Index.open(index.path)) == 0 and indexer.poll() is None:
            assert time.monotonic() < deadline
            time.sleep(0.05)
        running = indexer.poll() is None
        indexer.send_signal(signal.SIGKILL)
    finally:
        indexer.wait()
    assert running, "nothing was committed before the whole run was"
    kept = len(Index.open(index.path))
    assert 0 < kept < 6000
    rerun = subprocess.run([sys.executable, "-m", "vnsearch", "index", str(feed), "--index",
                            str(index.path)], capture_output=True, text=True)
    assert rerun.returncode == 0, rerun.stderr
    assert f"{kept} unchanged" in rerun.stderr and len(Index.open(index.path)) == 6000


def test_ctrl_c_stops_indexing_at_once_with_one_line_saying_what_was_kept(tmp_path):
    feed = write_feed(tmp_path / "feed.jsonl", 6000, seed=6)
    Index.create(tmp_path / "index")
    # Its own process group, so that the SIGINT reaches the workers too, as a
    # terminal's Ctrl-C does.
    indexer = subprocess.Popen(
        [sys.executable, "-c", "import sys\nfrom vnsearch import Index\nfrom vnsearch.cli "
         "import main\nIndex.commit_every = 300\nsys.argv[0] = 'vnsearch'\nmain()",
         "index", str(feed), "--index", str(tmp_path / "index")],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    deadline = time.monotonic() + 120
    while len(Index.open(tmp_path / "index")) < 300:  # workers busy, a commit done
        assert indexer.poll() is None and time.monotonic() < deadline
        time.sleep(0.05)
    os.killpg(indexer.pid, signal.SIGINT)
    interrupted = time.monotonic()
    out, err = indexer.communicate(timeout=30)
    stopped = time.monotonic() - interrupted
    kept = len(Index.open(tmp_path / "index"))
    assert indexer.returncode == 130
    assert stopped < 3, f"took {stopped:.1f} s to stop"
    assert "Traceback" not in err and "KeyboardInterrupt" not in err
    assert err.splitlines()[-1] == (
        f"Interrupted: {kept} documents were committed and are kept; run the same "
        f"command again to index the rest.")
    assert [line for line in err.splitlines() if not line.startswith("Indexing")] == \
        [err.splitlines()[-1]]
    assert 300 <= kept < 6000
