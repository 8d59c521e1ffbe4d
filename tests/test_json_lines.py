"""Tests for vnsearch.json_lines: one bad line never costs more than itself."""

import json
import os
import re
import resource
import subprocess
import sys
import tracemalloc

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vnsearch import Index
from vnsearch.documents import MAX_ARTICLE_BYTES, Document, iter_documents, iter_file
from vnsearch.errors import DocumentError
from vnsearch.json_lines import _NEWLINE_BYTES, _NEWLINE_TEXT, _split

FIRST = {"id": "tin-1", "title": "Giá dầu tăng", "date": "2020-12-30", "body": "Dầu khí."}
LAST = {"id": "tin-3", "title": "Vietsovpetro khai thác", "body": "Mỏ Bạch Hổ."}
DEEP = "[" * 100_000 + "]" * 100_000


def line(record):
    return json.dumps(record, ensure_ascii=False)


def kinds(items):
    return [(type(item).__name__, item.id if isinstance(item, Document) else item.line)
            for item in items]


# ------------------------------------------------ item: any failure is the line's own


@pytest.mark.parametrize("bad, reason", [
    (DEEP, "JSON nested too deeply to read"),
    ('{"id": "x", "title": "a", "extra": ' + DEEP + "}", "JSON nested too deeply to read"),
    ('{"id": ' + "7" * 5000 + ', "title": "số dài"}', "cannot read this line: Exceeds the limit"),
])
def test_a_line_that_breaks_the_json_parser_is_skipped_alone(tmp_path, bad, reason):
    path = tmp_path / "tin.jsonl"
    path.write_text("\n".join([line(FIRST), bad, line(LAST)]) + "\n", encoding="utf-8")
    first, problem, last = iter_file(path)
    assert (first.id, last.id) == ("tin-1", "tin-3")
    assert isinstance(problem, DocumentError)
    assert str(problem).startswith(f"{path}:2: {reason}")


def test_deeply_nested_line_does_not_stop_the_indexing_command(tmp_path):
    path = tmp_path / "tin.jsonl"
    path.write_text("\n".join([line(FIRST), DEEP, line(LAST)]) + "\n", encoding="utf-8")
    run = subprocess.run([sys.executable, "-m", "vnsearch", "index", str(path),
                          "--index", str(tmp_path / "ix")], capture_output=True, text=True)
    assert run.returncode == 3, run.stderr
    assert f"skipped: {path}:2: JSON nested too deeply to read" in run.stderr
    assert "Traceback" not in run.stderr
    assert len(Index.open(tmp_path / "ix")) == 2


# ------------------------------------------------------------- item: size per line


def test_a_line_over_the_limit_is_skipped_with_its_size(tmp_path):
    path = tmp_path / "tin.jsonl"
    big = line({"id": "to", "title": "Bài rất dài", "body": "dầu khí " * 200})
    path.write_text("\n".join([line(FIRST), big, line(LAST)]), encoding="utf-8")
    first, problem, last = iter_file(path, max_bytes=1000)
    size = len(big.encode("utf-8"))
    assert (first.id, last.id) == ("tin-1", "tin-3")
    assert str(problem) == (f"{path}:2: the line is {size:,} bytes (0.0 MiB), over the "
                            "1,000-byte (0.0 MiB) limit for one document: split it into "
                            "smaller documents")


def test_the_limit_is_the_article_limit_and_a_line_at_it_is_read(tmp_path):
    path = tmp_path / "tin.jsonl"
    record = {"id": "vừa", "title": "Vừa đủ", "body": ""}
    record["body"] = "x" * (MAX_ARTICLE_BYTES - len(line(record).encode("utf-8")))
    path.write_text(line(record) + "\r\n" + line(dict(record, body=record["body"] + "x")),
                    encoding="utf-8")
    fits, over = iter_file(path)
    assert fits.id == "vừa" and len(fits.body) == len(record["body"])
    assert over.line == 2 and f"{MAX_ARTICLE_BYTES + 1:,} bytes" in over.reason


def test_a_huge_line_is_skipped_without_holding_it_in_memory(tmp_path):
    path = tmp_path / "lớn.jsonl"
    head, piece, tail = '{"id": "big", "title": "Lớn", "body": "', "dầu khí Vũng Tàu " * 50_000, '"}'
    with open(path, "w", encoding="utf-8") as file:
        file.write(line(FIRST) + "\n" + head)
        for _ in range(20):  # a 20 MB line
            file.write(piece)
        file.write(tail + "\n" + line(LAST) + "\n")
    size = len((head + tail).encode("utf-8")) + 20 * len(piece.encode("utf-8"))
    tracemalloc.start()
    items = list(iter_file(path))
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert kinds(items) == [("Document", "tin-1"), ("DocumentError", 2), ("Document", "tin-3")]
    assert f"the line is {size:,} bytes ({size / 2**20:.1f} MiB)" in items[1].reason
    assert peak < MAX_ARTICLE_BYTES + 1024 * 1024  # up to the limit, never the whole line


