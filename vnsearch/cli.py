"""The ``vnsearch`` command: a thin layer over :class:`vnsearch.Index`.

Each command opens the index, calls one library method and prints the result
(shaped by :mod:`vnsearch.console`): results on stdout, progress and messages on
stderr. Library errors become one-line messages in one place (:class:`_Group`); no
traceback reaches the user. Heavy modules (Whoosh, the segmentation model) load
inside the commands, so ``vnsearch --help`` stays instant.

Exit status: 0 success, 1 error, 2 bad usage (a bad option, date or query), 3 finished
but some input was skipped, 130 interrupted. Messages are in English, like the library's
errors they pass on.
"""

import json
import signal
import sys

import click

from .console import (EXIT_SKIPPED, ProgressBar, announce_rebuild, color_wanted, count,
                      finish, hit_json, print_results, print_update, summary_json)
from .errors import QueryError, VnsearchError


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
    with ProgressBar("Indexing") as progress:
        report = index.add_paths(paths, prune=prune, progress=progress,
                                 follow_symlinks=follow_symlinks)
    finish(report)


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
        click.echo(json.dumps(summary_json(results), ensure_ascii=False))
        for hit in results:
            click.echo(json.dumps(hit_json(hit, results), ensure_ascii=False))
    else:
        color = color_wanted(color)
        click.get_current_context().color = color  # "always" colours a pipe too
        print_results(results, color)
    if not results:
        click.echo(f"No results for {query!r}.", err=True)


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
    click.echo(f"Deleted {count(report.removed, 'document')}.", err=True)
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
        watch(index, paths, on_update=print_update)
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
    with ProgressBar("Rebuilding") as progress:
        report = Index.rebuild(index_path, progress=progress, force=force,
                               announce=announce_rebuild)
    finish(report)


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


def _interrupt(signum, frame):
    raise KeyboardInterrupt


def main():
    """Entry point of the console script and ``python -m vnsearch``."""
    cli(prog_name="vnsearch")
