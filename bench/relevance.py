"""Relevance benchmark: vnsearch beside SQLite FTS5 on real Vietnamese queries.

Builds a vnsearch index in a temporary folder through the public library API, and the
baselines on the same documents (SQLite FTS5, bench/baseline.py; BM25 over pyvi words in
one field, bench/bm25_words.py), runs every query on each and prints one table: MRR@10, nDCG@10, Recall@10, Recall@100, build time, docs/s and query latency.

    python -m bench.relevance --set xquad
    python -m bench.relevance --set title2article --sample 500 --seed 0
    python -m bench.relevance --set mixed        # paragraphs among news: a mixed archive
    python -m bench.relevance --corpus my.jsonl.gz --queries q.jsonl q_unaccented.jsonl

Metrics come from the top 100 of each system. Latency is timed on a separate call for
the top 10 *with snippets* (what a user waits for), once per query, after a few warm-up
queries; the table gives the median and p95 over the queries.
"""

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

from bench import baseline
from bench.common import (DEFAULT_DATA_DIR, DataMissingError, data_file, describe_load,
                          describe_machine, evaluate, format_table, latency_summary,
                          load_corpus, load_queries, machine_info, progress, sample_queries)

SETS = {
    "xquad": {
        "corpus": "xquad_vi_corpus.jsonl",
        "queries": ["xquad_vi_queries.jsonl", "xquad_vi_queries_unaccented.jsonl"],
        "body_only": False,
    },
    "mixed": {
        # A mixed archive: the encyclopedic paragraphs among 5,472 news articles.
        "corpus": ["xquad_vi_corpus.jsonl", "news_dated.jsonl.gz"],
        "queries": ["xquad_vi_queries.jsonl", "xquad_vi_queries_unaccented.jsonl"],
        "body_only": False,
    },
    "title2article": {
        "corpus": "news_dated.jsonl.gz",
        "queries": ["news_dated_title2article_queries.jsonl",
                    "news_dated_title2article_queries_unaccented.jsonl"],
        "body_only": True,  # the query is the article's own title
    },
}
WARMUP_QUERIES = 3
DEPTH = 100  # ranking depth for Recall@100


def main(argv=None):
    """Run the benchmark from the command line; returns the exit status."""
    args = parse_args(argv)
    try:
        corpus_path, query_paths, body_only = resolve_inputs(args)
    except DataMissingError as error:
        print(f"bench.relevance: {error}", file=sys.stderr)
        return 2
    if "vnsearch" in args.systems:
        try:
            import vnsearch  # noqa: F401  (fail early, before loading the data)
            from vnsearch import Index  # noqa: F401
        except ImportError as error:
            print(f"bench.relevance: cannot import vnsearch ({error}). Install it with "
                  "`pip install -e .`, or try again with --systems fts5.", file=sys.stderr)
            return 2

    docs = load_corpus(corpus_path)
    query_sets = {path.name: sample_queries(load_queries(path), args.sample, args.seed)
                  for path in query_paths}
    progress(f"{len(docs):,} documents from {_names(corpus_path)}; "
             + ", ".join(f"{len(qs):,} queries from {name}" for name, qs in query_sets.items()))

    results = []
    with tempfile.TemporaryDirectory(prefix="vnsearch-bench-") as workdir:
        for system in args.systems:
            results.extend(run_system(system, docs, query_sets, body_only, Path(workdir)))

    print_report(results, corpus_path, len(docs), query_sets, body_only, args)
    if args.json:
        write_json(args.json, results, corpus_path, len(docs), body_only, args,
                   restoration_accuracy(results, query_sets))
    return 0


