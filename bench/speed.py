"""Speed benchmark: cold start, indexing, query latency, memory, size and growth.

Every figure is printed beside a baseline measured in the same run (SQLite FTS5 on the
same documents, or ``python -c pass`` for process start-up) and the ratio between them.

    python -m bench.speed                  # cold start, indexing news_dated, headline queries
    python -m bench.speed --big            # + 1–5-word queries over 38,087 articles
    python -m bench.speed --growth         # + build and query time at 1k/5k/20k/38k articles
    python -m bench.speed --parts cold-start --runs 20
    python -m bench.speed --index big-index --corpus archive.jsonl.gz
                                           # queries on an index built beforehand
    python -m bench.speed --parts growth --corpus /tmp/corpus-300k.jsonl.gz \
        --sizes 38087 100000 300000       # growth over an archive from bench.corpus

Indexing runs in a child process (``--build-worker``) for each system, so its peak RSS is
that child's own (``VmHWM``, see :func:`bench.common.peak_rss_mb`); the child loads the
corpus into memory before the clock starts, and the RSS after loading is reported too.
Query latencies are measured with the systems interleaved query by query (so load
from other users of the machine hits both alike), after a few warm-up queries. Each system runs each query once: the queries go in
turn to the two variants, "ids only" (the top 10 as returned) and "with snippets" (every
hit's snippet read, as a user sees them), since repeating a query at once would time
warm caches.
"""

import argparse
import itertools
import json
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench import baseline
from bench.common import (DEFAULT_DATA_DIR, REPO_ROOT, DataMissingError, data_file,
                          describe_load, describe_machine, folder_size_bytes, format_table,
                          latency_summary, load_corpus, load_queries, machine_info,
                          peak_rss_mb, progress, ratio, read_jsonl, sample_queries,
                          words)

NEWS_DATED = "news_dated.jsonl.gz"
NEWS_BAOMOI = "news_baomoi.jsonl.gz"
TITLE2ARTICLE = ["news_dated_title2article_queries.jsonl",
                 "news_dated_title2article_queries_unaccented.jsonl"]
COLD_START_QUERY = "công nghệ thông tin"
GROWTH_SIZES = [1_000, 5_000, 20_000, None]  # None: every document (38,087)
WARMUP_QUERIES = 5
PARTS = ["cold-start", "indexing", "queries", "big", "growth", "existing"]
HEADERS = ["figure", "vnsearch", "baseline", "baseline value", "ratio", "target"]


def main(argv=None):
    """Run the benchmark from the command line; returns the exit status."""
    args = parse_args(argv)
    if args.build_worker:
        return build_worker(json.loads(args.build_worker))
    parts = list(args.parts) + ["big"] * args.big + ["growth"] * args.growth
    if args.index:
        parts = ["existing"]
    if args.search_worker:
        return search_worker(json.loads(args.search_worker))
    try:
        _check_vnsearch()
        data_file(args.data_dir, NEWS_DATED)
    except (DataMissingError, BenchmarkError) as error:
        print(f"bench.speed: {error}", file=sys.stderr)
        return 2
    print(f"Machine: {describe_machine()}; {describe_load()} at the start")
    print(f"Seed {args.seed}; cold start: {args.runs} runs per command; builds: "
          f"{args.build_runs} run(s) per system; latency: each query once after "
          f"{WARMUP_QUERIES} warm-up queries, systems interleaved query by query.\n",
          flush=True)
    bench, failed = SpeedBenchmark(args), []
    try:
        for part in (part for part in PARTS if part in parts):
            try:
                getattr(bench, part.replace("-", "_"))()
            except (DataMissingError, BenchmarkError) as error:
                print(f"bench.speed: {part} failed: {error}", file=sys.stderr)
                failed.append(part)
    finally:
        bench.cleanup()
    print(f"Finished with {describe_load()}.")
    if args.json:
        text = json.dumps({"benchmark": "speed", "machine": machine_info(),
                           "args": {k: v for k, v in vars(args).items() if k != "build_worker"},
                           "failed": failed, "results": bench.results},
                          ensure_ascii=False, indent=2)
        if args.json == "-":
            print(text)
        else:
            Path(args.json).write_text(text + "\n", encoding="utf-8")
    return 1 if failed else 0


