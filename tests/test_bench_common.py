"""The benchmarks' shared helpers: what their figures rest on."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from bench.common import load_corpus, peak_rss_mb

REPO = Path(__file__).resolve().parent.parent


def test_load_corpus_keeps_every_step_th_article_up_to_the_limit(tmp_path):
    path = tmp_path / "archive.jsonl"
    rows = [{"id": f"bai-{n}", "title": f"Tin số {n}", "date": "2024-01-02",
             "body": "Hà Nội mưa lớn.", "source": "x"} for n in range(23)]
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows),
                    encoding="utf-8")
    every = load_corpus(path)
    assert [d["id"] for d in every] == [r["id"] for r in rows]
    assert set(every[0]) == {"id", "title", "date", "body"}
    assert load_corpus(path, step=5) == every[::5]
    assert load_corpus(path, step=5, limit=3) == every[::5][:3]
    assert load_corpus([path, path], limit=25) == (every + every)[:25]


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs Linux /proc")
def test_a_child_reports_its_own_peak_not_its_parents():
    # The parent holds 400 MB when it starts the child: ru_maxrss would report them.
    parent = (
        "import subprocess, sys\n"
        "held = bytearray(400 * 2**20)\n"
        "held[::4096] = b'x' * len(held[::4096])\n"
        "code = 'from bench.common import peak_rss_mb; print(peak_rss_mb())'\n"
        "print(subprocess.run([sys.executable, '-c', code], capture_output=True,\n"
        "                     text=True, check=True).stdout)\n")
    out = subprocess.run([sys.executable, "-c", parent], cwd=REPO, capture_output=True,
                         text=True, check=True).stdout
    assert float(out) < 200
    assert peak_rss_mb() > 0
