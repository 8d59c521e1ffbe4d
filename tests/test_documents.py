"""Tests for vnsearch.documents: reading articles, JSON Lines and folders from disk."""

import codecs
import gzip
import json
import os
import shutil
import subprocess
import time
import tracemalloc
import unicodedata
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vnsearch.documents import (
    MAX_ARTICLE_BYTES,
    Document,
    DocumentWarning,
    iter_documents,
    iter_file,
    parse_article,
    parse_date,
    read_text,
)
from vnsearch.errors import DocumentError

REPO = Path(__file__).resolve().parent.parent
SEEDS = REPO / "seeds"
LEGACY = Path(__file__).resolve().parent / "fixtures" / "legacy"

ARTICLE = ("Tin nóng\nNgày phát hành: 12/30/2020 11:27:37 AM\n"
           "Đảng ủy Bộ máy Điều hành tổ chức hội nghị.\n")
GOOD = {"id": "tin-1", "title": "Giá xăng giảm", "date": "2020-12-30", "body": "Thân bài.",
        "url": "extra keys are ignored"}


def documents(items):
    return [item for item in items if isinstance(item, Document)]


def problems(items):
    return [item for item in items if isinstance(item, DocumentError)]


def write(path, content):
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, str):
        content = content.encode("utf-8")
    path.write_bytes(content)
    return path


# ----------------------------------------------------------------------- seeds


def test_both_seed_files_parse():
    items = list(iter_documents([SEEDS]))
    assert problems(items) == []
    first, second = documents(items)
    assert first.id == "000_e100c7771be25e8a.txt"
    assert first.title.startswith("Đảng ủy Bộ máy Điều hành Vietsovpetro")
    assert first.date == datetime(2020, 12, 30, 11, 27, 37)
    assert first.body.startswith("Về tham mưu, xây dựng")
    assert second.id == "004_4f50b4cc4493e74c.txt"
    assert second.title.startswith("Trung tâm Công nghệ thông tin & Liên lạc")
    assert second.date == datetime(2020, 12, 18, 15, 34, 35)  # "3:34:35 PM" in the file
    assert second.body.startswith("Thực hiện Quyết định số 1365/QĐ-KH")
    assert first.source == str(SEEDS / first.id)


# ----------------------------------------------------------------------- dates


@pytest.mark.parametrize(
    "text, expected",
    [
        ("12/30/2020 11:27:37 AM", datetime(2020, 12, 30, 11, 27, 37)),
        ("12/18/2020 3:34:35 PM ", datetime(2020, 12, 18, 15, 34, 35)),
        ("  12/30/2020    11:27:37   AM", datetime(2020, 12, 30, 11, 27, 37)),
        ("12/30/2020 11:27:37AM", datetime(2020, 12, 30, 11, 27, 37)),
        ("12/30/2020 11:27 pm", datetime(2020, 12, 30, 23, 27)),
        ("12/30/2020 23:27:37", datetime(2020, 12, 30, 23, 27, 37)),
        ("12/30/2020 12:05:00 AM", datetime(2020, 12, 30, 0, 5)),
        ("12/30/2020 12:05:00 PM", datetime(2020, 12, 30, 12, 5)),
        ("12/30/2020 2:05:00 CH", datetime(2020, 12, 30, 14, 5)),  # Vietnamese Windows locale
        ("1/5/2021", datetime(2021, 1, 5)),
        ("2020-12-30", datetime(2020, 12, 30)),
        ("2020-12-30T11:27:37", datetime(2020, 12, 30, 11, 27, 37)),
        ("2020-12-30 11:27", datetime(2020, 12, 30, 11, 27)),
        ("2020-12-30T01:00:00+07:00", datetime(2020, 12, 30, 1)),  # wall-clock time kept
        ("2020-12-30T11:27:37Z", datetime(2020, 12, 30, 11, 27, 37)),
        ("", None),
        ("   ", None),
        (None, None),
        (date(2020, 12, 30), datetime(2020, 12, 30)),
        (datetime(2020, 12, 30, 8, tzinfo=timezone(timedelta(hours=7))), datetime(2020, 12, 30, 8)),
    ],
)
def test_parse_date_accepts(text, expected):
    assert parse_date(text) == expected


