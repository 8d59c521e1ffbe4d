"""Search-as-you-type: complete the last word of what the user is typing.

"công ng" → "công nghệ", "công nghiệp": the completions are syllables and pyvi words the
index holds, keyed by their folded form so "cong ng" finds them too. A completion that
takes in the words typed before the last one ("công" + "ng" → the word "công nghệ")
ranks above one that completes the last word alone, and a lone completion must follow
the word before it somewhere in the index ("giá dầu th" → "giá dầu thô", never "giá dầu
thông"). Diacritics the user typed are kept: "cộng ng" does not offer "công nghệ".

Pure logic over a :class:`vnsearch.lexicon.Lexicon` and a pair-frequency function; it
knows nothing of Whoosh.
"""

import heapq
import re
from collections.abc import Callable
from dataclasses import dataclass

from .normalize import fold, has_diacritics, normalize

CONTEXT = 3
"""At most this many words before the last one can be part of a completion."""
CHECKED = 5
"""Lone completions looked up beyond those needed, in case some are not supported."""
SCAN = 5_000
"""Entries read for one completion key at most (a one-letter prefix has thousands)."""

_SYLLABLE = re.compile(r"[^\W_]+")


@dataclass(frozen=True, slots=True)
class Typed:
    """What the user has typed, split into syllables: ``spans`` into ``text``."""

    text: str
    syllables: list[str]
    spans: list[tuple[int, int]]
    partial: bool
    """Whether the last syllable is still being typed (no space after it)."""


def split_typed(text: str) -> Typed:
    """Normalised lower-case syllables of a typed prefix, with their spans.

    >>> split_typed("Công ng").syllables
    ['công', 'ng']
    """
    normalised = normalize(text)
    syllables, spans = [], []
    for match in _SYLLABLE.finditer(normalised):
        syllables.append(match.group().lower())
        spans.append(match.span())
    partial = bool(syllables) and not text[-1:].isspace()
    return Typed(text, syllables, spans, partial)


def complete(text: str, lexicon, pair_frequency: Callable[[str, str], int] | None = None,
             limit: int = 10) -> list[str]:
    """Up to ``limit`` completions of ``text``, most useful first.

    Each completion is ``text`` with its last word completed ("công ng" → "công
    nghệ"); words before those the completion takes in are kept as typed.
    ``pair_frequency(left, right)`` gives how many documents have two folded syllables
    side by side: a completion of the last word alone must follow the word before it
    somewhere in the index, and the more often it does the higher it ranks.
    """
    typed = split_typed(text)
    if not typed.syllables or limit < 1:
        return []
    found: dict[str, tuple] = {}
    found_folded: dict[str, int] = {}
    last = len(typed.syllables)
    for taken in range(min(CONTEXT, last - 1 if typed.partial else last), -1, -1):
        # ``taken`` complete words before the partial one belong to the completion.
        first = last - taken - (1 if typed.partial else 0)
        words = typed.syllables[first:]
        key = " ".join(fold(w) for w in words) + ("" if typed.partial else " ")
        if not key.strip():
            continue
        lone = taken == 0 and first > 0
        wanted = limit + CHECKED if lone and pair_frequency is not None else limit
        candidates = _matching(lexicon, key, words, typed.partial, wanted)
        if lone and pair_frequency is not None:
            # Each check is an index lookup: stop once enough are supported.
            before = fold(typed.syllables[first - 1])
            supported = []
            for df, completion in candidates:
                pairs = pair_frequency(before, fold(completion.split(" ")[0]))
                if pairs > 0:
                    supported.append((pairs, completion))
                    if len(supported) >= limit - len(found):
                        break
            candidates = sorted(supported, key=lambda item: -item[0])
        prefix = typed.text[:typed.spans[first][0]] if first < last else typed.text
        typed_words = typed.text[typed.spans[first][0]:].split() if first < last else []
        for df, completion in candidates[:limit]:
            shown = prefix + _match_case(completion, typed_words)
            if found_folded.get(fold(shown).lower(), taken) > taken:
                continue  # "cong nghệ" when "công nghệ" was found as a whole word
            found_folded[fold(shown).lower()] = taken
            rank = (taken, df)
            if shown.lower() not in found or found[shown.lower()][0] < rank:
                found[shown.lower()] = (rank, shown)
        if len(found) >= limit:
            break
    ranked = sorted(found.values(), key=lambda item: item[0], reverse=True)
    return [shown for _, shown in ranked[:limit]]


def _matching(lexicon, key, words, partial, wanted):
    """``(df, text)`` of the most frequent entries completing ``words``, keeping the
    typed diacritics."""
    typed_words = len(words)
    out = []
    for count, (_, entry_text, df) in enumerate(lexicon.most_frequent(key)):
        if count >= SCAN or len(out) >= wanted:
            break
        parts = entry_text.split(" ")
        if len(parts) < typed_words or (not partial and len(parts) == typed_words):
            continue
        if partial and len(parts) == typed_words and parts[-1] == words[-1]:
            continue  # already typed in full: nothing to complete
        if not _keeps_marks(words, parts, partial):
            continue
        out.append((df, entry_text))
    return out


def _match_case(completion: str, typed_words: list[str]) -> str:
    """The completion with the capitals the user typed ("Hà N" → "Hà Nội")."""
    parts = completion.split(" ")
    for index, typed in enumerate(typed_words[:len(parts)]):
        part = parts[index]
        if typed.isupper() and len(typed) > 1 and index < len(typed_words) - 1:
            parts[index] = part.upper()
        elif typed[:1].isupper():
            parts[index] = part[:1].upper() + part[1:]
    return " ".join(parts)


def _keeps_marks(words, parts, partial) -> bool:
    """Whether an entry spells the typed syllables with the diacritics typed."""
    for index, word in enumerate(words):
        if not has_diacritics(word):
            continue
        last = partial and index == len(words) - 1
        if (not parts[index].startswith(word)) if last else parts[index] != word:
            return False
    return True


def prefix_expansions(syllable: str, lexicon, limit: int = 20) -> list[tuple[str, int]]:
    """The ``limit`` most frequent single syllables that complete a partly typed one,
    with their frequency: what ``search(..., prefix=True)`` adds. Typed without
    diacritics, the completions are folded ("ngh" → "nghiep"); typed with them, exact
    and keeping them ("tă" → "tăng", never "tâm").

    >>> from vnsearch.lexicon import Lexicon
    >>> prefix_expansions("ngh", Lexicon.from_terms([("nghệ", 3), ("nghiệp", 5)]))
    [('nghiep', 5), ('nghe', 3)]
    """
    folded = fold(syllable)
    accented = has_diacritics(syllable)
    totals: dict[str, int] = {}
    for count, (key, text, df) in enumerate(lexicon.most_frequent(folded)):
        if count >= SCAN or len(totals) >= limit * 2:
            break
        if " " in key or (accented and not text.startswith(syllable)):
            continue
        form = text if accented else key
        totals[form] = totals.get(form, 0) + df
    return heapq.nlargest(limit, totals.items(), key=lambda item: (item[1], item[0]))
