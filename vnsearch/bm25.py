"""BM25's parameters and what a top-k search returns, shared by the two ways of scoring:
term at a time into a dictionary (:mod:`vnsearch.ranking`) and with numpy arrays on big
indexes (:mod:`vnsearch.topk`)."""

from dataclasses import dataclass

K1 = 1.2
B = 0.75


@dataclass(frozen=True, slots=True)
class Top:
    """The ``depth`` best documents of a query and the count of every match.

    ``scores`` maps each of the best documents to its score, best first; ``unscored``
    lists, in document order, matches holding only terms too common to score (filled
    only when fewer than ``depth`` documents have a score, for paging past them);
    ``total`` counts every match, scored or not.
    """

    scores: dict[int, float]
    unscored: list[int]
    total: int
