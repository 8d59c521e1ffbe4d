"""Abbreviations and synonyms: "UBND" finds "Ủy ban nhân dân", and the other way round.

A synonym group is a few phrases that mean the same thing ("CNTT", "công nghệ thông
tin"). When a query holds one of them, the others are searched too, as phrases and with
less weight than what was typed. vnsearch knows the abbreviations of Vietnamese news
(:data:`BUILT_IN`); users add their own groups in ``synonyms.txt`` in the index folder
(``vnsearch synonyms add``), read at search time, so changing them needs no re-indexing.

Matching a query, a phrase typed with diacritics must match them; one typed without
matches by its folded form ("ubnd", "uy ban nhan dan"), except the two-letter
abbreviations with Đ, whose folded forms are other words ("GĐ" giám đốc, "GD" giáo dục).

Pure logic: this module knows nothing of Whoosh.
"""

import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from .errors import SynonymError
from .normalize import fold, has_diacritics, normalize

FILE = "synonyms.txt"
"""The user's synonym groups, in the index folder: one group a line, commas between
phrases, ``#`` starts a comment."""

# Each group checked against news_dated and the first 8,000 articles of news_baomoi
# (occurrences of each form in brackets when written): every form is in use, and each
# abbreviation means the same in (nearly) every occurrence. Left out as ambiguous:
# DN (doanh nghiệp / Đà Nẵng), HN (Hà Nội / hội nghị), TP alone, BTC (Ban tổ chức /
# Bộ Tài chính), BCT (Bộ Chính trị / Bộ Công Thương), CP (Chính phủ / cổ phần), LD.
BUILT_IN = """
TP.HCM, TPHCM, TP HCM, TP Hồ Chí Minh, Thành phố Hồ Chí Minh
UBND, Ủy ban nhân dân
HĐND, Hội đồng nhân dân
CNTT, công nghệ thông tin
TGĐ, Tổng Giám đốc
PTGĐ, Phó Tổng Giám đốc
GĐ, Giám đốc
HĐQT, Hội đồng quản trị
CBCNV, cán bộ công nhân viên
SXKD, sản xuất kinh doanh
BHXH, bảo hiểm xã hội
BHYT, bảo hiểm y tế
BHTN, bảo hiểm thất nghiệp
THPT, trung học phổ thông
THCS, trung học cơ sở
ĐH, đại học
CĐ, cao đẳng
ĐHQG, Đại học Quốc gia
GD&ĐT, GD-ĐT, GDĐT, Giáo dục và Đào tạo
KH&CN, KH-CN, KHCN, khoa học và công nghệ
LĐ-TB&XH, LĐTBXH, Lao động - Thương binh và Xã hội
NLĐ, người lao động
ĐBSCL, đồng bằng sông Cửu Long
CSGT, cảnh sát giao thông
GTVT, giao thông vận tải
NHNN, Ngân hàng Nhà nước
DNNN, doanh nghiệp nhà nước
XNK, xuất nhập khẩu
BĐS, bất động sản
TTCK, thị trường chứng khoán
CTCP, công ty cổ phần
TNHH, trách nhiệm hữu hạn
ĐHĐCĐ, Đại hội đồng cổ đông
QĐ, quyết định
NĐ, nghị định
UBTVQH, Ủy ban Thường vụ Quốc hội
QH, Quốc hội
TƯ, TW, Trung ương
MTTQ, Mặt trận Tổ quốc
TAND, Tòa án nhân dân
VKSND, Viện kiểm sát nhân dân
CAND, Công an nhân dân
QĐND, Quân đội nhân dân
PCCC, phòng cháy chữa cháy
ATGT, an toàn giao thông
ATTP, an toàn thực phẩm
VSATTP, vệ sinh an toàn thực phẩm
KCN, khu công nghiệp
KTX, ký túc xá
HLV, huấn luyện viên
CLB, câu lạc bộ
NSND, Nghệ sĩ Nhân dân
NSƯT, Nghệ sĩ Ưu tú
GS, giáo sư
PGS, phó giáo sư
TS, tiến sĩ
ThS, thạc sĩ
BV, bệnh viện
HTX, hợp tác xã
VĐV, vận động viên
CĐV, cổ động viên
SVĐ, sân vận động
ĐTQG, đội tuyển quốc gia
KT-XH, KTXH, kinh tế - xã hội
ANTT, an ninh trật tự
XHCN, xã hội chủ nghĩa
LHQ, Liên Hợp Quốc
EU, Liên minh châu Âu
ĐTDĐ, điện thoại di động
BCĐ, ban chỉ đạo
BCH, ban chấp hành
NSNN, ngân sách nhà nước
ĐBQH, đại biểu Quốc hội
VPCP, Văn phòng Chính phủ
CSKH, chăm sóc khách hàng
PV, phóng viên
"""

