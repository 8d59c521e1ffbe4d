"""Several real processes on one index: searches while writing, two writers, rebuilds.

Every process here is a separate Python interpreter (``python -c`` or ``python -m
vnsearch``), so Whoosh's file locks and the atomic swaps are exercised as in production.
"""

import json
import os
import random
import subprocess
import sys
import time


from vnsearch import Index

WORDS = ("công nghệ, thông tin, kinh tế, xã hội, dầu khí, giáo dục, học sinh, thành phố, "
         "Hà Nội, nông nghiệp, thuỷ lợi, bóng đá, y tế, bệnh viện, chính phủ, quốc hội, "
         "doanh nghiệp, ngân hàng, lãi suất, giá vàng, xuất khẩu, cà phê, du lịch, "
         "môi trường, giao thông, đường sắt, sân bay, hoà bình, khoa học, văn hoá").split(", ")

COMMIT = 200
DOCUMENTS = 1200


def write_feed(path, count, seed=0):
    """``count`` generated articles as JSON Lines, ids in order.

    Every fourth one (number 0, 4, 8...) is "khẩn", a word nothing else has, even
    without diacritics, so a search for it counts a prefix of the feed: (n + 3) // 4.
    """
    rnd = random.Random(seed)
    with open(path, "w", encoding="utf-8") as out:
        for number in range(count):
            kind = "Tin khẩn" if number % 4 == 0 else "Bản tin"
            document = {"id": f"tin-{number:05d}",
                        "title": " ".join(rnd.choices(WORDS, k=5)),
                        "date": f"2021-{number % 12 + 1:02d}-{number % 28 + 1:02d}",
                        "body": f"{kind} " + " ".join(rnd.choices(WORDS, k=20)) + "."}
            out.write(json.dumps(document, ensure_ascii=False) + "\n")
    return path


