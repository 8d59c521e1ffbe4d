"""The index as a library: incremental updates, pruning, deleting, info, rebuild, versions.

Indexes are real folders on disk, built through the public API; the incompatible index
is written by a separate process with an analyzer class that then no longer exists.
"""

import json
import os
import shutil
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from vnsearch import (Index, IndexBusyError, IndexDamagedError, IndexNotFoundError,
                      IndexVersionError, VnsearchError)
from vnsearch.cli import EXIT_SKIPPED, cli
from vnsearch.locking import WRITER_FILE, WriteLock
from vnsearch.schema import FORMAT_VERSION

from conftest import ARTICLES, ids


def write_article(path, title, body, date="12/30/2020 11:27:37 AM"):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"{title}\nNgày phát hành: {date}\n{body}\n", encoding="utf-8")
    return path


def write_jsonl(path, documents):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(d, ensure_ascii=False) + "\n" for d in documents),
                    encoding="utf-8")
    return path


@pytest.fixture
def docs(tmp_path):
    """A folder of three articles, with a Vietnamese name and a space in it."""
    folder = tmp_path / "tin tức"
    write_article(folder / "vang.txt", "Giá vàng tăng mạnh", "Giá vàng trong nước tăng.")
    write_article(folder / "bong-da.txt", "Bóng đá Việt Nam", "Đội tuyển thắng trận.")
    write_article(folder / "kinh tế" / "lai-suat.txt", "Lãi suất giảm",
                  "Ngân hàng giảm lãi suất cho vay.", date="1/5/2021 8:00:00 AM")
    return folder


@pytest.fixture
def index(tmp_path):
    return Index.create(tmp_path / "index")


def counts(report):
    return (report.added, report.updated, report.unchanged, report.removed, report.skipped)


# -- adding and replacing --------------------------------------------------------------

def test_adding_a_document_with_a_known_id_replaces_it(index):
    assert counts(index.add([{"id": "a", "title": "Giá vàng tăng", "body": "Vàng tăng."}])) \
        == (1, 0, 0, 0, 0)
    report = index.add([{"id": "a", "title": "Giá xăng giảm", "body": "Xăng giảm."}])
    assert counts(report) == (0, 1, 0, 0, 0)
    assert len(index) == 1
    assert ids(index.search("xăng")) == ["a"]
    assert ids(index.search("vàng")) == []


def test_rerun_on_unchanged_files_analyses_nothing(index, docs):
    assert counts(index.add_paths([docs])) == (3, 0, 0, 0, 0)
    generation_files = sorted(os.listdir(index.path / "gen-1"))
    report = index.add_paths([docs])
    assert counts(report) == (0, 0, 3, 0, 0)
    # Nothing was written: not even an empty commit.
    assert sorted(os.listdir(index.path / "gen-1")) == generation_files


def test_changed_file_is_updated_and_the_rest_left_alone(index, docs):
    index.add_paths([docs])
    write_article(docs / "vang.txt", "Giá vàng giảm sâu", "Giá vàng lao dốc.")
    assert counts(index.add_paths([docs])) == (0, 1, 2, 0, 0)
    assert len(index) == 3
    assert index.search("lao dốc")[0].title == "Giá vàng giảm sâu"
    assert ids(index.search('"tăng mạnh"')) == []


def test_ids_are_paths_relative_to_the_folder_given(index, docs):
    index.add_paths([docs])
    assert sorted(ids(index.search("giá vàng bóng đá lãi suất", limit=10))) == \
        ["bong-da.txt", "kinh tế/lai-suat.txt", "vang.txt"]


# -- pruning ---------------------------------------------------------------------------

def test_deleted_file_is_removed_only_with_prune(index, docs):
    index.add_paths([docs])
    (docs / "vang.txt").unlink()
    assert counts(index.add_paths([docs])) == (0, 0, 2, 0, 0)
    assert len(index) == 3
    assert counts(index.add_paths([docs], prune=True)) == (0, 0, 2, 1, 0)
    assert ids(index.search("vàng")) == []


