"""What the command line prints (vnsearch.console), without an index."""

import click

from vnsearch.console import _marked, color_wanted, count


def test_spans_are_marked_between_stars_when_piped():
    snippet = "Giá xăng dầu tăng mạnh"
    assert _marked(snippet, [(4, 8), (9, 12)], color=False) == "Giá **xăng** **dầu** tăng mạnh"


def test_spans_are_coloured_on_a_terminal():
    marked = _marked("Giá vàng hôm nay", [(4, 8)], color=True)
    assert marked == "Giá " + click.style("vàng", fg="yellow", bold=True) + " hôm nay"


def test_counts_are_grouped_and_pluralised():
    assert count(1, "document") == "1 document"
    assert count(12_345, "document") == "12,345 documents"


def test_colour_follows_the_option_then_no_color(monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    assert color_wanted("always") and not color_wanted("auto")
    assert not color_wanted("never")
