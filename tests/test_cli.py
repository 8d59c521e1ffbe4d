"""The command line, driven through click's CliRunner and, where it matters, a real process."""

import json
import os
import pty
import re
import subprocess
import sys

import pytest
from click.testing import CliRunner

from vnsearch.cli import EXIT_SKIPPED, cli

from conftest import SEEDS


@pytest.fixture
def runner():
    return CliRunner()


@pytest.fixture
def seeded(tmp_path, runner):
    index = tmp_path / "index"
    result = runner.invoke(cli, ["index", str(SEEDS), "--index", str(index)])
    assert result.exit_code == 0, result.output
    return index


def test_index_prints_a_summary(tmp_path, runner):
    result = runner.invoke(cli, ["index", str(SEEDS), "--index", str(tmp_path / "ix")])
    assert result.exit_code == 0
    assert "Indexed 2 documents (2 added, 0 updated, 0 unchanged, 0 removed), skipped 0" \
        in result.stderr


def test_reindexing_replaces_instead_of_duplicating(seeded, runner):
    result = runner.invoke(cli, ["index", str(SEEDS), "--index", str(seeded)])
    assert "(0 added, 0 updated, 2 unchanged" in result.stderr
    info = json.loads(runner.invoke(cli, ["info", "--json", "--index", str(seeded)]).stdout)
    assert info["documents"] == 2


def test_search_prints_rank_title_date_id_and_marked_snippet(seeded, runner):
    result = runner.invoke(cli, ["search", "cong nghe thong tin", "--index", str(seeded)])
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0] == "Results for: công nghệ thông tin"
    assert re.fullmatch(r"2 results · \d+ ms", lines[1])
    assert lines[2].startswith("1. Trung tâm Công nghệ thông tin & Liên lạc tổ chức")
    assert lines[3] == "   2020-12-18 · 004_4f50b4cc4493e74c.txt"
    assert "**công nghệ thông tin**" in lines[4].lower()


def test_search_json_lines(seeded, runner):
    result = runner.invoke(cli, ["search", "dầu", "--json", "--index", str(seeded)])
    summary, *lines = result.stdout.splitlines()
    assert set(json.loads(summary)) == {"query", "total", "offset", "took_ms", "restored",
                                        "corrected", "suggestion", "facets"}
    hits = [json.loads(line) for line in lines]
    assert hits and set(hits[0]) >= {"id", "title", "date", "score", "snippet", "highlights"}
    assert "dầu" in result.stdout  # ensure_ascii off
    for hit in hits:
        for start, end in hit["highlights"]:
            assert hit["snippet"][start:end].lower() in ("dầu", "dấu", "đầu", "dâu", "dau")


def test_search_limit_dates_and_sort(seeded, runner):
    args = ["search", "năm 2020", "--json", "--index", str(seeded)]
    assert len(runner.invoke(cli, args + ["--limit", "1"]).stdout.splitlines()) == 2
    late = runner.invoke(cli, args + ["--from", "2020-12-20"]).stdout.splitlines()[1:]
    assert [json.loads(h)["id"] for h in late] == ["000_e100c7771be25e8a.txt"]
    by_date = [json.loads(h)["date"] for h in
               runner.invoke(cli, args + ["--sort", "date"]).stdout.splitlines()[1:]]
    assert by_date == sorted(by_date, reverse=True)


def test_index_location_from_environment(seeded, runner):
    result = runner.invoke(cli, ["search", "dầu khí", "--json"], env={"VNSEARCH_INDEX": str(seeded)})
    assert result.exit_code == 0 and result.stdout


def test_missing_index_is_a_clear_error(tmp_path, runner):
    result = runner.invoke(cli, ["search", "dầu", "--index", str(tmp_path / "nowhere")])
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: No index at {tmp_path / 'nowhere'}: create one with")
    assert "Traceback" not in result.output


def test_empty_query_is_a_clear_error(seeded, runner):
    result = runner.invoke(cli, ["search", "?!", "--index", str(seeded)])
    assert result.exit_code == 2
    assert result.stderr == "Error: Nothing to search for in '?!': type some words.\n"


