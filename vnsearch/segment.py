"""Vietnamese word segmentation: pyvi's exact output, with character spans, and fast.

pyvi (``pyvi.ViTokenizer``) splits text into syllables with a regular expression, then
labels each syllable ``B_W`` (begins a word) or ``I_W`` (inside a word) with a CRF, and
joins the syllables of a word with "_". This module runs the same model on the same
features, so it finds the same words, but:

* it loads the model through python-crfsuite alone: pyvi's pickle names scikit-learn,
  sklearn_crfsuite and numpy classes, and importing those costs about a second;
* it scores syllables with weights cached per distinct syllable and decodes in Python,
  several times faster than building pyvi's feature dicts; when two labellings come
  within rounding error of each other it asks crfsuite, so the labels stay exactly
  pyvi's;
* it reports where every syllable is in the input, which highlighting needs.

>>> syllables, words = segment("Công nghệ thông tin")
>>> [(start, end) for _, start, end in syllables]
[(0, 4), (5, 9), (10, 15), (16, 19)]
>>> words
[(0, 2), (2, 4)]
>>> tokenize("Công nghệ thông tin")
'Công_nghệ thông_tin'

The model loads on first use, once per process; forked workers inherit it.
"""

import os
import pickle
import re
import string
import struct
import threading
import unicodedata

from .errors import VnsearchError

__all__ = ["syllabify", "segment", "tokenize"]

# pyvi's sylabelize() pattern, piece for piece and in the same order: alternation order
# decides which token wins, so "TP.HCM" gives "TP." then "HCM", as in pyvi.
_ABBREVIATIONS = [r"[A-ZĐ]+\.", r"Tp\.", r"Mr\.", r"Mrs\.", r"Ms\.", r"Dr\.", r"ThS\."]
_SPECIALS = ["==>", "->", r"\.\.\.", ">>", "\n"]
_WEB = r"\w+://[^\s]+"
_EMAIL = r"([a-zA-Z0-9_.+-]+@([a-zA-Z0-9-]+\.)+[a-zA-Z0-9-]+)"
_DIGIT = r"\d+([\.,_]\d+)+"
_NON_WORD = r"[^\w\s]"
_WORD = r"\w+"
_SYLLABLE = re.compile(
    "(" + "|".join(_ABBREVIATIONS + _SPECIALS + [_WEB, _EMAIL, _DIGIT, _NON_WORD, _WORD]) + ")"
)


def _pieces_pattern(web, email):
    """The same syllables as ``_SYLLABLE``, as strings from ``findall`` (no groups).

    An alternative that cannot match anywhere in a text changes none of its matches, so
    texts without "://" or "@" (nearly all) are split without the URL or e-mail
    alternatives, which otherwise scan every word before failing: a third of the time.
    """
    alternatives = _ABBREVIATIONS + _SPECIALS
    alternatives += [_WEB] if web else []
    alternatives += [_EMAIL.replace("(", "(?:")] if email else []
    alternatives += [_DIGIT.replace("(", "(?:"), _NON_WORD, _WORD]
    pattern = re.compile("|".join(alternatives))
    assert pattern.groups == 0
    return pattern.findall


_FIND_PIECES = {(web, email): _pieces_pattern(web, email)
                for web in (False, True) for email in (False, True)}

# The most attributes pyvi gives one syllable: 5 of its own and 5 from each neighbour.
_MAX_ATTRIBUTES = 15


def syllabify(text: str) -> list[tuple[str, int, int]]:
    """Split ``text`` into pyvi's syllables, each with its [start, end) character span.

    The syllables are exactly those of pyvi's ``sylabelize``: words, numbers such as
    "1.234,5", e-mail addresses, URLs, abbreviations such as "TP.", "==>", "\\n", and
    every other punctuation character alone; ``text[start:end] == syllable``. pyvi
    NFC-normalises first; here the caller is expected to have done so.

    >>> syllabify("TP.HCM, 2021")
    [('TP.', 0, 3), ('HCM', 3, 6), (',', 6, 7), ('2021', 8, 12)]
    """
    return [(m.group(), m.start(), m.end()) for m in _SYLLABLE.finditer(text)]


