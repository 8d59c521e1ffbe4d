"""vnsearch.segment gives exactly pyvi's segmentation, with spans, without scikit-learn."""

import gzip
import json
import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vnsearch import segment

pyvi = pytest.importorskip("pyvi.ViTokenizer")  # the reference; loads scikit-learn

REPO = Path(__file__).resolve().parent.parent
SEEDS = sorted((REPO / "seeds").glob("*.txt"))
NEWS = REPO.parent / "shared" / "data" / "news_dated.jsonl.gz"


def pyvi_inside(text):
    """pyvi's CRF labels for ``text``, as "inside a word" flags."""
    _, syllables = pyvi.ViTokenizer.sylabelize(text)
    features = pyvi.ViTokenizer.sent2features(syllables, False)
    return [label == "I_W" for label in pyvi.ViTokenizer.model.predict([features])[0]]


def assert_same_as_pyvi(text):
    assert segment.tokenize(text) == pyvi.tokenize(text)
    syllables = segment.syllabify(text)
    if syllables:
        # The labels too, not only the joined string: pyvi's joining rules hide some.
        model = segment._model
        descriptions = model.describe_all([s for s, _, _ in syllables])
        assert model.label(descriptions, [s for s, _, _ in syllables]) == pyvi_inside(text)


def seed_texts():
    texts = []
    for path in SEEDS:
        # Callers hand segment NFC text (the seeds are not all NFC).
        content = unicodedata.normalize("NFC", path.read_text(encoding="utf-8"))
        texts.append(content)
        for line in content.splitlines():
            texts.append(line)
            texts.extend(sentence + "." for sentence in line.split(". ") if sentence)
    return texts


@pytest.mark.parametrize("text", seed_texts())
def test_seeds_are_segmented_as_pyvi_does(text):
    assert_same_as_pyvi(text)


EXAMPLES = [
    ("Phó Tổng Giám đốc", "Phó_Tổng_Giám_đốc"),
    ("triển khai phương hướng", "triển_khai_phương_hướng"),
    ("Công nghệ thông tin", "Công_nghệ thông_tin"),
    ("châu Âu", "châu Âu"),
    ("châu âu", "châu âu"),
    ("tiếng Việt", "tiếng Việt"),
    ("ÁNH SÁNG", "ÁNH_SÁNG"),
    ("TP.HCM", "TP. HCM"),
    ("Tp.HCM và TP. Hà Nội", "Tp. HCM và TP. Hà_Nội"),
    ("U.S.A. và Đ.T.", "U. S. A. và Đ. T."),
    ("Ông Nguyễn Văn A, Mr. Smith và ThS. Lan", "Ông Nguyễn_Văn A , Mr._Smith và ThS._Lan"),
    ("Doanh thu đạt 1.234,5 tỷ đồng", "Doanh_thu đạt 1.234,5 tỷ đồng"),
    ("1_000_000 đồng", "1_000_000 đồng"),
    ("Ngày 30/12/2020 lúc 11:27:37 AM", "Ngày 30 / 12 / 2020 lúc 11 : 27 : 37 AM"),
    ("Liên hệ: nguyen.van-a+tin@dantri.com.vn nhé",
     "Liên_hệ : nguyen.van-a+tin@dantri.com.vn nhé"),
    ("Xem https://vnexpress.net/the-thao?x=1&y=2 ngay",
     "Xem https://vnexpress.net/the-thao?x=1&y=2 ngay"),
    ("A ==> B -> C >> D...", "A ==> B -> C >> D. . ."),
    ("Chờ đợi... rồi đi", None),
    ("Hà Nội – Sài Gòn", "Hà_Nội – Sài_Gòn"),
    ("“Top10” thương hiệu", None),
    ("dòng một\ndòng hai", "dòng một \n dòng hai"),
    ("cong nghe thong tin", "cong nghe thong tin"),
    ("Pho Tong Giam doc", None),
    ("", ""),
    ("   ", "   "),
    ("\n", "\n"),
    ("!!!", "! ! !"),
    ("...", "..."),
    ("?!", "? !"),
    ("x\x00y", "x \x00_y"),
    ("ΟΔΟΣ Σ", None),
    ("İstanbul İSTANBUL", None),
]


@pytest.mark.parametrize("text, expected", EXAMPLES)
def test_examples_are_segmented_as_pyvi_does(text, expected):
    assert_same_as_pyvi(text)
    if expected is not None:
        assert segment.tokenize(text) == expected


