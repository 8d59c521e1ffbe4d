"""Rebuild and check on damaged indexes: never fewer documents, never a lost index.

Each case damages a real index on disk the way a crash, a full disk or a careless
hand would, then runs the command a user would run, in a real process.
"""

import json
import subprocess
import sys

import pytest
from whoosh.fields import ID, TEXT, Schema
from whoosh.index import create_in

from vnsearch import Index, IndexDamagedError, IndexNotFoundError, RebuildError

from conftest import ARTICLES, ids


def vnsearch(*args):
    return subprocess.run([sys.executable, "-m", "vnsearch", *map(str, args)],
                          capture_output=True, text=True)


@pytest.fixture
def source(tmp_path):
    path = tmp_path / "tin.jsonl"
    path.write_text("".join(json.dumps(a, ensure_ascii=False) + "\n" for a in ARTICLES),
                    encoding="utf-8")
    return path


@pytest.fixture
def index(tmp_path, source):
    index = Index.create(tmp_path / "index")
    assert index.add_paths([source]).added == len(ARTICLES)
    index.close()
    return index


def segment_file(index, suffix, generation=1):
    [file] = (index.path / f"gen-{generation}").glob(f"MAIN_*{suffix}")
    return file


def scramble(file, start=16, length=64):
    """Overwrite bytes in the middle of ``file``, keeping its size."""
    data = bytearray(file.read_bytes())
    for i in range(start, min(start + length, len(data) - 4)):
        data[i] ^= 0x5A
    file.write_bytes(bytes(data))


def snapshot(folder):
    return {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()}


def test_rebuild_of_an_unreadable_index_whose_sources_are_gone_changes_nothing(index, source):
    scramble(segment_file(index, "._stored.col"))
    source.unlink()
    manifest = (index.path / "vnsearch.json").read_text()
    before = snapshot(index.path / "gen-1")
    for _ in range(2):  # the second must not delete what the first kept either
        result = vnsearch("rebuild", "--index", index.path)
        assert result.returncode == 1, result.stderr
        assert "Traceback" not in result.stderr
        assert result.stderr.startswith(
            "Rebuilding from the files the index was built from: none left.\n"
            f"missing: {source}\n")
        assert result.stderr.endswith(
            f"Error: Rebuilding the index at {index.path} would leave 0 documents where "
            f"it holds {len(ARTICLES)}; 1 of its source paths are gone: {source}. Nothing "
            f"was changed. Bring the missing files back and rebuild again, or keep only "
            f"0 documents with `vnsearch rebuild --force --index {index.path}`.\n")
        assert sorted(p.name for p in index.path.glob("gen-*")) == ["gen-1"]
        assert snapshot(index.path / "gen-1") == before
        assert (index.path / "vnsearch.json").read_text() == manifest


def test_rebuild_after_a_cut_table_of_contents_never_drops_documents(index, source):
    [toc] = (index.path / "gen-1").glob("_MAIN_*.toc")
    toc.write_bytes(toc.read_bytes()[:100])
    with pytest.raises(IndexDamagedError, match=r"_MAIN_\d+\.toc is unreadable"):
        Index.open(index.path)
    partial = source.with_name("partial.jsonl")  # the source now holds half of them
    source.rename(partial)
    source.write_text("".join(partial.read_text(encoding="utf-8").splitlines(True)[:4]),
                      encoding="utf-8")
    for _ in range(2):
        with pytest.raises(RebuildError, match=f"would leave 4 documents where it holds "
                                               f"{len(ARTICLES)}"):
            Index.rebuild(index.path)
        assert sorted(p.name for p in index.path.glob("gen-*")) == ["gen-1"]
    partial.replace(source)
    assert Index.rebuild(index.path).added == len(ARTICLES)
    assert len(Index.open(index.path)) == len(ARTICLES)


def test_force_accepts_fewer_documents(index, source):
    scramble(segment_file(index, "._stored.col"))
    source.write_text(json.dumps(ARTICLES[0], ensure_ascii=False) + "\n", encoding="utf-8")
    result = vnsearch("rebuild", "--force", "--index", index.path)
    assert result.returncode == 0, result.stderr
    assert len(Index.open(index.path)) == 1
    assert sorted(p.name for p in index.path.glob("gen-*")) == ["gen-2"]


