"""The HTTP API of ``vnsearch serve``, through real server processes on loopback ports.

Answers are compared with what the library says for the same index, so the API can only
pass by passing the library's results through.
"""

import json
import os
import subprocess
import sys
import time

import httpx
import pytest

from conftest import ARTICLES
from serving import XSS_ARTICLE, Server, year_articles
from vnsearch import Index

TOKEN = "bi-mat-123"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture(scope="module")
def index_path(tmp_path_factory):
    path = tmp_path_factory.mktemp("served") / "index"
    report = Index.create(path).add(ARTICLES + year_articles() + [XSS_ARTICLE])
    assert not report.problems
    return path


@pytest.fixture(scope="module")
def server(index_path):
    """Writes allowed with TOKEN, CORS for one origin, a 20 kB body limit, and a 1 s
    wait for the write lock."""
    server = Server(index_path, "--token", TOKEN, "--cors", "https://toasoan.example",
                    "--max-body", 20_000, env={"VNSEARCH_LOCK_TIMEOUT": "1"})
    yield server
    server.stop()


@pytest.fixture(scope="module")
def plain_server(index_path):
    """No token, no CORS, and no --host: the defaults."""
    server = Server(index_path, host_option=False)
    yield server
    server.stop()


def hit_ids(body):
    return [hit["id"] for hit in body["hits"]]


def test_search_passes_the_library_results_through(server, index_path):
    answer = server.client.get("/search", params={"q": "gia vang", "limit": 5,
                                                  "facets": "year"})
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/json"
    body = answer.json()
    expected = Index.open(index_path).search("gia vang", limit=5, facets=("year",))
    assert hit_ids(body) == [hit.id for hit in expected]
    assert body["total"] == expected.total == 24
    assert body["restored"] == expected.restored == "giá vàng"
    assert body["offset"] == 0 and body["limit"] == 5
    assert isinstance(body["took_ms"], (int, float)) and body["took_ms"] >= 0
    assert {"corrected", "suggestion", "query"} <= set(body)
    assert body["facets"] == {"year": [{"value": value, "count": count}
                                       for value, count in expected.facets["year"]]}
    first, library = body["hits"][0], expected[0]
    assert set(first) >= {"id", "title", "date", "score", "snippet", "highlights", "source"}
    assert first["title"] == library.title
    assert first["date"] == library.date.isoformat()
    assert first["snippet"] == library.snippet
    assert first["highlights"] == [list(span) for span in library.highlights]
    marked = {first["snippet"][start:end].lower() for start, end in first["highlights"]}
    assert marked and marked <= {"giá", "vàng", "giá vàng"}


def test_search_pages_dates_sort_and_fields(server, index_path):
    index = Index.open(index_path)
    second = server.client.get("/search", params={"q": "vàng", "limit": 10, "offset": 10})
    assert hit_ids(second.json()) == [h.id for h in index.search("vàng", limit=10, offset=10)]
    assert second.json()["offset"] == 10
    dated = server.client.get("/search", params={"q": "vàng", "from": "2021-01-01",
                                                 "to": "2021-12-31", "sort": "date",
                                                 "limit": 20}).json()
    assert dated["total"] == 6
    dates = [hit["date"] for hit in dated["hits"]]
    assert dates == sorted(dates, reverse=True) and all(d.startswith("2021") for d in dates)
    titles = server.client.get("/search", params=[("q", "alert"), ("field", "title")]).json()
    assert hit_ids(titles) == ["xss"]
    bodies = server.client.get("/search", params=[("q", "alert"), ("field", "body")]).json()
    assert hit_ids(bodies) == []