def parse_args(argv):
    """Parse the command line."""
    parser = argparse.ArgumentParser(
        prog="python -m bench.relevance",
        description="Relevance of vnsearch beside SQLite FTS5 on the same documents.",
        epilog="Example: python -m bench.relevance --set title2article --sample 500",
    )
    parser.add_argument("--set", choices=sorted(SETS),
                        help="a named corpus + accented and unaccented query files "
                             "(default xquad when --corpus is not given); "
                             "title2article implies --body-only")
    parser.add_argument("--corpus", help="JSON Lines corpus (.gz too); a name inside "
                                         "--data-dir or a path")
    parser.add_argument("--queries", nargs="+", help="one or more query files "
                                                     "(default: the set's two files)")
    parser.add_argument("--body-only", action="store_true",
                        help="search document bodies only")
    parser.add_argument("--sample", type=int, help="run a seeded sample of N queries per file")
    parser.add_argument("--seed", type=int, default=0, help="sampling seed (default 0)")
    parser.add_argument("--data-dir", default=str(DEFAULT_DATA_DIR),
                        help="folder of the shared data (default: %(default)s)")
    parser.add_argument("--systems", nargs="+", default=["vnsearch", "fts5", "bm25-words"],
                        choices=["vnsearch", "fts5", "bm25-words"],
                        help="systems to run (default all three; bm25-words needs the "
                             "bench extra)")
    parser.add_argument("--json", metavar="PATH",
                        help="also write the results as JSON to PATH ('-' for stdout)")
    return parser.parse_args(argv)


def resolve_inputs(args):
    """Return ``([corpus paths], [query paths], body_only)`` from the options."""
    set_name = args.set or (None if args.corpus else "xquad")
    named = SETS[set_name] if set_name else None
    if named is None and not args.queries:
        raise DataMissingError("--corpus needs --queries (or use --set).")
    names = args.corpus or named["corpus"]
    corpus = [data_file(args.data_dir, name) for name in
              ([names] if isinstance(names, str) else names)]
    queries = [data_file(args.data_dir, name) for name in (args.queries or named["queries"])]
    body_only = args.body_only or bool(named and named["body_only"])
    return corpus, queries, body_only


def run_system(system, docs, query_sets, body_only, workdir):
    """Build ``system`` over ``docs``, run every query set; one result dict per set."""
    progress(f"{system}: building over {len(docs):,} documents …")
    if system == "vnsearch":
        index, build_seconds = build_vnsearch(docs, workdir / "vnsearch-index")
        search = vnsearch_searcher(index, body_only)
    elif system == "bm25-words":
        from bench import bm25_words
        fields = ["body"] if body_only else ["title", "body"]
        index, build_seconds = bm25_words.build_timed(
            [{"id": d["id"], "title": d["title"] if "title" in fields else "",
              "body": d["body"]} for d in docs])
        search = bm25_searcher(index)
    else:
        index, build_seconds = baseline.build_timed(docs, workdir / "fts5.db")
        search = fts5_searcher(index, body_only)
    progress(f"{system}: built in {build_seconds:.1f} s")

    first = next(iter(query_sets.values()), [])
    for query in first[:WARMUP_QUERIES]:
        search(query["query"], 10)

    results = []
    for name, queries in query_sets.items():
        progress(f"{system}: {len(queries):,} queries from {name} …")
        rankings, seconds, readings = {}, [], {}
        for query in queries:
            start = time.perf_counter()
            search(query["query"], 10)
            seconds.append(time.perf_counter() - start)
            rankings[query["qid"]], readings[query["qid"]] = search(query["query"], DEPTH,
                                                                    ranked=True)
        restored = sum(1 for reading in readings.values() if reading)
        results.append({
            "system": system, "queries": name, "n_queries": len(queries),
            **evaluate(rankings, queries),
            "build_s": build_seconds, "docs_per_s": len(docs) / build_seconds,
            **latency_summary(seconds),
            "restored": restored if system == "vnsearch" else None,
            "readings": readings if system == "vnsearch" else None,
        })
    index.close()
    return results


def build_vnsearch(docs, folder):
    """Build a vnsearch index in ``folder`` through the public API; ``(index, seconds)``.

    The time covers create, add and close (the commit); the index is then reopened as a
    user would for searching.
    """
    from vnsearch import Index

    start = time.perf_counter()
    index = Index.create(folder)
    index.add(docs)
    index.close()
    seconds = time.perf_counter() - start
    return Index.open(folder), seconds


def vnsearch_searcher(index, body_only):
    """A search function over a vnsearch index.

    ``search(q, limit)`` returns the hits with their snippets built, as a user gets them;
    ``search(q, limit, ranked=True)`` returns ``([ids], restored reading or None)``.
    """
    fields = ["body"] if body_only else None

    def search(query, limit, ranked=False):
        results = index.search(query, limit=limit, fields=fields)
        if ranked:
            return [hit.id for hit in results], results.restored
        return [(hit.id, hit.title, hit.snippet) for hit in results]

    return search


