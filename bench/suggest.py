"""Search-as-you-type latency: ``Index.suggest`` and ``search(..., prefix=True)`` on news_dated.

Prefixes are what a user types on the way to a headline: the first 1–4 words of a
sampled title (accented as written, and unaccented) and 1–3 letters of the next word,
lower-cased. Each prefix is completed once, after warm-up; the table gives the median
and p95. Reading the index's lexicon (once per committed state, then cached in the
index folder) is timed apart: built from the index, and loaded from the cache file.

    python -m bench.suggest                       # builds news_dated in a temporary folder
    python -m bench.suggest --index ./news-index  # an index of news_dated already built
"""

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path

from bench.common import (DEFAULT_DATA_DIR, DataMissingError, data_file, describe_load,
                          describe_machine, format_table, latency_summary, load_corpus,
                          load_queries, progress, words)

CORPUS = "news_dated.jsonl.gz"
QUERIES = "news_dated_title2article_queries.jsonl"
WARMUP = 20


def main(argv=None):
    """Run the benchmark from the command line; returns the exit status."""
    parser = argparse.ArgumentParser(prog="python -m bench.suggest", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--index", type=Path, help="an index of news_dated to use")
    parser.add_argument("--sample", type=int, default=500, help="prefixes (default 500)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    args = parser.parse_args(argv)
    try:
        queries = load_queries(data_file(args.data_dir, QUERIES))
        corpus = data_file(args.data_dir, CORPUS)
    except DataMissingError as error:
        print(f"bench.suggest: {error}", file=sys.stderr)
        return 2
    from vnsearch import Index
    from vnsearch import lexicon as lexicon_module
    from vnsearch.normalize import fold

    prefixes = make_prefixes([q["query"] for q in queries], args.sample, args.seed, fold)
    with tempfile.TemporaryDirectory(prefix="vnsearch-suggest-") as workdir:
        path = args.index
        if path is None:
            path = Path(workdir) / "index"
            progress(f"building {CORPUS} …")
            Index.create(path).add(load_corpus(corpus))
        index = Index.open(path)
        searcher = index._current_searcher()
        cache = Path(workdir) / "cache"
        started = time.perf_counter()
        lexicon_module.lexicon_for(searcher, cache)
        built = time.perf_counter() - started
        lexicon_module._lexicons.clear()
        lexicon_module._segments.clear()
        started = time.perf_counter()
        lexicon = lexicon_module.lexicon_for(searcher, cache)
        loaded = time.perf_counter() - started

        progress(f"{len(prefixes)} prefixes …")
        for prefix in prefixes[:WARMUP]:
            index.suggest(prefix)
        suggest_times, search_times, empty = [], [], 0
        for prefix in prefixes:
            started = time.perf_counter()
            found = index.suggest(prefix)
            suggest_times.append(time.perf_counter() - started)
            empty += not found
            started = time.perf_counter()
            list(index.search(prefix, prefix=True))
            search_times.append(time.perf_counter() - started)

    print(describe_machine() + "; " + describe_load())
    print(f"Index: {CORPUS}; lexicon of {len(lexicon):,} words: built in {built:.2f} s, "
          f"loaded from its cache file in {loaded:.2f} s.")
    print(f"{len(prefixes)} prefixes (seed {args.seed}), each run once after {WARMUP} "
          f"warm-up ones; {empty} got no completion.\n")
    rows = []
    for name, times in [("Index.suggest(prefix)", suggest_times),
                        ("search(prefix, prefix=True), top 10 with snippets", search_times)]:
        summary = latency_summary(times)
        rows.append([name, summary["p50_ms"], summary["p95_ms"],
                     "p95 ≤ 20 ms" if "suggest" in name else ""])
    print(format_table(["call", "p50 ms", "p95 ms", "target"], rows))
    return 0


def make_prefixes(titles, count, seed, fold):
    """What users type on the way to these titles, accented and not."""
    rng = random.Random(seed)
    out = []
    while len(out) < count and titles:
        tokens = words(rng.choice(titles).lower())
        if len(tokens) < 2:
            continue
        taken = rng.randint(1, min(4, len(tokens) - 1))
        last = tokens[taken]
        partial = last[:rng.randint(1, min(3, len(last)))]
        prefix = " ".join(tokens[:taken] + [partial])
        out.append(prefix if len(out) % 2 == 0 else fold(prefix))
    return out


if __name__ == "__main__":
    sys.exit(main())