@pytest.mark.parametrize(
    "text, message",
    [
        ("30/12/2020 11:27:37 AM", "month 30 does not exist"),
        ("2/30/2021", "not a real date"),
        ("12/30/2020 13:00 PM", "hour 13"),
        ("12/30/2020 0:10 AM", "hour 0"),
        ("12/30/2020 24:00", "not a real date"),
        ("hôm qua", "cannot read 'hôm qua' as a date"),
        ("0000-00-00", "YYYY-MM-DD"),
        (20201230, "is not a date"),
    ],
)
def test_parse_date_rejects_with_a_clear_message(text, message):
    with pytest.raises(ValueError, match=message):
        parse_date(text)


def seed_style(moment, pad):
    """Format like the seeds: "12/30/2020 11:27:37 AM", optionally zero-padded."""
    width = 2 if pad else 1
    hour = moment.hour % 12 or 12
    half = "AM" if moment.hour < 12 else "PM"
    return (f"{moment.month:0{width}d}/{moment.day:0{width}d}/{moment.year} "
            f"{hour:0{width}d}:{moment.minute:02d}:{moment.second:02d} {half}")


@given(
    st.datetimes(min_value=datetime(1000, 1, 1), max_value=datetime(9999, 12, 31)).map(
        lambda moment: moment.replace(microsecond=0)
    ),
    st.booleans(),
    st.sampled_from(["", " ", "  "]),
)
def test_parse_date_round_trips_the_seed_format(moment, pad, extra_space):
    text = seed_style(moment, pad).replace(" ", " " + extra_space) + extra_space
    assert parse_date(text) == moment


# -------------------------------------------------------------------- articles


def test_article_without_date_line_starts_its_body_on_line_2():
    document = parse_article("Tiêu đề\nDòng đầu của thân bài.\nDòng hai.", "a.txt")
    assert document == Document("a.txt", "Tiêu đề", "Dòng đầu của thân bài.\nDòng hai.")


def test_unreadable_date_line_keeps_the_article_and_warns():
    warnings = []
    text = "Tiêu đề\nNgày phát hành: hôm qua\nThân bài."
    document = parse_article(text, "a.txt", "a.txt", warnings=warnings)
    assert document.date is None
    assert document.body == "Thân bài."  # the date line is not part of the body
    [warning] = warnings
    assert isinstance(warning, DocumentWarning)
    assert warning.line == 2
    assert str(warning).startswith("a.txt:2: cannot read 'hôm qua' as a date")
    assert "indexed without a date" in str(warning)


def test_empty_date_line_warns():
    warnings = []
    document = parse_article("Tiêu đề\nNgày phát hành:   \nThân bài.", "a.txt", warnings=warnings)
    assert (document.date, document.body) == (None, "Thân bài.")
    assert "no date after" in warnings[0].reason


def test_date_line_in_nfd_or_other_case_or_after_blank_lines_is_recognised():
    nfd = unicodedata.normalize("NFD", "Ngày phát hành: 12/30/2020 11:27:37 AM")
    assert parse_article(f"Tiêu đề\n{nfd}\nThân", "a").date == datetime(2020, 12, 30, 11, 27, 37)
    shouting = "Tiêu đề\n\n  NGÀY PHÁT HÀNH : 1/2/2021\nThân"
    assert parse_article(shouting, "a").date == datetime(2021, 1, 2)


def test_title_without_body_is_a_document():
    assert parse_article("Chỉ có tiêu đề\n", "a") == Document("a", "Chỉ có tiêu đề", "")


@pytest.mark.parametrize("text", ["", "  \n\t\n"])
def test_empty_article_is_a_problem(text):
    with pytest.raises(DocumentError, match="the file is empty"):
        parse_article(text, "a", "a.txt")


def test_article_with_empty_first_line_is_a_problem():
    with pytest.raises(DocumentError, match="first line is empty") as caught:
        parse_article("\nTiêu đề ở dòng hai\nThân", "a", "a.txt")
    assert caught.value.line == 1


def test_iter_file_yields_the_warning_after_the_document(tmp_path):
    path = write(tmp_path / "a.txt", "Tiêu đề\nNgày phát hành: 31/12/2020\nThân")
    document, warning = iter_file(path)
    assert document.title == "Tiêu đề" and document.date is None
    assert isinstance(warning, DocumentWarning) and warning.source == str(path)


