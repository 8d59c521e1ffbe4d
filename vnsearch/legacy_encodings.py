"""Vietnamese in the legacy encodings: Windows-1258, TCVN3 (ABC) and VNI.

Office documents from before Unicode still arrive in these, as bytes or as "font
mojibake" (legacy bytes saved as Unicode, one character each: "Céng hoµ x· héi" for
"Cộng hoà xã hội"). This module recognises them by how Vietnamese the decoded text
reads (:func:`vietnamese_score`, a syllable grammar) and converts Windows-1258 and
TCVN3; VNI is recognised and reported, never converted. VIQR ("Vie^.t") is plain ASCII
and is left as typed.

>>> guess_legacy_encoding("Céng hoµ x· héi chñ nghÜa ViÖt Nam".encode("latin-1"))
'tcvn3'
>>> decode_legacy("Céng hoµ x· héi chñ nghÜa ViÖt Nam".encode("latin-1"), "tcvn3")
'Cộng hoà xã hội chủ nghĩa Việt Nam'
"""

import codecs
import re
import unicodedata

__all__ = ["TCVN3_TABLE", "SAMPLE_CHARS", "decode_legacy", "guess_legacy_encoding",
           "is_vietnamese_syllable", "undo_font_mojibake", "vietnamese_score"]

SAMPLE_CHARS = 64 * 1024
"""How much text is judged: enough to tell an encoding, and cheap on big files."""

# TCVN 5712:1993 (VN1), the superset of the TCVN3/ABC font encoding, as glibc iconv
# decodes it (TCVN5712-1); tests check every byte against iconv where it is installed.
# Bytes 0xB0-0xB4 are combining tone marks; the capitals in C0 exist only in VN1.
TCVN3_TABLE = "".join(chr(i) for i in range(0x80)) + (
    "ÀẢÃÁẠẶẬÈẺẼÉẸỆÌỈĨ"  # 0x80
    "ÍỊÒỎÕÓỌỘỜỞỠỚỢÙỦŨ"  # 0x90
    "\u00a0ĂÂÊÔƠƯĐăâêôơưđẰ"  # 0xA0
    "\u0300\u0309\u0303\u0301\u0323àảãáạẲằẳẵắẴ"  # 0xB0
    "ẮẦẨẪẤỀặầẩẫấậèỂẻẽ"  # 0xC0
    "éẹềểễếệìỉỄẾỒĩíịò"  # 0xD0
    "Ổỏõóọồổỗốộờởỡớợù"  # 0xE0
    "ỖủũúụừửữứựỳỷỹýỵỐ"  # 0xF0
)
_TCVN3_CAPITALS_IN_C0 = {0x01: "Ú", 0x02: "Ụ", 0x04: "Ừ", 0x05: "Ử", 0x06: "Ữ", 0x11: "Ứ",
                         0x12: "Ự", 0x13: "Ỳ", 0x14: "Ỷ", 0x15: "Ỹ", 0x16: "Ý", 0x17: "Ỵ"}
TCVN3_TABLE = "".join(_TCVN3_CAPITALS_IN_C0.get(i, c) for i, c in enumerate(TCVN3_TABLE))


def _vni_table():
    """VNI Windows spelling (as Latin-1 text) of each Vietnamese letter, for detection.

    VNI writes a letter as its base plus one or two mark bytes: "Coäng hoøa" is
    "Cộng hòa". It is only used to recognise VNI files, never to convert them.
    """
    tones = "\u0301\u0300\u0309\u0303\u0323"  # sắc, huyền, hỏi, ngã, nặng
    plain, hat, breve = ["", "ù", "ø", "û", "õ", "ï"], list("âáàåãä"), list("êéèúüë")
    spellings = {}

    def add(letter, vni_base, suffixes):
        for tone, suffix in zip(["", *tones], suffixes):
            spellings[unicodedata.normalize("NFC", letter + tone)] = vni_base + suffix

    for vowel in "aeouy":
        add(vowel, vowel, plain)
    for letter, base in (("â", "a"), ("ê", "e"), ("ô", "o")):
        add(letter, base, hat)
    add("ă", "a", breve)
    add("ơ", "ô", plain)
    add("ư", "ö", plain)
    spellings.update(zip("iíìỉĩị", "iíìæóò"))
    spellings.update({"ỵ": "î", "đ": "ñ"})
    spellings.update({letter.upper(): vni.upper() for letter, vni in spellings.items()})
    return {vni: letter for letter, vni in spellings.items() if vni != letter}


_VNI_TO_UNICODE = _vni_table()
_VNI_SEQUENCE = re.compile("|".join(sorted(map(re.escape, _VNI_TO_UNICODE), key=len, reverse=True)))


def decode_legacy(data, encoding):
    if encoding == "vni":
        raise ValueError(
            "looks like VNI-encoded Vietnamese (a legacy font encoding: "
            '"Coäng hoøa" for "Cộng hòa"), which vnsearch cannot convert reliably; '
            "convert it to Unicode UTF-8 first, for example with UniKey's converter "
            "(source VNI Windows, destination Unicode)"
        )
    if encoding == "tcvn3":
        return codecs.charmap_decode(data, "strict", TCVN3_TABLE)[0]
    return data.decode("cp1258")


