"""Restoring the diacritics of unaccented queries from the index's own vocabulary."""

import pytest

from vnsearch.restore import candidates, match_case, restore

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


def test_restore_prefers_readings_that_form_known_words():
    frequency = {"công": 50, "cộng": 40, "nghệ": 30, "nghe": 35, "công_nghệ": 20}.get
    assert restore(["cong", "nghe"], lambda t: frequency(t, 0)) == ["công", "nghệ"]


def test_restore_keeps_unknown_syllables():
    assert restore(["zzz", "tin"], lambda t: {"tin": 3}.get(t, 0)) == ["zzz", "tin"]


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
