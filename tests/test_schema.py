"""schema.prepare, the analysis of every indexed field, gives what it always gave.

Its fast path (analysis.tally, segment.segment_strings, positions grouped and encoded
with numpy) must change nothing a reader or a writer could see: the previous
implementation, kept in ``previous_analysis``, is the reference for every term,
frequency, position and byte, on real Vietnamese text and on the odd inputs real
archives hold; and the same documents written through either give the same index
files, byte for byte.
"""

import gzip
import itertools
import json
import random
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from whoosh import index as whoosh_index

import previous_analysis
from vnsearch import schema, writing

REPO = Path(__file__).resolve().parent.parent
SEEDS = sorted((REPO / "seeds").glob("*.txt"))
NEWS = REPO.parent / "shared" / "data" / "news_dated.jsonl.gz"


def contents(prepared):
    """Everything a PreparedText carries, as plain comparable values."""
    return (prepared.terms, prepared.frequencies.tobytes(), prepared.positions,
            prepared.position_lengths.tobytes(), prepared.length, prepared.pairs)


def assert_prepared_as_before(text):
    try:
        expected = contents(previous_analysis.prepare(text))
    except UnicodeEncodeError:  # a lone surrogate in a term: the same error, then
        with pytest.raises(UnicodeEncodeError):
            schema.prepare(text)
        return
    assert contents(schema.prepare(text)) == expected


def seed_texts():
    texts = []
    for path in SEEDS:
        content = path.read_text(encoding="utf-8")
        texts.append(content)
        texts.extend(line for line in content.splitlines() if line.strip())
    return texts


ODD_TEXTS = [
    "",
    "   \n\t ",
    "... ==> -> >> !?",
    "Công nghệ thông tin",
    # NFD (macOS, some PDFs), also with stray marks NFC cannot compose
    "Nguye\u0302\u0303n Ho\u0300a Bi\u0300nh, co\u0302ng nghe\u0323\u0302",
    "\u0300Hà\u0301 Nội\u0323\u0323 a\u0301\u0301 \u0309",
    # old and new tone placement, misplaced marks, Icelandic eth for Đ
    "hoà thuỷ hòa thủy thọai ngoaì qủa gìa Ðảng ðồng",
    # abbreviations (pyvi keeps their dot), initials
    "TP.HCM Tp.HCM TP. Hà Nội U.S.A. Đ.T. Mr. Smith ThS. Lan UBND HĐQT TGĐ",
    # numbers, dates, codes
    "Doanh thu 1.234,5 tỷ đồng, 1_000_000 đồng, ngày 30/12/2020 lúc 11:27:37, Top10 4.0",
    # URLs and e-mail addresses, with dots at the end
    "Xem https://vnexpress.net/the-thao?x=1&y=2. Liên hệ: nguyen.van-a+tin@dantri.com.vn.",
    "http://a.vn/~x http://a.vn/~x ftp://b.vn/_ <a> >b <c",
    # one syllable spelt like a word of two: "công_nghệ" is both (positions merge)
    "công_nghệ và công nghệ, công_nghệ",
    "Công nghệ công_nghệ ~công_nghệ",
    # letters unidecode turns into several words or into nothing
    "北京 北京 대한민국 Ελληνικά ﷺ ⅻ ½ 𝔸𝔹",
    "ÁNH SÁNG châu Âu châu âu ĐƯỜNG",
    "bóng \ud800đá \udfff",
    "“Top10” thương hiệu – «Hà Nội» (Việt Nam)",
    # a syllable repeated past pickle's batch of 1,000 list items
    "và " * 1200 + "của",
    "Hà Nội, " * 700,
]


@pytest.fixture(params=["as set", "numpy always", "numpy never"])
def bulk_from(request, monkeypatch):
    """Positions encoded with numpy from the usual length, for every text, or never."""
    if request.param != "as set":
        monkeypatch.setattr(schema, "ENCODE_IN_BULK_FROM",
                            1 if request.param == "numpy always" else 10**9)