def test_text_without_syllables_comes_back_unchanged():
    assert segment.tokenize(" \t ") == " \t "
    assert segment.segment(" \t ") == ([], [])
    assert segment.syllabify("") == []


def test_not_nfc_text_is_tokenized_as_pyvi_does():
    text = unicodedata.normalize("NFD", "Phó Tổng Giám đốc Hoà Bình")
    assert segment.tokenize(text) == pyvi.tokenize(text) == "Phó_Tổng_Giám_đốc Hoà_Bình"
    for path in SEEDS:
        text = path.read_text(encoding="utf-8")
        assert segment.tokenize(text) == pyvi.tokenize(text)


def test_segment_gives_syllables_with_spans_and_words_as_ranges():
    text = "Công nghệ thông tin, TP.HCM"
    syllables, words = segment.segment(text)
    assert syllables == [("Công", 0, 4), ("nghệ", 5, 9), ("thông", 10, 15), ("tin", 16, 19),
                         (",", 19, 20), ("TP.", 21, 24), ("HCM", 24, 27)]
    assert words == [(0, 2), (2, 4), (4, 5), (5, 6), (6, 7)]


def test_lone_surrogates_do_not_crash():
    # pyvi itself raises UnicodeEncodeError here.
    syllables, words = segment.segment("bóng \ud800đá \udfff")
    assert [s for s, _, _ in syllables] == ["bóng", "\ud800", "đá", "\udfff"]
    assert [w for w in words] == sorted(words)


def test_python_decoding_agrees_with_crfsuite():
    # The Python decoder hands near ties to crfsuite, which must then agree with pyvi.
    model = segment._load()
    for text in seed_texts()[:40] + [t for t, _ in EXAMPLES if t.strip()]:
        syllables = segment.syllabify(text)
        descriptions = model.describe_all([s for s, _, _ in syllables])
        lowers = [d[0] for d in descriptions]
        pairs = [a + " " + b in model.bi_grams for a, b in zip(lowers, lowers[1:])]
        triples = [i for i in range(len(lowers) - 2)
                   if " ".join(lowers[i:i + 3]) in model.tri_grams]
        crfsuite = model._tag([s for s, _, _ in syllables], lowers, pairs, triples)
        assert crfsuite == pyvi_inside(text)
        python = model._decode(descriptions, pairs, triples)
        assert python is None or python == crfsuite


def test_python_decoding_leaves_near_ties_to_crfsuite():
    model = segment._load()
    bb, _, ib, _ = model.transition
    tie = ib - bb  # where B_W is as good reached from I_W as from B_W

    def described(own_score):
        return ("x", own_score, (0.0, 0.0), (0.0, 0.0), False, False)

    assert model._decode([described(tie), described(0.0)], [False], []) is None
    assert model._decode([described(tie + 1.0), described(0.0)], [False], []) is not None
    assert model._decode([described(0.0)], [], []) is None  # B_W and I_W score the same


def test_crfsuite_alone_segments_as_pyvi_does(monkeypatch):
    monkeypatch.setattr(segment._Model, "_decode", lambda *args: None)
    for text in seed_texts()[:20] + [t for t, _ in EXAMPLES]:
        assert segment.tokenize(text) == pyvi.tokenize(text)


TEXT = st.text(
    alphabet=st.one_of(
        st.sampled_from(list("aăâbcdđeêghiklmnoôơpqrstuưvxyAĂÂĐÊÔƠƯ")),
        st.sampled_from(list("àáảãạằắẳẵặầấẩẫậèéẻẽẹềếểễệìíỉĩịòóỏõọồốổỗộờớởỡợùúủũụừứửữựỳýỷỹỵ")),
        st.sampled_from(list("ÀÁẢÃẠÈÉÊỀẾÌÍÒÓÔỐỒƠỜỚÙÚƯỪỨỲÝ")),
        st.sampled_from(list("0123456789.,_-:/@+=>!?()“”…–\"'%&")),
        st.sampled_from([" ", " ", " ", "\n", "\t", "\xa0", "\u2009"]),
        st.characters(exclude_categories=["Cs"]),
    ),
    max_size=60,
)
WORDS = st.lists(
    st.sampled_from(["công", "nghệ", "thông", "tin", "Việt", "Nam", "Hà", "Nội", "TP.", "HCM",
                     "giám", "đốc", "Phó", "Tổng", "châu", "Âu", "âu", "triển", "khai", "năm",
                     "2020", "1.234,5", ",", ".", "...", "==>", "a@b.vn", "http://x.vn/a",
                     "Mr.", "phát", "triển", "kinh", "tế", "xã", "hội"]),
    max_size=25,
).map(" ".join)