def parse_args(argv):
    """Parse the command line."""
    parser = argparse.ArgumentParser(
        prog="python -m bench.speed",
        description="Speed of vnsearch beside SQLite FTS5 and a bare Python start-up.",
        epilog="Example: python -m bench.speed --big --growth --json speed.json",
    )
    parser.add_argument("--parts", nargs="+", choices=PARTS,
                        default=["cold-start", "indexing", "queries"],
                        help="parts to run (default: %(default)s)")
    parser.add_argument("--big", action="store_true",
                        help="add 1–5-word queries over news_dated + news_baomoi (38,087 docs)")
    parser.add_argument("--growth", action="store_true",
                        help="add build and query times at 1k, 5k, 20k and 38k docs")
    parser.add_argument("--corpus", metavar="FILE",
                        help="an archive written by bench.corpus. For --growth: its first "
                             "N articles are read as a stream at each size N (the builders' "
                             "time includes reading them), and its next 1,000 are then "
                             "added to each index. With --index: the file that index was "
                             "built from")
    parser.add_argument("--sizes", type=int, nargs="+", metavar="N",
                        help="for --growth: archive sizes (default 1,000 5,000 20,000 and "
                             "every document)")
    parser.add_argument("--runs", type=int, default=10,
                        help="cold-start runs per command (default %(default)s)")
    parser.add_argument("--build-runs", type=int, default=1,
                        help="index builds per system on news_dated (default %(default)s)")
    parser.add_argument("--sample", type=int, default=1000,
                        help="title→article queries per file (default %(default)s; 0 = all)")
    parser.add_argument("--per-length", type=int, default=200,
                        help="queries per length 1–5 for --big and --growth "
                             "(default %(default)s)")
    parser.add_argument("--seed", type=int, default=0, help="sampling seed (default 0)")
    parser.add_argument("--data-dir", default=str(DEFAULT_DATA_DIR),
                        help="folder of the shared data (default: %(default)s)")
    parser.add_argument("--json", metavar="PATH",
                        help="also write the results as JSON to PATH ('-' for stdout)")
    parser.add_argument("--index", metavar="DIR",
                        help="only time 1–5-word queries on this vnsearch index, built "
                             "beforehand from --corpus (FTS5 is built from it in this run)")
    parser.add_argument("--build-worker", metavar="SPEC", help=argparse.SUPPRESS)
    parser.add_argument("--search-worker", metavar="SPEC", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


class BenchmarkError(Exception):
    """Raised when a step of the benchmark cannot run (a failing command, say)."""


class SpeedBenchmark:
    """The parts of the speed benchmark; each prints its table and records its figures."""

    def __init__(self, args):
        self.args = args
        self.workdir = Path(tempfile.mkdtemp(prefix="vnsearch-speed-"))
        self.results = {}
        self._builds = {}  # (corpora, size, seed) -> {"vnsearch": {...}, "fts5": {...}}

    def cleanup(self):
        """Remove the temporary indexes."""
        shutil.rmtree(self.workdir, ignore_errors=True)

    # --- parts --------------------------------------------------------------------------

    def cold_start(self):
        """Whole-process wall time of `vnsearch --help` and `vnsearch search` (seeds index)."""
        seeds_index = self.workdir / "seeds-index"
        progress("cold start: indexing seeds/ with the CLI …")
        run_command(vnsearch_command("index", str(REPO_ROOT / "seeds"),
                                     "--index", str(seeds_index)))
        commands = {"python -c pass": [sys.executable, "-c", "pass"]}
        fronts = {"python -m vnsearch": [sys.executable, "-m", "vnsearch"]}
        script = Path(sys.executable).parent / "vnsearch"
        if script.exists():
            fronts["vnsearch"] = [str(script)]
        for front, prefix in fronts.items():
            commands[f"{front} --help"] = prefix + ["--help"]
            commands[f"{front} search …"] = prefix + ["search", COLD_START_QUERY,
                                                       "--index", str(seeds_index)]
        progress(f"cold start: {len(commands)} commands × {self.args.runs} runs …")
        walls = time_commands(commands, self.args.runs)
        medians = {name: statistics.median(runs) for name, runs in walls.items()}
        base = medians.pop("python -c pass")
        rows = [[f"`{name}` wall s", seconds, "python -c pass", base, ratio(seconds, base),
                 "≤ 0.2 s" if "--help" in name else "≤ 0.5 s"]
                for name, seconds in medians.items()]
        self._report("cold_start", f"Cold start (median of {self.args.runs} runs; search "
                     f"for “{COLD_START_QUERY}” in the seeds' index)", rows, walls)

    def indexing(self):
        """Build time, docs/s, peak RSS and size on news_dated, vnsearch beside FTS5."""
        builds = self.build(self._news_dated_spec(), runs=self.args.build_runs)
        vn, fts = builds["vnsearch"], builds["fts5"]
        n = vn["docs"]
        rows = [
            [f"build news_dated ({n:,} docs, title+body) s", vn["seconds"], "FTS5",
             fts["seconds"], ratio(vn["seconds"], fts["seconds"]), "≤ 10× (stretch 5×)"],
            ["docs/s", n / vn["seconds"], "FTS5", n / fts["seconds"],
             ratio(fts["seconds"], vn["seconds"]), ""],
            *self._memory_rows(vn, fts),
        ]
        runs = f"median of {self.args.build_runs} build(s)" if self.args.build_runs > 1 \
            else "1 build per system"
        self._report("indexing", f"Indexing news_dated ({runs})", rows, builds)

    def queries(self):
        """Headline-length queries (title→article, body only) on news_dated."""
        builds = self.build(self._news_dated_spec(), runs=self.args.build_runs)
        sample = self.args.sample or None
        rows, raw = [], {}
        with open_pair(builds) as (index, fts):
            for name in TITLE2ARTICLE:
                queries = sample_queries(load_queries(data_file(self.args.data_dir, name)),
                                         sample, self.args.seed)
                kind = "unaccented" if "unaccented" in name else "accented"
                progress(f"queries: {len(queries):,} {kind} title→article queries …")
                timings = time_searches(searchers(index, fts, body_only=True),
                                        [q["query"] for q in queries])
                raw[kind] = timings
                rows += latency_rows(kind, timings, "≤ 2×")
        self._report("queries", "Query latency on news_dated (5,472 docs): title→article "
                     "queries, body only, top 10", rows, raw)

    def big(self):
        """Queries of 1–5 words (from titles) over news_dated + news_baomoi (38,087 docs)."""
        spec = self._combined_spec(None)
        builds = self.build(spec)
        vn, fts = builds["vnsearch"], builds["fts5"]
        n = vn["docs"]
        rows = [
            [f"build {n:,} docs s", vn["seconds"], "FTS5", fts["seconds"],
             ratio(vn["seconds"], fts["seconds"]), ""],
            ["docs/s", n / vn["seconds"], "FTS5", n / fts["seconds"],
             ratio(fts["seconds"], vn["seconds"]), ""],
            *self._memory_rows(vn, fts, rss_target="≤ 1.5 GB (news_baomoi)"),
        ]
        docs = select_docs(spec["corpora"], None, spec["seed"])
        queries = title_queries(docs, self.args.per_length, self.args.seed)
        warmup = [q for qs in title_queries(docs, 1, self.args.seed + 1).values() for q in qs]
        del docs
        raw = time_by_length(builds, queries, warmup, "big")
        for length, timings in raw.items():
            label = f"{length} word{'s' if length != 1 else ''}"
            rows += latency_rows(label, timings, "p95 ≤ 50 ms")
        self._report("big", f"News_dated + news_baomoi ({n:,} docs): indexing, and "
                     f"queries of 1–5 title words ({self.args.per_length} per length), "
                     "top 10", rows, {"builds": builds, "latency": raw})

    def growth(self):
        """Build time and query latency as the archive grows: 1k, 5k, 20k, all docs, or
        ``--sizes`` of a ``--corpus`` archive (then also the time to add 1,000 more)."""
        corpus = self.args.corpus
        if corpus:
            first = load_corpus(corpus, limit=1000)
            label = f"{Path(corpus).name} (bench.corpus)"
        else:
            first = select_docs(self._combined_spec(None)["corpora"], None,
                                self.args.seed)[:1000]
            label = f"news_dated + news_baomoi shuffled (seed {self.args.seed})"
        # Queries from the titles of the first 1,000 docs: present at every size.
        queries = title_queries(first, self.args.per_length, self.args.seed)
        queries = [q for length in range(1, 6) for q in queries[length]]
        random.Random(self.args.seed).shuffle(queries)  # warm up on mixed lengths
        del first
        rows, raw = [], {}
        for size in self.args.sizes or GROWTH_SIZES:
            spec = ({"corpora": [corpus], "size": size, "seed": None, "stream": True}
                    if corpus else self._combined_spec(size))
            builds = self.build(spec)
            vn, fts = builds["vnsearch"], builds["fts5"]
            progress(f"growth: {len(queries)} queries over {vn['docs']:,} docs …")
            with open_pair(builds) as (index, fts_index):
                timings = time_searches(searchers(index, fts_index, snippets_only=True),
                                        queries)
            timings = timings["with snippets"]
            vq, fq = latency_summary(timings["vnsearch"]), latency_summary(timings["fts5"])
            added = {}
            if corpus:
                for system in ("fts5", "vnsearch"):
                    progress(f"growth: adding 1,000 articles to {system} …")
                    added[system] = run_build_worker({**spec, "system": system,
                                                      "out": builds[system]["out"],
                                                      "add": 1000})
            raw[vn["docs"]] = {"builds": builds, "latency": timings, "added": added}
            rows.append([vn["docs"], vn["seconds"], fts["seconds"],
                         ratio(vn["seconds"], fts["seconds"]), vn["docs"] / vn["seconds"],
                         vn["peak_rss_mb"], vn["children_peak_rss_mb"],
                         vq["p50_ms"], vq["p95_ms"], fq["p50_ms"], fq["p95_ms"],
                         ratio(vq["p95_ms"], fq["p95_ms"]),
                         vn["size_bytes"] / 2**20, fts["size_bytes"] / 2**20,
                         ratio(vn["size_bytes"], fts["size_bytes"]),
                         added.get("vnsearch", {}).get("seconds"),
                         added.get("fts5", {}).get("seconds")])
        headers = ["docs", "vnsearch build s", "FTS5 build s", "ratio", "vnsearch docs/s",
                   "vnsearch peak RSS MB", "workers' peak RSS MB",
                   "vnsearch p50 ms", "vnsearch p95 ms", "FTS5 p50 ms", "FTS5 p95 ms",
                   "ratio p95", "vnsearch MB", "FTS5 MB", "ratio size",
                   "add 1,000 s", "FTS5 add 1,000 s"]
        self._report("growth", f"Growth: {label}, {len(queries) - WARMUP_QUERIES} queries "
                     "of 1–5 title words, top 10 with snippets", rows, raw, headers=headers)

    def existing(self):
        """1–5-word queries on an index built beforehand (a big archive), beside FTS5.

        Also the cold `vnsearch search` on it, and the peak RSS of a process that runs
        every query (the searching process of a server).
        """
        if not (self.args.index and self.args.corpus):
            raise BenchmarkError("--index needs --corpus, the file it was built from.")
        corpus = str(data_file(self.args.data_dir, self.args.corpus))
        fts = run_build_worker({"corpora": [corpus], "size": None, "seed": None,
                                "system": "fts5", "out": str(self.workdir / "fts5.db")})
        builds = {"vnsearch": {"out": self.args.index}, "fts5": fts}
        n = fts["docs"]
        # Queries from titles spread over the archive, not only its first articles.
        docs = load_corpus([corpus], step=max(1, n // 20_000))
        queries = title_queries(docs, self.args.per_length, self.args.seed)
        warmup = [q for qs in title_queries(docs, 1, self.args.seed + 1).values() for q in qs]
        del docs
        mixed = [q for length in range(1, 6) for q in queries[length]]
        progress(f"existing: cold `vnsearch search` × {self.args.runs} …")
        command = vnsearch_command("search", COLD_START_QUERY, "--index", self.args.index)
        walls = time_commands({"search": command}, self.args.runs)["search"]
        progress(f"existing: {len(mixed)} queries in a fresh process, for its RSS …")
        worker = [sys.executable, "-m", "bench.speed", "--search-worker",
                  json.dumps({"index": self.args.index, "queries": mixed})]
        searched = json.loads(run_command(worker).stdout.strip().splitlines()[-1])
        raw = time_by_length(builds, queries, warmup, "existing")
        rows = [["cold `vnsearch search` wall s", statistics.median(walls), "", None, None,
                 "≤ 1 s"],
                ["peak RSS of a process running every query MB", searched["peak_rss_mb"],
                 "", None, None, "≤ 1 GB"],
                ["index size on disk MB", folder_size_bytes(self.args.index) / 2**20, "FTS5",
                 fts["size_bytes"] / 2**20,
                 ratio(folder_size_bytes(self.args.index), fts["size_bytes"]), ""]]
        for length, timings in raw.items():
            label = f"{length} word{'s' if length != 1 else ''}"
            rows += latency_rows(label, timings, "p95 ≤ 100 ms, ≤ FTS5")
        self._report("existing", f"{n:,} docs ({Path(corpus).name}): queries of 1–5 title "
                     f"words ({self.args.per_length} per length), top 10", rows,
                     {"cold_search_s": walls, "search_worker": searched, "latency": raw})

    # --- helpers ------------------------------------------------------------------------

    def build(self, spec, runs=1):
        """Build vnsearch and FTS5 indexes for ``spec`` in child processes (cached).

        Returns ``{"vnsearch": figures, "fts5": figures}``; with several runs the
        figures are those of the median-time run, and ``runs`` lists every time.
        """
        key = json.dumps(spec, sort_keys=True)
        if key in self._builds:
            return self._builds[key]
        builds = {}
        for system in ("fts5", "vnsearch"):
            attempts = []
            for run in range(runs):
                out = self.workdir / f"{system}-{len(self._builds)}-{run}"
                out = out.with_suffix(".db") if system == "fts5" else out
                progress(f"building {system} (run {run + 1}/{runs}) …")
                attempts.append(run_build_worker({**spec, "system": system, "out": str(out)}))
            attempts.sort(key=lambda figures: figures["seconds"])
            builds[system] = {**attempts[len(attempts) // 2],
                              "runs": [a["seconds"] for a in attempts]}
            progress(f"{system}: {builds[system]['docs']:,} docs in "
                     f"{builds[system]['seconds']:.1f} s")
        self._builds[key] = builds
        return builds

    def _news_dated_spec(self):
        return {"corpora": [str(data_file(self.args.data_dir, NEWS_DATED))],
                "size": None, "seed": None}

    def _combined_spec(self, size):
        return {"corpora": [str(data_file(self.args.data_dir, name))
                            for name in (NEWS_DATED, NEWS_BAOMOI)],
                "size": size, "seed": self.args.seed}

    @staticmethod
    def _memory_rows(vn, fts, rss_target=""):
        rows = [
            ["RSS after loading the corpus MB", vn["rss_loaded_mb"], "FTS5",
             fts["rss_loaded_mb"], ratio(vn["rss_loaded_mb"], fts["rss_loaded_mb"]), ""],
            ["peak RSS while indexing MB", vn["peak_rss_mb"], "FTS5", fts["peak_rss_mb"],
             ratio(vn["peak_rss_mb"], fts["peak_rss_mb"]), rss_target],
        ]
        if vn["children_peak_rss_mb"]:
            rows.append(["largest indexing subprocess peak RSS MB",
                         vn["children_peak_rss_mb"], "FTS5", None, None, ""])
        rows.append(["index size on disk MB", vn["size_bytes"] / 2**20, "FTS5",
                     fts["size_bytes"] / 2**20, ratio(vn["size_bytes"], fts["size_bytes"]),
                     ""])
        return rows

    def _report(self, part, title, rows, raw, headers=HEADERS):
        print(f"### {title}\n")
        print(format_table(headers, rows))
        print(flush=True)
        self.results[part] = {"title": title, "headers": headers, "rows": rows, "raw": raw}


# --- building in a child process ---------------------------------------------------------


def select_docs(corpora, size, seed):
    """Load ``corpora``; shuffle them with ``seed`` (unless None); keep the first ``size``."""
    docs = load_corpus(corpora)
    if seed is not None:
        random.Random(seed).shuffle(docs)
    return docs if size is None else docs[:size]


def run_build_worker(spec):
    """Run :func:`build_worker` in a child process and return its figures."""
    command = [sys.executable, "-m", "bench.speed", "--build-worker", json.dumps(spec)]
    completed = subprocess.run(command, cwd=REPO_ROOT, stdout=subprocess.PIPE, text=True)
    if completed.returncode != 0:
        raise BenchmarkError(f"building the {spec['system']} index failed (exit "
                             f"{completed.returncode}); its traceback is above.")
    return json.loads(completed.stdout.strip().splitlines()[-1])


def build_worker(spec):
    """Child process: load the documents, build one index, print its figures as JSON.

    Peak RSS is this process's high-water mark; ``children_peak_rss_mb`` is that of its
    largest subprocess, if the indexer starts any (worker processes for segmentation).
    With ``stream`` the documents are read from the file as they are indexed, not
    loaded first; with ``add`` N, the N documents after the first ``size`` are added
    to the index already at ``out`` (the time is until they are searchable).
    """
    if spec.get("stream"):
        skip = spec["size"] if spec.get("add") else 0
        count = spec["add"] if spec.get("add") else spec["size"]
        docs = _Counted(itertools.islice(
            ({key: obj.get(key) for key in ("id", "title", "date", "body")}
             for obj in read_jsonl(spec["corpora"][0])), skip, skip + count))
    else:
        docs = select_docs(spec["corpora"], spec["size"], spec["seed"])
    rss_loaded = peak_rss_mb()
    if spec["system"] == "fts5":
        if spec.get("add"):
            index = baseline.Fts5Index.open(spec["out"])
            start = time.perf_counter()
            with index.connection:
                index.connection.executemany(
                    "INSERT INTO docs (id, title, body) VALUES (?, ?, ?)",
                    ((d["id"], baseline._fold_d(d.get("title") or ""),
                      baseline._fold_d(d.get("body") or "")) for d in docs))
            seconds = time.perf_counter() - start
        else:
            index, seconds = baseline.build_timed(docs, spec["out"])
        index.close()
    else:
        from vnsearch import Index

        start = time.perf_counter()
        index = Index.open(spec["out"]) if spec.get("add") else Index.create(spec["out"])
        index.add(docs)
        index.close()
        seconds = time.perf_counter() - start
    print(json.dumps({
        "system": spec["system"], "docs": len(docs), "seconds": seconds, "out": spec["out"],
        "rss_loaded_mb": rss_loaded, "peak_rss_mb": peak_rss_mb(),
        "children_peak_rss_mb": peak_rss_mb(children=True),
        "size_bytes": folder_size_bytes(spec["out"]),
    }))
    return 0


def search_worker(spec):
    """Child process: open an index, run every query with snippets, print peak RSS."""
    from vnsearch import Index

    with Index.open(spec["index"]) as index:
        for query in spec["queries"]:
            [(hit.id, hit.snippet) for hit in index.search(query, limit=10)]
    print(json.dumps({"queries": len(spec["queries"]), "peak_rss_mb": peak_rss_mb()}))
    return 0


class _Counted:
    """An iterable that counts what was taken from it (``len`` once consumed)."""

    def __init__(self, items):
        self.items = items
        self.count = 0

    def __iter__(self):
        for item in self.items:
            self.count += 1
            yield item

    def __len__(self):
        return self.count


class open_pair:
    """Context manager opening the vnsearch and FTS5 indexes of a build, and closing them."""

    def __init__(self, builds):
        self.builds = builds

    def __enter__(self):
        from vnsearch import Index

        self.index = Index.open(self.builds["vnsearch"]["out"])
        self.fts = baseline.Fts5Index.open(self.builds["fts5"]["out"])
        return self.index, self.fts

    def __exit__(self, *exc_info):
        self.index.close()
        self.fts.close()


# --- timing ------------------------------------------------------------------------------


def vnsearch_command(*arguments):
    """The command line running the vnsearch CLI with this interpreter."""
    return [sys.executable, "-m", "vnsearch", *arguments]


def run_command(command):
    """Run ``command`` from the repository root; raise :class:`BenchmarkError` on failure."""
    completed = subprocess.run(command, cwd=REPO_ROOT, capture_output=True, text=True)
    if completed.returncode != 0:
        raise BenchmarkError(f"`{' '.join(command)}` exited with {completed.returncode}:\n"
                             f"{completed.stderr.strip()}")
    return completed


def time_commands(commands, runs):
    """Wall time of each command, ``runs`` times, round-robin after one untimed round.

    The untimed round warms the file cache (a user's second command, not a cold boot).
    """
    walls = {name: [] for name in commands}
    for round_number in range(runs + 1):
        for name, command in commands.items():
            start = time.perf_counter()
            run_command(command)
            if round_number:
                walls[name].append(time.perf_counter() - start)
    return walls


def searchers(index, fts, body_only=False, snippets_only=False):
    """The search calls to time, by variant and system: each returns the top 10.

    "with snippets" reads every hit's snippet, as a user sees the results (FTS5: its
    ``snippet()`` function); "ids only" takes just the ids of the hits as returned.
    """
    fields = ["body"] if body_only else None

    def vnsearch_ids(query):
        return [hit.id for hit in index.search(query, limit=10, fields=fields)]

    def vnsearch_snippets(query):
        return [(hit.id, hit.title, hit.snippet)
                for hit in index.search(query, limit=10, fields=fields)]

    def fts5_ids(query):
        return fts.search(query, limit=10, body_only=body_only)

    def fts5_snippets(query):
        return fts.search(query, limit=10, body_only=body_only, snippets=True)

    variants = {"with snippets": {"vnsearch": vnsearch_snippets, "fts5": fts5_snippets}}
    if not snippets_only:
        variants = {"ids only": {"vnsearch": vnsearch_ids, "fts5": fts5_ids}, **variants}
    return variants


def time_by_length(builds, queries, warmup, label):
    """Timings of the 1–5-word ``queries`` ({length: [query]}) on a build pair, per
    length and for all lengths together ("1–5"), after the ``warmup`` queries."""
    raw = {}
    with open_pair(builds) as (index, fts_index):
        variants = searchers(index, fts_index)
        time_searches(variants, warmup, warmup=len(warmup))
        for length in range(1, 6):
            progress(f"{label}: {len(queries[length])} queries of {length} word(s) …")
            raw[length] = time_searches(variants, queries[length], warmup=0)
    raw["1–5"] = {variant: {system: [s for length in range(1, 6)
                                     for s in raw[length][variant][system]]
                            for system in systems}
                  for variant, systems in raw[1].items()}
    return raw


def time_searches(variants, queries, warmup=WARMUP_QUERIES):
    """Seconds per query, as ``{variant: {system: [seconds]}}``.

    The first ``warmup`` queries only warm up. The others go to the variants in turn, so
    each system runs each query once: a query repeated at once would find the engine's
    caches warm. Within a query the systems run one after the other (interleaved).
    """
    for query in queries[:warmup]:
        for systems in variants.values():
            for search in systems.values():
                search(query)
    seconds = {variant: {system: [] for system in systems}
               for variant, systems in variants.items()}
    names = list(variants)
    for number, query in enumerate(queries[warmup:]):
        variant = names[number % len(names)]
        for system, search in variants[variant].items():
            start = time.perf_counter()
            search(query)
            seconds[variant][system].append(time.perf_counter() - start)
    return seconds


def latency_rows(label, timings, target):
    """Table rows for p50 and p95 of each variant, vnsearch beside FTS5."""
    rows = []
    for variant, systems in timings.items():
        vn, fts = latency_summary(systems["vnsearch"]), latency_summary(systems["fts5"])
        for stat in ("p50_ms", "p95_ms"):
            name = f"{label}, {variant} ({vn['n']:,} q) {stat.replace('_', ' ')}"
            applies = "p95" not in target or stat == "p95_ms"
            rows.append([name, vn[stat], "FTS5", fts[stat], ratio(vn[stat], fts[stat]),
                         target if applies else ""])
    return rows


def title_queries(docs, per_length, seed):
    """Queries of 1–5 consecutive title words, ``per_length`` of each length, seeded.

    Returns ``{length: [query, ...]}``, lower-cased as people type them.
    """
    rng = random.Random(seed)
    titles = [words(doc["title"] or "") for doc in docs]
    queries = {}
    for length in range(1, 6):
        candidates = [title for title in titles if len(title) >= length]
        queries[length] = []
        for _ in range(per_length):
            title = rng.choice(candidates)
            start = rng.randrange(len(title) - length + 1)
            queries[length].append(" ".join(title[start:start + length]).lower())
    return queries


def _check_vnsearch():
    try:
        from vnsearch import Index  # noqa: F401
    except ImportError as error:
        raise BenchmarkError(f"cannot import vnsearch ({error}); install it with "
                             "`pip install -e .` from the repository root.") from error


if __name__ == "__main__":
    sys.exit(main())
