"""Query latency on an index built beforehand, each query run twice in one process.

    python -m bench.passes INDEX CORPUS.jsonl.gz [--per-length 40] [--seed 0]

Queries of 1–5 title words (:func:`bench.speed.title_queries` over every third article
of the corpus the index was built from), top 10 with every hit's snippet read. Pass 0 is
the first time each query runs (the process's caches of lexicons and posting lists are
cold); pass 1 runs them all again, after the others. Prints p50, p95 and the slowest
queries of each pass. To compare two checkouts, run it from each in turn, alternating.
"""

import argparse
import sys
import time

from bench.common import load_corpus
from bench.speed import title_queries
from vnsearch import Index


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("index")
    parser.add_argument("corpus")
    parser.add_argument("--per-length", type=int, default=40)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    docs = load_corpus([args.corpus])[::3]
    by_length = title_queries(docs, args.per_length, args.seed)
    queries = [q for length in range(1, 6) for q in by_length[length]]
    with Index.open(args.index) as index:
        for number in range(2):
            times = []
            for query in queries:
                started = time.perf_counter()
                [(hit.id, hit.snippet) for hit in index.search(query, limit=10)]
                times.append((time.perf_counter() - started, query))
            ordered = sorted(seconds for seconds, _ in times)
            print(f"pass {number}: p50 {ordered[len(ordered) // 2] * 1e3:.1f} ms, "
                  f"p95 {ordered[int(len(ordered) * 0.95)] * 1e3:.1f} ms, "
                  f"max {ordered[-1] * 1e3:.0f} ms")
            for seconds, query in sorted(times, reverse=True)[:6]:
                print(f"  {seconds * 1e3:.0f} ms  {query}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