def test_bad_input_is_reported_and_the_rest_indexed(tmp_path, runner):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "good.txt").write_text("Tin tốt\nNgày phát hành: 1/2/2021 9:00:00 AM\nNội dung.",
                                   encoding="utf-8")
    (docs / "empty.txt").write_text("", encoding="utf-8")
    (docs / "bad.jsonl").write_text('{"id": "a", "title": "Một", "body": "x"}\n[1, 2]\n',
                                    encoding="utf-8")
    result = runner.invoke(cli, ["index", str(docs), "--index", str(tmp_path / "ix")])
    assert result.exit_code == EXIT_SKIPPED
    assert "empty.txt" in result.stderr and "bad.jsonl:2" in result.stderr
    assert "Indexed 2 documents" in result.stderr
    assert "Traceback" not in result.output


def test_delete_and_info(seeded, runner):
    result = runner.invoke(cli, ["delete", "000_e100c7771be25e8a.txt", "--index", str(seeded)])
    assert (result.exit_code, result.stderr) == (0, "Deleted 1 document.\n")
    info = runner.invoke(cli, ["info", "--index", str(seeded)]).stdout
    assert "Documents:  1" in info and "2020-12-18 to 2020-12-18" in info


def _run(*args, **kwargs):
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, **kwargs)


def test_help_does_not_load_the_model_or_whoosh():
    code = ("import sys\nfrom vnsearch.cli import cli\n"
            "try:\n    cli(['--help'])\nexcept SystemExit:\n    pass\n"
            "print(sorted(m for m in ('whoosh', 'vnsearch.segment', 'pyvi', 'sklearn') "
            "if m in sys.modules))")
    result = _run("-c", code)
    assert result.stdout.strip().endswith("[]"), result.stdout + result.stderr


def test_python_dash_m_and_real_process(seeded):
    result = _run("-m", "vnsearch", "search", "giám đốc", "--index", str(seeded))
    assert result.returncode == 0, result.stderr
    assert "004_4f50b4cc4493e74c.txt" in result.stdout


# ------------------------------------------------ a query may start with "-"

FIRST, SECOND = "000_e100c7771be25e8a.txt", "004_4f50b4cc4493e74c.txt"


def hit_ids(result):
    """The ids of a ``--json`` search's hits (after its summary line)."""
    return [json.loads(line)["id"] for line in result.stdout.splitlines()[1:]]


@pytest.mark.parametrize("args, ids", [
    (["-thông", "--json"], [FIRST]),                       # exclusion only
    (["-thông", "--json", "--limit", "5"], [FIRST]),       # options after it
    (["--json", "-n", "5", "năm", "-giám"], [FIRST]),      # options before, query in words
    (["-n1", "--json", "hội nghị"], [SECOND]),             # -n1 is still --limit 1
    (["-nhà", "--json"], [FIRST, SECOND]),                  # but -nhà is a word
    (["--json", "--", "-giám"], [FIRST]),                   # and -- still works
])
def test_a_query_may_start_with_a_dash(seeded, runner, args, ids):
    result = runner.invoke(cli, ["search", "--index", str(seeded), *args])
    assert result.exit_code == 0, result.output
    assert sorted(hit_ids(result)) == sorted(ids)


def test_excluding_every_document_finds_nothing_in_a_real_process(seeded):
    result = _run("-m", "vnsearch", "search", "-vietsovpetro", "--index", str(seeded))
    assert (result.returncode, result.stdout) == (0, "")
    assert result.stderr == "No results for '-vietsovpetro'.\n"


def test_a_mistyped_long_option_is_still_an_error(seeded, runner):
    result = runner.invoke(cli, ["search", "dầu", "--lmit", "5", "--index", str(seeded)])
    assert result.exit_code == 2
    assert "Error: No such option '--lmit'" in result.stderr


# ------------------------------------------------------------ exit status, delete


def test_a_bad_date_is_bad_usage(seeded, runner):
    result = runner.invoke(cli, ["search", "dầu", "--from", "2020-13-45", "--index", str(seeded)])
    assert result.exit_code == 2
    assert result.stderr == ("Error: Cannot read the 'from' date '2020-13-45': "
                             "write it as YYYY-MM-DD.\n")


