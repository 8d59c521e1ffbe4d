"""The ``vnsearch`` command: a thin layer over :class:`vnsearch.Index`.

Each command opens the index, calls one library method and prints the result: results
on stdout, progress and messages on stderr. Library errors become one-line messages in
one place (:class:`_Group`); no traceback reaches the user. Heavy modules (Whoosh, the
segmentation model) load inside the commands, so ``vnsearch --help`` stays instant.

Exit status: 0 success, 1 error, 2 bad usage (a bad option, date or query), 3 finished
but some input was skipped, 130 interrupted. Messages are in English, like the library's
errors they pass on.
"""

import json
import os
import signal
import sys

import click

from .errors import QueryError, VnsearchError

EXIT_SKIPPED = 3


class _Group(click.Group):
    """Turns vnsearch errors into clean messages for every command."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except QueryError as error:
            # A query that cannot run is mistyped input, like a bad option: exit 2.
            raise click.UsageError(str(error)) from None
        except VnsearchError as error:
            raise click.ClickException(str(error)) from None
        except KeyboardInterrupt as interrupt:
            committed = getattr(interrupt, "committed", None)
            if committed is None:
                click.echo("Interrupted; everything committed so far is kept.", err=True)
            else:
                click.echo(f"Interrupted: {committed} documents were "
                           f"committed and are kept; run the same command again to index "
                           f"the rest.", err=True)
            sys.exit(130)


def index_option(function):
    """``--index DIR``, on every command, defaulting to $VNSEARCH_INDEX or ./index."""
    return click.option(
        "--index", "index_path", envvar="VNSEARCH_INDEX", default="index",
        show_default="./index or $VNSEARCH_INDEX", metavar="DIR",
        type=click.Path(file_okay=False), help="The index folder.")(function)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="vnsearch")
def cli():
    """Full-text search for Vietnamese documents, with or without diacritics.

    \b
    Example:
        vnsearch index seeds
        vnsearch search "công nghệ thông tin"
    """


@cli.command("index")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True))
@click.option("--prune", is_flag=True,
              help="Also remove documents whose files under PATHS are gone.")
@click.option("--follow-symlinks", is_flag=True,
              help="Follow symbolic links that lead out of a folder in PATHS "
                   "(by default they are reported and skipped).")
@index_option
def index_command(paths, prune, follow_symlinks, index_path):
    """Index article files, JSON Lines files (.jsonl, .jsonl.gz) and folders of them.

    Re-running on the same folders only re-analyses new or changed documents.

    \b
    Example:
        vnsearch index seeds ../archive/2021.jsonl.gz
    """
    from .index import Index
    index = Index.open_or_create(index_path)
    with _ProgressBar("Indexing") as progress:
        report = index.add_paths(paths, prune=prune, progress=progress,
                                 follow_symlinks=follow_symlinks)
    _finish(report)


class _SearchCommand(click.Command):
    """``search``, where a word starting with "-" is query text, not an unknown option.

    ``-word`` excludes a word in the query syntax, so ``vnsearch search -vietsovpetro``
    must search rather than fail with "No such option: -v".
    """

    def parse_args(self, ctx, args):
        return super().parse_args(ctx, _query_words_last(self.get_params(ctx), args))


def _query_words_last(params, args):
    """``args`` with the options first, then ``--`` and the query words.

    Known options (and their values) stay options, and so does any unknown ``--name``,
    so that a mistyped long option is still reported. Any other argument starting with
    a single "-" is a query word; "-n5" is ``--limit 5`` but "-nhà" is a word.
    """
    flags, valued = set(), set()
    for param in params:
        if isinstance(param, click.Option):
            (flags if param.is_flag or param.count else valued).update(
                param.opts + param.secondary_opts)
    options, words = [], []
    position = 0
    while position < len(args):
        arg = args[position]
        if arg == "--":
            words.extend(args[position + 1:])
            break
        short_with_value = arg[:2] in valued and not arg.startswith("--") and arg[2:].isdigit()
        if arg in valued:
            options.extend(args[position:position + 2])
            position += 1
        elif arg in flags or short_with_value or (arg.startswith("--") and len(arg) > 2):
            options.append(arg)
        else:
            words.append(arg)
        position += 1
    return [*options, "--", *words]


@cli.command("search", cls=_SearchCommand)
@click.argument("query", nargs=-1, required=True)
@click.option("--limit", "-n", default=10, show_default=True, type=click.IntRange(min=1),
              help="How many hits to show.")
@click.option("--offset", type=click.IntRange(min=0), default=None,
              help="Skip this many hits first (paging).")
@click.option("--page", type=click.IntRange(min=1), default=None,
              help="Show this page of --limit hits (1 is the first).")
@click.option("--from", "date_from", metavar="YYYY-MM-DD", help="Published on or after.")
@click.option("--to", "date_to", metavar="YYYY-MM-DD", help="Published on or before.")
@click.option("--sort", type=click.Choice(["relevance", "date"]), default="relevance",
              show_default=True, help="Rank by relevance, or newest first.")
@click.option("--field", "fields", multiple=True, type=click.Choice(["title", "body"]),
              help="Search only this field (repeatable). Default: title and body.")
@click.option("--facet", "facets", multiple=True, type=click.Choice(["year", "month"]),
              help="Count all matches by year or month (repeatable).")
@click.option("--prefix", is_flag=True,
              help="Read the last word as the beginning of a word (search as you type).")
@click.option("--json", "as_json", is_flag=True,
              help="A JSON summary line (total, time, corrections, facets), then one "
                   "JSON object per hit.")
@click.option("--color", default="auto", show_default=True,
              type=click.Choice(["auto", "always", "never"]),
              help="Colour titles and matches. auto: only on a terminal, and not when "
                   "$NO_COLOR is set. Without colour, matches are marked **like this**.")
@index_option
def search_command(query, limit, offset, page, date_from, date_to, sort, fields, facets,
                   prefix, as_json, color, index_path):
    """Search the index. Words may be typed with or without diacritics.

    \b
    QUERY is one or more words; "quoted words" must be adjacent; -word excludes
    documents with it (a query may start with it: vnsearch search -word).
    Typos in words the index does not hold are corrected; abbreviations
    (UBND, CNTT, TP.HCM...) also find what they stand for, and back.
    Example:
        vnsearch search 'dau khi -"khí đốt"' --from 2020-01-01 --sort date
        vnsearch search "chứng khoán" --facet year --page 2
    """
    from .index import Index
    query = " ".join(query)
    if offset is not None and page is not None:
        raise click.UsageError("Give --offset or --page, not both.")
    if page is not None:
        offset = (page - 1) * limit
    index = Index.open(index_path)
    results = index.search(query, limit=limit, offset=offset or 0, date_from=date_from,
                           date_to=date_to, sort=sort, fields=list(fields) or None,
                           facets=tuple(dict.fromkeys(facets)), prefix=prefix)
    if as_json:
        click.echo(json.dumps(_summary_json(results), ensure_ascii=False))
        for hit in results:
            click.echo(json.dumps(_hit_json(hit, results), ensure_ascii=False))
    else:
        color = _color_wanted(color)
        click.get_current_context().color = color  # "always" colours a pipe too
        _print_results(results, color)
    if not results:
        click.echo(f"No results for {query!r}.", err=True)


def _color_wanted(choice: str) -> bool:
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


def _print_results(results, color: bool) -> None:
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


@cli.command("suggest")
@click.argument("prefix")
@click.option("--limit", "-n", default=10, show_default=True, type=click.IntRange(min=1),
              help="How many completions to show.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON list.")
@index_option
def suggest_command(prefix, limit, as_json, index_path):
    """Complete the last word of PREFIX with words of the index, most useful first.

    \b
    Example:
        vnsearch suggest "cong ng"
    """
    from .index import Index
    completions = Index.open(index_path).suggest(prefix, limit=limit)
    if as_json:
        click.echo(json.dumps(completions, ensure_ascii=False))
    else:
        for completion in completions:
            click.echo(completion)
    if not completions:
        click.echo(f"No completions for {prefix!r}.", err=True)


@cli.group("synonyms", cls=_Group)
def synonyms_group():
    """Phrases searched as meaning the same, kept with the index.

    Built in: common Vietnamese abbreviations (UBND, CNTT, TP.HCM, HĐQT...).
    Changes apply to the next search: no re-indexing.

    \b
    Example:
        vnsearch synonyms add KCN "khu công nghiệp"
        vnsearch synonyms list
        vnsearch synonyms remove KCN
    """


@synonyms_group.command("add")
@click.argument("phrases", nargs=-1, required=True)
@index_option
def synonyms_add_command(phrases, index_path):
    """Make PHRASES (two or more) synonyms of each other.

    \b
    Example:
        vnsearch synonyms add VNM Vinamilk "công ty sữa Việt Nam"
    """
    from .index import Index
    group = Index.open(index_path).add_synonyms(*phrases)
    click.echo(", ".join(group))


@synonyms_group.command("list")
@click.option("--builtin", is_flag=True, help="Also list the built-in abbreviations.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON list of groups.")
@index_option
def synonyms_list_command(builtin, as_json, index_path):
    """List the synonym groups added to the index, one a line.

    \b
    Example:
        vnsearch synonyms list --builtin
    """
    from .index import Index
    from .synonyms import built_in_groups
    groups = Index.open(index_path).synonyms()
    if builtin:
        groups = built_in_groups() + groups
    if as_json:
        click.echo(json.dumps(groups, ensure_ascii=False))
    else:
        for group in groups:
            click.echo(", ".join(group))
    if not groups:
        click.echo("No synonyms added yet: `vnsearch synonyms add KCN \"khu công "
                   "nghiệp\"` adds some; --builtin lists the built-in ones.", err=True)


@synonyms_group.command("remove")
@click.argument("phrase")
@index_option
def synonyms_remove_command(phrase, index_path):
    """Take PHRASE out of the synonym groups added to the index.

    \b
    Example:
        vnsearch synonyms remove KCN
    """
    from .index import Index
    Index.open(index_path).remove_synonym(phrase)
    click.echo(f"Removed {phrase!r}.", err=True)


@cli.command("delete")
@click.argument("ids", nargs=-1, required=True)
@index_option
def delete_command(ids, index_path):
    """Remove documents by id.

    \b
    Example:
        vnsearch delete 000_e100c7771be25e8a.txt
    """
    from .index import Index
    report = Index.open(index_path).delete(ids)
    for problem in report.problems:
        click.echo(f"skipped: {problem.reason}", err=True)
    click.echo(f"Deleted {_count(report.removed, 'document')}.", err=True)
    if report.skipped:
        sys.exit(EXIT_SKIPPED)


@cli.command("watch")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True))
@index_option
def watch_command(paths, index_path):
    """Keep the index current while files under PATHS are added, changed or deleted.

    Indexes PATHS first (like `vnsearch index --prune`), then follows changes until
    Ctrl-C, printing a line per update on stderr. A file is indexed once it has
    stopped changing for a second; one that cannot be read is retried when it next
    changes, and keeps its old documents meanwhile.

    \b
    Example:
        vnsearch watch ~/tin-tuc --index ./index
    """
    from .index import Index
    from .watch import watch
    index = Index.open_or_create(index_path)
    click.echo(f"Watching {', '.join(paths)} for {index_path}; press Ctrl-C to stop.", err=True)
    signal.signal(signal.SIGTERM, _interrupt)  # `kill` stops it as cleanly as Ctrl-C
    try:
        watch(index, paths, on_update=_print_update)
    except KeyboardInterrupt:
        click.echo("Stopped watching; `vnsearch watch` or `vnsearch index --prune` will "
                   "pick up later changes.", err=True)


@cli.command("rebuild")
@click.option("--force", is_flag=True,
              help="Swap the rebuilt index in even if it holds fewer documents.")
@index_option
def rebuild_command(force, index_path):
    """Rebuild the index beside the live one, check it and swap it in atomically.

    Reads the documents stored in the index when they are intact, else the files
    it was indexed from, and says which before reading. Searches keep working
    meanwhile; the old index is removed after the swap. Also repairs a damaged
    index and upgrades one written by an older version. A rebuild that would hold
    fewer documents than the index changes nothing, unless --force.

    \b
    Example:
        vnsearch rebuild --index ./index
    """
    from .index import Index
    with _ProgressBar("Rebuilding") as progress:
        report = Index.rebuild(index_path, progress=progress, force=force,
                               announce=_announce_rebuild)
    _finish(report)


@cli.command("check")
@index_option
def check_command(index_path):
    """Read the whole index and report what is damaged, if anything.

    Exit status 0 when it is intact, 1 when it is damaged.

    \b
    Example:
        vnsearch check --index ./index
    """
    from .integrity import check_index
    report = check_index(index_path)
    if report.ok:
        click.echo(f"ok: {report.documents} documents in {report.segments} segments, "
                   f"{report.postings} postings read in {report.seconds:.1f} s.")
        return
    for problem in report.problems:
        click.echo(f"damaged: {problem}")
    if report.more_problems:
        click.echo(f"damaged: and {report.more_problems} more problems")
    click.echo(report.advice, err=True)
    sys.exit(1)


@cli.command("info")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@index_option
def info_command(as_json, index_path):
    """Show document count, date range, size on disk, last update and format version.

    \b
    Example:
        vnsearch info --json
    """
    from .index import Index
    info = Index.open(index_path).info()
    fields = {
        "path": info.path, "documents": info.documents,
        "date_from": info.date_from.isoformat() if info.date_from else None,
        "date_to": info.date_to.isoformat() if info.date_to else None,
        "size_bytes": info.size_bytes,
        "updated": info.updated.isoformat() if info.updated else None,
        "format_version": info.format_version, "sources": info.sources,
    }
    if as_json:
        click.echo(json.dumps(fields, ensure_ascii=False))
        return
    click.echo(f"Index:      {info.path}")
    click.echo(f"Documents:  {info.documents}")
    dates = (f"{info.date_from:%Y-%m-%d} to {info.date_to:%Y-%m-%d}"
             if info.date_from else "no dated documents")
    click.echo(f"Dates:      {dates}")
    click.echo(f"Size:       {info.size_bytes / 1e6:.1f} MB")
    click.echo(f"Updated:    {fields['updated'] or 'never'}")
    click.echo(f"Format:     {info.format_version}")
    for source in info.sources:
        click.echo(f"Source:     {source}")


@cli.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on; 0.0.0.0 opens the server to the network.")
@click.option("--port", default=8080, show_default=True, type=click.IntRange(0, 65535))
@click.option("--workers", default=1, show_default=True, type=click.IntRange(min=1),
              help="Server processes; one per core searches in parallel.")
@click.option("--token", envvar="VNSEARCH_TOKEN", default=None, metavar="SECRET",
              help="Allow writes (POST/DELETE /documents) with 'Authorization: Bearer "
                   "SECRET'. Default: $VNSEARCH_TOKEN; without one, writes are off.")
@click.option("--cors", "cors_origins", multiple=True, metavar="ORIGIN",
              help="Let pages from ORIGIN call the API (repeatable). Default: none.")
@click.option("--max-body", default=10_000_000, show_default=True, metavar="BYTES",
              type=click.IntRange(min=1), help="Largest request body accepted.")
@click.option("--access-log/--no-access-log", default=True, show_default=True,
              help="Log one line per request on stderr.")
@index_option
def serve_command(host, port, workers, token, cors_origins, max_body, access_log,
                  index_path):
    """Serve the search page at / and the JSON API (/search, /openapi.json, ...).

    \b
    Example:
        vnsearch serve --index ./index --port 8080
    """
    from .server import ServerSettings, serve
    settings = ServerSettings(index_path=index_path, token=token,
                              cors_origins=tuple(cors_origins), max_body_bytes=max_body)
    serve(settings, host=host, port=port, workers=workers, access_log=access_log)


def _summary_json(results) -> dict:
    """The first line of ``search --json``: what the engine made of the query."""
    return {"query": results.query, "total": results.total, "offset": results.offset,
            "took_ms": round(results.took_ms, 1), "restored": results.restored,
            "corrected": results.corrected, "suggestion": results.suggestion,
            "facets": {name: [[value, count] for value, count in counts]
                       for name, counts in results.facets.items()}}


def _hit_json(hit, results) -> dict:
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


class _ProgressBar:
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


def _print_update(update) -> None:
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


def _announce_rebuild(plan) -> None:
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


def _interrupt(signum, frame):
    raise KeyboardInterrupt


def _finish(report) -> None:
    """Print the problems and the summary of an indexing run; set the exit status."""
    for problem in report.problems:
        kind = "warning" if type(problem).__name__ == "DocumentWarning" else "skipped"
        click.echo(f"{kind}: {problem}", err=True)
    click.echo(
        f"Indexed {_count(report.indexed, 'document')} ({report.added} added, {report.updated} "
        f"updated, {report.unchanged} unchanged, {report.removed} removed), skipped "
        f"{report.skipped}, in {report.seconds:.1f} s.", err=True)
    if report.skipped:
        sys.exit(EXIT_SKIPPED)


def _count(number: int, noun: str) -> str:
    """"1 document", "2 documents"."""
    return f"{number:,} {noun}{'' if number == 1 else 's'}"


def main():
    """Entry point of the console script and ``python -m vnsearch``."""
    cli(prog_name="vnsearch")
