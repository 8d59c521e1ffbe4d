"""Time and peak memory of merging segments: streamed against the writer's pool.

    python -m bench.merge --build /tmp/segments --corpus /tmp/corpus-100k.jsonl.gz \\
        --articles 32000 --commit 4000          # segments of 4,000, never merged
    python -m bench.merge --from /tmp/segments/gen-1 --segments 8 --ways stream pool

``--from`` takes the N smallest segments of the Whoosh index in a folder (never
modified: their files are copied into a scratch folder with a table of contents of
their own) and merges them into one segment, once per way and run, each time in a
fresh child process (``FastSegmentWriter.commit(optimize=True)``): ``stream`` is
:mod:`vnsearch.segment_merge`, ``pool`` the writer's pool (Whoosh's ``add_reader``,
posting by posting). Reported per run: wall and CPU seconds of the merge, the child's
RSS before it and at its peak (``VmHWM``, :func:`bench.common.peak_rss_mb`); the merged
files of every run must be the same bytes, or the benchmark fails.
"""

import argparse
import hashlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.common import format_table, peak_rss_mb, read_jsonl

INDEX_NAME = "MAIN"


def build(folder, corpus, articles, commit):
    """Index the first ``articles`` of ``corpus`` in commits of ``commit``, merging none."""
    from vnsearch import Index, merging
    merging.MERGE_FACTOR = 10 ** 6  # no tier ever fills: every commit stays a segment
    index = Index.create(folder)
    index.commit_every = commit
    started = time.perf_counter()

    def documents():
        for number, document in enumerate(read_jsonl(corpus)):
            if number >= articles:
                return
            yield document

    report = index.add(documents())
    print(f"{report.added} articles in {time.perf_counter() - started:.0f} s", file=sys.stderr)


def copy_segments(source, count, scratch):
    """A Whoosh index in ``scratch`` holding copies of the ``count`` smallest segments
    of the one in ``source``; returns their document counts."""
    from whoosh.filedb.filestore import FileStorage
    from whoosh.index import TOC, FileIndex
    storage = FileStorage(str(source))
    toc = FileIndex(storage, indexname=INDEX_NAME)._read_toc()
    segments = sorted(toc.segments, key=lambda s: s.doc_count_all())[:count]
    scratch.mkdir(parents=True)
    names = storage.list()
    for segment in segments:
        prefix = segment.make_filename("")
        for name in names:
            if name.startswith(prefix):
                shutil.copyfile(Path(source) / name, scratch / name)
    TOC(toc.schema, segments, 0).write(FileStorage(str(scratch)), INDEX_NAME)
    return [segment.doc_count() for segment in segments]


def merge_child(folder, way):
    """Run in the child: merge every segment of ``folder`` one ``way``; print figures."""
    from whoosh.filedb.filestore import FileStorage
    from whoosh.index import FileIndex

    from vnsearch import writing
    if way == "pool":
        writing._streamable = lambda reader: False
    ix = FileIndex(FileStorage(folder), indexname=INDEX_NAME)
    rss_before = peak_rss_mb()
    wall, cpu = time.perf_counter(), time.process_time()
    writing.FastSegmentWriter(ix).commit(optimize=True)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    rss_peak = peak_rss_mb()
    (segment,) = FileIndex(FileStorage(folder), indexname=INDEX_NAME)._segments()
    prefix = segment.make_filename("")
    from whoosh.filedb.filetables import OrderedHashReader
    storage = FileStorage(folder)
    table = OrderedHashReader.open(storage, segment.make_filename(".trm"))
    terms = table.extras["indexlen"]
    table.close()
    digests = {}
    for name in sorted(os.listdir(folder)):
        if name.startswith(prefix):
            with open(os.path.join(folder, name), "rb") as file:
                digests[name[len(prefix):]] = hashlib.file_digest(file, "sha256").hexdigest()
    print(json.dumps({"wall": wall, "cpu": cpu, "rss_before": rss_before,
                      "rss_peak": rss_peak, "docs": segment.doc_count(), "terms": terms,
                      "digests": digests}))


def measure(source, count, ways, runs, scratch_root):
    rows, results = [], {}
    for run in range(runs):
        for way in ways:
            scratch = Path(tempfile.mkdtemp(dir=scratch_root)) / "index"
            sizes = copy_segments(source, count, scratch)
            try:
                output = subprocess.run(
                    [sys.executable, "-m", "bench.merge", "--child", str(scratch), way],
                    check=True, capture_output=True, text=True).stdout
            finally:
                shutil.rmtree(scratch.parent)
            figures = json.loads(output.strip().splitlines()[-1])
            results.setdefault(way, []).append(figures)
            print(f"run {run + 1} {way}: {figures['wall']:.1f} s, peak RSS "
                  f"{figures['rss_peak']:.0f} MB, {figures['terms']:,} terms", file=sys.stderr)
    digests = {json.dumps(f["digests"], sort_keys=True) for fs in results.values() for f in fs}
    if len(digests) != 1:
        raise SystemExit("the ways wrote different segments")
    for way, figures in results.items():
        rows.append([way, f"{len(sizes)} ({sum(sizes):,} docs)", len(figures),
                     f"{statistics.median(f['wall'] for f in figures):.1f}",
                     f"{statistics.median(f['cpu'] for f in figures):.1f}",
                     f"{statistics.median(f['rss_before'] for f in figures):.0f}",
                     f"{statistics.median(f['rss_peak'] for f in figures):.0f}"])
    print(format_table(["way", "segments merged", "runs", "wall s (median)",
                        "CPU s (median)", "RSS before MB", "peak RSS MB"], rows))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build", type=Path, help="make an index of unmerged segments here")
    parser.add_argument("--corpus", type=Path, help="articles for --build (.jsonl.gz)")
    parser.add_argument("--articles", type=int, default=32_000)
    parser.add_argument("--commit", type=int, default=4_000, help="articles per segment")
    parser.add_argument("--from", dest="source", type=Path,
                        help="the Whoosh index folder whose segments are merged")
    parser.add_argument("--segments", type=int, default=8, help="how many (the smallest)")
    parser.add_argument("--ways", nargs="+", default=["stream", "pool"],
                        choices=["stream", "pool"])
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--scratch", type=Path, default=Path(tempfile.gettempdir()))
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        merge_child(*args.child)
    elif args.build:
        build(args.build, args.corpus, args.articles, args.commit)
    elif args.source:
        measure(args.source, args.segments, args.ways, args.runs, args.scratch)
    else:
        parser.error("give --build or --from")


if __name__ == "__main__":
    main()