@pytest.mark.parametrize("text", ODD_TEXTS + seed_texts())
def test_prepared_as_before(text, bulk_from):
    assert_prepared_as_before(text)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(
    list("aăâeêioôơuưyđAĐ bcdghklmnpqrstvx.,-_@:/~<>\n") + [
        "\u0300", "\u0301", "\u0303", "\u0309", "\u0323", "à", "ố", "ữ", "Ð", "1", "2.5",
        "TP.", "Tp.", "hoà", "thọai", "công nghệ", "Hà Nội", "http://", "北京", "ﷺ"]),
    max_size=60).map("".join))
def test_prepared_as_before_on_vietnamese_like_text(text):
    assert_prepared_as_before(text)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(schema, "ENCODE_IN_BULK_FROM", 1)
        assert_prepared_as_before(text)


def test_bulk_encoding_is_whooshs_for_every_size_of_gap():
    # Gaps of 1 byte, 2 and 4 (over 65,535 syllables apart), single and repeated terms,
    # up to pickle's batch of 1,000 list items.
    forms = ["a", "~a"] + [f"x{n}" for n in range(140_000)] + ["a", "~a", "b", "~b"]
    forms += ["c", "~c"] * 1000 + ["b", "~b"] * 300 + [f"y{n}" for n in range(600)]
    terms, counts, positions, sizes = schema._encode_in_bulk(forms)
    assert (terms, counts, positions, sizes) == schema._encode_one_by_one(forms)
    assert max(counts) == 1000 and len(set(map(len, (terms, counts, sizes)))) == 1
    whoosh_format = schema.build_schema()["body"].format
    assert positions[:sizes[0]] == whoosh_format.encode([0, 70_001])
    assert schema._encode_in_bulk(forms + ["c"]) is None  # 1,001: pickle splits the list


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=150))
def test_prepared_as_before_on_any_text(text):
    assert_prepared_as_before(text)


def news_articles(count):
    with gzip.open(NEWS, "rt", encoding="utf-8") as lines:
        return [json.loads(line) for line in itertools.islice(lines, count)]


def test_prepared_as_before_on_news():
    if not NEWS.exists():
        pytest.skip(f"{NEWS} not found (shared benchmark data, never in the repository)")
    for article in news_articles(60):
        assert_prepared_as_before(article["title"])
        assert_prepared_as_before(article["body"])


def test_prepared_as_before_with_positions_everywhere(monkeypatch):
    monkeypatch.setattr(schema, "POSITIONS_FOR_SYLLABLES_ONLY", False)
    for text in ODD_TEXTS[:-3] + seed_texts()[:1]:
        expected = previous_analysis.prepare(text, positions_for_syllables_only=False)
        assert contents(schema.prepare(text)) == contents(expected)


def _documents(count):
    """Real sentences of the seed articles dealt into ``count`` documents, plus odd ones."""
    text = " ".join(path.read_text(encoding="utf-8") for path in SEEDS)
    sentences = [s.strip() for s in re.split(r"(?<=[.;:!?])\s+|\n+", text) if s.strip()]
    rng = random.Random(5)
    documents = [{"id": f"doc-{n:03d}", "title": rng.choice(sentences)[:80],
                  "body": " ".join(rng.sample(sentences, rng.randint(2, 12)))}
                 for n in range(count)]
    documents += [{"id": f"odd-{n:02d}", "title": text[:40], "body": text}
                  for n, text in enumerate(ODD_TEXTS) if "\ud800" not in text]
    return documents


def _index_files(folder, documents, prepare):
    folder.mkdir()
    ix = whoosh_index.create_in(str(folder), schema.build_schema())
    writer = writing.FastSegmentWriter(ix, _lk=False)
    for document in documents:
        writer.add_document(id=document["id"], title=prepare(document["title"]),
                            _stored_title=document["title"], body=prepare(document["body"]),
                            _stored_body=document["body"])
    writer.commit()
    (segment,) = ix._segments()
    prefix = segment.make_filename("")
    found = {}
    for name in ix.storage.list():
        if name.startswith(prefix):
            with ix.storage.open_file(name) as file:
                found[name[len(prefix):]] = file.read()
    return found


def test_the_same_index_bytes_as_before(tmp_path):
    documents = _documents(100)
    before = _index_files(tmp_path / "before", documents, previous_analysis.prepare)
    after = _index_files(tmp_path / "after", documents, schema.prepare)
    assert {".pst", ".trm", "._body_len.col", "._stored.col", ".prs"} <= set(before)
    assert after == before