@pytest.mark.parametrize("content", [b"", b"   \r\n  \n"])
def test_empty_file_is_skipped(tmp_path, content):
    [problem] = iter_file(write(tmp_path / "rỗng.txt", content))
    assert type(problem) is DocumentError
    assert "empty" in problem.reason


# -------------------------------------------------------------------- decoding

EXPECTED_LEGACY = (LEGACY / "utf8.txt").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    "encoded",
    [
        pytest.param(ARTICLE.encode("utf-8"), id="utf-8"),
        pytest.param(codecs.BOM_UTF8 + ARTICLE.encode("utf-8"), id="utf-8 with BOM"),
        pytest.param(codecs.BOM_UTF16_LE + ARTICLE.encode("utf-16-le"), id="utf-16-le with BOM"),
        pytest.param(codecs.BOM_UTF16_BE + ARTICLE.encode("utf-16-be"), id="utf-16-be with BOM"),
        pytest.param(ARTICLE.replace("\n", "\r\n").encode("utf-8"), id="CRLF"),
        pytest.param(codecs.BOM_UTF16_LE + ARTICLE.replace("\n", "\r\n").encode("utf-16-le"),
                     id="utf-16 CRLF"),
    ],
)
def test_unicode_files_decode(tmp_path, encoded):
    path = write(tmp_path / "a.txt", encoded)
    assert read_text(path) == ARTICLE
    [document] = iter_file(path)
    assert document.title == "Tin nóng"
    assert document.date == datetime(2020, 12, 30, 11, 27, 37)
    assert document.body == "Đảng ủy Bộ máy Điều hành tổ chức hội nghị."


def test_nfd_text_passes_through_as_decoded(tmp_path):
    nfd = unicodedata.normalize("NFD", ARTICLE)
    assert nfd != ARTICLE
    assert read_text(write(tmp_path / "a.txt", nfd)) == nfd


@pytest.mark.parametrize("name", ["cp1258.txt", "tcvn3.txt"])
def test_legacy_vietnamese_encodings_are_converted(name):
    text = read_text(LEGACY / name)
    # Windows-1258 decodes to base letters plus combining tone marks: NFC is the
    # normaliser's job, so compare after it.
    assert unicodedata.normalize("NFC", text) == EXPECTED_LEGACY
    [document] = iter_file(LEGACY / name)
    assert document.date == datetime(2021, 3, 5, 9, 5)


def to_cp1258(text):
    """Encode as Windows does: a precomposed letter where cp1258 has one, else base + tone mark."""
    tones = "\u0300\u0301\u0303\u0309\u0323"
    encoded = b""
    for char in text:
        try:
            encoded += char.encode("cp1258")
        except UnicodeEncodeError:
            parts = unicodedata.normalize("NFD", char)
            base = unicodedata.normalize("NFC", "".join(c for c in parts if c not in tones))
            encoded += (base + "".join(c for c in parts if c in tones)).encode("cp1258")
    return encoded


def test_windows_1258_written_in_the_test(tmp_path):
    text = "Hà Nội mùa thu\nCà phê sáng ở phố cổ, gió heo may về; người Việt uống trà đá.\n"
    path = write(tmp_path / "a.txt", to_cp1258(text))
    assert unicodedata.normalize("NFC", read_text(path)) == text


def test_tcvn3_bytes_from_the_style_guide_example(tmp_path):
    path = write(tmp_path / "a.txt", "Céng hoµ x· héi chñ nghÜa ViÖt Nam".encode("latin-1"))
    assert read_text(path) == "Cộng hoà xã hội chủ nghĩa Việt Nam"


def test_tcvn3_mojibake_saved_as_utf8_is_converted(tmp_path):
    # What copying from a document typed in a .VnTime font gives.
    mojibake = "Céng hoµ x· héi chñ nghÜa ViÖt Nam\nNgµy ph¸t hµnh: 1/2/2021\nTh«ng b¸o."
    path = write(tmp_path / "a.txt", mojibake)
    [document] = iter_file(path)
    assert (document.title, document.body) == ("Cộng hoà xã hội chủ nghĩa Việt Nam", "Thông báo.")
    assert document.date == datetime(2021, 1, 2)


