"""The search page at ``/``: its HTML through a real server, then in Debian's Chromium.

The browser tests drive /usr/bin/chromium with Playwright (never a downloaded browser).
``.ci/run`` installs Chromium; where it cannot, it sets VNSEARCH_NO_BROWSER to the reason
and these tests skip with it. Screenshots are written to ``test-artifacts/``.
"""

import os
import re
import shutil
from pathlib import Path

import pytest

from conftest import ARTICLES, FEATURE_ARTICLES, REPO
from serving import XSS_ARTICLE, Server, year_articles
from vnsearch import Index

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(os.environ.get("VNSEARCH_ARTIFACTS", REPO / "test-artifacts"))
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                  "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync",
                  "--disable-default-apps", "--disable-extensions"]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    path = tmp_path_factory.mktemp("page") / "index"
    report = Index.create(path).add(ARTICLES + year_articles() + [XSS_ARTICLE])
    assert not report.problems
    server = Server(path)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def features_server(tmp_path_factory):
    """The articles the typo, "did you mean" and completion tests of the library use."""
    path = tmp_path_factory.mktemp("features") / "index"
    report = Index.create(path).add(FEATURE_ARTICLES)
    assert not report.problems
    server = Server(path)
    yield server
    server.stop()


# -- the HTML, without a browser ------------------------------------------------------

def test_results_are_rendered_on_the_server_with_escaped_text(server):
    answer = server.client.get("/", params={"q": "alert"})
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/html")
    html = answer.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script>alert" not in html
    assert "&lt;img src=x onerror=" in html and "<img" not in html
    assert "default-src 'self'" in answer.headers["content-security-policy"]
    view = server.client.get("/view/xss")
    assert view.status_code == 200
    assert "<h1>&lt;script&gt;alert(1)&lt;/script&gt;</h1>" in view.text


def test_the_page_links_facets_pages_and_keeps_the_query(server):
    html = server.client.get("/", params={"q": "gia vang", "sort": "date"}).text
    assert 'value="gia vang"' in html
    assert "Kết quả cho: <strong>giá vàng</strong>" in html
    assert 'href="/?q=gia+vang&amp;from=2020-01-01&amp;to=2020-12-31&amp;sort=date"' in html
    assert 'href="/?q=gia+vang&amp;sort=date&amp;page=2"' in html
    assert html.count('class="hit"') == 10
    assert '<option value="date" selected>' in html


def test_bad_input_shows_a_message_not_a_crash(server):
    answer = server.client.get("/", params={"q": "vàng", "from": "31/12/2020"})
    assert answer.status_code == 400
    assert "write it as YYYY-MM-DD" in answer.text
    empty = server.client.get("/", params={"q": "vàng", "page": "99"})
    assert empty.status_code == 200 and 'class="hit"' not in empty.text
    assert server.client.get("/", params={"page": "x"}).status_code == 200
    assert server.client.get("/view/khong-co").status_code == 404
    assert server.client.get("/static/search.js").headers["content-type"].startswith(
        ("text/javascript", "application/javascript"))


# -- in Chromium ----------------------------------------------------------------------

@pytest.fixture(scope="module")
def browser():
    if not os.path.exists(CHROMIUM):
        reason = os.environ.get("VNSEARCH_NO_BROWSER")
        if reason:
            pytest.skip(f"no browser: {reason}")
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing on CI: .ci/run should have installed "
                        f"Debian's chromium (or set VNSEARCH_NO_BROWSER with the reason)")
        pytest.skip(f"{CHROMIUM} is not installed: `apt-get install chromium` to run the "
                    f"browser tests")
    playwright_api = pytest.importorskip("playwright.sync_api")
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                             args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1024, "height": 800}, locale="vi-VN")
    page = context.new_page()
    page.dialogs = []
    page.on("dialog", lambda dialog: (page.dialogs.append(dialog.message), dialog.dismiss()))
    page.set_default_timeout(15_000)
    yield page
    context.close()


def hit_dates(page):
    return page.locator(".hit time").all_inner_texts()


def test_typing_shows_results_with_highlights_and_the_url_follows(server, page):
    page.goto(server.url + "/")
    page.evaluate("window.__samePage = true")
    page.locator("#q").press_sequentially("gia vang", delay=60)
    page.wait_for_url(re.compile(r"\?q=gia\+vang$"))
    page.wait_for_selector(".hit")  # as typed, the last word matching as a prefix
    page.locator("#q").press("Enter")  # the whole words
    page.wait_for_selector(".shown >> text=Kết quả cho: giá vàng")
    assert page.locator(".hit").count() == 10
    marked = {text.lower() for text in page.locator(".hit mark").all_inner_texts()}
    assert marked and marked <= {"giá", "vàng", "giá vàng"}
    assert page.evaluate("window.__samePage") is True  # updated in place, no reload
    page.reload()  # the URL alone brings the same results back
    assert page.locator("#q").input_value() == "gia vang"
    assert page.locator(".hit").count() == 10


def test_a_year_facet_narrows_the_results(server, page):
    page.goto(server.url + "/?q=vàng")
    total = page.locator(".summary").inner_text()
    assert total.startswith("24 kết quả")
    facet = page.locator(".facet", has_text="2021")
    count = int(facet.locator(".count").inner_text())
    facet.click()
    page.wait_for_url(re.compile(r"from=2021-01-01&to=2021-12-31"))
    assert page.locator(".facet.active").inner_text().startswith("2021")
    dates = hit_dates(page)
    assert len(dates) == count == 6
    assert all(date.endswith("/2021") for date in dates)
    assert page.locator("input[name=from]").input_value() == "2021-01-01"
    page.locator(".facet.clear").click()
    page.wait_for_url(re.compile(r"\?q=v%C3%A0ng$"))
    assert page.locator(".hit").count() == 10