@pytest.mark.parametrize("params, words", [
    ({"q": "vàng", "from": "30/12/2020"}, "YYYY-MM-DD"),
    ({"q": "vàng", "from": "2022-01-01", "to": "2021-01-01"}, "date range is empty"),
    ({"q": "vàng", "sort": "popular"}, "Unknown sort"),
    ({"q": "vàng", "facets": "day"}, "Unknown facet"),
    ({"q": "vàng", "field": "author"}, "Unknown field"),
    ({"q": "   "}, "Nothing to search for"),
    ({"q": "vàng", "limit": 0}, "limit"),
    ({"q": "vàng", "limit": 101}, "limit"),
    ({"q": "vàng", "offset": -1}, "offset"),
    ({"q": "vàng", "limit": "mười"}, "limit"),
    ({}, "q: Field required"),
    ({"q": "vàng " * 300}, "at most 1000"),
])
def test_bad_requests_are_400_with_a_message(server, params, words):
    answer = server.client.get("/search", params=params)
    assert answer.status_code == 400
    body = answer.json()
    assert body["status"] == 400 and words in body["message"]


def test_documents_by_id_info_and_health(server, index_path):
    document = server.client.get("/documents/hoa-binh")
    assert document.status_code == 200
    assert document.json() == {"id": "hoa-binh", "title": "Hội nghị tại Hoà Bình",
                               "body": "Tỉnh Hoà Bình tổ chức hội nghị về thuỷ lợi và "
                                       "giao thông.",
                               "date": "2019-05-01T00:00:00", "source": None}
    missing = server.client.get("/documents/khong-co")
    assert missing.status_code == 404
    assert missing.json()["message"] == "No document with id 'khong-co'."
    info = server.client.get("/info").json()
    library = Index.open(index_path).info()
    assert info["documents"] == library.documents
    assert info["date_from"] == library.date_from.isoformat()
    assert info["format_version"] == library.format_version
    health = server.client.get("/health")
    assert health.status_code == 200
    assert health.json()["status"] == "ok"
    assert health.json()["documents"] == library.documents


def test_openapi_describes_every_endpoint_and_unknown_paths_are_json_404(server):
    spec = server.client.get("/openapi.json").json()
    assert {"/search", "/suggest", "/documents/{doc_id}", "/documents", "/info",
            "/health"} <= set(spec["paths"])
    assert {p["name"] for p in spec["paths"]["/search"]["get"]["parameters"]} >= \
        {"q", "limit", "offset", "from", "to", "sort", "facets", "prefix"}
    missing = server.client.get("/nowhere")
    assert missing.status_code == 404 and "openapi.json" in missing.json()["message"]
    assert server.client.get("/docs").status_code == 404  # no page loading assets from CDNs


def test_writes_need_the_token(server):
    document = {"id": "moi-1", "title": "Khai trương cầu Rồng mới", "date": "2024-03-29",
                "body": "Cây cầu mới bắc qua sông Hàn được thông xe."}
    missing = server.client.post("/documents", json=document)
    assert missing.status_code == 401
    assert missing.headers["www-authenticate"] == "Bearer"
    assert "Authorization: Bearer" in missing.json()["message"]
    wrong = server.client.post("/documents", json=document,
                               headers={"Authorization": "Bearer sai"})
    assert wrong.status_code == 403
    assert server.client.delete("/documents/hoa-binh").status_code == 401
    assert server.client.get("/documents/moi-1").status_code == 404

    added = server.client.post("/documents", json=document, headers=AUTH)
    assert added.status_code == 200, added.text
    assert added.json()["added"] == 1 and added.json()["problems"] == []
    # seen by the very next search: no restart, no cache
    assert hit_ids(server.client.get("/search", params={"q": "cau rong"}).json()) == ["moi-1"]

    removed = server.client.delete("/documents/moi-1", headers=AUTH)
    assert removed.status_code == 200 and removed.json()["removed"] == 1
    assert server.client.get("/documents/moi-1").status_code == 404
    assert hit_ids(server.client.get("/search", params={"q": "cau rong"}).json()) == []
    again = server.client.delete("/documents/moi-1", headers=AUTH)
    assert again.status_code == 404