def test_tcvn3_mojibake_saved_as_utf16_by_word_is_converted(tmp_path):
    text = "Céng hoµ x· héi chñ nghÜa ViÖt Nam\r\nTh«ng b¸o"
    path = write(tmp_path / "a.txt", codecs.BOM_UTF16_LE + text.encode("utf-16-le"))
    assert read_text(path) == "Cộng hoà xã hội chủ nghĩa Việt Nam\nThông báo"


def test_latin1_only_vietnamese_and_french_utf8_are_left_alone(tmp_path):
    for text in ("Bà Tám bán cá", "Un café à côté, déjà vu"):
        assert read_text(write(tmp_path / "a.txt", text)) == text


ICONV = shutil.which("iconv")


def iconv(data, source, target, check=True):
    command = [ICONV, "-f", source, "-t", target]
    return subprocess.run(command, input=data, capture_output=True, check=check).stdout


def iconv_knows_tcvn():
    if not ICONV:
        return False
    command = [ICONV, "-f", "TCVN5712-1", "-t", "UTF-8"]
    return subprocess.run(command, input=b"a", capture_output=True).returncode == 0


needs_iconv = pytest.mark.skipif(not iconv_knows_tcvn(), reason="needs glibc iconv with TCVN5712-1")


@needs_iconv
def test_tcvn3_table_matches_iconv_byte_for_byte(tmp_path):
    phrase = "Céng hoµ x· héi chñ nghÜa ViÖt Nam\n".encode("latin-1")  # so the file reads as TCVN3
    # Every byte but NUL (binary) after a "|", so combining marks (0xB0-0xB4) have
    # nothing to compose with and each byte decodes on its own.
    table = b"".join(b"|" + bytes([byte]) for byte in range(1, 256))
    path = write(tmp_path / "bytes.txt", phrase + table)
    expected = iconv(phrase + table, "TCVN5712-1", "UTF-8").decode("utf-8").replace("\r", "\n")
    assert read_text(path).split("|") == expected.split("|")


@needs_iconv
def test_tcvn3_round_trips_real_phrases_through_iconv(tmp_path):
    for seed in sorted(SEEDS.iterdir()):
        text = unicodedata.normalize("NFC", seed.read_text(encoding="utf-8"))
        # Keep what TCVN3 can spell: Vietnamese letters and ASCII, not curly quotes or dashes.
        letters = sorted(set(text) - {"\n"})
        lines = iconv("\n".join(letters).encode("utf-8"), "UTF-8", "TCVN5712-1//IGNORE", check=False)
        keep = {char for char, line in zip(letters, lines.split(b"\n"), strict=True) if line}
        keep.add("\n")
        text = "".join(char for char in text if char in keep)
        path = write(tmp_path / seed.name, iconv(text.encode("utf-8"), "UTF-8", "TCVN5712-1"))
        assert unicodedata.normalize("NFC", read_text(path)) == text


def test_vni_is_detected_and_skipped_with_advice():
    [problem] = iter_file(LEGACY / "vni.txt")
    assert "looks like VNI" in problem.reason
    assert "convert it to Unicode UTF-8" in problem.reason


def test_vni_example_from_the_style_guide(tmp_path):
    path = write(tmp_path / "a.txt", "Coäng hoøa xaõ hoäi chuû nghóa Vieät Nam".encode("latin-1"))
    with pytest.raises(DocumentError, match="looks like VNI"):
        read_text(path)


@pytest.mark.parametrize(
    "content, reason",
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "looks like a binary file (it contains NUL bytes)"),
        (bytes(range(1, 32)) * 20, "looks like a binary file (it is full of control characters)"),
        (b"\x01\x02\x03\x04\x05\x06\xff\xfe\x80" * 30, "looks like a binary file"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "looks like a PDF document"),
        (b"PK\x03\x04\x14\x00\x06\x00", "looks like a ZIP archive"),
        ("Tiêu đề".encode("utf-16-le"), "UTF-16 text without a byte-order mark"),
    ],
)
def test_binary_files_are_skipped(tmp_path, content, reason):
    [problem] = iter_file(write(tmp_path / "a.txt", content))
    assert reason in problem.reason


