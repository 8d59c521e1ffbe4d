"""Ranking, matching and query syntax, on the seeds and on small articles of our own."""

from datetime import datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vnsearch import Index, QueryError
from vnsearch.search import parse_query

from conftest import ids


# -- the seeds: what the end-to-end issue promises -----------------------------------

def test_compound_word_is_found_by_its_parts(seeds_index):
    # pyvi makes "Phó Tổng Giám đốc" one token; "giám đốc" must still find it.
    assert "004_4f50b4cc4493e74c.txt" in ids(seeds_index.search("giám đốc"))


@pytest.mark.parametrize("query", ["cong nghe thong tin", "công nghệ thông tin",
                                   "CÔNG NGHỆ THÔNG TIN"])
def test_unaccented_and_any_case_find_cong_nghe_thong_tin(seeds_index, query):
    assert ids(seeds_index.search(query))[0] == "004_4f50b4cc4493e74c.txt"


def test_misplaced_tone_mark_is_searchable(seeds_index):
    # The seed writes "điện thọai"; the reader types "điện thoại".
    hits = seeds_index.search('"điện thoại"')
    assert ids(hits) == ["004_4f50b4cc4493e74c.txt"]
    assert "điện thọai" in [hits[0].snippet[s:e] for s, e in hits[0].highlights]


# -- diacritics ------------------------------------------------------------------------

@pytest.mark.parametrize("query", ["dầu", "dau", "dầu khí", "dau khi", "DAU KHI"])
def test_accented_and_unaccented_queries_find_dau_khi(articles_index, query):
    assert ids(articles_index.search(query))[0] == "dau-khi"


@pytest.mark.parametrize("query", ["hòa bình", "hoà bình", "hoa binh", "thủy lợi", "thuỷ lợi"])
def test_both_tone_mark_styles_match(articles_index, query):
    assert ids(articles_index.search(query))[0] == "hoa-binh"


def test_accented_query_marks_only_exact_syllables(seeds_index):
    hit = seeds_index.search("thông")[0]
    assert {hit.snippet[s:e].lower() for s, e in hit.highlights} == {"thông"}


def test_exact_diacritics_rank_above_folded_match(articles_index):
    assert ids(articles_index.search("bán hàng"))[:2] == ["ban-hang", "ban-hang-2"]
    assert ids(articles_index.search("bạn hàng"))[:2] == ["ban-hang-2", "ban-hang"]


def test_unaccented_query_matches_every_reading(articles_index):
    assert set(ids(articles_index.search("ban hang"))) >= {"ban-hang", "ban-hang-2"}


def test_unaccented_query_highlights_accented_words(articles_index):
    hit = articles_index.search("dau khi")[0]
    marked = [hit.snippet[s:e] for s, e in hit.highlights]
    assert marked == ["dầu khí", "dầu"]


# -- ranking -----------------------------------------------------------------------------

def test_phrase_ranks_above_scattered_words(articles_index):
    ranked = ids(articles_index.search("công nghệ thông tin"))
    assert ranked.index("cntt") < ranked.index("scattered")


def test_title_match_outweighs_body_match(articles_index):
    ranked = ids(articles_index.search("bóng đá công nhân"))
    assert ranked[0] == "title-match"


