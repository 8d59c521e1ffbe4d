"""Which documents an update writes, leaves alone and removes (vnsearch.updates)."""

from vnsearch.document import Document
from vnsearch.errors import DocumentError
from vnsearch.updates import IndexReport, Selection, content_hash, under

HANOI = Document(id="a1", title="Hà Nội mưa lớn", body="Nhiều tuyến phố ngập sâu.",
                 source="/tin/ha-noi.txt")
HUE = Document(id="a2", title="Huế đón khách", body="Lượng khách tăng mạnh.",
               source="/tin/hue.txt")


def test_unchanged_documents_are_counted_not_written():
    report = IndexReport()
    existing = {"a1": (content_hash(HANOI), HANOI.source)}
    selection = Selection([HANOI, HUE], existing, report)
    assert [doc.id for doc, _ in selection.pending()] == ["a2"]
    assert report.unchanged == 1 and report.skipped == 0


def test_a_changed_document_is_written_with_its_new_hash():
    edited = Document(id="a1", title="Hà Nội mưa rất lớn", body=HANOI.body,
                      source=HANOI.source)
    existing = {"a1": (content_hash(HANOI), HANOI.source)}
    pending = list(Selection([edited], existing, IndexReport()).pending())
    assert pending == [(edited, content_hash(edited))]
    assert content_hash(edited) != content_hash(HANOI)


def test_the_first_of_two_documents_with_one_id_is_kept():
    report = IndexReport()
    twin = Document(id="a1", title="Hải Phòng", body="Cảng biển.", source="/tin/hp.txt")
    pending = list(Selection([HANOI, twin], {}, report).pending())
    assert [doc.title for doc, _ in pending] == ["Hà Nội mưa lớn"]
    (problem,) = report.problems
    assert "duplicate id 'a1'" in str(problem) and "/tin/ha-noi.txt" in str(problem)
    assert report.skipped == 1


def test_stale_documents_are_named_once_all_are_read_except_kept_sources():
    existing = {"a1": ("h1", "/tin/ha-noi.txt"), "a2": ("h2", "/tin/hue.txt"),
                "a3": ("h3", "/khac/da-nang.txt"), "a4": ("h4", "/tin/can-tho.txt")}
    keep = set()
    selection = Selection([HANOI], existing, IndexReport(),
                          stale=lambda source: under(source, ["/tin"]), keep=keep)
    list(selection.pending())
    keep.add("/tin/can-tho.txt")  # found unreadable while reading: keeps its documents
    assert selection.doomed() == {"a2": ("h2", "/tin/hue.txt")}
    assert Selection([], existing, IndexReport()).doomed() == {}  # no stale selector


def test_under_matches_whole_folder_names():
    assert under("/tin/hue.txt", ["/tin"]) and under("/tin", ["/tin"])
    assert not under("/tin-cu/hue.txt", ["/tin"])


def test_a_warning_is_reported_without_skipping():
    from vnsearch.document import DocumentWarning
    report = IndexReport()
    report.note(DocumentWarning("ngày không đọc được", source="/tin/hue.txt"))
    report.note(DocumentError("thiếu id", line=3))
    assert len(report.problems) == 2 and report.skipped == 1
