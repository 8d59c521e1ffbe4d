"""Restoring the diacritics of unaccented queries from the index's own vocabulary."""

import pytest

from vnsearch.restore import candidates, match_case, restore, spelled_as_in

from conftest import ids


@pytest.mark.parametrize("folded, accented", [
    ("thong", "thông"), ("duong", "đường"), ("hoa", "hòa"), ("nghe", "nghệ"),
    ("tin", "tín"), ("viet", "việt"), ("ban", "bạn"),
])
def test_candidates_hold_every_reading(folded, accented):
    assert accented in candidates(folded)
    assert folded in candidates(folded)


def test_candidates_leave_non_vietnamese_alone():
    assert candidates("2020") == ("2020",)
    assert candidates("xyzzyplugh") == ("xyzzyplugh",)


def _counts(table):
    return (lambda t: table.get(t, 0)), (lambda a, b: table.get(f"{a} {b}", 0))


def test_restore_reads_the_pair_the_index_holds_not_the_commoner_syllables():
    # "đầu" and "khi" are each far commoner than "dầu" and "khí", but "dầu" is followed
    # by "khí" far more often than "đầu" is by "khi".
    single, pair = _counts({"dầu": 12, "đầu": 400, "khí": 30, "khi": 500,
                            "dầu khí": 10, "đầu khi": 3})
    assert restore(["dau", "khi"], single, pair, total=100_000) == ["dầu", "khí"]


def test_restore_falls_back_on_the_commoner_reading_without_pairs():
    single, pair = _counts({"công": 50, "cộng": 40, "nghệ": 30, "nghe": 35})
    assert restore(["cong", "nghe"], single, pair, total=100) == ["công", "nghe"]


def test_restore_ignores_pairs_across_punctuation():
    single, pair = _counts({"bán": 10, "bạn": 20, "hàng": 50, "bán hàng": 9})
    assert restore(["ban", "hang"], single, pair, 100) == ["bán", "hàng"]
    assert restore(["ban", "hang"], single, pair, 100, joined=[False, False]) == ["bạn", "hàng"]


def test_restore_keeps_unknown_syllables():
    single, pair = _counts({"tin": 3})
    assert restore(["zzz", "tin"], single, pair, total=10) == ["zzz", "tin"]


@pytest.mark.parametrize("restored, typed, expected", [
    ("hà", "Ha", "Hà"), ("nội", "NOI", "NỘI"), ("công", "cong", "công"),
])
def test_match_case(restored, typed, expected):
    assert match_case(restored, typed) == expected


def test_search_reports_the_restored_reading(articles_index):
    results = articles_index.search("dau khi")
    assert results.restored == "dầu khí"
    assert ids(results)[0] == "dau-khi"
    assert articles_index.search("dầu khí").restored is None


def test_restored_reading_ranks_its_exact_form_first(tmp_path):
    from vnsearch import Index
    index = Index.create(tmp_path / "ix")
    index.add([{"id": f"friend-{n}", "title": "Tin", "body": f"Gặp bạn hàng cũ lần {n}."}
               for n in range(3)] +
              [{"id": "sell", "title": "Tin", "body": "Cửa hàng bán hàng tốt."}])
    results = index.search("ban hang")
    assert results.restored == "bạn hàng"
    assert ids(results)[-1] == "sell" and len(results) == 4


def test_oil_and_gas_archive_reads_dau_khi_as_dau_khi(tmp_path):
    # An archive where "đầu" and "khi" are much commoner than "dầu" and "khí", and where
    # "ban đầu khi" even occurs more often than "dầu khí": people search for words.
    from vnsearch import Index
    index = Index.create(tmp_path / "ix")
    common = [{"id": f"c{n}", "title": "Tin tức",
               "body": f"Đầu năm {n}, khi trời lạnh, ban đầu khi đi làm ai cũng mệt."}
              for n in range(8)]
    oil = [{"id": f"o{n}", "title": "Báo cáo", "body": f"Sản lượng dầu khí quý {n} tăng."}
           for n in range(3)]
    index.add(common + oil)
    results = index.search("dau khi")
    assert results.restored == "dầu khí"
    assert set(ids(results)[:3]) == {"o0", "o1", "o2"}


