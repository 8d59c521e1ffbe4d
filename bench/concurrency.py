"""Soak test: searches from other processes while a writer commits and merges nonstop.

    python -m bench.concurrency                 # 60 s, 2 searching processes of each kind
    python -m bench.concurrency --seconds 300 --searchers 3

One writer process rewrites 10 of 50 documents after another, each commit merging every
segment into one (so each commit deletes every file the state before it had). Searching
processes search in a loop, either opening the index for every search, as each
``vnsearch search`` does ("fresh"), or keeping one Index open ("kept"), and read every
hit's stored title. Prints the number of commits, searches and failures per kind; the
test suite runs the same for 12 s (tests/test_concurrency.py).
"""

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from vnsearch import Index

CHURN = '''
import functools, os, sys
from vnsearch import Index
from vnsearch.writing import FastSegmentWriter
FastSegmentWriter.commit = functools.partialmethod(FastSegmentWriter.commit, optimize=True)
path, stop = sys.argv[1:3]
index = Index.open(path)
commits = 0
while not os.path.exists(stop):
    index.add([{"id": f"c{(commits * 10 + i) % 50}", "title": f"Tin khẩn số {commits}",
                "body": "Giá vàng và lãi suất ngân hàng hôm nay."} for i in range(10)])
    commits += 1
print(commits)
'''

SEARCHER = '''
import collections, json, sys, time
from vnsearch import Index
path, how, seconds = sys.argv[1], sys.argv[2], float(sys.argv[3])
kept = Index.open(path)
searches, errors = 0, collections.Counter()
end = time.monotonic() + seconds
while time.monotonic() < end:
    try:
        index = kept if how == "kept" else Index.open(path)
        titles = [hit.title for hit in index.search("tin khẩn vàng", limit=5)]
        assert titles and all(titles), titles
    except Exception as error:
        errors[f"{type(error).__name__}: {error}"[:200]] += 1
    searches += 1
print(json.dumps([searches, dict(errors)]))
'''


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--searchers", type=int, default=2,
                        help="searching processes of each kind")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "index"
        Index.create(path).add([{"id": "first", "title": "Tin khẩn", "body": "Giá vàng."}])
        stop = Path(folder) / "stop"

        def python(code, *argv):
            return subprocess.Popen([sys.executable, "-c", code, *map(str, argv)],
                                    stdout=subprocess.PIPE, text=True)

        churn = python(CHURN, path, stop)
        time.sleep(1.0)
        searchers = [(how, python(SEARCHER, path, how, args.seconds))
                     for how in ("fresh", "kept") for _ in range(args.searchers)]
        totals = {"fresh": [0, {}], "kept": [0, {}]}
        for how, process in searchers:
            searches, errors = json.loads(process.communicate()[0])
            totals[how][0] += searches
            for error, count in errors.items():
                totals[how][1][error] = totals[how][1].get(error, 0) + count
        stop.touch()
        commits = int(churn.communicate()[0])
    print(f"machine: {platform.machine()}, {os.cpu_count()} cpus, load "
          f"{os.getloadavg()[0]:.1f}, python {platform.python_version()}")
    print(f"{args.seconds:.0f} s, {commits} commits ({commits / args.seconds:.1f}/s)")
    for how, (searches, errors) in totals.items():
        failed = sum(errors.values())
        print(f"{how}: {searches} searches, {failed} failed")
        for error, count in sorted(errors.items(), key=lambda item: -item[1]):
            print(f"  {count} × {error}")


if __name__ == "__main__":
    main()