def test_prune_keeps_a_file_that_cannot_be_read_this_time(index, docs):
    index.add_paths([docs])
    (docs / "vang.txt").write_bytes(b"")  # being rewritten: empty for now
    report = index.add_paths([docs], prune=True)
    assert counts(report) == (0, 0, 2, 0, 1)
    assert [p.source for p in report.problems] == [str(docs / "vang.txt")]
    assert ids(index.search("vàng")) == ["vang.txt"]  # the last good version


def test_prune_keeps_the_documents_of_a_half_written_json_lines_file(index, tmp_path):
    feed = write_jsonl(tmp_path / "feed" / "tin.jsonl", [
        {"id": "x", "title": "Giá vàng tăng", "body": "Vàng."},
        {"id": "y", "title": "Bóng đá", "body": "Đội tuyển thắng."}])
    index.add_paths([feed.parent])
    text = feed.read_text(encoding="utf-8")
    feed.write_text(text[:len(text) - 20], encoding="utf-8")  # copy interrupted in line 2
    report = index.add_paths([feed.parent], prune=True)
    assert counts(report) == (0, 0, 1, 0, 1)
    assert "tin.jsonl:2" in str(report.problems[0])
    assert sorted(ids(index.search("vàng bóng đá"))) == ["x", "y"]


def test_prune_removes_ids_a_json_lines_file_no_longer_holds(index, tmp_path):
    feed = write_jsonl(tmp_path / "feed" / "tin.jsonl", [
        {"id": "x", "title": "Giá vàng tăng", "body": "Vàng."},
        {"id": "y", "title": "Bóng đá", "body": "Đội tuyển thắng."}])
    index.add_paths([feed])
    write_jsonl(feed, [{"id": "x", "title": "Giá vàng tăng", "body": "Vàng."}])
    assert counts(index.add_paths([feed], prune=True)) == (0, 0, 1, 1, 0)
    assert ids(index.search("bóng đá")) == []


def test_prune_works_with_relative_paths(index, docs, monkeypatch):
    monkeypatch.chdir(docs.parent)
    index.add_paths(["tin tức"])
    assert index.info().sources == [str(docs)]
    (docs / "bong-da.txt").unlink()
    assert counts(index.add_paths(["tin tức"], prune=True)) == (0, 0, 2, 1, 0)
    # The same folder named absolutely is the same documents, not three updates.
    assert counts(index.add_paths([docs], prune=True)) == (0, 0, 2, 0, 0)


def test_prune_of_a_folder_that_is_gone_removes_its_documents(index, docs):
    index.add_paths([docs])
    shutil.rmtree(docs)
    report = index.add_paths([docs], prune=True)
    assert (report.removed, report.skipped) == (3, 1)
    assert "no such file or folder" in str(report.problems[0])
    assert len(index) == 0


def test_prune_leaves_documents_from_other_folders_alone(index, docs, tmp_path):
    other = write_article(tmp_path / "khác" / "a.txt", "Thời tiết", "Trời mưa to.")
    index.add_paths([docs, other.parent])
    shutil.rmtree(docs / "kinh tế")
    assert counts(index.add_paths([docs], prune=True)) == (0, 0, 2, 1, 0)
    assert ids(index.search("mưa")) == ["a.txt"]


def test_index_folder_inside_the_indexed_folder_is_not_read(tmp_path):
    write_article(tmp_path / "a.txt", "Giá vàng", "Vàng tăng.")
    index = Index.create(tmp_path / "index")
    index.add_paths([tmp_path])
    report = index.add_paths([tmp_path], prune=True)
    assert counts(report) == (0, 0, 1, 0, 0) and not report.problems


# -- updating single files (what `watch` uses) ------------------------------------------