@pytest.mark.parametrize(
    "content, offset",
    [
        ("Un café à côté".encode("latin-1"), 6),
        ("日本語のテキスト".encode("shift_jis"), 0),
        (b"Tieu de\nNoi dung \xff\xfe het.", 17),
    ],
)
def test_undecodable_files_are_skipped_naming_the_byte_offset(tmp_path, content, offset):
    [problem] = iter_file(write(tmp_path / "a.txt", content))
    assert f"at byte offset {offset}:" in problem.reason
    assert "convert it to UTF-8" in problem.reason


def test_bad_utf16_after_its_bom_names_the_offset(tmp_path):
    path = write(tmp_path / "a.txt", codecs.BOM_UTF16_LE + "Tin".encode("utf-16-le") + b"\x00\xdc")
    with pytest.raises(DocumentError, match="not valid UTF-16-LE at byte offset 8"):
        read_text(path)


# ------------------------------------------------------------- size and access


def test_file_over_the_limit_is_skipped_without_reading_it(tmp_path):
    path = tmp_path / "lớn.txt"
    with open(path, "wb") as file:
        file.truncate(50 * 1024 * 1024)  # sparse: no disk used
    tracemalloc.start()
    started = time.perf_counter()
    [problem] = iter_documents([path])
    elapsed = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert "the file is 52,428,800 bytes (50.0 MiB)" in problem.reason
    assert f"{MAX_ARTICLE_BYTES:,}-byte" in problem.reason
    assert peak < 1024 * 1024 and elapsed < 2


def test_limit_can_be_changed(tmp_path):
    path = write(tmp_path / "a.txt", ARTICLE)
    [problem] = iter_documents([path], max_bytes=10)
    assert "over the 10-byte" in problem.reason
    assert documents(iter_documents([path], max_bytes=len(ARTICLE.encode())))


def test_file_vanishing_between_listing_and_reading_is_a_problem(tmp_path):
    write(tmp_path / "a.txt", ARTICLE)
    write(tmp_path / "b.txt", ARTICLE)
    write(tmp_path / "c.txt", ARTICLE)
    items = iter_documents([tmp_path])
    assert next(items).id == "a.txt"
    (tmp_path / "b.txt").unlink()
    problem, last = list(items)
    assert problem.source == str(tmp_path / "b.txt") and problem.reason == "no such file or folder"
    assert last.id == "c.txt"


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root can read any file")
def test_unreadable_file_is_a_problem(tmp_path):
    path = write(tmp_path / "a.txt", ARTICLE)
    path.chmod(0)
    try:
        [problem] = iter_documents([path])
    finally:
        path.chmod(0o644)
    assert "cannot read the file: Permission denied" in problem.reason


def test_permission_denied_is_a_problem_even_for_root(tmp_path, monkeypatch):
    import vnsearch.documents
    import vnsearch.json_lines

    def refuse(path, *args, **kwargs):
        raise PermissionError(13, "Permission denied", str(path))

    write(tmp_path / "kho/a.txt", ARTICLE)
    write(tmp_path / "kho/b.jsonl", json.dumps(GOOD))
    monkeypatch.setattr(vnsearch.documents, "open", refuse, raising=False)
    monkeypatch.setattr(vnsearch.json_lines, "open", refuse, raising=False)
    first, second = iter_documents([tmp_path / "kho"])
    assert first.reason == second.reason == "cannot read the file: Permission denied"
    assert first.source.endswith("a.txt") and second.source.endswith("b.jsonl")


def test_unlistable_folder_is_a_problem(tmp_path, monkeypatch):
    write(tmp_path / "kho/a.txt", ARTICLE)

    def refuse(path):
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr(os, "scandir", refuse)
    [problem] = iter_documents([tmp_path / "kho"])
    assert str(problem) == f"{tmp_path / 'kho'}: cannot read the folder: Permission denied"


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_named_pipe_is_skipped_without_blocking(tmp_path):
    os.mkfifo(tmp_path / "pipe.txt")
    [problem] = iter_documents([tmp_path])
    assert problem.reason == "not a regular file"