def segment(text: str) -> tuple[list[tuple[str, int, int]], list[tuple[int, int]]]:
    """Split ``text`` into syllables and group them into words exactly as pyvi does.

    Returns ``(syllables, words)``: ``syllables`` is :func:`syllabify`'s list of
    ``(syllable, start, end)``, and each word is a ``(first, last + 1)`` range of
    syllable indices. The words cover every syllable once, in order; a word of several
    syllables is one that ``pyvi.ViTokenizer.tokenize`` joins with "_" (the CRF said
    ``I_W`` and none of pyvi's rules about punctuation, digits and capitals forbade it).

    >>> segment("Phó Tổng Giám đốc")[1]
    [(0, 4)]
    """
    syllables = syllabify(text)
    return syllables, _words([s[0] for s in syllables])


def segment_strings(text: str) -> tuple[list[str], list[tuple[int, int]]]:
    """:func:`segment` without the spans: ``(syllables, words)``, syllables as strings.

    For indexing, which needs no spans: about twice as fast to split.

    >>> segment_strings("TP.HCM, 2021")
    (['TP.', 'HCM', ',', '2021'], [(0, 1), (1, 2), (2, 3), (3, 4)])
    """
    syllables = _FIND_PIECES["://" in text, "@" in text](text)
    return syllables, _words(syllables)


def _words(syllables):
    """pyvi's words over ``syllables`` (strings), as ``(first, last + 1)`` ranges."""
    if not syllables:
        return []
    model = _model or _load()
    descriptions = model.describe_all(syllables)
    inside = model.label(descriptions, syllables)
    words = []
    start = 0
    for i in range(1, len(inside)):
        if inside[i]:
            here, before = descriptions[i], descriptions[i - 1]
            # pyvi never joins across punctuation or digits, nor a capital onto a
            # lower-case syllable ("châu Âu" stays two words).
            if not (here[4] or before[4] or (here[5] and not before[5])):
                continue
        words.append((start, i))
        start = i
    words.append((start, len(inside)))
    return words


def tokenize(text: str) -> str:
    """Return ``pyvi.ViTokenizer.tokenize(text)``: syllables spaced, words joined by "_".

    Like pyvi, text is NFC-normalised first, and text with no syllables at all (empty,
    only spaces) comes back unchanged.

    >>> tokenize("triển khai  TP.HCM")
    'triển_khai TP. HCM'
    """
    if not unicodedata.is_normalized("NFC", text):
        normalized = unicodedata.normalize("NFC", text)
    else:
        normalized = text
    syllables, words = segment(normalized)
    if not syllables:
        return text
    return " ".join("_".join(s[0] for s in syllables[first:end]) for first, end in words)


# --- the model ------------------------------------------------------------------------

_model = None
_load_lock = threading.Lock()


def _load():
    global _model
    with _load_lock:
        if _model is None:
            _model = _Model()
    return _model


def _reset_after_fork():
    # A lock another thread held at fork time would stay held forever in the child.
    global _load_lock
    _load_lock = threading.Lock()
    if _model is not None:
        _model.tag_lock = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_reset_after_fork)


class _StandIn:
    """Takes the place of a class named in pyvi's pickle that must not be imported."""

    def __init__(self, *args, **kwargs):
        pass

    def __setstate__(self, state):
        self.state = state


class _ModelUnpickler(pickle.Unpickler):
    """Unpickles pyvi's CRF without importing scikit-learn, sklearn_crfsuite or numpy.

    Only the crfsuite model bytes inside the pickled FileResource matter; every class
    the pickle names, apart from ``_codecs.encode`` (protocol 2's way to store bytes),
    becomes an inert stand-in.
    """

    def find_class(self, module, name):
        if (module, name) == ("_codecs", "encode"):
            return super().find_class(module, name)
        return _StandIn