def test_update_files_uses_ids_relative_to_the_root(index, docs):
    index.add_paths([docs])
    write_article(docs / "kinh tế" / "lai-suat.txt", "Lãi suất tăng", "Ngân hàng tăng lãi.")
    write_article(docs / "kinh tế" / "moi.txt", "Xuất khẩu gạo", "Gạo xuất khẩu tăng.")
    (docs / "vang.txt").unlink()
    report = index.update_files([docs / "kinh tế" / "lai-suat.txt", docs / "kinh tế" / "moi.txt",
                                 docs / "vang.txt"], root=docs)
    assert counts(report) == (1, 1, 0, 1, 0)
    assert sorted(ids(index.search("lãi gạo vàng bóng"))) == \
        ["bong-da.txt", "kinh tế/lai-suat.txt", "kinh tế/moi.txt"]
    # The same as a full re-run would now find.
    assert counts(index.add_paths([docs], prune=True)) == (0, 0, 3, 0, 0)


def test_update_files_keeps_an_unreadable_file_until_it_reads_again(index, docs):
    index.add_paths([docs])
    (docs / "vang.txt").write_bytes(b"\x00\x01\x02 not text")
    report = index.update_files([docs / "vang.txt"], root=docs)
    assert counts(report) == (0, 0, 0, 0, 1)
    assert ids(index.search("vàng")) == ["vang.txt"]
    write_article(docs / "vang.txt", "Giá vàng đứng yên", "Không đổi.")
    assert counts(index.update_files([docs / "vang.txt"], root=docs)) == (0, 1, 0, 0, 0)


def test_update_files_on_folders_moved_in_and_out(index, docs, tmp_path):
    index.add_paths([docs])
    shutil.move(docs / "kinh tế", tmp_path / "kinh tế")
    assert counts(index.update_files([docs / "kinh tế"], root=docs)) == (0, 0, 0, 1, 0)
    shutil.move(tmp_path / "kinh tế", docs / "kinh tế")
    assert counts(index.update_files([docs / "kinh tế"], root=docs)) == (1, 0, 0, 0, 0)
    assert ids(index.search("lãi suất")) == ["kinh tế/lai-suat.txt"]


def test_update_files_reports_a_file_outside_the_root(index, docs, tmp_path):
    outside = write_article(tmp_path / "a.txt", "Tin", "Nội dung.")
    report = index.update_files([outside], root=docs)
    assert report.skipped == 1 and f"not under {docs}" in str(report.problems[0])


# -- deleting, duplicates -------------------------------------------------------------

def test_delete_removes_and_reports_unknown_ids(index):
    index.add(ARTICLES)
    report = index.delete(["dau-khi", "không-có", "dau-khi"])
    assert (report.removed, report.skipped) == (1, 1)
    assert str(report.problems[0]) == "<input>: no document with id 'không-có'"
    assert len(index) == len(ARTICLES) - 1
    assert "dau-khi" not in ids(index.search("dầu khí"))


def test_duplicate_ids_in_one_batch_keep_the_first(index):
    report = index.add([{"id": "x", "title": "Bản thứ nhất", "body": "Vàng."},
                        {"id": "x", "title": "Bản thứ hai", "body": "Vàng."}])
    assert counts(report) == (1, 0, 0, 0, 1)
    assert "duplicate id 'x'" in str(report.problems[0])
    assert "the first one is kept" in str(report.problems[0])
    assert [hit.title for hit in index.search("vàng")] == ["Bản thứ nhất"]


def test_duplicate_ids_across_files_name_both_files(index, tmp_path):
    first = write_jsonl(tmp_path / "feed" / "a.jsonl", [{"id": "x", "title": "Từ A"}])
    second = write_jsonl(tmp_path / "feed" / "b.jsonl", [{"id": "x", "title": "Từ B"}])
    report = index.add_paths([tmp_path / "feed"])
    assert (report.added, report.skipped) == (1, 1)
    assert str(report.problems[0]) == (
        f"{second}: duplicate id 'x' (first seen in {first}); the first one is kept")


# -- info -------------------------------------------------------------------------------

def test_info_fields(index, docs):
    before = datetime.now().replace(microsecond=0)
    index.add_paths([docs])
    index.add([{"id": "undated", "title": "Không có ngày", "body": "Nội dung."}])
    info = index.info()
    assert info.path == str(index.path)
    assert info.documents == 4
    assert (info.date_from, info.date_to) == (datetime(2020, 12, 30, 11, 27, 37),
                                              datetime(2021, 1, 5, 8, 0))
    assert info.size_bytes == sum(f.stat().st_size for f in index.path.rglob("*")
                                  if f.is_file()) > 0
    assert before <= info.updated <= datetime.now()
    assert (info.format_version, info.generation) == (FORMAT_VERSION, 1)
    assert info.sources == [str(docs)]