def test_missing_path_is_reported_and_the_rest_continues(tmp_path):
    items = list(iter_documents([tmp_path / "không có.txt", SEEDS / "000_e100c7771be25e8a.txt"]))
    problem, document = items
    assert str(problem) == f"{tmp_path / 'không có.txt'}: no such file or folder"
    assert document.id == "000_e100c7771be25e8a.txt"


def test_a_single_path_is_accepted_not_iterated_letter_by_letter():
    assert len(documents(iter_documents(str(SEEDS)))) == 2


# -------------------------------------------------------------------- folders


def test_folders_are_read_recursively_in_order_skipping_hidden_names(tmp_path):
    root = tmp_path / "kho"
    for name in ["b.txt", "a/z.txt", "a/c/d.txt", ".nháp.txt", ".git/config", "a/.cache/x.txt"]:
        write(root / name, f"Bài {name}\nNội dung.")
    write(root / "a/tin.jsonl", json.dumps({"id": "j1", "title": "Tin JSON"}) + "\n")
    items = list(iter_documents([root]))
    assert problems(items) == []
    assert [document.id for document in items] == ["a/c/d.txt", "j1", "a/z.txt", "b.txt"]
    assert items[0].source == str(root / "a" / "c" / "d.txt")


def test_ids_are_relative_to_the_folder_named(tmp_path):
    write(tmp_path / "kho/năm 2020/bài 1.txt", ARTICLE)
    assert documents(iter_documents([tmp_path / "kho"]))[0].id == "năm 2020/bài 1.txt"
    assert documents(iter_documents([tmp_path]))[0].id == "kho/năm 2020/bài 1.txt"
    assert documents(iter_documents([tmp_path / "kho/năm 2020/bài 1.txt"]))[0].id == "bài 1.txt"
    [document] = iter_file(tmp_path / "kho/năm 2020/bài 1.txt", root=tmp_path)
    assert document.id == "kho/năm 2020/bài 1.txt"


def test_vietnamese_path_with_spaces(tmp_path):
    path = write(tmp_path / "Tin tức mới" / "Hội nghị tổng kết năm 2020.txt", ARTICLE)
    [document] = iter_documents([str(tmp_path / "Tin tức mới")])
    assert document.id == "Hội nghị tổng kết năm 2020.txt"
    assert document.source == str(path)
    assert document.title == "Tin nóng"


def test_symbolic_link_loop_is_read_once(tmp_path):
    write(tmp_path / "kho/a.txt", ARTICLE)
    (tmp_path / "kho/vòng").symlink_to(tmp_path / "kho", target_is_directory=True)
    assert [d.id for d in iter_documents([tmp_path / "kho"])] == ["a.txt"]


def linked_tree(tmp_path):
    """kho/ with links that stay inside it and links that lead out, to a secret."""
    write(tmp_path / "bí-mật.txt", "Bí mật\nKhông được lập chỉ mục.")
    write(tmp_path / "kho/a.txt", ARTICLE)
    write(tmp_path / "kho/con/b.txt", "Bài B\nNội dung.")
    (tmp_path / "kho/loop").symlink_to("..", target_is_directory=True)
    (tmp_path / "kho/ngoài.txt").symlink_to("../bí-mật.txt")
    (tmp_path / "kho/trong").symlink_to("con", target_is_directory=True)
    (tmp_path / "kho/trong.txt").symlink_to("a.txt")
    (tmp_path / "kho/vòng").symlink_to(".", target_is_directory=True)
    return tmp_path / "kho"


def test_symbolic_links_out_of_the_folder_are_reported_not_followed(tmp_path):
    kho = linked_tree(tmp_path)
    items = list(iter_documents([kho]))
    assert [d.id for d in documents(items)] == ["a.txt", "con/b.txt", "trong.txt"]
    assert [(p.source, p.reason) for p in problems(items)] == [
        (str(kho / "loop"), f"a symbolic link out of the folder (to {tmp_path}): not followed; "
                            "index its target directly, or use --follow-symlinks"),
        (str(kho / "ngoài.txt"), f"a symbolic link out of the folder (to {tmp_path}/bí-mật.txt): "
                                 "not followed; index its target directly, or use "
                                 "--follow-symlinks"),
    ]


