"""Indexing analysis: CPU per article, and documents per second through Index.add.

    python -m bench.analysis                          # 1,000 articles, 5 runs; no build
    python -m bench.analysis --index-docs 3000 --index-runs 2

Times ``vnsearch.schema.prepare`` (the analysis of every indexed field: normalisation,
segmentation, terms and encoded positions) on the title and body of real news articles,
against the implementation it replaced (kept as the reference of the tests, in
``tests/previous_analysis.py``), alternating the two in one process so that a machine
busy with other work slows both alike; it checks first that both give the same
postings for every text. With ``--index-docs``, it also builds a fresh index of that
many articles through ``Index.add`` (worker processes included) with each in turn, and
reports documents per second. Process CPU time per article, medians of the runs.
"""

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

from bench.common import (DEFAULT_DATA_DIR, REPO_ROOT, DataMissingError, data_file,
                          describe_load, describe_machine, load_corpus)


def previous_prepare():
    """The replaced ``schema.prepare`` (kept in the tests as their reference)."""
    sys.path.insert(0, str(REPO_ROOT / "tests"))
    import previous_analysis
    return previous_analysis.prepare


def contents(prepared):
    return (prepared.terms, prepared.frequencies.tobytes(), prepared.positions,
            prepared.position_lengths.tobytes(), prepared.length, prepared.pairs)


def cpu_per_article(functions, texts, articles, runs):
    """Median process CPU ms per article of each function, passes alternating."""
    times = {name: [] for name in functions}
    for _ in range(runs):
        for name, function in functions.items():
            start = time.process_time()
            for text in texts:
                function(text)
            times[name].append((time.process_time() - start) * 1000 / articles)
    return {name: statistics.median(values) for name, values in times.items()}


def build_rate(prepare, docs):
    """Documents per second (wall time) of ``Index.add(docs)`` into a fresh index, with
    ``schema.prepare`` replaced by ``prepare`` (worker processes fork with it)."""
    from vnsearch import Index, schema
    original = schema.prepare
    schema.prepare = prepare
    try:
        with tempfile.TemporaryDirectory() as folder:
            index = Index.create(Path(folder) / "index")
            start = time.perf_counter()
            index.add(docs)
            return len(docs) / (time.perf_counter() - start)
    finally:
        schema.prepare = original


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--docs", type=int, default=1000, help="articles to analyse")
    parser.add_argument("--runs", type=int, default=5, help="timed passes; the median counts")
    parser.add_argument("--index-docs", type=int, default=0,
                        help="articles to index through Index.add (0: skip)")
    parser.add_argument("--index-runs", type=int, default=1,
                        help="builds with each implementation, alternating")
    parser.add_argument("--corpus", default="news_dated.jsonl.gz",
                        help="a .jsonl(.gz) file of articles, in --data-dir or a path")
    parser.add_argument("--data-dir", default=DEFAULT_DATA_DIR, help="the shared data folder")
    args = parser.parse_args(argv)
    try:
        path = data_file(args.data_dir, args.corpus)
    except DataMissingError as error:
        sys.exit(str(error))

    from vnsearch import schema, segment
    previous = previous_prepare()
    segment.segment("khởi động")  # the model loads once, outside the timings

    docs = load_corpus(path, limit=max(args.docs, args.index_docs))
    texts = [doc[key] or "" for doc in docs[:args.docs] for key in ("title", "body")]
    print(f"# Indexing analysis: {args.docs} articles of {path.name}, "
          f"{sum(map(len, texts)) / args.docs:,.0f} characters each on average")
    print(f"# {describe_machine()}")
    print(f"# {describe_load()} at the start")

    different = [text for text in texts if contents(schema.prepare(text))
                 != contents(previous(text))]
    print(f"identical postings: {len(texts) - len(different)} of {len(texts)} texts")
    if different:
        print(f"first difference: {different[0][:200]!r}")
        return 1

    functions = {"previous": previous, "current": schema.prepare}
    ms = cpu_per_article(functions, texts, args.docs, args.runs)
    print(f"\nschema.prepare, CPU ms per article (title + body), median of {args.runs} "
          f"alternating runs:")
    for name, value in ms.items():
        print(f"  {name:9} {value:7.2f}")
    print(f"  speed-up  {ms['previous'] / ms['current']:7.2f}x")

    if args.index_docs:
        batch = docs[:args.index_docs]
        rates = {name: [] for name in functions}
        for _ in range(args.index_runs):
            for name, function in functions.items():
                rates[name].append(build_rate(function, batch))
        print(f"\nIndex.add of {len(batch)} articles into a fresh index, documents/s "
              f"(wall), median of {args.index_runs}:")
        for name, values in rates.items():
            shown = ", ".join(f"{v:.1f}" for v in values)
            print(f"  {name:9} {statistics.median(values):7.1f}   ({shown})")
        ratio = statistics.median(rates["current"]) / statistics.median(rates["previous"])
        print(f"  speed-up  {ratio:7.2f}x")
    print(f"# {describe_load()} at the end")
    return 0


if __name__ == "__main__":
    sys.exit(main())
