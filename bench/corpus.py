"""A large, realistic news archive made from the 38,087 real articles, for scale benchmarks.

    python -m bench.corpus --size 100000 --out /tmp/corpus-100k.jsonl.gz
    python -m bench.corpus --stats /tmp/corpus-100k.jsonl.gz   # compare with the real ones

How an archive of N articles is made (the same N and seed always give the same file):

- The real articles come first, every one unchanged (id, title, date and body), in a
  seeded shuffle, so any prefix is a random sample of the real archive and the known-item
  query sets still find their articles inside a larger archive.
- Every later article is a *variant* of one real article, its seed, taken in turn from the
  same shuffle: the seed's title, its first passage (the lead) unchanged, then as many
  passages as the seed has, each either the seed's own passage at that place (half the
  time) or a passage drawn from one of two other articles of the same source and category
  (a follow-up story). A passage is a paragraph; bodies that have fewer than three
  paragraphs (the baomoi crawl keeps lead + body) are cut into sentences instead.
- Numbers of three or more digits in a variant are redrawn (same number of digits), so
  the vocabulary keeps growing with the archive as a real archive's does with its new
  prices, scores and counts; years (1900–2099) are left alone.
- Dates: the real date where there is one; otherwise a day drawn uniformly over twenty
  years (2006-01-01 to 2025-12-31).
- Ids: real articles keep theirs; variant k is ``<seed id>~<k>``.

Only the real articles (and their passages, about 0.5 GB in all) are held in memory; the
archive is written as it is made, one line at a time, so a million articles need no more
memory than a hundred thousand.
"""

import argparse
import datetime
import gzip
import json
import random
import re
import sys
from collections import Counter, defaultdict
from pathlib import Path

from bench.common import (DEFAULT_DATA_DIR, DataMissingError, data_file, format_table,
                          progress, read_jsonl, words)

SOURCES = ["news_dated.jsonl.gz", "news_baomoi.jsonl.gz"]
FIRST_DAY = datetime.date(2006, 1, 1)
DAYS = (datetime.date(2025, 12, 31) - FIRST_DAY).days + 1
KEEP_SEED_PASSAGE = 0.5
DONORS = 2
SENTENCE_END = re.compile(r"(?<=[.!?…])\s+(?=\S)")
LONG_NUMBER = re.compile(r"\d{3,}")
YEAR = re.compile(r"(19|20)\d\d")
STATS_CHECKPOINTS = [1_000, 5_000, 20_000, 38_087, 100_000, 300_000, 1_000_000]


def main(argv=None):
    """Write an archive (``--size N --out FILE``) or compare one with the real articles."""
    args = parse_args(argv)
    try:
        real = load_real_articles(args.data_dir)
    except DataMissingError as error:
        print(f"bench.corpus: {error}", file=sys.stderr)
        return 2
    if args.stats:
        print(compare_statistics(real, args.stats, args.seed))
        return 0
    written = write_archive(real, args.size, args.out, args.seed)
    progress(f"{written:,} articles written to {args.out}")
    return 0


def parse_args(argv):
    """Parse the command line."""
    parser = argparse.ArgumentParser(
        prog="python -m bench.corpus",
        description="Write a deterministic archive of N news articles made from the real ones.")
    action = parser.add_mutually_exclusive_group(required=True)
    action.add_argument("--size", type=int, help="number of articles to write")
    action.add_argument("--stats", metavar="FILE",
                        help="compare an archive's statistics with the real articles'")
    parser.add_argument("--out", help="output file (.jsonl.gz or .jsonl)")
    parser.add_argument("--seed", type=int, default=0, help="shuffle seed (default 0)")
    parser.add_argument("--data-dir", default=str(DEFAULT_DATA_DIR),
                        help="folder holding the real articles (default ../shared/data)")
    args = parser.parse_args(argv)
    if args.size is not None and not args.out:
        parser.error("--size needs --out FILE")
    return args


def load_real_articles(data_dir):
    """The real articles as dicts with ``id, title, date, body`` and their ``group``.

    The group is the source and, where the id names one, the category
    (``unc-news_sport_012`` → ``unc-news_sport``; ``vnexpress-…`` → ``vnexpress``).
    """
    articles = []
    for name in SOURCES:
        for obj in read_jsonl(data_file(data_dir, name)):
            articles.append({"id": obj["id"], "title": obj.get("title") or "",
                             "date": obj.get("date"), "body": obj.get("body") or "",
                             "group": article_group(obj["id"])})
    return articles


def article_group(doc_id):
    """Source and category named by an id: the pool a variant draws passages from."""
    if doc_id.startswith("unc-"):
        return doc_id.rsplit("_", 1)[0]
    return doc_id.split("-", 1)[0]


def passages(body):
    """Cut a body into the units a variant recombines: paragraphs, or sentences when the
    body has fewer than three paragraphs."""
    paragraphs = [p for p in body.split("\n") if p.strip()]
    if len(paragraphs) >= 3:
        return paragraphs, "\n"
    sentences = [s for p in paragraphs for s in SENTENCE_END.split(p) if s.strip()]
    return sentences, " "