def test_following_symbolic_links_never_loops_or_reads_a_folder_twice(tmp_path):
    kho = linked_tree(tmp_path)
    ids = [d.id for d in iter_documents([kho], follow_symlinks=True)]
    # loop/ is the parent: its own files once, and kho/ (already being read) not again.
    assert ids == ["a.txt", "con/b.txt", "loop/bí-mật.txt", "ngoài.txt", "trong.txt"]


def test_a_file_named_under_a_root_is_not_read_through_a_link_out_of_it(tmp_path):
    kho = linked_tree(tmp_path)
    [problem] = iter_file(kho / "ngoài.txt", kho)
    assert problem.reason.startswith("a symbolic link out of the folder")
    [document] = iter_file(kho / "ngoài.txt", kho, follow_symlinks=True)
    assert document.title == "Bí mật"
    [document] = iter_file(kho / "trong.txt", kho)
    assert document.title == "Tin nóng"


def test_broken_symbolic_link_is_reported(tmp_path):
    (tmp_path / "gãy.txt").symlink_to(tmp_path / "không có")
    [problem] = iter_documents([tmp_path / "gãy.txt"])
    assert problem.reason == "broken symbolic link"


@pytest.mark.skipif(os.name != "posix", reason="POSIX file names are bytes")
def test_file_name_that_is_not_utf8_is_a_problem(tmp_path):
    write(Path(os.fsdecode(os.fsencode(tmp_path) + b"/bad\xff.txt")), ARTICLE)
    [problem] = iter_documents([tmp_path])
    assert "the path is not valid UTF-8" in problem.reason
    assert problem.source.endswith("bad\\xff.txt")
    str(problem).encode("utf-8")  # printable


# ---------------------------------------------------------------- JSON Lines


def jsonl_lines():
    return [
        json.dumps(GOOD, ensure_ascii=False),  # 1
        "",  # 2: blank lines are ignored
        '{"id": "tin-2", "title": "Hỏng',  # 3: broken JSON
        '["tin-3", "mảng"]',  # 4: an array
        json.dumps({"title": "Không có id"}, ensure_ascii=False),  # 5
        json.dumps({"id": "tin-6", "title": "Ngày sai", "date": "30/12/2020"}, ensure_ascii=False),  # 6
        json.dumps({"id": 7, "title": "Số", "date": "2020-12-30T11:27:37", "body": None}),  # 7
        json.dumps({"id": True, "title": "bool"}),  # 8
        json.dumps({"id": "tin-9", "text": "nội dung ở khóa khác"}, ensure_ascii=False),  # 9
        "   ",  # 10
        json.dumps({"id": "tin-11", "title": "Cuối", "date": None}, ensure_ascii=False),  # 11
    ]


def check_jsonl_results(items, source):
    assert [(type(item).__name__, getattr(item, "id", None) or item.line) for item in items] == [
        ("Document", "tin-1"),
        ("DocumentError", 3),
        ("DocumentError", 4),
        ("DocumentError", 5),
        ("DocumentError", 6),
        ("Document", "7"),
        ("DocumentError", 8),
        ("DocumentError", 9),
        ("Document", "tin-11"),
    ]
    first, broken, array, no_id, bad_date, seventh, boolean, no_text, last = items
    assert first == Document("tin-1", "Giá xăng giảm", "Thân bài.", datetime(2020, 12, 30), source)
    assert seventh == Document("7", "Số", "", datetime(2020, 12, 30, 11, 27, 37), source)
    assert str(broken).startswith(f"{source}:3: not valid JSON (Unterminated string")
    assert array.reason == "expected a JSON object, got an array"
    assert no_id.reason == 'no "id": every document needs one'
    assert bad_date.reason.startswith('bad "date": \'30/12/2020\': month 30 does not exist')
    assert boolean.reason == '"id" must be a string or an integer, not true/false'
    assert no_text.reason == 'no "title" and no "body" to index (keys found: id, text)'
    assert all(item.source == source for item in items)


def test_json_lines_problems_name_their_line_and_good_lines_come_through(tmp_path):
    path = write(tmp_path / "tin.jsonl", "\n".join(jsonl_lines()) + "\n")
    check_jsonl_results(list(iter_documents([path])), str(path))


def test_gzipped_json_lines_with_crlf_and_bom(tmp_path):
    path = tmp_path / "tin.jsonl.gz"
    with gzip.open(path, "wb") as file:
        file.write(codecs.BOM_UTF8 + "\r\n".join(jsonl_lines()).encode("utf-8"))
    check_jsonl_results(list(iter_file(path)), str(path))


