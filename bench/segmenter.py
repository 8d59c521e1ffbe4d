"""Word segmentation: vnsearch.segment against pyvi, on real news articles.

    python -m bench.segmenter                 # 1,000 articles of news_dated, 3 runs
    python -m bench.segmenter --docs 5472 --runs 5

Segments the title and body of each article (NFC-normalised first, as vnsearch's analysis
does) with ``pyvi.ViTokenizer.tokenize`` and with ``vnsearch.segment`` in the same
process, checks that every output is identical, and reports documents per second (the
median of the runs) and the model load time of each, measured in fresh processes.
"""

import argparse
import statistics
import subprocess
import sys
import time
import unicodedata

from bench.common import (DEFAULT_DATA_DIR, DataMissingError, data_file, describe_machine,
                          load_corpus)

LOAD_PYVI = "import pyvi.ViTokenizer"
LOAD_VNSEARCH = "from vnsearch import segment; segment._load()"


def load_seconds(statement, runs):
    """Median wall time of ``statement`` in fresh Python processes (imports included)."""
    code = (
        "import time; start = time.perf_counter()\n"
        f"{statement}\n"
        "print(time.perf_counter() - start)"
    )
    times = [
        float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                             check=True).stdout)
        for _ in range(runs)
    ]
    return statistics.median(times)


def seconds_per_pass(function, texts, runs):
    """Median time of ``runs`` passes of ``function`` over ``texts``."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        for text in texts:
            function(text)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--docs", type=int, default=1000, help="articles to segment")
    parser.add_argument("--runs", type=int, default=3, help="timed passes; the median counts")
    parser.add_argument("--data-dir", default=DEFAULT_DATA_DIR, help="the shared data folder")
    args = parser.parse_args(argv)
    try:
        path = data_file(args.data_dir, "news_dated.jsonl.gz")
    except DataMissingError as error:
        sys.exit(str(error))

    docs = load_corpus(path, limit=args.docs)
    texts = [unicodedata.normalize("NFC", doc[key] or "") for doc in docs
             for key in ("title", "body")]
    print(f"# Segmentation: {len(docs)} articles of {path.name}, "
          f"{sum(map(len, texts)):,} characters, median of {args.runs} runs")
    print(f"# {describe_machine()}")

    load_vnsearch = load_seconds(LOAD_VNSEARCH, args.runs)
    load_pyvi = load_seconds(LOAD_PYVI, args.runs)

    from pyvi import ViTokenizer

    from vnsearch import segment

    different = [text for text in texts if segment.tokenize(text) != ViTokenizer.tokenize(text)]
    syllables = sum(len(segment.syllabify(text)) for text in texts)

    pyvi_time = seconds_per_pass(ViTokenizer.tokenize, texts, args.runs)
    segment_time = seconds_per_pass(segment.segment, texts, args.runs)
    tokenize_time = seconds_per_pass(segment.tokenize, texts, args.runs)

    rows = [
        ("pyvi.ViTokenizer.tokenize", load_pyvi, pyvi_time),
        ("vnsearch.segment.segment (spans)", load_vnsearch, segment_time),
        ("vnsearch.segment.tokenize", load_vnsearch, tokenize_time),
    ]
    print()
    print(f"{'segmenter':34} {'load s':>7} {'docs/s':>8} {'syllables/s':>12} {'vs pyvi':>8}")
    for name, load, seconds in rows:
        print(f"{name:34} {load:7.3f} {len(docs) / seconds:8.1f} "
              f"{syllables / seconds:12,.0f} {pyvi_time / seconds:7.1f}x")
    print()
    print(f"identical output: {len(texts) - len(different)} of {len(texts)} texts "
          f"({syllables:,} syllables)")
    if different:
        print(f"first difference: {different[0][:200]!r}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