@pytest.fixture(scope="module")
def rules_index(tmp_path_factory):
    """Small archives of our own for the ordering rules, in one real index."""
    index = Index.create(tmp_path_factory.mktemp("rules") / "index")
    long_news = " ".join(["Tin tức trong ngày: có bao nhiêu người tham dự, đội nào thua, "
                          "kết quả ra sao, điểm số thế nào, ai đã ghi bàn."] * 40)
    index.add([
        # "bán hàng": once in the body, against "bạn hàng" in the title and twice in the body.
        {"id": "sell", "title": "Kỹ năng", "body": "Nhân viên bán hàng cần hiểu sản phẩm."},
        {"id": "partner", "title": "Bạn hàng",
         "body": "Gặp bạn hàng cũ. Bạn hàng đến từ Nhật Bản."},
        # "trí tuệ nhân tạo": the phrase against its words in other compounds.
        {"id": "ai", "title": "Công nghệ mới",
         "body": "Ứng dụng trí tuệ nhân tạo trong y tế ngày càng rộng, từ chẩn đoán "
                 "hình ảnh đến theo dõi bệnh nhân tại nhà và quản lý hồ sơ."},
        {"id": "ip", "title": "Cục Sở hữu trí tuệ tổng kết năm",
         "body": "Cục Sở hữu trí tuệ làm việc với các doanh nghiệp; sân cỏ nhân tạo "
                 "mới được khánh thành. Trí tuệ tập thể, nhân tạo ra giá trị."},
        # A short paragraph among long articles full of the question's common words.
        # The question's words are common in bodies but rare in titles: a title match
        # must not weigh as if they were rare words.
        {"id": "paragraph", "title": "Chung kết mùa giải",
         "body": "Đội Panthers để thua 10 điểm trong trận chung kết mùa giải."},
        *[{"id": f"news-{n}", "title": f"Đội thua bao nhiêu điểm? Kỳ {n}", "body": long_news}
          for n in range(3)],
        *[{"id": f"more-{n}", "title": f"Tin trong ngày số {n}", "body": long_news}
          for n in range(30)],
    ])
    return index


def test_exact_diacritics_rank_first_whatever_the_counts(rules_index):
    assert ids(rules_index.search("bán hàng"))[:2] == ["sell", "partner"]


def test_adjacent_words_rank_above_scattered_and_other_compounds(rules_index):
    assert ids(rules_index.search("trí tuệ nhân tạo"))[:2] == ["ai", "ip"]
    assert ids(rules_index.search("tri tue nhan tao"))[:2] == ["ai", "ip"]


def test_short_paragraph_beats_long_articles_sharing_common_words(rules_index):
    assert ids(rules_index.search("Đội Panthers đã thua bao nhiêu điểm?"))[0] == "paragraph"
    assert ids(rules_index.search("Doi Panthers da thua bao nhieu diem?"))[0] == "paragraph"


# -- query syntax ------------------------------------------------------------------------

def test_quoted_phrase_requires_adjacent_words(articles_index):
    assert ids(articles_index.search('"công nghệ thông tin"')) == ["cntt"]


def test_minus_excludes(articles_index):
    found = ids(articles_index.search("hàng -bạn"))
    assert "ban-hang" in found and "ban-hang-2" not in found


def test_minus_phrase_excludes(articles_index):
    found = ids(articles_index.search('thông -"công nghệ"'))
    assert "scattered" in found and "cntt" not in found


@pytest.mark.parametrize("query, expected", [
    ('dầu khí "công nghệ" -xăng', (["công nghệ"], ["xăng"], "dầu khí")),
    ('"unbalanced quote', (["unbalanced quote"], [], "")),
    ("a - b", ([], [], "a - b")),
])
def test_parse_query(query, expected):
    parsed = parse_query(query)
    assert (parsed.phrases, parsed.excluded, parsed.text) == expected


# -- dates and sorting -----------------------------------------------------------------

def test_date_filter_is_inclusive(articles_index):
    found = ids(articles_index.search("công ty", date_from="2020-12-30", date_to="2021-01-01"))
    assert sorted(found) == ["ban-hang-2", "dau-khi"]


def test_sort_by_date_newest_first(articles_index):
    hits = articles_index.search("công", sort="date", limit=20)
    dates = [hit.date for hit in hits if hit.date]
    assert dates == sorted(dates, reverse=True) and len(dates) >= 3


def test_hit_fields(articles_index):
    hit = articles_index.search("dầu khí")[0]
    assert hit.title == "Sản lượng dầu khí năm 2020"
    assert hit.date == datetime(2020, 12, 30)
    assert hit.score > 0


# -- hostile queries -------------------------------------------------------------------

@pytest.mark.parametrize("query", ["", "   ", "!!!", "?", "-", '"', '""', "-\"\"", "^",
                                   "\\", "'", "*:()"])
def test_queries_with_nothing_to_search_say_so(articles_index, query):
    with pytest.raises(QueryError, match="Nothing to search for"):
        articles_index.search(query)


