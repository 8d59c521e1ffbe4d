"""What the ``vnsearch`` command prints: results, JSON lines, progress and reports.

:mod:`vnsearch.cli` parses the command line and calls the library; this module turns
what the library returns into text: results on stdout (coloured on a terminal,
``**marked**`` when piped, in Vietnamese or English after the locale), JSON objects
for ``--json``, and progress, problems and summaries on stderr.
"""

import os
import sys

import click

EXIT_SKIPPED = 3
"""Exit status of a run that finished but skipped some input."""


def color_wanted(choice: str) -> bool:
    """Whether to colour search results: ``--color``, then $NO_COLOR, then the terminal."""
    if choice != "auto":
        return choice == "always"
    if os.environ.get("NO_COLOR"):  # https://no-color.org: set and not empty
        return False
    return sys.stdout.isatty()


_TEXTS = {
    "vi": {"suggestion": "Có phải bạn muốn tìm: {}?", "restored": "Kết quả cho: {}",
           "corrected": "Đã sửa lỗi gõ: {}", "total": "{} kết quả · {} ms",
           "year": "Năm", "month": "Tháng", "thousands": "."},
    "en": {"suggestion": "Did you mean: {}?", "restored": "Results for: {}",
           "corrected": "Corrected to: {}", "total": "{} results · {} ms",
           "year": "Year", "month": "Month", "thousands": ","},
}


def _language() -> str:
    """The interface's language: Vietnamese when the locale says so, else English."""
    for name in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(name, "")
        if value:
            return "vi" if value.lower().startswith("vi") else "en"
    return "en"


def print_results(results, color: bool) -> None:
    """Suggestion, reading, correction, the total and time, facets, then the hits.

    With no hit, stdout stays empty (as scripts expect) and a suggestion goes to stderr
    beside the "No results" message.
    """
    texts = _TEXTS[_language()]
    if not results:
        if results.suggestion:
            click.echo(texts["suggestion"].format(results.suggestion), err=True)
        return
    if results.suggestion:
        click.echo(texts["suggestion"].format(results.suggestion))
    if results.restored:
        click.echo(texts["restored"].format(results.restored))
    if results.corrected:
        click.echo(texts["corrected"].format(results.corrected))
    total = f"{results.total:,}".replace(",", texts["thousands"])
    click.echo(texts["total"].format(total, round(results.took_ms)))
    for name, counts in results.facets.items():
        shown = " · ".join(f"{value} ({count})" for value, count in counts)
        click.echo(f"{texts[name]}: {shown or '-'}")
    for rank, hit in enumerate(results, results.offset + 1):
        date = f"{hit.date:%Y-%m-%d}" if hit.date else "no date"
        click.echo(click.style(f"{rank}. {hit.title}", bold=True) if color
                   else f"{rank}. {hit.title}")
        click.echo(f"   {date} · {hit.id}")
        click.echo(f"   {_marked(hit.snippet, hit.highlights, color)}")


def summary_json(results) -> dict:
    """The first line of ``search --json``: what the engine made of the query."""
    return {"query": results.query, "total": results.total, "offset": results.offset,
            "took_ms": round(results.took_ms, 1), "restored": results.restored,
            "corrected": results.corrected, "suggestion": results.suggestion,
            "facets": {name: [[value, count] for value, count in counts]
                       for name, counts in results.facets.items()}}


def hit_json(hit, results) -> dict:
    return {"id": hit.id, "title": hit.title,
            "date": hit.date.isoformat() if hit.date else None,
            "score": round(hit.score, 4), "snippet": hit.snippet,
            "highlights": [list(span) for span in hit.highlights],
            "restored": results.restored}


def _marked(snippet: str, spans, color: bool) -> str:
    """The snippet with highlighted spans in colour, or between ** when piped."""
    out, last = [], 0
    for start, end in spans:
        out.append(snippet[last:start])
        word = snippet[start:end]
        out.append(click.style(word, fg="yellow", bold=True) if color else f"**{word}**")
        last = end
    out.append(snippet[last:])
    return "".join(out)


class ProgressBar:
    """A progress callback on stderr: a bar once the total is known, else a count of
    the documents done (an archive is read as it is indexed, its size unknown)."""

    COUNT_EVERY = 1000

    def __init__(self, label):
        self.label = label
        self.bar = None
        self.done = 0
        self.counted = 0

    def __call__(self, done, total):
        if self.bar is None and total:
            self.bar = click.progressbar(length=total, label=self.label, file=sys.stderr)
            self.bar.__enter__()
        if self.bar is not None:
            self.bar.update(done - self.done)
        elif done >= self.counted + self.COUNT_EVERY:
            click.echo(f"\r{self.label}: {done:,} documents", nl=False, err=True)
            self.counted = done
        self.done = done

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self.bar is not None:
            self.bar.__exit__(*exc)
        elif self.counted:
            click.echo(f"\r{self.label}: {self.done:,} documents", err=True)
        return False


def print_update(update) -> None:
    """One line on stderr per batch of changes applied by ``vnsearch watch``."""
    from datetime import datetime
    stamp = datetime.fromtimestamp(update.at).strftime("%H:%M:%S")
    what = (_shown(update.paths[0]) if len(update.paths) == 1
            else f"{len(update.paths)} paths")
    if update.error is not None:
        click.echo(f"{stamp} {what}: waiting, will retry: {update.error}", err=True)
        return
    report = update.report
    if update.initial or report.indexed or report.removed:
        unchanged = f", {report.unchanged} unchanged" if update.initial else ""
        click.echo(f"{stamp} {what}: {report.added} added, {report.updated} updated, "
                   f"{report.removed} removed{unchanged}", err=True)
    for problem in report.problems:
        if type(problem).__name__ == "DocumentWarning":
            click.echo(f"{stamp} warning: {problem}", err=True)
        else:
            click.echo(f"{stamp} skipped: {problem} (read again when the file changes)",
                       err=True)


def _shown(path: str) -> str:
    """``path`` relative to the current folder when it is under it."""
    try:
        relative = os.path.relpath(path)
    except ValueError:  # another drive, on Windows
        return path
    return path if relative.startswith("..") else relative


def announce_rebuild(plan) -> None:
    """Say what a rebuild will read, before it reads it."""
    if plan.origin == "index":
        click.echo(f"Rebuilding from the {plan.documents} documents stored in the index "
                   f"(gen-{plan.generation}).", err=True)
    else:
        present = [s for s in plan.sources if s not in plan.missing]
        click.echo(f"Rebuilding from the files the index was built from: "
                   f"{', '.join(present) or 'none left'}.", err=True)
        for source in plan.missing:
            click.echo(f"missing: {source}", err=True)


def finish(report) -> None:
    """Print the problems and the summary of an indexing run; set the exit status."""
    for problem in report.problems:
        kind = "warning" if type(problem).__name__ == "DocumentWarning" else "skipped"
        click.echo(f"{kind}: {problem}", err=True)
    click.echo(
        f"Indexed {count(report.indexed, 'document')} ({report.added} added, {report.updated} "
        f"updated, {report.unchanged} unchanged, {report.removed} removed), skipped "
        f"{report.skipped}, in {report.seconds:.1f} s.", err=True)
    if report.skipped:
        sys.exit(EXIT_SKIPPED)


def count(number: int, noun: str) -> str:
    """"1 document", "2 documents"."""
    return f"{number:,} {noun}{'' if number == 1 else 's'}"