@pytest.mark.parametrize("suffix", [".trm", ".pst", ".id.col", ".prs"])
@pytest.mark.parametrize("damage", ["scrambled", "cut short", "removed"])
def test_rebuild_recovers_stored_documents_when_other_files_are_damaged(index, source,
                                                                       suffix, damage):
    file = segment_file(index, suffix)
    if damage == "scrambled":
        scramble(file)
    elif damage == "cut short":
        file.write_bytes(file.read_bytes()[: file.stat().st_size // 2])
    else:
        file.unlink()
    source.unlink()  # nothing to read but the index itself
    result = vnsearch("rebuild", "--index", index.path)
    assert result.returncode == 0, result.stderr
    assert result.stderr.startswith(
        f"Rebuilding from the {len(ARTICLES)} documents stored in the index (gen-1).\n")
    rebuilt = Index.open(index.path)
    assert len(rebuilt) == len(ARTICLES) and rebuilt.check().ok
    assert ids(rebuilt.search("dầu khí"))[0] == "dau-khi"
    assert sorted(p.name for p in index.path.glob("gen-*")) == ["gen-2"]


def test_check_of_a_healthy_index_with_deleted_and_replaced_documents(index):
    # Deleted documents keep their postings until a merge drops them, and the term
    # table counts them: a check must not call that damage.
    first = ARTICLES[0]
    index.delete([first["id"]])
    index.add([dict(ARTICLES[1], body=ARTICLES[1]["body"] + " Cập nhật lúc 10 giờ.")])
    report = index.check()
    assert report.ok, report.problems
    assert report.documents == len(ARTICLES) - 1


@pytest.mark.parametrize("suffix", ["._stored.col", ".trm", ".pst", ".hash.col", ".prs"])
def test_check_reads_everything_and_names_the_damage(index, suffix):
    result = vnsearch("check", "--index", index.path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"ok: {len(ARTICLES)} documents in 1 segments, ")
    file = segment_file(index, suffix)
    scramble(file, start=8, length=400)
    result = vnsearch("check", "--index", index.path)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    segment = file.name.split(".")[0]
    assert result.stdout.startswith(f"damaged: gen-1/{segment}: "), result.stdout
    assert result.stderr == (f"Rebuild it with `vnsearch rebuild --index {index.path}`: "
                             f"it reads the documents again from the index where they "
                             f"are intact, else from the files they were indexed from.\n")
    assert vnsearch("rebuild", "--index", index.path).returncode == 0
    assert vnsearch("check", "--index", index.path).returncode == 0


def test_check_of_an_index_that_cannot_even_be_opened(index):
    (segment_file(index, ".id.col")).unlink()
    result = vnsearch("check", "--index", index.path)
    assert result.returncode == 1
    assert "damaged: gen-1/" in result.stdout and ".id.col is missing" in result.stdout


@pytest.mark.parametrize("suffix, query", [("._stored.col", "dầu khí"),
                                           (".prs", "khai thac dau khi")])
def test_searching_a_scrambled_index_is_an_error_not_a_traceback(index, suffix, query):
    scramble(segment_file(index, suffix))
    result = vnsearch("search", query, "--index", index.path)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr.startswith(f"Error: The index at {index.path} is damaged ")
    assert f"`vnsearch check --index {index.path}`" in result.stderr


@pytest.mark.parametrize("damage", ["corrupt", "missing"])
def test_a_corrupt_manifest_is_named_and_rebuild_recovers_from_the_generation(index,
                                                                             source, damage):
    source.unlink()  # recovering must not need the sources
    if damage == "corrupt":
        (index.path / "vnsearch.json").write_text('{"format": 1, "generation": ')
    else:
        (index.path / "vnsearch.json").unlink()
    with pytest.raises(IndexDamagedError) as error:
        Index.open(index.path)
    assert str(error.value).startswith(
        f"The index at {index.path} is damaged (its manifest vnsearch.json " +
        ("cannot be read: " if damage == "corrupt" else "is missing)"))
    assert str(error.value).endswith(
        f"rebuild it with `vnsearch rebuild --index {index.path}`, which recovers the "
        f"documents from its newest intact generation.")
    result = vnsearch("rebuild", "--index", index.path)
    assert result.returncode == 0, result.stderr
    assert len(Index.open(index.path)) == len(ARTICLES)


def test_a_plain_whoosh_index_is_named_as_such(tmp_path):
    folder = tmp_path / "whoosh"
    folder.mkdir()
    writer = create_in(str(folder), Schema(id=ID(stored=True), body=TEXT)).writer()
    writer.add_document(id="1", body="xin chào")
    writer.commit()
    expected = (f"{folder} holds a Whoosh index that vnsearch did not write (it has no "
                f"vnsearch.json): vnsearch can neither search nor rebuild it. Index your "
                f"documents into a new folder with `vnsearch index --index NEW_FOLDER "
                f"FOLDER`.")
    with pytest.raises(IndexNotFoundError) as error:
        Index.open(folder)
    assert str(error.value) == expected
    for command in ("search", "rebuild", "info"):
        args = [command, "chào"] if command == "search" else [command]
        result = vnsearch(*args, "--index", folder)
        assert (result.returncode, result.stderr) == (1, f"Error: {expected}\n")


def test_info_lists_the_sources_a_rebuild_would_read(index, source):
    result = vnsearch("info", "--index", index.path)
    assert f"Source:     {source}\n" in result.stdout
    scramble(segment_file(index, "._stored.col"))
    result = vnsearch("rebuild", "--index", index.path)
    assert result.returncode == 0, result.stderr
    assert result.stderr.startswith(
        f"Rebuilding from the files the index was built from: {source}.\n")