def test_info_of_an_empty_index(index):
    info = index.info()
    assert (info.documents, info.date_from, info.date_to, info.updated) == (0, None, None, None)


def test_info_follows_changes_made_through_another_index_object(index):
    reader = Index.open(index.path)
    assert reader.info().updated is None
    Index.open(index.path).add(ARTICLES[:2])
    info = reader.info()
    assert info.documents == 2 and info.updated is not None


# -- rebuild ----------------------------------------------------------------------------

def test_rebuild_keeps_the_documents_and_bumps_the_generation(index, docs):
    index.add_paths([docs])
    index.add(ARTICLES)
    queries = ["giá vàng", "dau khi", "bóng đá", "công nghệ thông tin"]
    before = {q: [(h.id, round(h.score, 6)) for h in index.search(q)] for q in queries}
    report = Index.rebuild(index.path)
    assert (report.added, report.skipped) == (3 + len(ARTICLES), 0)
    rebuilt = Index.open(index.path)
    assert rebuilt.info().generation == 2 and len(rebuilt) == 3 + len(ARTICLES)
    assert {q: [(h.id, round(h.score, 6)) for h in rebuilt.search(q)] for q in queries} == before
    # The old generation is removed once the new one is in: the index does not double.
    assert sorted(p.name for p in index.path.glob("gen-*")) == ["gen-2"]
    Index.rebuild(index.path)
    assert sorted(p.name for p in index.path.glob("gen-*")) == ["gen-3"]
    assert Index.open(index.path).info().sources == [str(docs)]


def test_an_index_opened_before_a_rebuild_follows_it(index):
    index.add(ARTICLES[:2])
    Index.rebuild(index.path)
    index.add([{"id": "new", "title": "Tin mới về giá vàng", "body": "Vàng."}])
    fresh = Index.open(index.path)
    assert fresh.info().generation == 2
    assert len(fresh) == 3 and ids(fresh.search("vàng")) == ["new"]


def test_rebuild_from_the_command_line(index, docs):
    index.add_paths([docs])
    result = CliRunner().invoke(cli, ["rebuild", "--index", str(index.path)])
    assert result.exit_code == 0, result.output
    assert "Indexed 3 documents (3 added, 0 updated, 0 unchanged, 0 removed)" in result.stderr
    assert len(Index.open(index.path)) == 3


# -- missing, damaged and incompatible indexes ------------------------------------------

def test_opening_a_folder_without_an_index(tmp_path):
    with pytest.raises(IndexNotFoundError) as error:
        Index.open(tmp_path / "nowhere")
    assert str(error.value) == (f"No index at {tmp_path / 'nowhere'}: create one with "
                                f"`vnsearch index --index {tmp_path / 'nowhere'} FOLDER`.")


def test_a_damaged_index_says_to_rebuild_and_rebuild_repairs_it(index, docs):
    index.add_paths([docs])
    shutil.rmtree(index.path / "gen-1")
    for opener in (Index.open, Index.open_or_create):
        with pytest.raises(IndexDamagedError, match=r"is damaged .* `vnsearch rebuild --index"):
            opener(index.path)
    assert Index.rebuild(index.path).added == 3
    assert len(Index.open(index.path)) == 3