@pytest.mark.parametrize("query", ["dầu*", "title:dầu", "(dầu OR khí)", "NOT dầu", "dầu~2",
                                   "dầu^3", '"dầu khí', "dầu -", "\x00dầu", "dầu\\"])
def test_whoosh_syntax_is_just_text(articles_index, query):
    assert "dau-khi" in ids(articles_index.search(query))


@pytest.mark.parametrize("query", ["AND", "[a TO z]", "--dầu", "-dầu"])
def test_odd_queries_still_run(articles_index, query):
    articles_index.search(query)


def test_bad_dates_and_options_are_query_errors(articles_index):
    with pytest.raises(QueryError, match="YYYY-MM-DD"):
        articles_index.search("dầu", date_from="30/12/2020 nonsense")
    with pytest.raises(QueryError, match="empty"):
        articles_index.search("dầu", date_from="2021-01-01", date_to="2020-01-01")
    with pytest.raises(QueryError):
        articles_index.search("dầu", sort="popularity")


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=300))
def test_any_query_gives_results_or_a_query_error(articles_index, query):
    try:
        results = articles_index.search(query)
    except QueryError:
        return
    for hit in results:
        for start, end in hit.highlights:
            assert 0 <= start < end <= len(hit.snippet)


# -- paging and facets -----------------------------------------------------------------

def test_offset_pages_through_the_same_ranking(articles_index):
    everything = ids(articles_index.search("công", limit=20))
    assert len(everything) >= 3
    page = articles_index.search("công", limit=2, offset=1)
    assert ids(page) == everything[1:3]
    assert page.total == len(everything) and page.offset == 1
    assert page.took_ms > 0


def test_offset_past_the_end_gives_no_hits_but_the_total(articles_index):
    results = articles_index.search("công", offset=1000)
    assert list(results) == [] and results.total > 0


@pytest.mark.parametrize("offset", [-1, 1.5, "2"])
def test_bad_offset_is_a_query_error(articles_index, offset):
    with pytest.raises(QueryError, match="offset"):
        articles_index.search("công", offset=offset)


def test_facets_count_every_match_by_year_and_month_newest_first(articles_index):
    # "công" is in cntt (2018-06), scattered (2017-02), title-match (undated),
    # body-match (2022-08), dau-khi (2020-12) and ban-hang-2 (2021-01).
    results = articles_index.search("công", limit=1, facets=("year", "month"))
    years = dict(results.facets["year"])
    assert [y for y, _ in results.facets["year"]] == sorted(years, reverse=True)
    assert years == {"2022": 1, "2021": 1, "2020": 1, "2018": 1, "2017": 1}
    assert ("2018-06", 1) in results.facets["month"]
    assert sum(years.values()) == results.total - 1  # the undated one has no year


def test_dates_of_segments_without_any_dated_document(tmp_path):
    # Each add is a segment; two of them hold no date at all.
    index = Index.create(tmp_path / "index")
    index.add([{"id": "a", "title": "Giá vàng", "body": "Giá vàng tăng mạnh."}])
    index.add([{"id": "b", "title": "Giá vàng hôm nay", "body": "Giá vàng giảm."},
               {"id": "c", "title": "Giá xăng", "body": "Giá xăng tăng.", "date": "2019-05-01"}])
    index.add([{"id": "d", "title": "Giá điện", "body": "Giá điện tăng."}])
    index.add([{"id": "e", "title": "Giá gạo", "body": "Giá gạo.", "date": "2021-03-02"}])
    results = index.search("giá", facets=("year", "month"))
    assert results.total == 5
    assert results.facets == {"year": [("2021", 1), ("2019", 1)],
                              "month": [("2021-03", 1), ("2019-05", 1)]}
    newest = ids(index.search("giá", sort="date"))
    assert newest[:2] == ["e", "c"] and sorted(newest[2:]) == ["a", "b", "d"]  # undated last


def test_unknown_facet_is_a_query_error(articles_index):
    with pytest.raises(QueryError, match="facet"):
        articles_index.search("công", facets=("week",))