_WORD = re.compile(r"[^\W_]+")
_SHORT = 2
"""Abbreviations this short with diacritics ("GĐ") match only as typed with them."""


@dataclass(frozen=True, slots=True)
class Phrase:
    """One phrase of a group: its syllables exact (lower case) and folded, and
    whether the index holds them as adjacent syllables (no punctuation between)."""

    text: str
    exact: tuple[str, ...]
    folded: tuple[str, ...]
    joined: bool

    @classmethod
    def parse(cls, text: str) -> "Phrase":
        """The phrase of a text as written in a group ("TP.HCM", "Ủy ban nhân dân")."""
        normalised = normalize(text.strip())
        matches = list(_WORD.finditer(normalised))
        exact = tuple(m.group().lower() for m in matches)
        # pyvi keeps the dot of "TP." on the syllable, so "TP.HCM" reads as adjacent.
        joined = all(normalised[a.end():b.start()].strip() in ("", ".")
                     for a, b in zip(matches, matches[1:]))
        return cls(normalised, exact, tuple(fold(s) for s in exact), joined)

    @property
    def exact_only(self) -> bool:
        """A short abbreviation with diacritics, whose folded form means other words."""
        return len(self.exact) == 1 and has_diacritics(self.exact[0]) \
            and len(self.exact[0]) <= _SHORT


@dataclass(frozen=True, slots=True)
class Match:
    """A synonym phrase found in a query: syllables ``start:stop`` are ``phrase``,
    and ``others`` mean the same."""

    start: int
    stop: int
    phrase: Phrase
    others: tuple[Phrase, ...]


class Thesaurus:
    """Synonym groups, looked up by the folded syllables of their phrases.

    >>> thesaurus = Thesaurus([["CNTT", "công nghệ thông tin"]])
    >>> [p.text for p in thesaurus.find(["cntt"], ["cntt"])[0].others]
    ['công nghệ thông tin']
    """

    def __init__(self, groups: Iterable[Sequence[str]]):
        self.groups: list[tuple[Phrase, ...]] = []
        self._by_key: dict[tuple[str, ...], list[tuple[Phrase, int]]] = {}
        for texts in groups:
            phrases = tuple(dict.fromkeys(p for p in map(Phrase.parse, texts) if p.exact))
            if len(phrases) < 2:
                continue
            number = len(self.groups)
            self.groups.append(phrases)
            for phrase in phrases:
                self._by_key.setdefault(phrase.folded, []).append((phrase, number))
        self.longest = max((len(k) for k in self._by_key), default=0)

    def find(self, exact: Sequence[str], folded: Sequence[str]) -> list[Match]:
        """The synonym phrases in a query's syllables (exact and folded), longest
        first, never overlapping."""
        found = []
        position = 0
        while position < len(folded):
            match = None
            for length in range(min(self.longest, len(folded) - position), 0, -1):
                key = tuple(folded[position:position + length])
                typed = exact[position:position + length]
                for phrase, number in self._by_key.get(key, ()):
                    if _typed_as(phrase, typed):
                        others = tuple(p for p in self.groups[number] if p.folded != key)
                        match = Match(position, position + length, phrase, others)
                        break
                if match:
                    break
            if match:
                found.append(match)
                position = match.stop
            else:
                position += 1
        return found


def _typed_as(phrase: Phrase, typed: Sequence[str]) -> bool:
    """Whether typed syllables spell the phrase: with its diacritics where they have
    any, or without any at all (not for the short ambiguous abbreviations)."""
    for want, got in zip(phrase.exact, typed):
        if got != want and (has_diacritics(got) or phrase.exact_only):
            return False
    return True