def python(code, *args, **kwargs):
    return subprocess.Popen([sys.executable, "-c", code, *map(str, args)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            **kwargs)


def vnsearch(*args, env=None):
    return subprocess.run([sys.executable, "-m", "vnsearch", *map(str, args)],
                          capture_output=True, text=True, env={**os.environ, **(env or {})})


# A reader: searches until the stop file appears, alternating between one long-lived
# Index and a freshly opened one, and prints what it saw as one JSON list.
READER = '''
import json, os, sys, time
from vnsearch import Index
path, stop, query = sys.argv[1:4]
kept = Index.open(path)
seen = []
print("ready", flush=True)
while not os.path.exists(stop):
    index = kept if len(seen) % 2 else Index.open(path)
    try:
        results = index.search(query, limit=3)
        seen.append({"count": len(index), "total": results.total,
                     "top": [hit.id for hit in results],
                     "generation": index._manifest["generation"]})
    except Exception as error:
        seen.append({"error": repr(error)})
    time.sleep(0.01)  # leave some processor time to the writer
print(json.dumps(seen))
'''


class Readers:
    """Reader processes running until stopped; ``stop()`` returns what each one saw."""

    def __init__(self, index_path, tmp_path, query, count=2):
        self.stop_file = tmp_path / "stop-readers"
        self.processes = [python(READER, index_path, self.stop_file, query)
                          for _ in range(count)]
        for process in self.processes:
            assert process.stdout.readline().strip() == "ready", process.stderr.read()

    def stop(self):
        self.stop_file.touch()
        seen = []
        for process in self.processes:
            out, err = process.communicate(timeout=60)
            assert process.returncode == 0, err
            seen.append(json.loads(out))
        return seen


def test_searches_in_other_processes_never_fail_while_one_writes(tmp_path):
    feed = write_feed(tmp_path / "feed.jsonl", DOCUMENTS)
    Index.create(tmp_path / "index")
    readers = Readers(tmp_path / "index", tmp_path, "khẩn")
    writer = python("import sys\nfrom vnsearch import Index\n"
                    f"Index.commit_every = {COMMIT}\n"
                    "print(Index.open(sys.argv[1]).add_paths([sys.argv[2]]).added)",
                    tmp_path / "index", feed)
    cli_searches = []
    while writer.poll() is None:
        cli_searches.append(vnsearch("search", "khẩn", "--json", "--limit", "1",
                                     "--index", tmp_path / "index"))
        time.sleep(0.2)
    out, err = writer.communicate()
    assert writer.returncode == 0 and out.strip() == str(DOCUMENTS), err
    seen = readers.stop()

    committed_states = set(range(0, DOCUMENTS + 1, COMMIT))
    for observations in seen:
        assert [o for o in observations if "error" in o] == []
        counts = [o["count"] for o in observations]
        assert set(counts) <= committed_states
        assert {o["total"] for o in observations} <= {(n + 3) // 4 for n in committed_states}
        assert counts == sorted(counts)  # a commit, once seen, stays seen
    all_counts = {o["count"] for observations in seen for o in observations}
    assert all_counts & set(range(COMMIT, DOCUMENTS, COMMIT)), \
        f"the readers saw no intermediate state: {sorted(all_counts)}"
    for result in cli_searches:
        assert result.returncode == 0, result.stderr
        assert "Traceback" not in result.stderr
    assert len(Index.open(tmp_path / "index")) == DOCUMENTS


# Holds the write lock, through the library, until its stdin is closed.
HOLDER = '''
import sys
from vnsearch import Index
with Index.open(sys.argv[1])._locked_writer():
    print("holding", flush=True)
    sys.stdin.read()
'''


def hold_lock(index_path):
    holder = python(HOLDER, index_path, stdin=subprocess.PIPE)
    assert holder.stdout.readline().strip() == "holding", holder.stderr.read()
    return holder


def release(holder):
    holder.stdin.close()
    assert holder.wait(timeout=30) == 0


def test_second_writer_waits_then_says_who_holds_the_index(tmp_path):
    feed = write_feed(tmp_path / "feed.jsonl", 5)
    Index.create(tmp_path / "index")
    holder = hold_lock(tmp_path / "index")
    try:
        started = time.monotonic()
        result = vnsearch("index", feed, "--index", tmp_path / "index",
                          env={"VNSEARCH_LOCK_TIMEOUT": "1"})
        waited = time.monotonic() - started
    finally:
        release(holder)
    assert result.returncode == 1
    message = result.stderr.splitlines()[-1]
    assert message.startswith(
        f"Error: The index at {tmp_path / 'index'} is busy: process {holder.pid} (python) "
        f"since ")
    assert message.endswith(
        " is writing to it. Try again when it has finished, or wait longer by setting "
        "VNSEARCH_LOCK_TIMEOUT (seconds).")
    assert "Traceback" not in result.stderr and "LockError" not in result.stderr
    assert waited >= 1.0
    assert len(Index.open(tmp_path / "index")) == 0


def test_second_writer_proceeds_when_the_first_finishes_within_the_timeout(tmp_path):
    feed = write_feed(tmp_path / "feed.jsonl", 5)
    Index.create(tmp_path / "index")
    holder = hold_lock(tmp_path / "index")
    started = time.monotonic()
    second = subprocess.Popen([sys.executable, "-m", "vnsearch", "index", str(feed),
                               "--index", str(tmp_path / "index")],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              env={**os.environ, "VNSEARCH_LOCK_TIMEOUT": "30"})
    time.sleep(1.5)
    assert second.poll() is None  # still waiting
    release(holder)
    out, err = second.communicate(timeout=60)
    assert second.returncode == 0, err
    assert "5 added" in err and time.monotonic() - started >= 1.5
    assert len(Index.open(tmp_path / "index")) == 5


def test_every_search_sees_the_old_or_the_new_index_during_rebuilds(tmp_path):
    feed = write_feed(tmp_path / "feed.jsonl", 400, seed=1)
    index = Index.create(tmp_path / "index")
    index.add_paths([feed])
    query = "giá vàng ngân hàng"
    before = index.search(query, limit=3)
    expected = (400, before.total, [hit.id for hit in before])
    assert 0 < before.total < 400
    readers = Readers(tmp_path / "index", tmp_path, query)
    for _ in range(2):  # the second rebuild also deletes gen-1, which readers may have open
        result = vnsearch("rebuild", "--index", tmp_path / "index")
        assert result.returncode == 0, result.stderr
    time.sleep(0.3)
    seen = readers.stop()

    for observations in seen:
        assert [o for o in observations if "error" in o] == []
        assert [o for o in observations
                if (o["count"], o["total"], o["top"]) != expected] == []
    generations = {o["generation"] for observations in seen for o in observations}
    assert {1, 3} <= generations, f"the readers did not overlap the rebuilds: {generations}"
    assert sorted(p.name for p in (tmp_path / "index").glob("gen-*")) == ["gen-3"]


def test_two_writers_indexing_the_same_files_at_once_leave_each_document_once(tmp_path):
    # Both analyse everything before either writes; the second to take the lock must
    # notice the first one's commits instead of adding every document a second time.
    feed = write_feed(tmp_path / "feed.jsonl", 300, seed=2)
    Index.create(tmp_path / "index")
    script = ("import sys\nfrom vnsearch import Index\nreport = Index.open(sys.argv[1])"
              ".add_paths([sys.argv[2]])\nprint(report.added, report.unchanged)")
    writers = [python(script, tmp_path / "index", feed) for _ in range(2)]
    results = [writer.communicate(timeout=120) for writer in writers]
    assert [writer.returncode for writer in writers] == [0, 0], results
    reports = sorted(tuple(map(int, out.split())) for out, _ in results)
    assert sum(added for added, _ in reports) == 300
    assert sum(added + unchanged for added, unchanged in reports) == 600
    index = Index.open(tmp_path / "index")
    stored = [fields["id"] for fields in index._current_searcher().reader().all_stored_fields()]
    assert len(index) == len(stored) == len(set(stored)) == 300


# Rewrites 10 of 50 documents after another until the stop file appears, each commit
# merging every segment into one: each commit deletes every file the state before it
# had, the most a reader can meet.
CHURN = '''
import functools, os, sys
from vnsearch import Index
from vnsearch.writing import FastSegmentWriter
FastSegmentWriter.commit = functools.partialmethod(FastSegmentWriter.commit, optimize=True)
path, stop = sys.argv[1:3]
index = Index.open(path)
commits = 0
print("ready", flush=True)
while not os.path.exists(stop):
    report = index.add([{"id": f"c{(commits * 10 + i) % 50}", "title": f"Tin khẩn số {commits}",
                         "body": "Giá vàng và lãi suất ngân hàng hôm nay."} for i in range(10)])
    assert report.indexed == 10
    commits += 1
print(commits)
'''

# Searches as fast as it can for ``seconds``, opening the index for every search
# ("fresh") or keeping one Index open ("kept"); every hit's title is read from the
# stored fields. Prints (searches, [errors]) as JSON.
SEARCHER = '''
import json, sys, time
from vnsearch import Index
path, how, seconds = sys.argv[1], sys.argv[2], float(sys.argv[3])
kept = Index.open(path)
searches, errors = 0, []
print("ready", flush=True)
end = time.monotonic() + seconds
while time.monotonic() < end:
    try:
        index = kept if how == "kept" else Index.open(path)
        titles = [hit.title for hit in index.search("tin khẩn vàng", limit=5)]
        assert titles and all(titles), titles
        len(index)
    except Exception as error:
        errors.append(f"{type(error).__name__}: {error}")
    searches += 1
print(json.dumps([searches, errors[:5], len(errors)]))
'''


def test_searches_never_fail_while_a_writer_commits_and_merges_nonstop(tmp_path):
    # Many times more commits and merges a second than any real indexing run, so that
    # a race once in thousands of searches shows within seconds (python -m
    # bench.concurrency runs the same for longer and counts).
    index = Index.create(tmp_path / "index")
    index.add([{"id": "first", "title": "Tin khẩn", "body": "Giá vàng."}])
    stop = tmp_path / "stop"
    churn = python(CHURN, index.path, stop)
    assert churn.stdout.readline().strip() == "ready", churn.stderr.read()
    searchers = [python(SEARCHER, index.path, how, 12) for how in ("fresh", "kept")]
    for searcher in searchers:
        assert searcher.stdout.readline().strip() == "ready", searcher.stderr.read()
    outcomes = []
    for searcher in searchers:
        out, err = searcher.communicate(timeout=120)
        assert searcher.returncode == 0, err
        outcomes.append(json.loads(out))
    stop.touch()
    out, err = churn.communicate(timeout=120)
    assert churn.returncode == 0, err
    commits = int(out)
    assert commits >= 20, f"the writer made only {commits} commits"
    print("commits, (searches, failures):", commits, [(n, failed) for n, _, failed in outcomes])
    for searches, errors, failed in outcomes:
        assert failed == 0, f"{failed} of {searches} searches failed: {errors}"
    assert len(Index.open(index.path)) == 51
