"""Load on ``vnsearch serve``: concurrent searches over HTTP while another process writes.

    python -m bench.serve_load                 # 16 clients, 60 s, 1,000 articles written
    python -m bench.serve_load --seconds 20 --clients 8 --json load.json

Builds an index of news_dated (less the articles the writer will add), starts ``vnsearch
serve`` on a free loopback port, then measures:

1. **single client**: one client searching back to back (the latency baseline);
2. **paced**: N clients each searching about once a second (people typing), while a
   separate process adds the held-back articles in batches, spread over the run;
3. **saturated**: N clients searching back to back, no pause, with the same writer.

Each loaded run starts from a fresh copy of the base index, so the writer really writes.
Reported per run: requests, throughput, p50/p95/p99 latency, errors (any answer but 200,
or no answer), and whether the server saw every written article by the end without a
restart. Target: zero errors, p95 within 3x the single-client p95.

Queries are 1-4 consecutive words of the base articles' titles, half of them typed
without diacritics. Reads ``../shared/data/news_dated.jsonl.gz``; exits cleanly (status 0,
a message on stderr) when the shared data is not there.
"""

import argparse
import asyncio
import json
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.common import (DEFAULT_DATA_DIR, DataMissingError, data_file, describe_load,
                          describe_machine, format_table, load_corpus, percentile, progress,
                          words)

WRITER = r'''
import json, sys, time
from vnsearch import Index
path, feed, batch, seconds = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
docs = [json.loads(line) for line in open(feed, encoding="utf-8")]
batches = [docs[i:i + batch] for i in range(0, len(docs), batch)]
started = time.monotonic()
added = 0
for number, chunk in enumerate(batches):
    # spread the batches over the run, as a feed of news would arrive
    wait = started + number * seconds / len(batches) - time.monotonic()
    if wait > 0:
        time.sleep(wait)
    report = Index.open(path).add(chunk)
    added += report.added
print(json.dumps({"added": added, "seconds": time.monotonic() - started}))
'''


