"""Merges beside writers (vnsearch.concurrent_merge): real indexes, real processes."""

import os
import subprocess
import sys
import textwrap

import pytest

from vnsearch import Index, merging
from vnsearch.concurrent_merge import SCRATCH, merge_aside

TOPICS = ["giá xăng dầu tăng", "bão lũ miền Trung", "thị trường bất động sản",
          "giáo dục đại học", "bệnh viện quá tải", "xuất khẩu gạo", "du lịch Đà Nẵng",
          "đường sắt tốc độ cao"]


def _doc(segment, number):
    topic = TOPICS[segment]
    return {"id": f"s{segment}-{number}", "title": f"Tin {topic} số {number}",
            "body": f"Bài {number} về {topic}. Phóng viên ghi nhận nhiều ý kiến khác nhau."}


@pytest.fixture
def unmerged(tmp_path, monkeypatch):
    """An index of eight small segments (three documents each) not merged yet, one
    document already deleted; merges are due once MERGE_FACTOR is back to 8."""
    monkeypatch.setattr(merging, "MERGE_FACTOR", 100)
    index = Index.create(tmp_path / "index")
    for segment in range(8):
        index.add([_doc(segment, n) for n in range(3)])
    index.delete(["s3-0"])
    monkeypatch.setattr(merging, "MERGE_FACTOR", 8)
    assert len(_segments(index)) == 8
    return index


def _segments(index):
    return index._whoosh._read_toc().segments


def _ids(index):
    return {fields["id"] for fields in index._current_searcher().reader().all_stored_fields()}


def test_deletions_and_commits_made_during_a_merge_are_kept(unmerged):
    path = unmerged.path
    during = []

    def written():
        other = Index.open(path)  # another writer, while the merged segment waits
        other.delete(["s3-1", "s5-2", "s0-0"])
        other.add([{"id": "moi-1", "title": "Tin mới về giá xăng dầu", "body": "Giảm nhẹ."}])
        during.append(len(_segments(other)))
        other.close()

    merged = merge_aside(unmerged, written=written)
    assert merged is not None and merged.documents == 23  # 24 written, s3-0 dropped
    assert during == [9]  # the new document's segment was committed beside the eight
    index = Index.open(path)
    assert sorted(s.doc_count_all() for s in _segments(index)) == [1, 23]
    expected = {f"s{s}-{n}" for s in range(8) for n in range(3)} - {
        "s3-0", "s3-1", "s5-2", "s0-0"} | {"moi-1"}
    assert _ids(index) == expected  # no document lost, none deleted by mistake
    assert len(index) == 21
    assert {hit.id for hit in index.search("xang dau", limit=50)} == {"s0-1", "s0-2", "moi-1"}
    assert index.check().ok


def test_a_writer_is_not_blocked_while_the_merge_writes(unmerged):
    script = textwrap.dedent("""
        import sys
        from vnsearch import Index
        index = Index.open(sys.argv[1])
        index.lock_timeout = 0
        index.add([{"id": "nhanh", "title": "Hà Nội mưa lớn", "body": "Ngập nhiều phố."}])
    """)
    results = []

    def written():
        results.append(subprocess.run([sys.executable, "-c", script, str(unmerged.path)],
                                      capture_output=True, text=True, timeout=120))

    assert merge_aside(unmerged, written=written) is not None
    assert results[0].returncode == 0, results[0].stderr
    assert "nhanh" in _ids(Index.open(unmerged.path))


def test_one_merge_at_a_time(unmerged):
    second = []
    other = Index.open(unmerged.path)
    assert merge_aside(unmerged, written=lambda: second.append(merge_aside(other))) is not None
    assert second == [None]
    assert merge_aside(other) is None  # nothing left to merge


def test_a_merge_killed_before_the_swap_changes_nothing(unmerged):
    script = textwrap.dedent("""
        import os, signal, sys
        from vnsearch import Index, merging
        from vnsearch.concurrent_merge import merge_aside
        merging.MERGE_FACTOR = 8
        merge_aside(Index.open(sys.argv[1]),
                    written=lambda: os.kill(os.getpid(), signal.SIGKILL))
    """)
    before = _ids(unmerged)
    killed = subprocess.run([sys.executable, "-c", script, str(unmerged.path)], timeout=120)
    assert killed.returncode == -9
    generation = unmerged._whoosh.storage.folder
    assert any(name.startswith(SCRATCH) for name in os.listdir(generation))
    index = Index.open(unmerged.path)
    assert len(_segments(index)) == 8 and _ids(index) == before
    assert index.check().ok
    assert merge_aside(index) is not None  # the next merge clears the leftovers
    assert not any(name.startswith(SCRATCH) for name in os.listdir(generation))
    assert _ids(Index.open(unmerged.path)) == before


def test_adding_merges_after_the_commit(tmp_path):
    index = Index.create(tmp_path / "index")
    for segment in range(8):
        index.add([_doc(segment, n) for n in range(2)])
    assert [s.doc_count_all() for s in _segments(index)] == [16]
    assert len(index) == 16 and index.check().ok


def test_merges_in_a_thread_of_their_own_when_asked(tmp_path):
    # What `watch` does: the next batch never waits for a merge.
    index = Index.create(tmp_path / "index")
    index.merge_in_background = True
    for segment in range(8):
        index.add([_doc(segment, n) for n in range(2)])
    index._merger.join(timeout=120)
    assert not index._merger.is_alive()
    assert [s.doc_count_all() for s in _segments(Index.open(index.path))] == [16]
    assert len(index) == 16