def test_truncated_gzip_keeps_the_lines_read_and_reports_the_rest(tmp_path):
    lines = [json.dumps({"id": f"tin-{n}", "title": f"Bài {n}", "body": "x" * 2000})
             for n in range(200)]
    data = gzip.compress("\n".join(lines).encode("utf-8"))
    path = write(tmp_path / "tin.jsonl.gz", data[: len(data) // 2])
    items = list(iter_file(path))
    *good, problem = items
    assert good and documents(good) == good
    assert problem.line == len(good) + 1
    assert "stopped reading here" in problem.reason


def test_json_lines_file_that_is_not_gzip(tmp_path):
    [problem] = iter_file(write(tmp_path / "tin.jsonl.gz", "{}\n"))
    assert problem.line == 1 and "Not a gzipped file" in problem.reason


def test_json_line_with_bad_utf8_costs_that_line_only(tmp_path):
    latin1_line = b'{"id": "1", "title": "caf\xe9"}\n'
    path = write(tmp_path / "tin.jsonl", latin1_line + json.dumps(GOOD).encode())
    problem, document = iter_file(path)
    assert (problem.line, problem.reason) == (1, "not valid UTF-8 at byte 26 of the line")
    assert document.id == "tin-1"


def test_json_lines_are_streamed(tmp_path):
    path = tmp_path / "lớn.jsonl"
    record = {"id": "x", "title": "Bài", "body": "nội dung " * 100}
    line = json.dumps(record, ensure_ascii=False) + "\n"
    with open(path, "w", encoding="utf-8") as file:
        file.writelines(line for _ in range(20_000))  # about 20 MB
    tracemalloc.start()
    count = sum(1 for _ in iter_file(path))
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert count == 20_000
    assert peak < 2 * 1024 * 1024


# ------------------------------------------------------------ Document.from_dict


@pytest.mark.parametrize(
    "data, reason",
    [
        ("không phải object", "expected a JSON object, got a string"),
        ({"id": None, "title": "x"}, 'no "id"'),
        ({"id": 1.5, "title": "x"}, '"id" must be a string or an integer, not a number'),
        ({"id": "  ", "title": "x"}, '"id" is empty'),
        ({"id": "a", "title": ["x"]}, '"title" must be a string, not an array'),
        ({"id": "a", "title": "x", "body": 3}, '"body" must be a string, not a number'),
        ({"id": "a", "title": "x", "date": "sáng nay"}, 'bad "date": cannot read'),
        (json.loads('{"id": "a", "title": "x\\ud800"}'), '"title" holds a lone surrogate (\\ud800)'),
    ],
)
def test_from_dict_validates(data, reason):
    with pytest.raises(DocumentError) as caught:
        Document.from_dict(data, source="tin.jsonl", line=4)
    assert caught.value.reason.startswith(reason)
    assert (caught.value.source, caught.value.line) == ("tin.jsonl", 4)


def test_document_is_frozen():
    document = Document("a", "Tiêu đề")
    with pytest.raises(AttributeError):
        document.title = "khác"
    assert (document.body, document.date, document.source) == ("", None, None)


def test_warning_is_a_document_error():
    assert issubclass(DocumentWarning, DocumentError)


def test_a_dict_over_the_document_limit_is_refused_with_its_size(tmp_path):
    from vnsearch import Index
    body = "ệ" * (MAX_ARTICLE_BYTES // 3 + 1)  # three bytes each in UTF-8
    size = len(("Tin" + body).encode("utf-8"))
    with pytest.raises(DocumentError) as caught:
        Document.from_dict({"id": "to", "title": "Tin", "body": body})
    assert caught.value.reason == (
        f"the title and body are {size:,} bytes ({size / 2**20:.1f} MiB), over the "
        f"{MAX_ARTICLE_BYTES:,}-byte (1.0 MiB) limit for one document: split it into "
        "smaller documents")
    index = Index.create(tmp_path / "ix")
    report = index.add([{"id": "to", "title": "Tin", "body": body}, GOOD])
    assert (report.added, report.skipped, len(index)) == (1, 1, 1)