def test_delete_counts_what_it_deleted_and_names_unknown_ids(seeded, runner):
    result = runner.invoke(cli, ["delete", FIRST, "không-có", SECOND, "--index", str(seeded)])
    assert result.exit_code == EXIT_SKIPPED
    assert result.stderr == ("skipped: no document with id 'không-có'\n"
                             "Deleted 2 documents.\n")


def test_one_document_is_not_documents(tmp_path, runner):
    article = tmp_path / "tin.txt"
    article.write_text("Tin mới\nNội dung.", encoding="utf-8")
    result = runner.invoke(cli, ["index", str(article), "--index", str(tmp_path / "ix")])
    assert "Indexed 1 document (1 added," in result.stderr


# ------------------------------------------------------------------------ colour

ESCAPE = "\x1b["


def test_color_always_colours_a_pipe_and_never_marks_with_stars(seeded, runner):
    args = ["search", "cong nghe thong tin", "--index", str(seeded)]
    always = runner.invoke(cli, args + ["--color", "always"]).stdout
    never = runner.invoke(cli, args + ["--color", "never"]).stdout
    assert ESCAPE in always and "**" not in always
    assert ESCAPE not in never and "**công nghệ thông tin**" in never.lower()
    auto = runner.invoke(cli, args).stdout  # auto, and CliRunner is no terminal
    assert re.sub(r"\d+ ms", "", auto) == re.sub(r"\d+ ms", "", never)


def _on_a_terminal(args, env):
    """Run vnsearch with its stdout on a pseudo-terminal; return what it printed there."""
    controller, terminal = pty.openpty()
    try:
        process = subprocess.run([sys.executable, "-m", "vnsearch", *args], stdout=terminal,
                                 stderr=subprocess.PIPE, env=env, timeout=60)
        os.close(terminal)
        assert process.returncode == 0, process.stderr
        chunks = []
        while True:
            try:
                chunk = os.read(controller, 65536)
            except OSError:  # EIO: everything written has been read
                break
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        os.close(controller)
    return b"".join(chunks).decode("utf-8")


def test_no_color_is_honoured_on_a_terminal(seeded):
    args = ["search", "cong nghe thong tin", "--index", str(seeded)]
    env = {key: value for key, value in os.environ.items() if key != "NO_COLOR"}
    assert ESCAPE in _on_a_terminal(args, env)
    plain = _on_a_terminal(args, {**env, "NO_COLOR": "1"})
    assert ESCAPE not in plain and "**công nghệ thông tin**" in plain.lower()
    assert ESCAPE in _on_a_terminal(args + ["--color", "always"], {**env, "NO_COLOR": "1"})


# ------------------------------------------------------------- symbolic links


def test_index_stays_in_the_folder_unless_told_to_follow_links(tmp_path):
    (tmp_path / "bí-mật.txt").write_text("Hồ sơ mật\nLương thưởng.", encoding="utf-8")
    kho = tmp_path / "kho"
    kho.mkdir()
    (kho / "tin.txt").write_text("Tin mới\nGiá dầu.", encoding="utf-8")
    (kho / "loop").symlink_to("..", target_is_directory=True)
    index = ["--index", str(tmp_path / "ix")]
    stayed = _run("-m", "vnsearch", "index", str(kho), *index)
    assert stayed.returncode == EXIT_SKIPPED, stayed.stderr
    assert f"skipped: {kho / 'loop'}: a symbolic link out of the folder" in stayed.stderr
    assert "Indexed 1 document (1 added" in stayed.stderr
    assert _run("-m", "vnsearch", "search", "hồ sơ mật", *index).stdout == ""
    followed = _run("-m", "vnsearch", "index", str(kho), "--follow-symlinks", *index)
    assert followed.returncode == 0, followed.stderr
    assert "Indexed 1 document (1 added, 0 updated, 1 unchanged" in followed.stderr
    found = _run("-m", "vnsearch", "search", "hồ sơ mật", "--json", *index).stdout
    assert [json.loads(hit)["id"] for hit in found.splitlines()[1:]] == ["loop/bí-mật.txt"]


