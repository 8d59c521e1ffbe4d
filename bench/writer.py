"""The writing process's CPU per article while ``Index.add`` builds an index.

    python -m bench.writer --corpus /tmp/c50k.jsonl.gz --docs 3000 --runs 2
    python -m bench.writer --corpus /tmp/c50k.jsonl.gz --docs 3000 --profile out.prof

Analysis runs in worker processes (:mod:`vnsearch.parallel`), so the CPU time of the
process calling ``Index.add`` is the writer's: adding prepared documents, sorting and
encoding postings, the term table, stored fields and commits. Reports that per article
and documents per second (wall time), medians of the runs, and the machine's load.
"""

import argparse
import cProfile
import statistics
import tempfile
import time
from pathlib import Path

from bench.common import describe_load, load_corpus


def build(docs, profile=None):
    """(writer CPU ms per article, documents per second) of one fresh build."""
    from vnsearch import Index
    with tempfile.TemporaryDirectory() as folder:
        index = Index.create(Path(folder) / "index")
        profiler = cProfile.Profile() if profile else None
        start, cpu = time.perf_counter(), time.process_time()
        if profiler:
            profiler.enable()
        index.add(docs)
        if profiler:
            profiler.disable()
            profiler.dump_stats(profile)
        cpu = time.process_time() - cpu
        wall = time.perf_counter() - start
        index.close()
    return cpu * 1000 / len(docs), len(docs) / wall


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", required=True)
    parser.add_argument("--docs", type=int, default=3000)
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--profile", help="write a cProfile of one build here")
    args = parser.parse_args(argv)
    docs = load_corpus(args.corpus, limit=args.docs)
    if args.profile:
        print("writer CPU %.2f ms/article, %.1f docs/s (profiled)"
              % build(docs, args.profile))
        return
    results = [build(docs) for _ in range(args.runs)]
    print("%d articles, %d runs: writer CPU %.2f ms/article, %.1f docs/s; %s"
          % (len(docs), args.runs, statistics.median(r[0] for r in results),
             statistics.median(r[1] for r in results), describe_load()))


if __name__ == "__main__":
    main()