def _limit_memory():
    # Were the line read and analysed, the child would need gigabytes: fail fast instead.
    resource.setrlimit(resource.RLIMIT_AS, (3 << 30, 3 << 30))


def test_indexing_a_20_mb_line_keeps_the_process_small(tmp_path):
    path = tmp_path / "lớn.jsonl"
    body = "Giá dầu thô Brent tăng mạnh trong phiên giao dịch sáng nay. " * 350_000
    path.write_text("\n".join([line(FIRST), line({"id": "big", "title": "Lớn", "body": body}),
                               line(LAST)]) + "\n", encoding="utf-8")
    with open(tmp_path / "err", "w+") as err:
        child = subprocess.Popen([sys.executable, "-m", "vnsearch", "index", str(path),
                                  "--index", str(tmp_path / "ix")], stdout=subprocess.DEVNULL,
                                 stderr=err, preexec_fn=_limit_memory)
        _, status, usage = os.wait4(child.pid, 0)
        child.returncode = os.waitstatus_to_exitcode(status)
        err.seek(0)
        messages = err.read()
    assert child.returncode == 3, messages
    assert re.search(rf"skipped: {re.escape(str(path))}:2: the line is [\d,]+ bytes", messages)
    # Read whole and analysed, this line cost 7.95 GB and 93 s. Skipped, the run stays
    # at the size of the loaded model (about 150 MB).
    assert usage.ru_maxrss / 1024 < 400
    assert len(Index.open(tmp_path / "ix")) == 2


# ----------------------------------------------------- item: encodings and line breaks


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be", "utf-32",
                                      "utf-8-sig"])
@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"])
def test_unicode_encodings_and_line_breaks_decode_as_article_files_do(tmp_path, encoding,
                                                                       newline):
    path = tmp_path / "tin.jsonl"
    text = newline.join([line(FIRST), "", line(LAST)]) + newline
    path.write_bytes(text.encode(encoding))  # "utf-16"/"utf-32" write a BOM, -le/-be none
    items = list(iter_file(path))
    assert kinds(items) == [("Document", "tin-1"), ("Document", "tin-3")]
    assert items[0].title == "Giá dầu tăng" and items[1].body == "Mỏ Bạch Hổ."


def test_cr_only_file_reports_bad_lines_by_their_number(tmp_path):
    path = tmp_path / "mac.jsonl"
    path.write_bytes("\r".join([line(FIRST), "{hỏng", line(LAST)]).encode("utf-8"))
    first, problem, last = iter_file(path)
    assert (first.id, problem.line, last.id) == ("tin-1", 2, "tin-3")
    assert problem.reason.startswith("not valid JSON")


def test_utf16_line_over_the_limit_is_skipped(tmp_path):
    path = tmp_path / "tin.jsonl"
    big = line({"id": "to", "title": "Bài", "body": "ệ" * 400})
    path.write_bytes("\n".join([line(FIRST), big, line(LAST)]).encode("utf-16"))
    first, problem, last = iter_file(path, max_bytes=1000)
    assert (first.id, last.id) == ("tin-1", "tin-3")
    assert f"the line is {len(big.encode('utf-8')):,} bytes" in problem.reason


def test_utf16_file_cut_inside_a_character_keeps_the_lines_before(tmp_path):
    path = tmp_path / "tin.jsonl"
    path.write_bytes("\n".join([line(FIRST), line(LAST)]).encode("utf-16-le")[:-1])
    items = list(iter_documents([path]))
    assert kinds(items) == [("Document", "tin-1"), ("DocumentError", 2)]
    assert items[1].reason.startswith("stopped reading here: not valid UTF-16-LE")


@given(st.lists(st.sampled_from(["a", "ộ", "\r", "\n", "\r\n", "xyz"]), max_size=30),
       st.integers(min_value=1, max_value=7))
def test_splitting_chunks_finds_the_lines_any_chunking_gives(pieces, chunk_size):
    text = "".join(pieces)
    expected = re.split(r"\r\n|\r|\n", text)
    if expected[-1] == "":
        expected.pop()  # a final line break ends the last line; it starts no new one
    for data, newline, size_of in [(text, _NEWLINE_TEXT, len),
                                   (text.encode("utf-8"), _NEWLINE_BYTES, len)]:
        chunks = [data[i:i + chunk_size] for i in range(0, len(data), chunk_size)]
        lines = [got for got, _ in _split(chunks, newline, 10**6, size_of)]
        if isinstance(data, bytes):
            lines = [got.decode("utf-8") for got in lines]
        assert lines == expected