def test_unaccented_query_matches_at_least_what_its_reading_matches(tmp_path):
    from vnsearch import Index
    index = Index.create(tmp_path / "ix")
    index.add([{"id": "a", "title": "Dầu khí", "body": "Khai thác dầu khí."},
               {"id": "b", "title": "Đầu năm", "body": "Đầu năm nay khi trời lạnh."},
               {"id": "c", "title": "Tin", "body": "Không khí lạnh tràn về."}])
    assert index.search("dau khi").total >= index.search("dầu khí").total == 3


def test_documents_holding_three_syllables_in_a_row_spell_them():
    reading = spelled_as_in(["loai", "khi", "nao"], ["loại", "khi", "nào"],
                            ["Loại khí nào làm lửa bùng phát?"])
    assert reading == ["loại", "khí", "nào"]


def test_documents_in_nfd_or_capitals_vote_in_nfc_lower_case():
    import unicodedata
    text = unicodedata.normalize("NFD", "LOẠI KHÍ NÀO làm lửa bùng phát?")
    assert spelled_as_in(["loai", "khi", "nao"], ["loại", "khi", "nào"], [text]) \
        == ["loại", "khí", "nào"]


def test_a_pair_alone_does_not_outvote_the_bigram_counts():
    # Two syllables in a row are what the counts already weigh (and a document that
    # repeats "trận đấu khi" would outvote an archive of "dầu khí").
    assert spelled_as_in(["dau", "khi"], ["dầu", "khí"],
                         ["Trận đấu khi trời mưa, trận đấu khi trời nắng."]) == ["dầu", "khí"]
    assert spelled_as_in(["ban", "dau", "khi", "nao"], ["ban", "đầu", "khi", "nào"],
                         ["Giá dầu khí tăng."]) == ["ban", "đầu", "khi", "nào"]


def test_better_ranked_and_longer_runs_outvote_the_others():
    folded, guess = ["gia", "xang", "dau"], ["gia", "xang", "dau"]
    texts = ["Giá xăng dầu hôm nay.", "Gia xang dau (không dấu)."]
    assert spelled_as_in(folded, guess, texts) == ["giá", "xăng", "dầu"]
    assert spelled_as_in(folded, guess, texts[::-1]) == ["gia", "xang", "dau"]
    longer = ["Giá xăng tăng.", "Nói về giá xăng dầu."]
    assert spelled_as_in(folded, guess, longer) == ["giá", "xăng", "dầu"]


def test_syllables_no_document_holds_in_a_run_keep_the_guess():
    assert spelled_as_in(["bao", "nhieu", "diem", "ha"], ["bao", "nhiêu", "điểm", "hạ"],
                         ["Đội thua bao nhiêu điểm?"]) == ["bao", "nhiêu", "điểm", "hạ"]


def test_search_reads_an_unaccented_question_as_the_documents_holding_it_spell_it(tmp_path):
    # "phân loại khi" and "khi nào" are common, so the pair counts read "loai khi nao"
    # as "loại khi nào"; the one document holding all three syllables in a row says
    # "loại khí nào".
    from vnsearch import Index
    from vnsearch.plan import plan
    from vnsearch.ranking import Ranker
    index = Index.create(tmp_path / "ix")
    index.add([{"id": "oxy", "title": "Đám cháy trong khoang tàu",
                "body": "Loại khí nào đã làm lửa bùng phát? Đó là khí oxy tinh khiết."}] +
              [{"id": f"k{n}", "title": f"Hỏi đáp {n}",
                "body": f"Hàng được phân loại khi nhập kho. Bạn về quê khi nào? Lần {n}."}
               for n in range(6)])
    ranker = Ranker.for_searcher(index._current_searcher())
    by_pairs = plan("loai khi nao", lambda t: ranker.occurrences("body", t),
                    ranker.total_length("body"), pair_frequency=ranker.pair_count)
    assert by_pairs.restored == "loại khi nào"  # what the counts alone say
    results = index.search("loai khi nao")
    assert results.restored == "loại khí nào"
    assert ids(results)[0] == "oxy"