def test_paging_goes_to_page_two(server, page):
    page.goto(server.url + "/?q=gia+vang")
    first = page.locator(".hit h2").all_inner_texts()
    page.locator(".pages a[rel=next]").click()
    page.wait_for_url(re.compile(r"page=2"))
    second = page.locator(".hit h2").all_inner_texts()
    assert len(second) == 10 and not set(first) & set(second)
    assert page.locator(".hits").get_attribute("start") == "11"
    assert page.locator(".pages .current").inner_text() == "2"
    assert "trang 2/3" in page.locator(".summary").inner_text()


def test_date_and_sort_controls_update_the_results(server, page):
    page.goto(server.url + "/?q=vàng")
    page.locator("select[name=sort]").select_option("date")
    page.wait_for_url(re.compile(r"sort=date"))
    page.wait_for_function("() => document.querySelector('.hit time')"
                           "?.textContent.endsWith('2022')")
    years = [date[-4:] for date in hit_dates(page)]
    assert years == sorted(years, reverse=True)
    page.locator("input[name=to]").fill("2019-12-31")
    page.wait_for_url(re.compile(r"to=2019-12-31"))
    page.wait_for_function("() => [...document.querySelectorAll('.hit time')]"
                           ".every(t => t.textContent.endsWith('2019'))")
    assert page.locator(".hit").count() == 6


def test_typos_are_corrected_and_a_likelier_query_is_offered(features_server, page):
    server = features_server
    page.goto(server.url + "/")
    page.locator("#q").press_sequentially("Vinamlik", delay=40)
    page.wait_for_selector(".hit")
    assert page.locator(".shown").inner_text() == "Kết quả cho: Vinamilk"
    assert page.locator(".hit h2").first.inner_text() == "Vinamilk tăng lợi nhuận"
    page.locator("#q").fill("")
    page.locator("#q").press_sequentially("chung khoang", delay=40)
    page.locator("#q").press("Enter")  # "did you mean" is offered for whole words
    page.wait_for_selector(".suggestion a")
    offer = page.locator(".suggestion")
    assert offer.inner_text() == "Có phải bạn muốn tìm: chứng khoán?"
    offer.locator("a").click()
    page.wait_for_url(re.compile(r"\?q=ch%E1%BB%A9ng\+kho%C3%A1n$"))
    assert page.locator("#q").input_value() == "chứng khoán"
    titles = page.locator(".hit h2").all_inner_texts()
    assert "Thị trường chứng khoán khởi sắc" in titles


def test_the_word_being_typed_is_completed(features_server, page):
    server = features_server
    page.goto(server.url + "/")
    page.locator("#q").press_sequentially("vinam", delay=40)  # half a word
    page.wait_for_selector(".hit")
    assert page.locator(".hit h2").first.inner_text() == "Vinamilk tăng lợi nhuận"
    page.wait_for_function("() => document.querySelectorAll('#suggestions option')"
                           ".length > 0")
    options = page.locator("#suggestions option")
    assert "vinamilk" in [value.lower() for value in
                          options.evaluate_all("els => els.map(e => e.value)")]


def test_document_text_never_runs_as_code(server, page):
    page.goto(server.url + "/?q=alert")
    assert page.locator(".hit h2").inner_text() == "<script>alert(1)</script>"
    page.goto(server.url + "/")
    page.locator("#q").press_sequentially("kiem tra an toan", delay=30)
    page.wait_for_selector(".hit h2 >> text=<script>alert(1)</script>")
    assert '<img src=x onerror="window.__xss=1">' in page.locator(".hit .snippet").inner_text()
    page.locator(".hit h2 a").click()
    page.wait_for_url(re.compile(r"/view/xss$"))
    assert page.locator("h1").inner_text() == "<script>alert(1)</script>"
    assert page.evaluate("window.__xss") is None
    assert page.dialogs == []


def test_the_page_works_with_javascript_off(server, browser):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto(server.url + "/")
        page.locator("#q").fill("dầu khí")
        page.locator("#q").press("Enter")
        page.wait_for_url(re.compile(r"\?q=d%E1%BA%A7u\+kh%C3%AD"))
        assert page.locator(".hit h2").first.inner_text() == "Sản lượng dầu khí năm 2020"
        page.locator(".facet", has_text="2020").click()
        assert all(date.endswith("/2020") for date in hit_dates(page))
    finally:
        context.close()


def test_fits_a_phone_screen_and_screenshots_are_kept(server, browser):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    phone = browser.new_context(viewport={"width": 375, "height": 740}, is_mobile=True,
                                has_touch=True, device_scale_factor=1)
    try:
        page = phone.new_page()
        page.goto(server.url + "/?q=gia+vang")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 375, f"the page is {width} px wide on a 375 px screen"
        box = page.locator("#q").bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 375
        page.screenshot(path=ARTIFACTS / "page-phone.png")
    finally:
        phone.close()
    desktop = browser.new_context(viewport={"width": 900, "height": 760})
    try:
        page = desktop.new_page()
        page.goto(server.url + "/?q=gia+vang")
        page.screenshot(path=ARTIFACTS / "page-desktop.png")
    finally:
        desktop.close()
    for name in ("page-phone.png", "page-desktop.png"):
        assert (ARTIFACTS / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_chromium_is_the_systems_own(browser):
    assert shutil.which("chromium") == CHROMIUM
    assert browser.version.split(".")[0].isdigit()