def bm25_searcher(index):
    """The same search function over the bm25s baseline (no snippets to build)."""

    def search(query, limit, ranked=False):
        found = index.search(query, limit=limit)
        return (found, None) if ranked else found

    return search


def restoration_accuracy(results, query_sets):
    """How well vnsearch read each unaccented query set, against its accented twin.

    One row per ``*_unaccented`` file whose accented file was run too: the share of
    syllables read with the diacritics of the original, and of whole queries read
    right (a query with nothing restored counts as read as typed).
    """
    from vnsearch.analysis import analyse

    rows = []
    for r in results:
        if r["system"] != "vnsearch" or "_unaccented" not in r["queries"]:
            continue
        twin = query_sets.get(r["queries"].replace("_unaccented", ""))
        if twin is None:
            continue
        originals = {q["qid"]: q["query"] for q in twin}
        typed = {q["qid"]: q["query"] for q in query_sets[r["queries"]]}
        right = total = whole = counted = 0
        for qid, reading in r["readings"].items():
            want = [s.text for s in analyse(originals[qid]).syllables]
            got = [s.text for s in analyse(reading or typed[qid]).syllables]
            if len(want) != len(got):  # tokenised differently: not comparable
                continue
            hits = sum(a == b for a, b in zip(want, got))
            right, total = right + hits, total + len(want)
            whole, counted = whole + (hits == len(want)), counted + 1
        rows.append({"queries": r["queries"], "syllables": right / max(total, 1),
                     "whole": whole / max(counted, 1), "compared": counted})
    return rows


def _names(paths):
    return " + ".join(path.name for path in paths)


def fts5_searcher(index, body_only):
    """The same search function over the FTS5 baseline."""

    def search(query, limit, ranked=False):
        if ranked:
            return index.search(query, limit=limit, body_only=body_only), False
        return index.search(query, limit=limit, body_only=body_only, snippets=True)

    return search


HEADERS = ["system", "queries", "MRR@10", "nDCG@10", "R@10", "R@100",
           "build s", "docs/s", "p50 ms", "p95 ms"]


def print_report(results, corpus_path, n_docs, query_sets, body_only, args):
    """Print the machine, the setup and the results table on stdout."""
    sizes = ", ".join(f"{len(qs):,}" for qs in query_sets.values())
    sample = f", seeded sample (seed {args.seed})" if args.sample else ""
    print(f"Machine: {describe_machine()}; {describe_load()} at the end")
    print(f"Corpus: {_names(corpus_path)} ({n_docs:,} docs); queries: {sizes} per file{sample}; "
          f"{'body only' if body_only else 'title + body'}")
    print(f"Runs: one build per system; each query once for the metrics (top {DEPTH}) and "
          f"once timed (top 10 with snippets) after {WARMUP_QUERIES} warm-up queries; "
          "latency = median and p95 over the queries.")
    print()
    rows = [[r["system"], r["queries"], r["mrr@10"], r["ndcg@10"], r["recall@10"],
             r["recall@100"], r["build_s"], r["docs_per_s"], r["p50_ms"], r["p95_ms"]]
            for r in sorted(results, key=lambda r: (r["queries"], r["system"] != "vnsearch"))]
    print(format_table(HEADERS, rows))
    for r in results:
        if r["restored"] is not None and "unaccented" in r["queries"]:
            print(f"\nvnsearch proposed an accented reading for {r['restored']:,} of "
                  f"{r['n_queries']:,} queries in {r['queries']}.")
    for row in restoration_accuracy(results, query_sets):
        print(f"Accent restoration on {row['queries']}: {row['syllables']:.1%} of syllables, "
              f"{row['whole']:.1%} of whole queries read as the accented original "
              f"({row['compared']:,} queries compared).")


def write_json(target, results, corpus_path, n_docs, body_only, args, restoration):
    """Write the results, the machine and the setup as one JSON document."""
    payload = {
        "benchmark": "relevance", "machine": machine_info(),
        "corpus": _names(corpus_path), "docs": n_docs, "body_only": body_only,
        "sample": args.sample, "seed": args.seed,
        "results": [{k: v for k, v in r.items() if k != "readings"} for r in results],
        "restoration": restoration,
    }
    text = json.dumps(payload, ensure_ascii=False, indent=2)
    if target == "-":
        print(text)
    else:
        Path(target).write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    sys.exit(main())