_MODEL_CHANGED = (
    "pyvi's word segmentation model is missing or not the one vnsearch knows: "
    "run `pip install pyvi==0.1.1`"
)


def _read_cqdb_strings(data, offset):
    """The strings of the crfsuite string database at ``offset``, in id order."""
    _, _, _, _, count, table = struct.unpack_from("<4sIIIII", data, offset)
    strings = []
    for i, record in enumerate(struct.unpack_from(f"<{count}I", data, offset + table)):
        record_id, size = struct.unpack_from("<iI", data, offset + record)
        if record_id != i:
            raise VnsearchError(_MODEL_CHANGED)
        # Stored with a terminating NUL.
        strings.append(data[offset + record + 8 : offset + record + 7 + size])
    return strings


class _Model:
    """pyvi's CRF: a crfsuite tagger, and its weights for scoring in Python.

    The weights come from the model's own bytes (format of crfsuite's crf1dm.c): a
    header of offsets, then the features (type, source, label, weight), and string
    databases for the labels and attributes.
    """

    def __init__(self):
        import importlib.resources  # with pathlib, costs more than this module

        import pycrfsuite

        # importlib.resources, not "import pyvi.ViTokenizer": that module loads the model
        # through scikit-learn as a side effect of being imported.
        try:
            models = importlib.resources.files("pyvi") / "models"
        except ModuleNotFoundError:
            raise VnsearchError(_MODEL_CHANGED) from None
        with (models / "pyvi3.pkl").open("rb") as pickle_file:
            crf = _ModelUnpickler(pickle_file).load()
        self.model_bytes = crf.state["modelfile"].state["__FILE_RESOURCE_DATA__"]
        self.tagger = pycrfsuite.Tagger()
        self.tagger.open_inmemory(self.model_bytes)  # reads from model_bytes: keep it
        self.tag_lock = threading.Lock()  # a tagger holds the sequence being tagged
        self._read_ngrams((models / "words.txt").read_bytes().decode("utf-8"))
        self._read_weights(self.model_bytes)
        # syllable -> description; the same few thousand syllables make up most text.
        self.descriptions = {}

    def _read_ngrams(self, text):
        # As pyvi does: split on "\n" only, and sort lines by their number of spaces.
        lines = text.split("\n")
        self.bi_grams = {line for line in lines if line.count(" ") == 1}
        self.tri_grams = {line for line in lines if line.count(" ") == 2}
        # Syllables hold no space, so only these pairs can start a known tri-gram.
        self.tri_gram_starts = {line.rpartition(" ")[0] for line in self.tri_grams}

    def _read_weights(self, data):
        (magic, _, _, _, _, _, _, features_at, labels_at, attributes_at) = struct.unpack_from(
            "<4sI4sIIIIIII", data, 0
        )
        if magic != b"lCRF" or _read_cqdb_strings(data, labels_at) != [b"B_W", b"I_W"]:
            raise VnsearchError(_MODEL_CHANGED)
        attributes = _read_cqdb_strings(data, attributes_at)
        (count,) = struct.unpack_from("<I", data, features_at + 8)
        state = [[0.0, 0.0] for _ in attributes]
        transition = [[0.0, 0.0], [0.0, 0.0]]
        for kind, source, label, weight in struct.iter_unpack(
            "<iiid", data[features_at + 12 : features_at + 12 + 20 * count]
        ):
            (state[source] if kind == 0 else transition[source])[label] = weight
        # The Python decoder needs only B_W minus I_W per attribute (see _decode).
        self.score = {name: b - i for name, (b, i) in zip(attributes, state)}
        (bb, bi), (ib, ii) = transition
        self.transition = bb, bi, ib, ii
        largest_state = max(abs(w) for pair in state for w in pair)
        largest_transition = max(abs(w) for w in self.transition)
        # Bounds the size of crfsuite's running scores per syllable; see _decode.
        self.score_growth = _MAX_ATTRIBUTES * largest_state + largest_transition

    def describe_all(self, syllables):
        """The description of every syllable, from the cache where possible."""
        cache = self.descriptions
        found = [cache.get(s) for s in syllables]
        if None in found:
            # Look the cache up again: a syllable new to this text is described at its
            # first occurrence only, not at every one (a long text repeats most).
            found = [d or cache.get(s) or self._describe(s) for d, s in zip(found, syllables)]
        return found

    def _describe(self, syllable):
        """What scoring and pyvi's joining rules need to know about one syllable.

        A tuple: the lower-cased syllable; the score difference (B_W minus I_W) of its
        own attributes; that of its attributes seen from the next syllable ("-1:..."),
        and from the previous one ("+1:..."), each indexed by "the two form a known
        two-syllable word"; "never joined" (punctuation or digit); "starts with a
        capital".
        """
        own, as_previous, as_next = _attributes(syllable)
        score = self.score
        pair_bonus = score[b"-1:word.bi_gram()"], score[b"+1:word.bi_gram()"]
        # crfsuite looks attributes up as C strings: a NUL ends the name.
        left = sum(score.get(a.partition(b"\0")[0], 0.0) for a in as_previous)
        right = sum(score.get(a.partition(b"\0")[0], 0.0) for a in as_next)
        first = syllable[0]
        description = (
            syllable.lower(),
            sum(score.get(a.partition(b"\0")[0], 0.0) for a in own),
            (left, left + pair_bonus[0]),
            (right, right + pair_bonus[1]),
            # "in string.punctuation" is pyvi's substring test, kept as it is.
            syllable in string.punctuation or first.isdigit(),
            first.istitle(),
        )
        if len(self.descriptions) >= 50_000:  # bounds memory on endless novel tokens
            self.descriptions.clear()
        self.descriptions[syllable] = description
        return description

    def label(self, descriptions, syllables):
        """For every syllable (a string), True where pyvi's CRF labels it I_W (inside a
        word)."""
        lowers = [d[0] for d in descriptions]
        # lower(a + " " + b) == lower(a) + " " + lower(b): the space stops str.lower's
        # only context rule (Greek final sigma), so pyvi's keys are rebuilt from parts.
        pair_keys = [a + " " + b for a, b in zip(lowers, lowers[1:])]
        bi_grams = self.bi_grams
        pairs = [key in bi_grams for key in pair_keys]
        starts, tri_grams = self.tri_gram_starts, self.tri_grams
        triples = [
            i
            for i, key in enumerate(pair_keys[:-1])
            if key in starts and key + " " + lowers[i + 2] in tri_grams
        ]
        inside = self._decode(descriptions, pairs, triples)
        if inside is None:
            inside = self._tag(syllables, lowers, pairs, triples)
        return inside

    def _decode(self, descriptions, pairs, triples):
        """Viterbi over B_W/I_W in Python, or None when crfsuite must decide.

        With two labels only the difference d = score(B_W) - score(I_W) matters, and the
        best predecessor of each label depends only on which side of two thresholds d
        falls. Summing in another order than crfsuite rounds differently, so whenever d
        comes within ``margin`` of a threshold (or of 0 at the end) this gives up. The
        margin exceeds both rounding errors: crfsuite's running scores grow by at most
        ``score_growth`` per syllable, and its error by a few units in the last place of
        them per step, hence the square of the length.
        """
        score = self.score
        n = len(descriptions)
        if n == 1:
            steps = [descriptions[0][1]]
        else:
            lefts = [d[2][pair] for d, pair in zip(descriptions, pairs)]  # for i + 1
            rights = [d[3][pair] for d, pair in zip(descriptions[1:], pairs)]  # for i
            for i in triples:
                lefts[i + 1] += score[b"-2:word.tri_gram()"]
                rights[i] += score[b"+2:word.tri_gram()"]
            owns = [d[1] for d in descriptions]
            steps = [owns[0] + rights[0]]
            steps += [o + l + r for o, l, r in zip(owns[1:], lefts, rights[1:])]
            steps.append(owns[-1] + lefts[-1])
        margin = (n + 32) ** 2 * self.score_growth * 2.0**-49
        bb, bi, ib, ii = self.transition
        # B_W's best predecessor is B_W iff d >= to_b; I_W's iff d >= to_i. Ties go to
        # B_W, as in crfsuite (first label wins), but ties never get this far.
        to_b, to_i = ib - bb, ii - bi
        low, high = min(to_b, to_i), max(to_b, to_i)
        low_lo, low_hi = low - margin, low + margin
        high_lo, high_hi = high - margin, high + margin
        # The next d per region, less the next step's own difference.
        above = bb - bi  # both best reached from B_W
        below = ib - ii  # both from I_W
        # Between the thresholds the two labels come from different predecessors, and
        # d carries over (with sign -1 when B_W comes from I_W and I_W from B_W).
        crossed = to_i < to_b
        between = ib - bi if crossed else bb - ii
        sign = -1.0 if crossed else 1.0
        regions = []  # per step: 2 above both thresholds, 0 below both, 1 between
        add = regions.append
        d = steps[0]
        for step in steps[1:]:
            if d >= high_hi:
                d = above + step
                add(2)
            elif d < low_lo:
                d = below + step
                add(0)
            elif low_hi <= d < high_lo:
                d = between + sign * d + step
                add(1)
            else:
                return None
        if -margin < d < margin:
            return None
        inside = [False] * n
        label = d < 0  # True for I_W
        inside[-1] = label
        for t in range(n - 2, -1, -1):
            region = regions[t]
            if region == 1:
                label = (not label) if crossed else label
            else:
                label = region == 0
            inside[t] = label
        return inside

    def _tag(self, syllables, lowers, pairs, triples):
        """Label with crfsuite itself, on pyvi's features in pyvi's order."""
        triples = set(triples)
        n = len(syllables)
        parts = [_attributes(s) for s in syllables]
        sequence = []
        # Attribute order follows pyvi's feature dicts: crfsuite adds weights in that
        # order, so keeping it keeps its sums, hence its labels, bit for bit.
        for i in range(n):
            attributes = list(parts[i][0])
            if i > 0:
                attributes += parts[i - 1][1]
                if pairs[i - 1]:
                    attributes.append(b"-1:word.bi_gram()")
                if i - 2 in triples:
                    attributes.append(b"-2:word.tri_gram()")
            if i < n - 1:
                attributes += parts[i + 1][2]
                if pairs[i]:
                    attributes.append(b"+1:word.bi_gram()")
                if i in triples:
                    attributes.append(b"+2:word.tri_gram()")
            sequence.append(attributes)
        with self.tag_lock:
            labels = self.tagger.tag(sequence)
        return [label == "I_W" for label in labels]