def undo_font_mojibake(text):
    """Decode again Unicode text that holds legacy-encoded bytes, one character each.

    A document typed in a legacy Vietnamese font (.VnTime for TCVN3, VNI-Times) and
    saved as Unicode reads "Céng hoµ x· héi". Real Vietnamese almost always has letters
    beyond U+00FF (ă, đ, ơ, ư, ạ ...), so only text without them that does not already
    read as Vietnamese is examined; it is then handled like the bytes it stands for.
    """
    if text.isascii():
        return text
    # The encode check is cheap and rejects nearly all real Unicode text (any letter
    # beyond U+00FF); only then is the costlier Vietnamese score worth computing.
    for codec in ("latin-1", "cp1252"):
        try:
            data = text.encode(codec)
            break
        except UnicodeEncodeError:
            continue
    else:
        return text
    if vietnamese_score(text[:SAMPLE_CHARS]) >= 0.5:
        return text
    legacy = guess_legacy_encoding(data)
    return text if legacy is None else decode_legacy(data, legacy)


def guess_legacy_encoding(data):
    """Return "cp1258", "tcvn3" or "vni" if ``data`` reads as Vietnamese in it, else None."""
    sample = data[:SAMPLE_CHARS]
    candidates = {
        "cp1258": sample.decode("cp1258", errors="replace"),
        "tcvn3": codecs.charmap_decode(sample, "strict", TCVN3_TABLE)[0],
        "vni": _VNI_SEQUENCE.sub(lambda m: _VNI_TO_UNICODE[m.group()], sample.decode("latin-1")),
    }
    scores = {name: vietnamese_score(text) for name, text in candidates.items()}
    best = max(scores, key=scores.get)  # on a tie, the first: cp1258 is the standard one
    # Measured on 900 news articles: the right decoding reads as >= 91% Vietnamese
    # syllables, the wrong ones as <= 44%.
    if scores[best] < 0.75:
        return None
    if best == "cp1258":
        try:
            data.decode("cp1258")
        except UnicodeDecodeError:
            return None  # it has bytes that Windows-1258 leaves undefined
    return best



# A Vietnamese syllable is an initial consonant, a vowel nucleus and a final consonant.
# Wrong decodings of legacy encodings produce letters but rarely syllables.
_TONE_MARKS = frozenset("\u0300\u0301\u0303\u0309\u0323")
_OPEN_NUCLEI = ("ai ao au ay âu ây eo êu ia iu oi ôi ơi ua ui ưa ưi ưu uơ "
                "iêu yêu oai oao oay oeo uây uôi ươi ươu uya uyu").split()
_CLOSABLE_NUCLEI = "a ă â e ê i o ô ơ u ư y iê yê oa oă oe oo uâ uê uô ươ uy uyê".split()


def _alternatives(words):
    return "|".join(sorted(words, key=len, reverse=True))


_SYLLABLE = re.compile(
    r"(?P<initial>ngh|ng|nh|gh|gi|kh|ph|qu|th|tr|ch|[bcdđghklmnprstvx])?"
    rf"(?:(?P<open>{_alternatives(_OPEN_NUCLEI)})"
    rf"|(?P<closed>{_alternatives(_CLOSABLE_NUCLEI)})(?:ch|ng|nh|[cmnpt])?)"
)
_WORD = re.compile(r"[\w\u0300-\u036f]+")


def is_vietnamese_syllable(word):
    if word not in (word.lower(), word.upper(), word.capitalize()):
        return False
    letters = unicodedata.normalize("NFD", word.lower())
    if sum(char in _TONE_MARKS for char in letters) > 1:
        return False
    bare = unicodedata.normalize("NFC", "".join(c for c in letters if c not in _TONE_MARKS))
    match = _SYLLABLE.fullmatch(bare)
    if not match:
        return False
    initial, nucleus = match["initial"] or "", match["open"] or match["closed"]
    # Spelling rules: k/gh/ngh only before e, ê, i (y), and c/g/ng never before them.
    if initial in ("k", "gh", "ngh"):
        return nucleus[0] in "eêiy"
    return not (initial in ("c", "g", "ng") and nucleus[0] in "eê"
                or initial in ("c", "ng") and nucleus[0] == "i")


def vietnamese_score(text, limit=2000):
    """Share of the non-ASCII words in ``text`` that are Vietnamese syllables (0 to 1).

    Control characters and undecodable bytes count as wrong words. A wrong decoding of
    a few bytes can happen to give one-letter syllables ("ú", "ê"), so fewer than three
    syllables of two letters or more is too little evidence, and scores 0.
    """
    text = unicodedata.normalize("NFC", text)
    junk = sum(1 for char in text
               if unicodedata.category(char) in ("Cc", "Cn", "Co") and not char.isspace())
    good, long_good, total = 0, 0, junk + text.count("\ufffd")
    for match in _WORD.finditer(text):
        word = match.group()
        if word.isascii():
            continue  # the same in every candidate encoding: no evidence either way
        total += 1
        if is_vietnamese_syllable(word):
            good += 1
            long_good += len(word) > 1
        if total >= limit:
            break
    return good / total if long_good >= 3 else 0.0