def test_json_lines_bodies_report_bad_lines_and_index_the_rest(server):
    lines = [json.dumps({"id": "jl-1", "title": "Lễ hội pháo hoa Đà Nẵng", "body": "Đêm "
                         "pháo hoa quốc tế bên sông Hàn.", "date": "2023-06-03"},
                        ensure_ascii=False),
             "{not json",
             json.dumps({"id": "jl-2", "title": "", "body": ""}),
             "",
             json.dumps({"id": "jl-3", "title": "Pháo hoa mừng năm mới", "body": "Nhiều "
                         "tỉnh bắn pháo hoa.", "date": "2024-01-01"}, ensure_ascii=False)]
    answer = server.client.post("/documents", content="\n".join(lines).encode(),
                                headers={**AUTH, "Content-Type": "application/x-ndjson"})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["added"] == 2 and body["skipped"] == 2
    assert [problem["line"] for problem in body["problems"]] == [2, 3]
    assert body["problems"][0]["message"].startswith("not JSON")
    found = server.client.get("/search", params={"q": '"pháo hoa"'}).json()
    assert sorted(hit_ids(found)) == ["jl-1", "jl-3"]

    nothing = server.client.post("/documents", json=[{"id": "x"}], headers=AUTH)
    assert nothing.status_code == 400 and nothing.json()["skipped"] == 1
    wrong_type = server.client.post("/documents", content=b"id=1", headers={
        **AUTH, "Content-Type": "application/x-www-form-urlencoded"})
    assert wrong_type.status_code == 415
    broken = server.client.post("/documents", content=b"[{", headers={
        **AUTH, "Content-Type": "application/json"})
    assert broken.status_code == 400 and "not JSON" in broken.json()["message"]


def test_bodies_over_the_limit_are_413(server):
    big = [{"id": f"lon-{n}", "title": "Bài rất dài", "body": "chữ " * 500}
           for n in range(10)]
    answer = server.client.post("/documents", json=big, headers=AUTH)
    assert answer.status_code == 413
    assert "at most 20,000" in answer.json()["message"]

    def chunks():  # no Content-Length: the limit is counted as the body arrives
        for _ in range(30):
            yield b" " * 1000
    streamed = server.client.post("/documents", content=chunks(), headers={
        **AUTH, "Content-Type": "application/json"})
    assert streamed.status_code == 413
    assert server.client.get("/documents/lon-0").status_code == 404


HOLDER = '''
import sys
from vnsearch import Index
with Index.open(sys.argv[1])._locked_writer():
    print("holding", flush=True)
    sys.stdin.read()
'''


def test_writes_to_a_busy_index_are_409_while_searches_go_on(server, index_path):
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(index_path)],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "holding"
        busy = server.client.post("/documents", json={"id": "cho", "title": "Chờ"},
                                  headers=AUTH)
        assert busy.status_code == 409
        assert busy.json()["error"] == "IndexBusyError"
        assert f"process {holder.pid}" in busy.json()["message"]
        started = time.monotonic()
        search = server.client.get("/search", params={"q": "vàng"})
        assert search.status_code == 200 and search.json()["total"] == 24
        assert time.monotonic() - started < 1.0  # searches never wait for the lock
    finally:
        holder.stdin.close()
        holder.wait(timeout=30)


def test_cors_only_for_the_origin_given(server, plain_server):
    origin = {"Origin": "https://toasoan.example"}
    allowed = server.client.get("/search", params={"q": "vàng"}, headers=origin)
    assert allowed.headers["access-control-allow-origin"] == "https://toasoan.example"
    other = server.client.get("/search", params={"q": "vàng"},
                              headers={"Origin": "https://khac.example"})
    assert "access-control-allow-origin" not in other.headers
    plain = plain_server.client.get("/search", params={"q": "vàng"}, headers=origin)
    assert plain.status_code == 200
    assert "access-control-allow-origin" not in plain.headers


def test_by_default_writes_are_off_and_the_server_listens_on_loopback(plain_server):
    answer = plain_server.client.post("/documents", json={"id": "a", "title": "Tin"},
                                      headers=AUTH)
    assert answer.status_code == 403
    assert "--token" in answer.json()["message"]
    assert plain_server.client.delete("/documents/hoa-binh", headers=AUTH).status_code == 403
    assert f"running on http://127.0.0.1:{plain_server.port}" in plain_server.log()