@settings(max_examples=300, deadline=None)
@given(st.one_of(TEXT, WORDS))
def test_spans_point_at_the_syllables_and_words_cover_them_in_order(text):
    syllables, words = segment.segment(text)
    for syllable, start, end in syllables:
        assert text[start:end] == syllable
    for (_, _, end), (_, start, _) in zip(syllables, syllables[1:]):
        assert end <= start
    if syllables:
        assert words[0][0] == 0 and words[-1][1] == len(syllables)
        for (_, stop), (first, _) in zip(words, words[1:]):
            assert stop == first
        assert all(first < stop for first, stop in words)
    else:
        assert words == []


@settings(max_examples=300, deadline=None)
@given(st.one_of(TEXT, WORDS))
def test_random_text_is_segmented_as_pyvi_does(text):
    text = unicodedata.normalize("NFC", text)
    assert [s for s, _, _ in segment.syllabify(text)] == pyvi.ViTokenizer.sylabelize(text)[1]
    assert_same_as_pyvi(text)


def test_segmenting_does_not_import_scikit_learn():
    code = (
        "import sys\n"
        "from vnsearch import segment\n"
        "assert segment.tokenize('Phó Tổng Giám đốc') == 'Phó_Tổng_Giám_đốc'\n"
        "print(sorted(m for m in ('sklearn', 'sklearn_crfsuite', 'numpy', 'pyvi.ViTokenizer')"
        " if m in sys.modules))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            cwd=REPO, check=True)
    assert result.stdout == "[]\n"


@pytest.mark.parametrize("method", ["fork", "spawn"])
def test_worker_processes_segment_the_same(method):
    import multiprocessing

    if method not in multiprocessing.get_all_start_methods():
        pytest.skip(f"no {method} start method here")
    texts = ["Phó Tổng Giám đốc", "Công nghệ thông tin tại TP.HCM"]
    segment.segment("khởi động")  # loaded before the fork, as the indexer does
    with multiprocessing.get_context(method).Pool(1) as pool:
        assert pool.map(segment.segment, texts) == [segment.segment(t) for t in texts]


def news_sentences(limit):
    sentences = []
    with gzip.open(NEWS, "rt", encoding="utf-8") as lines:
        for line in lines:
            doc = json.loads(line)
            for paragraph in [doc["title"]] + doc["body"].split("\n"):
                paragraph = unicodedata.normalize("NFC", paragraph)
                if paragraph.strip():
                    sentences.append(paragraph)
            if len(sentences) >= limit:
                return sentences[:limit]
    return sentences


def test_news_is_segmented_as_pyvi_does():
    if not NEWS.exists():
        pytest.skip(f"{NEWS} not found (shared benchmark data, never in the repository)")
    for text in news_sentences(3000):
        assert segment.tokenize(text) == pyvi.tokenize(text), text


def test_a_syllable_new_to_a_long_text_is_described_once(monkeypatch):
    model = segment._load()
    described = []
    original = model._describe
    monkeypatch.setattr(model, "_describe", lambda s: described.append(s) or original(s))
    monkeypatch.setattr(model, "descriptions", {})
    segment.segment("Xí nghiệp Khoan và Sửa giếng. " * 1000)
    # Describing every occurrence made one long document cost minutes: 5 s per MB.
    assert sorted(described) == sorted(set(described)) == sorted(
        {"Xí", "nghiệp", "Khoan", "và", "Sửa", "giếng", "."})


@pytest.mark.parametrize("text", [t for t, _ in EXAMPLES] + ["", "a@b", "x://", "Hà Nội"])
def test_segment_strings_is_segment_without_spans(text):
    syllables, words = segment.segment(text)
    assert segment.segment_strings(text) == ([s for s, _, _ in syllables], words)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(list("aàĐđ TPHCMtp.,-_@:/~+\n19") + ["Mr.", "ThS.", "://",
                                                                      "==>"]),
                max_size=60).map("".join))
def test_segment_strings_is_segment_without_spans_on_any_text(text):
    syllables, words = segment.segment(text)
    assert segment.segment_strings(text) == ([s for s, _, _ in syllables], words)
