"""What the benchmarks share: data loading, sampling, metrics, timing and tables.

Kept small on purpose; each benchmark script reads top to bottom without it.
"""

import gzip
import itertools
import json
import math
import os
import platform
import random
import resource
import re
import sqlite3
import statistics
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA_DIR = REPO_ROOT.parent / "shared" / "data"


class DataMissingError(Exception):
    """Raised when a benchmark's data file is not where it should be."""


def data_file(data_dir, name):
    """Return the path of ``name`` inside ``data_dir``, or raise :class:`DataMissingError`.

    A name that is itself an existing path is returned unchanged, so options accept both
    ``xquad_vi_corpus.jsonl`` and ``/some/where/corpus.jsonl``.
    """
    if os.path.exists(name):
        return Path(name)
    path = Path(data_dir) / name
    if not path.exists():
        raise DataMissingError(
            f"{path} not found. The benchmarks read the shared data (never copied into "
            f"the repository) from {Path(data_dir)}; pass --data-dir to point elsewhere."
        )
    return path


def read_jsonl(path):
    """Yield one object per non-empty line of a JSON Lines file (``.gz`` too)."""
    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as lines:
        for line in lines:
            if line.strip():
                yield json.loads(line)


def load_corpus(paths, limit=None, step=1):
    """Load documents from one or more JSON Lines files as ``{"id","title","date","body"}``.

    Extra keys (``source``, ``url``, …) are dropped, so every system sees the same four.
    ``limit`` keeps the first N documents over all files; ``step`` keeps every
    ``step``-th one only (the first, then ``step`` further on, …) without holding the
    others: a sample of a million-article archive in a few MB.
    """
    if isinstance(paths, (str, Path)):
        paths = [paths]
    objects = itertools.chain.from_iterable(map(read_jsonl, paths))
    return [{key: obj.get(key) for key in ("id", "title", "date", "body")}
            for obj in itertools.islice(itertools.islice(objects, 0, None, step), limit)]


def load_queries(path):
    """Load a query set: a list of ``{"qid", "query", "relevant": [ids], ...}``."""
    return list(read_jsonl(path))


def sample_queries(queries, n, seed=0):
    """Return a seeded sample of ``n`` queries, in file order (all of them if ``n`` is None).

    The sample is drawn over sorted qids, so the accented and unaccented files of one set
    give the same questions for the same seed.
    """
    if n is None or n >= len(queries):
        return list(queries)
    chosen = set(random.Random(seed).sample(sorted(q["qid"] for q in queries), n))
    return [q for q in queries if q["qid"] in chosen]


def words(text):
    """Split text into Unicode words (letters and digits; no underscore).

    >>> words('Ngành thuế "thất thu" 1.000')
    ['Ngành', 'thuế', 'thất', 'thu', '1', '000']
    """
    return re.findall(r"[^\W_]+", text)


# --- relevance metrics (binary relevance) -------------------------------------------


def reciprocal_rank(ranked, relevant, k=10):
    """1/rank of the first relevant id within the top ``k``, else 0."""
    for rank, doc_id in enumerate(ranked[:k], start=1):
        if doc_id in relevant:
            return 1.0 / rank
    return 0.0


def ndcg(ranked, relevant, k=10):
    """nDCG@k with binary gains: DCG over the top ``k`` divided by the ideal DCG."""
    dcg = sum(1.0 / math.log2(rank + 1)
              for rank, doc_id in enumerate(ranked[:k], start=1) if doc_id in relevant)
    ideal = sum(1.0 / math.log2(rank + 1) for rank in range(1, min(len(relevant), k) + 1))
    return dcg / ideal if ideal else 0.0


def recall(ranked, relevant, k):
    """Share of the relevant ids found in the top ``k``."""
    return len(relevant.intersection(ranked[:k])) / len(relevant) if relevant else 0.0


def evaluate(rankings, queries):
    """Mean MRR@10, nDCG@10, Recall@10 and Recall@100 over ``queries``.

    ``rankings`` maps each qid to its ranked list of document ids (at least 100 deep for
    Recall@100 to mean anything).
    """
    totals = {"mrr@10": 0.0, "ndcg@10": 0.0, "recall@10": 0.0, "recall@100": 0.0}
    for query in queries:
        ranked, relevant = rankings[query["qid"]], set(query["relevant"])
        totals["mrr@10"] += reciprocal_rank(ranked, relevant)
        totals["ndcg@10"] += ndcg(ranked, relevant)
        totals["recall@10"] += recall(ranked, relevant, 10)
        totals["recall@100"] += recall(ranked, relevant, 100)
    return {name: total / len(queries) for name, total in totals.items()} if queries else totals