def parse_groups(text: str) -> list[list[str]]:
    """Groups of a synonyms file: one a line, commas between phrases, ``#`` comments."""
    groups = []
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            groups.append([p.strip() for p in line.split(",") if p.strip()])
    return groups


def format_groups(groups: Iterable[Sequence[str]]) -> str:
    """The text of a synonyms file holding ``groups``."""
    return "".join(", ".join(group) + "\n" for group in groups)


def built_in_groups() -> list[list[str]]:
    """The built-in abbreviation groups."""
    return parse_groups(BUILT_IN)


# -- the user's file in the index folder -------------------------------------------------

_loaded: dict[str, tuple] = {}


def user_groups(index_dir) -> list[list[str]]:
    """The user's groups kept in the index folder (none when there is no file)."""
    try:
        text = (Path(index_dir) / FILE).read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    except (OSError, UnicodeDecodeError) as error:
        raise SynonymError(f"Cannot read the synonyms file {Path(index_dir) / FILE}: "
                           f"{error}. Fix or delete it.") from None
    return parse_groups(text)


def thesaurus_for(index_dir=None) -> Thesaurus:
    """The built-in groups plus the user's, re-read whenever the user's file changes."""
    if index_dir is None:
        key, stamp = "", None
    else:
        key = os.path.abspath(index_dir)
        try:
            info = os.stat(Path(key) / FILE)
            stamp = (info.st_mtime_ns, info.st_size)
        except OSError:
            stamp = None
    cached = _loaded.get(key)
    if cached is not None and cached[0] == stamp:
        return cached[1]
    groups = built_in_groups() + (user_groups(index_dir) if stamp is not None else [])
    thesaurus = Thesaurus(groups)
    _loaded[key] = (stamp, thesaurus)
    return thesaurus


def add_group(index_dir, phrases: Sequence[str]) -> list[str]:
    """Add a group of phrases meaning the same to the user's file; returns the group
    as kept (merged with a user group that already has one of the phrases)."""
    phrases = [p.strip() for p in phrases if p and p.strip()]
    if len(phrases) < 2:
        raise SynonymError("A synonym group needs at least two phrases, e.g. "
                           "`vnsearch synonyms add KCN \"khu công nghiệp\"`.")
    for phrase in phrases:
        if "," in phrase or "#" in phrase or "\n" in phrase:
            raise SynonymError(f"A phrase cannot hold ',', '#' or a line break: {phrase!r}.")
        if not Phrase.parse(phrase).exact:
            raise SynonymError(f"{phrase!r} has no letters or digits to search for.")
    groups = user_groups(index_dir)
    keys = {Phrase.parse(p).folded for p in phrases}
    kept = None
    for group in groups:
        if keys & {Phrase.parse(p).folded for p in group}:
            known = {Phrase.parse(p).exact for p in group}
            group.extend(p for p in phrases if Phrase.parse(p).exact not in known)
            kept = group
            break
    if kept is None:
        kept = list(dict.fromkeys(phrases))
        groups.append(kept)
    _write(index_dir, groups)
    return kept


def remove_phrase(index_dir, phrase: str) -> int:
    """Remove a phrase from the user's groups (a group left with one phrase goes too);
    returns how many groups it was removed from."""
    target = Phrase.parse(phrase).exact
    groups, removed = [], 0
    for group in user_groups(index_dir):
        rest = [p for p in group if Phrase.parse(p).exact != target]
        removed += len(rest) != len(group)
        if len(rest) >= 2:
            groups.append(rest)
    if not removed:
        built_in = any(Phrase.parse(p).exact == target
                       for group in built_in_groups() for p in group)
        why = (" it is a built-in abbreviation, which cannot be removed"
               if built_in else " see `vnsearch synonyms list`")
        raise SynonymError(f"No synonym group of yours holds {phrase!r}:{why}.")
    _write(index_dir, groups)
    return removed


def _write(index_dir, groups) -> None:
    path = Path(index_dir) / FILE
    temporary = path.with_name(f"{FILE}.{os.getpid()}.tmp")
    temporary.write_text("# vnsearch synonyms: one group a line, commas between phrases\n"
                         + format_groups(groups), encoding="utf-8")
    os.replace(temporary, path)