def main(argv=None):
    """Run the benchmark and print its tables (Markdown) on stdout."""
    args = parse_args(argv)
    try:
        corpus = data_file(args.data_dir, "news_dated.jsonl.gz")
    except DataMissingError as error:
        print(f"Skipping the load benchmark: {error}", file=sys.stderr)
        return 0
    docs = load_corpus(corpus)
    random.Random(args.seed).shuffle(docs)
    base, extra = docs[:-args.writer_docs], docs[-args.writer_docs:]
    if args.base_docs:
        base = base[:args.base_docs]
    queries = title_queries(base, args.queries, args.seed)

    work = Path(tempfile.mkdtemp(prefix="vnsearch-load-"))
    try:
        return run(args, base, extra, queries, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def run(args, base, extra, queries, work):
    from vnsearch import Index
    progress(f"Indexing {len(base):,} base articles...")
    started = time.monotonic()
    Index.create(work / "base").add(base)
    build_seconds = time.monotonic() - started
    feed = work / "feed.jsonl"
    with open(feed, "w", encoding="utf-8") as out:
        for doc in extra:
            out.write(json.dumps(doc, ensure_ascii=False) + "\n")

    runs = []
    progress("Single client...")
    runs.append(measure(args, work, "single client", clients=1, pace=None, writer=None,
                        queries=queries, seconds=args.baseline_seconds, expect=len(base)))
    for label, pace in (("paced", args.pace), ("saturated", None)):
        progress(f"{args.clients} clients, {label}, writer adding {len(extra):,}...")
        runs.append(measure(args, work, label, clients=args.clients, pace=pace,
                            writer=feed, queries=queries, seconds=args.seconds,
                            expect=len(base) + len(extra)))

    baseline_p95 = runs[0]["p95_ms"]
    for result in runs:
        result["p95_vs_single"] = result["p95_ms"] / baseline_p95 if baseline_p95 else None
    print(f"Machine: {describe_machine()}; {describe_load()} at the end")
    print(f"Index: {len(base):,} news_dated articles (built in {build_seconds:.0f} s), "
          f"server: `vnsearch serve --workers {args.workers}`; writer: another process "
          f"adding {len(extra):,} articles in batches of {args.batch} over "
          f"{0.8 * args.seconds:.0f} s; queries: {len(queries)} title fragments"
          f"{' with ' + '&'.join(args.param) if args.param else ''}.\n")
    print(format_table(
        ["run", "clients", "s", "requests", "req/s", "p50 ms", "p95 ms", "p99 ms",
         "p95 / single", "errors", "search p50 ms", "search p95 ms", "docs seen at end",
         "writer s"],
        [[r["label"], r["clients"], r["seconds"], r["requests"], r["throughput"],
          r["p50_ms"], r["p95_ms"], r["p99_ms"], r["p95_vs_single"], r["errors"],
          r["engine_p50_ms"], r["engine_p95_ms"], r["documents_at_end"],
          r.get("writer_seconds")] for r in runs]))
    print("\nLatency is measured by the clients (request sent to answer read); 'search' is "
          "the engine's own took_ms for the same requests.")
    if args.json:
        Path(args.json).write_text(json.dumps({
            "machine": describe_machine(), "load": describe_load(), "runs": runs,
            "base_documents": len(base), "written_documents": len(extra),
            "workers": args.workers, "build_seconds": build_seconds}, indent=2))
    return 0


def measure(args, work, label, *, clients, pace, writer, queries, seconds, expect):
    """One run on a fresh copy of the base index, with its own server process."""
    index = work / label.replace(" ", "-")
    shutil.copytree(work / "base", index)
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("VNSEARCH_")}
    server = subprocess.Popen(
        [sys.executable, "-m", "vnsearch", "serve", "--index", str(index), "--port",
         str(port), "--workers", str(args.workers), "--no-access-log"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    url = f"http://127.0.0.1:{port}"
    writer_process = None
    try:
        wait_until_up(url, server)
        asyncio.run(clients_run(url, queries[:50], 1, None, 3.0, seed=99))  # warm up
        if writer is not None:
            writer_process = subprocess.Popen(
                [sys.executable, "-c", WRITER, str(index), str(writer), str(args.batch),
                 str(0.8 * seconds)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                env=env, text=True)
        timings, errors, engine, elapsed = asyncio.run(
            clients_run(url, queries, clients, pace, seconds, seed=args.seed,
                        extra=dict(p.split("=", 1) for p in args.param)))
        writer_seconds = None
        if writer_process is not None:
            out, err = writer_process.communicate(timeout=600)
            if writer_process.returncode != 0:
                raise SystemExit(f"the writer failed: {err}")
            writer_seconds = json.loads(out)["seconds"]
        documents = asyncio.run(document_count(url))
    finally:
        server.terminate()
        server.wait(timeout=30)
    return {"label": label, "clients": clients, "seconds": round(elapsed, 1),
            "requests": len(timings) + len(errors), "throughput": len(timings) / elapsed,
            "p50_ms": percentile(timings, 50) * 1000, "p95_ms": percentile(timings, 95) * 1000,
            "p99_ms": percentile(timings, 99) * 1000, "errors": len(errors),
            "engine_p50_ms": percentile(engine, 50) * 1000,
            "engine_p95_ms": percentile(engine, 95) * 1000,
            "error_samples": errors[:5], "documents_at_end": documents,
            "documents_expected": expect, "writer_seconds": writer_seconds}


async def clients_run(url, queries, clients, pace, seconds, seed, extra=None):
    """``clients`` tasks searching until ``seconds`` pass; latencies of 200 answers and
    a description of every other answer."""
    import httpx
    timings, errors, engine = [], [], []
    extra = extra or {}
    deadline = time.monotonic() + seconds

    async def client(number):
        rng = random.Random(seed * 1000 + number)
        async with httpx.AsyncClient(base_url=url, timeout=30) as http:
            if pace:  # stagger the first searches across one pause
                await asyncio.sleep(rng.uniform(0, pace))
            while time.monotonic() < deadline:
                query = rng.choice(queries)
                started = time.perf_counter()
                try:
                    answer = await http.get("/search", params={"q": query, "limit": 10,
                                                               **extra})
                    took = time.perf_counter() - started
                    if answer.status_code == 200:
                        timings.append(took)
                        engine.append(answer.json()["took_ms"] / 1000)
                    else:
                        errors.append(f"{answer.status_code}: {answer.text[:200]}")
                except httpx.HTTPError as error:
                    errors.append(f"{type(error).__name__}: {error}")
                if pace:
                    await asyncio.sleep(rng.expovariate(1 / pace))

    started = time.monotonic()
    await asyncio.gather(*(client(n) for n in range(clients)))
    return timings, errors, engine, time.monotonic() - started


async def document_count(url):
    import httpx
    async with httpx.AsyncClient(base_url=url, timeout=30) as http:
        return (await http.get("/health")).json()["documents"]


def title_queries(docs, count, seed):
    """``count`` queries of 1-4 consecutive title words, every other one unaccented."""
    from unidecode import unidecode
    rng = random.Random(seed)
    queries = []
    while len(queries) < count:
        title = words(rng.choice(docs)["title"] or "")
        if not title:
            continue
        size = rng.randint(1, min(4, len(title)))
        start = rng.randint(0, len(title) - size)
        query = " ".join(title[start:start + size])
        queries.append(unidecode(query) if len(queries) % 2 else query)
    return queries


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until_up(url, server, timeout=120):
    import httpx
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"the server exited: {server.stderr.read().decode()}")
        try:
            if httpx.get(url + "/health", timeout=5).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise SystemExit("the server did not start")


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", default=DEFAULT_DATA_DIR, type=Path)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=60.0,
                        help="length of each loaded run (default 60)")
    parser.add_argument("--baseline-seconds", type=float, default=20.0)
    parser.add_argument("--writer-docs", type=int, default=1000)
    parser.add_argument("--base-docs", type=int, default=None,
                        help="index only this many base articles (default: all the rest)")
    parser.add_argument("--batch", type=int, default=50, help="articles per write")
    parser.add_argument("--pace", type=float, default=1.0,
                        help="mean pause between one client's searches in the paced run (s)")
    parser.add_argument("--workers", type=int, default=2, help="server processes")
    parser.add_argument("--queries", type=int, default=400)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--param", action="append", default=[], metavar="KEY=VALUE",
                        help="extra /search parameter for every query, e.g. typos=false")
    parser.add_argument("--json", help="also write the figures to this file")
    return parser.parse_args(argv)


if __name__ == "__main__":
    sys.exit(main())