# --- timing and memory ---------------------------------------------------------------


def percentile(values, q):
    """The ``q``-th percentile (0–100) by the nearest-rank method; None if no values."""
    ordered = sorted(values)
    if not ordered:
        return None
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


def latency_summary(seconds):
    """Median and p95 of a list of durations, in milliseconds (None when empty)."""
    if not seconds:
        return {"p50_ms": None, "p95_ms": None, "n": 0}
    return {"p50_ms": statistics.median(seconds) * 1000,
            "p95_ms": percentile(seconds, 95) * 1000,
            "n": len(seconds)}


def peak_rss_mb(children=False):
    """Peak resident memory of this process (or of its largest finished child), in MB.

    For this process it is the kernel's high-water mark of its own memory (``VmHWM``),
    not ``ru_maxrss``: Linux keeps ``ru_maxrss`` across fork and exec, so a child
    started by a parent that once held 1.3 GB reported 1.3 GB however little it used
    (the benchmarks' workers are started by a parent that loads whole archives). For
    children it is ``ru_maxrss`` of the largest one (in kilobytes on Linux), which the
    same caveat applies to.
    """
    if not children:
        try:
            with open("/proc/self/status", encoding="ascii") as status:
                for line in status:
                    if line.startswith("VmHWM:"):
                        return int(line.split()[1]) / 1024
        except OSError:
            pass  # not Linux: ru_maxrss, with its caveat
    who = resource.RUSAGE_CHILDREN if children else resource.RUSAGE_SELF
    return resource.getrusage(who).ru_maxrss / 1024


def folder_size_bytes(path):
    """Total size of the files under ``path`` (or of ``path`` itself if it is a file)."""
    path = Path(path)
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def machine_info():
    """The facts a benchmark table must state: platform, cores, Python, SQLite."""
    return {
        "platform": platform.platform(),
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "load_average": os.getloadavg(),
    }


def describe_machine():
    """One line naming the machine, for the top of a report."""
    info = machine_info()
    return (f"{info['platform']}, {info['cores']} cores ({info['cpu']}), "
            f"Python {info['python']}, SQLite {info['sqlite']}")


def describe_load():
    """The 1, 5 and 15-minute load averages: other work on the machine skews timings."""
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f}, {five:.2f}, {fifteen:.2f} ({os.cpu_count()} cores)"


def _cpu_model():
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


# --- output ----------------------------------------------------------------------------


def format_table(headers, rows):
    """Format rows as a Markdown table, columns aligned, numbers right-aligned.

    The same text reads well in a terminal and pastes into docs/benchmarks.md.
    """
    cells = [[_cell(value) for value in row] for row in rows]
    widths = [max(len(str(h)), *(len(row[i]) for row in cells)) for i, h in enumerate(headers)]
    numeric = [bool(rows) and all(_is_number(row[i]) for row in rows)
               for i in range(len(headers))]

    def line(values):
        return "| " + " | ".join(
            v.rjust(w) if num else v.ljust(w) for v, w, num in zip(values, widths, numeric)
        ) + " |"

    rule = "|" + "|".join(("-" * (w + 1) + ":") if num else ("-" * (w + 2))
                          for w, num in zip(widths, numeric)) + "|"
    return "\n".join([line([str(h) for h in headers]), rule, *(line(row) for row in cells)])


def ratio(value, baseline):
    """``value / baseline``, or None when either is missing or the baseline is zero."""
    try:
        return value / baseline
    except (TypeError, ZeroDivisionError):
        return None


def _is_number(value):
    return isinstance(value, (int, float)) or value is None


def _cell(value):
    if value is None:
        return "–"
    if isinstance(value, float):
        if math.isnan(value):
            return "–"
        if abs(value) >= 1000:
            return f"{value:,.0f}"
        if abs(value) >= 100:
            return f"{value:.0f}"
        if abs(value) >= 10:
            return f"{value:.1f}"
        return f"{value:.3f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def progress(message):
    """Print a progress line on stderr (results go to stdout)."""
    print(message, file=sys.stderr, flush=True)