def test_a_lost_segment_file_is_reported_as_damage_not_a_traceback(index, docs):
    index.add_paths([docs])
    for segment in (index.path / "gen-1").glob("MAIN_*.[st][er][gm]"):
        segment.unlink()
    result = CliRunner().invoke(cli, ["search", "vàng", "--index", str(index.path)])
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: The index at {index.path} is damaged (gen-1/MAIN_")
    assert ".trm is missing" in result.stderr
    assert result.stderr.endswith(f"rebuild it with `vnsearch rebuild --index {index.path}`.\n")
    assert Index.rebuild(index.path).added == 3
    assert ids(Index.open(index.path).search("vàng")) == ["vang.txt"]


def test_another_format_number_is_refused_then_rebuilt_from_sources(index, docs):
    index.add_paths([docs])
    manifest = json.loads((index.path / "vnsearch.json").read_text())
    manifest["format"] = FORMAT_VERSION + 98
    (index.path / "vnsearch.json").write_text(json.dumps(manifest))
    with pytest.raises(IndexVersionError) as error:
        Index.open(index.path)
    assert str(error.value) == (
        f"The index at {index.path} was written by an incompatible version of vnsearch "
        f"(format {FORMAT_VERSION + 98}, this version reads format {FORMAT_VERSION}). "
        f"Rebuild it with `vnsearch rebuild --index {index.path}`.")
    runner = CliRunner()
    result = runner.invoke(cli, ["search", "vàng", "--index", str(index.path)])
    assert result.exit_code == 1 and "`vnsearch rebuild --index" in result.stderr
    assert "Traceback" not in result.output
    result = runner.invoke(cli, ["rebuild", "--index", str(index.path)])
    assert result.exit_code == 0, result.output
    upgraded = Index.open(index.path).info()
    assert (upgraded.format_version, upgraded.documents) == (FORMAT_VERSION, 3)


def test_incompatible_index_without_sources_is_not_replaced_by_an_empty_one(index):
    index.add(ARTICLES)
    manifest = json.loads((index.path / "vnsearch.json").read_text())
    manifest["format"] = FORMAT_VERSION + 1
    (index.path / "vnsearch.json").write_text(json.dumps(manifest))
    with pytest.raises(IndexVersionError) as error:
        Index.rebuild(index.path)
    assert str(error.value) == (
        f"Cannot rebuild the index at {index.path}: it was written by a newer, incompatible "
        f"version of vnsearch and records no source files to rebuild it from. Delete "
        f"{index.path} and index your documents again with `vnsearch index --index "
        f"{index.path} FOLDER`.")
    assert json.loads((index.path / "vnsearch.json").read_text()) == manifest


OLD_ANALYZER = '''
from whoosh.analysis import RegexTokenizer


class OldVietnameseAnalyzer(RegexTokenizer):
    """What an analyzer of an older vnsearch could have been."""
'''

WRITE_OLD_INDEX = '''
import json, os, sys
module_dir, index_dir, source = sys.argv[1:]
sys.path.insert(0, module_dir)
from old_analysis import OldVietnameseAnalyzer
from whoosh import fields, index
schema = fields.Schema(id=fields.ID(stored=True, unique=True),
                       title=fields.TEXT(analyzer=OldVietnameseAnalyzer(), stored=True),
                       body=fields.TEXT(analyzer=OldVietnameseAnalyzer(), stored=True))
os.makedirs(os.path.join(index_dir, "gen-1"))
writer = index.create_in(os.path.join(index_dir, "gen-1"), schema).writer()
writer.add_document(id="vang.txt", title="Giá vàng tăng mạnh", body="Giá vàng trong nước.")
writer.commit()
with open(os.path.join(index_dir, "vnsearch.json"), "w") as out:
    # The current format: only the pickled schema is out of date.
    from vnsearch.schema import FORMAT_VERSION
    json.dump({"format": FORMAT_VERSION, "generation": 1, "sources": [source],
               "updated": None}, out)
'''


def test_pickled_schema_of_a_class_that_no_longer_exists(tmp_path, docs):
    # Written by another process, with an analyzer module that is then deleted: this
    # process has never imported it, as a newer vnsearch would not have it.
    module_dir = tmp_path / "old_vnsearch"
    module_dir.mkdir()
    (module_dir / "old_analysis.py").write_text(OLD_ANALYZER)
    folder = tmp_path / "old-index"
    subprocess.run([sys.executable, "-c", WRITE_OLD_INDEX, str(module_dir), str(folder),
                    str(docs)], check=True, capture_output=True)
    shutil.rmtree(module_dir)
    assert "old_analysis" not in sys.modules

    with pytest.raises(IndexVersionError) as error:
        Index.open(folder)
    message = str(error.value)
    assert message.startswith(f"The index at {folder} was written by an incompatible "
                              f"version of vnsearch (its schema cannot be read: ")
    assert "old_analysis" in message
    assert message.endswith(f"Rebuild it with `vnsearch rebuild --index {folder}`.")

    # The command the message gives, run for real, rebuilds it from its recorded source.
    result = subprocess.run([sys.executable, "-m", "vnsearch", "rebuild", "--index",
                             str(folder)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "3 added" in result.stderr
    upgraded = Index.open(folder)
    assert upgraded.info().generation == 2 and len(upgraded) == 3
    assert ids(upgraded.search("gia vang")) == ["vang.txt"]


# -- the write lock --------------------------------------------------------------------

def test_a_second_writer_gets_a_clear_busy_error(index, monkeypatch):
    # flock locks of two open files exclude each other even within one process.
    holder = WriteLock(index.path / "gen-1")
    holder.acquire(0, index.path)
    try:
        monkeypatch.setenv("VNSEARCH_LOCK_TIMEOUT", "0.3")
        started = time.monotonic()
        with pytest.raises(IndexBusyError) as error:
            index.add(ARTICLES[:1])
        assert time.monotonic() - started >= 0.3
        assert str(error.value).startswith(
            f"The index at {index.path} is busy: process {os.getpid()} (")
        assert "VNSEARCH_LOCK_TIMEOUT" in str(error.value)
    finally:
        holder.release()
    assert not (index.path / "gen-1" / WRITER_FILE).exists()
    assert index.add(ARTICLES[:1]).added == 1


@pytest.mark.parametrize("reaped", [
    pytest.param(True, id="reaped"),
    pytest.param(False, id="zombie", marks=pytest.mark.skipif(
        not os.path.isdir("/proc/self"), reason="zombies are seen through /proc")),
])
def test_a_stale_writer_note_is_not_believed(index, reaped):
    finished = subprocess.Popen([sys.executable, "-c", "pass"])
    dead = finished.pid
    if reaped:
        finished.wait()
    else:  # dead, but its parent has not collected it yet
        while not Path(f"/proc/{dead}/stat").read_text().rsplit(") ", 1)[1].startswith("Z"):
            time.sleep(0.05)
    holder = WriteLock(index.path / "gen-1")
    holder.acquire(0, index.path)
    note = index.path / "gen-1" / WRITER_FILE
    note.write_text(json.dumps({"pid": dead, "host": os.uname().nodename,
                                "command": "vnsearch index"}))
    try:
        index.lock_timeout = 0
        with pytest.raises(IndexBusyError) as error:
            index.delete(["x"])
        assert f"process {dead}" not in str(error.value)
        assert "busy: another process is writing to it" in str(error.value)
    finally:
        holder.release()
        finished.wait()


def test_a_bad_lock_timeout_setting_is_a_clear_error(index, monkeypatch):
    monkeypatch.setenv("VNSEARCH_LOCK_TIMEOUT", "mười")
    with pytest.raises(VnsearchError, match="VNSEARCH_LOCK_TIMEOUT must be a number"):
        index.add(ARTICLES[:1])


def test_delete_from_the_command_line_reports_unknown_ids(index):
    index.add(ARTICLES[:2])
    result = CliRunner().invoke(cli, ["delete", "dau-khi", "không-có", "--index",
                                      str(index.path)])
    assert result.exit_code == EXIT_SKIPPED
    assert result.stderr == "skipped: no document with id 'không-có'\nDeleted 1 document.\n"


def test_indexing_a_path_that_does_not_exist_is_bad_usage_and_creates_nothing(tmp_path):
    result = subprocess.run([sys.executable, "-m", "vnsearch", "index", "seds", "--index",
                             str(tmp_path / "index")], capture_output=True, text=True,
                            cwd=tmp_path)
    assert result.returncode == 2
    assert "Path 'seds' does not exist" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "index").exists()