# -- query features: totals, paging, facets, corrections, synonyms, completion -------------

@pytest.fixture(scope="module")
def features(tmp_path_factory):
    from vnsearch import Index

    from conftest import FEATURE_ARTICLES
    path = tmp_path_factory.mktemp("cli-features") / "index"
    Index.create(path).add(FEATURE_ARTICLES)
    return str(path)


def test_search_shows_suggestion_first_then_total_and_time(features, runner):
    result = runner.invoke(cli, ["search", "chung khoang", "-n", "1", "--index", features],
                           env={"LANG": "en_US.UTF-8", "LANGUAGE": "", "LC_ALL": ""})
    lines = result.stdout.splitlines()
    assert lines[0] == "Did you mean: chứng khoán?"
    assert lines[1].startswith("Results for: ")  # the reading restoration guesses
    assert re.fullmatch(r"10 results · \d+ ms", lines[2])
    assert lines[3].startswith("1. ")


def test_search_speaks_vietnamese_in_a_vietnamese_locale(features, runner):
    result = runner.invoke(cli, ["search", "Vinamlik", "--facet", "year", "--index", features],
                           env={"LANG": "vi_VN.UTF-8", "LANGUAGE": "", "LC_ALL": ""})
    lines = result.stdout.splitlines()
    assert lines[0] == "Đã sửa lỗi gõ: Vinamilk"
    assert re.fullmatch(r"1 kết quả · \d+ ms", lines[1])
    assert lines[2] == "Năm: 2021 (1)"


def test_search_pages_and_offsets(features, runner):
    def ids(*extra):
        out = runner.invoke(cli, ["search", "chứng khoán", "--json", "--index", features,
                                  *extra]).stdout.splitlines()
        return json.loads(out[0]), [json.loads(line)["id"] for line in out[1:]]

    _, everything = ids("-n", "20")
    summary, page2 = ids("-n", "3", "--page", "2")
    assert page2 == everything[3:6] and summary["offset"] == 3
    assert ids("-n", "3", "--offset", "4")[1] == everything[4:7]
    assert summary["total"] == len(everything)
    human = runner.invoke(cli, ["search", "chứng khoán", "-n", "3", "--page", "2",
                                "--index", features]).stdout
    assert "\n4. " in human and "\n1. " not in human
    both = runner.invoke(cli, ["search", "x", "--page", "2", "--offset", "1", "--index", features])
    assert both.exit_code == 2 and "not both" in both.output


def test_search_json_summary_carries_everything(features, runner):
    out = runner.invoke(cli, ["search", "Vinamlik", "--json", "--facet", "year", "--facet",
                              "month", "--index", features]).stdout.splitlines()
    summary = json.loads(out[0])
    assert summary["corrected"] == "Vinamilk" and summary["total"] == 1
    assert summary["facets"] == {"year": [["2021", 1]], "month": [["2021-10", 1]]}
    assert summary["suggestion"] is None and summary["restored"] is None


def test_synonyms_commands(tmp_path, runner):
    from vnsearch import Index

    from conftest import FEATURE_ARTICLES
    path = str(tmp_path / "index")
    Index.create(path).add(FEATURE_ARTICLES)
    def run(*args):
        return runner.invoke(cli, [*args, "--index", path])
    assert run("synonyms", "add", "VNM", "Vinamilk").stdout == "VNM, Vinamilk\n"
    assert run("synonyms", "list").stdout == "VNM, Vinamilk\n"
    assert "UBND, Ủy ban nhân dân" in run("synonyms", "list", "--builtin").stdout
    assert json.loads(run("search", "VNM", "--json").stdout.splitlines()[1])["id"] == "vinamilk"
    assert run("synonyms", "remove", "VNM").exit_code == 0
    assert run("synonyms", "list").stdout == ""
    bad = run("synonyms", "add", "VNM")
    assert bad.exit_code == 1 and "at least two phrases" in bad.output
    assert "Traceback" not in bad.output
