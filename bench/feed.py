"""A feed during a big merge: how long until new articles are searchable, and searches.

    python -m bench.feed --from /tmp/big-index --corpus corpus-100k.jsonl.gz \\
        --skip 60000 --merge-articles 4000 --feed 1000

Copies the index in ``--from`` (never modified) into a scratch folder, then, in real
processes: a first writer adds ``--merge-articles`` new articles, whose commit makes a
merge due (an index of seven segments of ~4,000 plus this one: eight are merged); as
soon as that commit is visible, a second writer adds ``--feed`` more and we time it
until they are searchable. Meanwhile this process runs 1–5-word title queries in a loop,
before the merge (baseline) and while it runs. Reported: the first writer's merge time,
the second writer's time until searchable (it waits for the lock as long as needed),
query p50/p95 before and during the merge. Run it from another checkout to compare
implementations.
"""

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.common import (describe_load, describe_machine, format_table, load_corpus,
                          percentile, progress)

WRITER = r'''
import json, sys, time
from vnsearch import Index
path, corpus, skip, count, prefix = sys.argv[1:6]
from itertools import islice
from bench.common import read_jsonl
docs = [dict(d, id=prefix + str(d["id"])) for d in
        islice(read_jsonl(corpus), int(skip), int(skip) + int(count))]
index = Index.open(path)
index.lock_timeout = 24 * 3600
started = time.time()
report = index.add(docs)
print(json.dumps({"started": started, "finished": time.time(), "added": report.added}))
'''


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--from", dest="source", required=True, help="index folder to copy")
    parser.add_argument("--corpus", required=True, help=".jsonl(.gz) of articles to add")
    parser.add_argument("--skip", type=int, default=0,
                        help="articles of --corpus to skip (those already indexed)")
    parser.add_argument("--merge-articles", type=int, default=4000)
    parser.add_argument("--feed", type=int, default=1000)
    parser.add_argument("--queries", type=int, default=100, help="distinct queries")
    parser.add_argument("--workdir", default=None)
    args = parser.parse_args(argv)

    print(describe_machine(), describe_load(), sep="\n")
    work = Path(args.workdir or tempfile.mkdtemp(prefix="vnsearch-feed-"))
    copy = work / "index"
    progress(f"copying {args.source} …")
    shutil.copytree(args.source, copy)
    try:
        queries = _queries(args.corpus, args.skip, args.queries)
        from vnsearch import Index
        reader = Index.open(copy)
        before_docs = len(reader)
        progress("queries before the merge …")
        before = _timed(reader, queries, until=lambda: False, rounds=2)

        first = _writer(copy, args.corpus, args.skip, args.merge_articles, "merge-")
        progress("first writer: adding and merging …")
        while len(reader) < before_docs + args.merge_articles:
            if first.poll() is not None:
                raise SystemExit(f"the first writer stopped: {first.stderr.read()}")
            time.sleep(0.2)
        committed = time.time()
        progress("its commit is visible: second writer (the feed) starts …")
        second = _writer(copy, args.corpus, args.skip + args.merge_articles, args.feed,
                         "feed-")
        during = _timed(reader, queries, until=lambda: first.poll() is not None)
        fed = json.loads(second.communicate()[0].strip().splitlines()[-1])
        merged = json.loads(first.communicate()[0].strip().splitlines()[-1])
        assert len(Index.open(copy)) == before_docs + args.merge_articles + args.feed
        rows = [
            ["first writer: add + merge, s", merged["finished"] - merged["started"]],
            ["  of which after its commit was visible, s", merged["finished"] - committed],
            ["feed of %d: until searchable, s" % args.feed, fed["finished"] - fed["started"]],
            ["  feed done before the first writer returned", "yes"
             if fed["finished"] < merged["finished"]
             else "no"],
            ["queries before: n, p50, p95 ms", _summary(before)],
            ["queries during the merge: n, p50, p95 ms", _summary(during)],
        ]
        print(format_table(["", "value"], rows))
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _queries(corpus, skip, count):
    """Title words of articles already indexed, 1–5 words, as bench.speed makes them."""
    from bench.speed import title_queries
    docs = load_corpus([corpus], limit=skip or None)
    per_length = max(1, count // 5)
    queries = title_queries(docs[::max(1, len(docs) // 5000)], per_length, 0)
    return [q for length in range(1, 6) for q in queries[length]]


def _writer(path, corpus, skip, count, prefix):
    return subprocess.Popen([sys.executable, "-c", WRITER, str(path), str(corpus), str(skip),
                             str(count), prefix], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def _timed(index, queries, until, rounds=None):
    """Latencies (s) of the queries with snippets, in a loop until ``until()``."""
    seconds = []
    done = 0
    while (rounds is not None and done < rounds) or (rounds is None and not until()):
        for query in queries:
            started = time.perf_counter()
            [(hit.id, hit.snippet) for hit in index.search(query, limit=10)]
            seconds.append(time.perf_counter() - started)
            if rounds is None and until():
                break
        done += 1
    return seconds


def _summary(seconds):
    if not seconds:
        return "-"
    return (f"{len(seconds)}, {statistics.median(seconds) * 1000:.0f}, "
            f"{percentile(seconds, 95) * 1000:.0f}")


if __name__ == "__main__":
    main()