def _attributes(syllable):
    """pyvi's CRF attributes of one syllable: its own, and as previous and next neighbour.

    Strings become "key:value" and true booleans "key", exactly as python-crfsuite turns
    pyvi's feature dicts into attributes; false booleans are left out, since crfsuite
    would only multiply their weights by 0. Bytes, because python-crfsuite copies those
    straight through.
    """
    # Lone surrogates cannot be encoded (pyvi crashes on them); no attribute of the
    # model contains one, so an escaped stand-in scores the same.
    lower = syllable.lower().encode("utf-8", "backslashreplace")
    is_upper, is_title = syllable.isupper(), syllable.istitle()
    own = [b"bias", b"word.lower():" + lower]
    if is_upper:
        own.append(b"word.isupper()")
    if is_title:
        own.append(b"word.istitle()")
    if syllable.isdigit():
        own.append(b"word.isdigit()")
    as_previous = [b"-1:word.lower():" + lower]
    if is_title:
        as_previous.append(b"-1:word.istitle()")
    if is_upper:
        as_previous.append(b"-1:word.isupper()")
    as_next = [b"+1:word.lower():" + lower]
    if is_title:
        as_next.append(b"+1:word.istitle()")
    if is_upper:
        as_next.append(b"+1:word.isupper()")
    return own, as_previous, as_next