def test_503_until_the_index_exists_then_served_without_restart(tmp_path):
    server = Server(tmp_path / "index")
    try:
        for path in ("/health", "/search?q=vang", "/info"):
            answer = server.client.get(path)
            assert answer.status_code == 503, path
            assert answer.json()["error"] == "IndexNotFoundError"
            assert "vnsearch index" in answer.json()["message"]
        Index.create(tmp_path / "index").add(year_articles(3))
        assert server.client.get("/health").json()["documents"] == 3
        assert server.client.get("/search", params={"q": "vàng"}).json()["total"] == 3
    finally:
        server.stop()


def test_searches_go_on_while_other_processes_index_and_rebuild(tmp_path):
    Index.create(tmp_path / "index").add(year_articles(6))
    feed = tmp_path / "feed.jsonl"
    with open(feed, "w") as out:
        for number in range(150):
            out.write(json.dumps({"id": f"bao-{number}", "title": f"Bão số {number % 9 + 1}"
                                  f" đổ bộ miền Trung", "date": "2024-09-07",
                                  "body": "Mưa lớn kéo dài, nhiều tuyến đường ngập sâu, "
                                          "người dân sơ tán khỏi vùng nguy hiểm."},
                                 ensure_ascii=False) + "\n")
    server = Server(tmp_path / "index")
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("VNSEARCH_")}}
    statuses, totals = [], []
    try:
        for command in (["index", str(feed)], ["rebuild"]):
            writer = subprocess.Popen([sys.executable, "-m", "vnsearch", *command,
                                       "--index", str(tmp_path / "index")],
                                      stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                      env=env)
            while writer.poll() is None:
                answer = server.client.get("/search", params={"q": "bão miền trung"})
                statuses.append(answer.status_code)
                if answer.status_code == 200:
                    totals.append(answer.json()["total"])
            assert writer.wait() == 0, writer.stderr.read()
            after = server.client.get("/search", params={"q": "bão miền trung"}).json()
            assert after["total"] == 150  # the committed documents, without a restart
        assert len(statuses) >= 5
        assert set(statuses) == {200}
        assert set(totals) <= {0, 150}  # each search saw a committed state
        assert server.client.get("/info").json()["generation"] == 2  # rebuild swapped in
    finally:
        server.stop()


def test_what_the_library_adds_to_results_reaches_the_json(index_path):
    from vnsearch.server import results_json
    results = Index.open(index_path).search("gia vang", limit=2, facets=("year", "month"))
    results.explanation = {"terms": ("giá", "vàng")}  # a field a later library might add
    body = results_json(results)
    assert body["explanation"] == {"terms": ["giá", "vàng"]}
    assert body["facets"]["month"][0] == {"value": results.facets["month"][0][0],
                                          "count": results.facets["month"][0][1]}
    assert json.loads(json.dumps(body)) == body


def test_serve_help_names_the_safe_defaults():
    result = subprocess.run([sys.executable, "-m", "vnsearch", "serve", "--help"],
                            capture_output=True, text=True)
    assert result.returncode == 0
    text = " ".join(result.stdout.split())
    assert "[default: 127.0.0.1]" in text and "[default: 8080;" in text
    assert "$VNSEARCH_TOKEN; without one, writes are off" in text
    assert "--cors ORIGIN" in text


def test_typos_prefixes_and_completions_come_from_the_library(server, index_path):
    index = Index.open(index_path)
    corrected = server.client.get("/search", params={"q": "vangf"}).json()
    assert corrected["corrected"] == index.search("vangf").corrected == "vàng"
    assert corrected["total"] == 24
    as_typed = server.client.get("/search", params={"q": "vangf", "typos": "false"}).json()
    assert as_typed["corrected"] is None and as_typed["total"] == 0
    typing = server.client.get("/search", params={"q": "gia va", "prefix": "true"}).json()
    assert hit_ids(typing) == [h.id for h in index.search("gia va", prefix=True)]
    assert typing["total"] == 24
    completions = server.client.get("/suggest", params={"q": "gia v", "limit": 3}).json()
    assert completions == {"query": "gia v", "suggestions": index.suggest("gia v", limit=3)}
    assert completions["suggestions"][0] == "gia vàng"