def generate_archive(real, size, seed=0):
    """Yield ``size`` articles ``{"id","title","date","body"}``, one at a time (see the
    module docstring for how they are made)."""
    order = list(range(len(real)))
    random.Random(seed).shuffle(order)
    groups = defaultdict(list)
    for position in order:
        groups[real[position]["group"]].append(position)
    cut = {}
    for number in range(size):
        rng = random.Random(f"{seed}:{number}")
        article = real[order[number % len(real)]]
        if number < len(real):
            date = article["date"] or _random_date(rng)
            yield {"id": article["id"], "title": article["title"], "date": date,
                   "body": article["body"]}
            continue
        pool = groups[article["group"]]
        donors = [real[rng.choice(pool)] for _ in range(DONORS)]
        units, joiner = _cut(cut, article)
        body = [units[0]] if units else []
        for place in range(1, len(units)):
            if rng.random() < KEEP_SEED_PASSAGE:
                body.append(units[place])
            else:
                donor_units = _cut(cut, rng.choice(donors))[0]
                body.append(rng.choice(donor_units) if donor_units else units[place])
        text = _redraw_numbers(joiner.join(body), rng)
        yield {"id": f"{article['id']}~{number}", "title": article["title"],
               "date": article["date"] or _random_date(rng), "body": text}


def write_archive(real, size, out, seed=0):
    """Write ``size`` articles to ``out`` (gzip when it ends in .gz); returns the count."""
    out = Path(out)
    opener = gzip.open if out.suffix == ".gz" else open
    count = 0
    with opener(out, "wt", encoding="utf-8") as stream:
        for article in generate_archive(real, size, seed):
            stream.write(json.dumps(article, ensure_ascii=False) + "\n")
            count += 1
            if count % 100_000 == 0:
                progress(f"  {count:,} articles")
    return count


def _cut(cache, article):
    # Each body is cut once, when a variant first needs it.
    key = article["id"]
    if key not in cache:
        cache[key] = passages(article["body"])
    return cache[key]


def _random_date(rng):
    return (FIRST_DAY + datetime.timedelta(days=rng.randrange(DAYS))).isoformat()


def _redraw_numbers(text, rng):
    def redraw(match):
        digits = match.group()
        if len(digits) == 4 and YEAR.fullmatch(digits):
            return digits
        return str(rng.randrange(1, 10)) + "".join(
            str(rng.randrange(10)) for _ in range(len(digits) - 1))
    return LONG_NUMBER.sub(redraw, text)


# --- statistics ----------------------------------------------------------------------


def text_statistics(articles, checkpoints=STATS_CHECKPOINTS):
    """Word counts per body, vocabulary size at each checkpoint, and term frequencies.

    Words are lower-cased letter/digit runs (Vietnamese syllables, mostly).
    """
    lengths, vocabulary, growth, frequencies = [], set(), {}, Counter()
    count = 0
    for count, article in enumerate(articles, start=1):
        tokens = [w.lower() for w in words(article["title"] + "\n" + article["body"])]
        lengths.append(len(tokens))
        vocabulary.update(tokens)
        frequencies.update(tokens)
        if count in checkpoints:
            growth[count] = len(vocabulary)
    growth[count] = len(vocabulary)
    return {"documents": count, "lengths": sorted(lengths), "growth": growth,
            "frequencies": frequencies}


def compare_statistics(real, archive_path, seed=0):
    """A Markdown report comparing an archive with the real articles: length
    distribution, vocabulary growth (Heaps) and top-term frequencies."""
    from bench.common import percentile

    real_stats = text_statistics(a for a in real)
    archive = text_statistics(read_jsonl(archive_path))
    rows = []
    for label, stats in (("real", real_stats), ("archive", archive)):
        lengths = stats["lengths"]
        rows.append([label, stats["documents"], percentile(lengths, 10),
                     percentile(lengths, 50), sum(lengths) / len(lengths),
                     percentile(lengths, 90), percentile(lengths, 99)])
    report = ["Words per article (title + body)", "",
              format_table(["set", "articles", "p10", "median", "mean", "p90", "p99"], rows),
              "", "Vocabulary growth (distinct lower-cased words)", ""]
    sizes = sorted(set(real_stats["growth"]) | set(archive["growth"]))
    report.append(format_table(
        ["articles", "real", "archive"],
        [[n, real_stats["growth"].get(n), archive["growth"].get(n)] for n in sizes]))
    real_total = sum(real_stats["frequencies"].values())
    archive_total = sum(archive["frequencies"].values())
    top = [term for term, _ in real_stats["frequencies"].most_common(20)]
    report += ["", "Top terms of the real articles: share of all words (per mille)", "",
               format_table(["term", "real ‰", "archive ‰"],
                            [[t, 1000 * real_stats["frequencies"][t] / real_total,
                              1000 * archive["frequencies"][t] / archive_total] for t in top])]
    report += ["", f"Top-1000 overlap: {_top_overlap(real_stats, archive, 1000):.3f}; "
               f"rank correlation of the real top 1000 (Spearman): "
               f"{_spearman(real_stats, archive, 1000):.3f}"]
    return "\n".join(report)


def _top_overlap(a, b, k):
    top_a = {t for t, _ in a["frequencies"].most_common(k)}
    top_b = {t for t, _ in b["frequencies"].most_common(k)}
    return len(top_a & top_b) / k


def _spearman(a, b, k):
    terms = [t for t, _ in a["frequencies"].most_common(k)]
    rank_b = {t: r for r, (t, _) in enumerate(
        sorted(((t, b["frequencies"][t]) for t in terms), key=lambda x: -x[1]))}
    n = len(terms)
    d2 = sum((r - rank_b[t]) ** 2 for r, t in enumerate(terms))
    return 1 - 6 * d2 / (n * (n * n - 1))


if __name__ == "__main__":
    sys.exit(main())
