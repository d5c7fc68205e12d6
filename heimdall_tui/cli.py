"""The `heimdall-tui` command line (Typer).

Every user error surfaces as one line on stderr and exit code 2; a failed data test is
exit 1 (`check`, or a build that was refused).
"""

from __future__ import annotations

import json
import os
import sys
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from pathlib import Path

import typer

# Typer 0.2x vendors click; its usage errors are needed to print them as one line.
from typer._click.exceptions import ClickException

from warehouse.errors import BuildFailed, HeimdallError

app = typer.Typer(
    add_completion=False,
    no_args_is_help=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    help="Engineering delivery intelligence in the terminal: Jira-style event logs to flow metrics.",
)

DbOption = typer.Option(
    None,
    "--db",
    help="Warehouse file (default: $HEIMDALL_DB, else $XDG_DATA_HOME/heimdall/heimdall.duckdb).",
    dir_okay=False,
)
WorkflowOption = typer.Option(
    None, "--workflow", help="TOML file mapping raw status names to canonical states.", exists=False, dir_okay=False
)


def _target(ctx: typer.Context, db: Path | None) -> tuple[Path, bool]:
    """The warehouse path and whether the user named it (flag or $HEIMDALL_DB)."""
    from warehouse.engine.db import default_db_path

    chosen = db or (ctx.obj or {}).get("db")
    if chosen is not None:
        return Path(chosen).expanduser(), True
    return default_db_path(), bool(os.environ.get("HEIMDALL_DB"))


def _workflow_text(path: Path | None) -> str | None:
    if path is None:
        return None
    from warehouse.semantics.workflow import load_workflow

    return load_workflow(path)[1]


def _guard_overwrite(target: Path, force: bool) -> None:
    """Never replace a file that is not ours, nor imported data without --force."""
    from warehouse.engine.db import existing_meta

    if target.exists():
        try:
            meta = existing_meta(target)
        except HeimdallError as exc:
            raise HeimdallError(f"refusing to overwrite {target}: {exc}") from None
        if meta and meta["source"] != "generator" and not force:
            raise HeimdallError(f"{target} holds imported data ({meta['source']}); pass --force to replace it")


def _report_build(results, target: Path) -> None:
    warnings = [r for r in results if not r.passed]
    for r in warnings:
        typer.echo(f"warning: {r.test.name}: {r.failing} row(s) (see `heimdall-tui check --db {target}`)", err=True)
    typer.echo(
        f"built {target} ({len(results)} data tests passed" + (f", {len(warnings)} warning(s))" if warnings else ")"),
        err=True,
    )


def _print_results(results) -> None:
    passed = [r for r in results if r.passed]
    typer.echo(f"PASS  {len(passed)} data test(s)")
    for r in results:
        if r.passed:
            continue
        label = "FAIL" if r.test.severity == "error" else "WARN"
        typer.echo(f"{label}  {r.test.name}: {r.failing} row(s)")
        for row in r.sample:
            pairs = ", ".join(f"{c}={_fmt(v)}" for c, v in zip(r.columns, row) if v is not None)
            typer.echo(f"        {pairs[:200]}")


def _fmt(value) -> str:
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(value, float):
        return f"{value:.2f}"
    return str(value)


def _say(message: str) -> None:
    typer.echo(f"heimdall-tui: {message}", err=True)


@contextmanager
def _built(target: Path):
    """The warehouse at `target` read-only, with its models built (else one clear error), and its
    meta; closed on leaving."""
    from warehouse.engine.db import open_warehouse, require_models

    con, meta = open_warehouse(target)
    try:
        require_models(con, target)
        yield con, meta
    finally:
        con.close()


def _run_build(fn, target: Path, *args, **kwargs):
    """Run a build of `target` (generate_warehouse or materialise) as the warehouse's only writer,
    with a progress bar, stoppable by a signal."""
    from heimdall_tui.progress import progress_bar
    from heimdall_tui.signals import interruptible
    from warehouse.engine.writer import writer_lock

    with interruptible(), writer_lock(target, on_wait=_say), progress_bar() as progress:
        try:
            return fn(target, *args, progress=progress, **kwargs)
        except BuildFailed as exc:
            failed = exc
    _print_results(failed.results)
    typer.echo("error: data tests failed; the previous warehouse was left untouched", err=True)
    raise typer.Exit(1)


class Export(StrEnum):
    report = "report"


class Format(StrEnum):
    md = "md"
    json = "json"


class ForecastFormat(StrEnum):
    text = "text"
    json = "json"


@app.callback(invoke_without_command=True)
def main_callback(
    ctx: typer.Context,
    db: Path | None = DbOption,
    export: Export | None = typer.Option(
        None, "--export", help="Export instead of opening: 'report' (the weekly delivery report)."
    ),
    fmt: Format | None = typer.Option(None, "--format", help="Report format: md (default) or json."),
    out: Path | None = typer.Option(
        None, "--out", dir_okay=False, help="Write the report to this file (atomically) instead of stdout."
    ),
    week_ending: str | None = typer.Option(
        None,
        "--week-ending",
        metavar="YYYY-MM-DD",
        help="Report the week ending on this date (default: the week up to as_of).",
    ),
    team: str | None = typer.Option(None, "--team", help="Only this team."),
    project: str | None = typer.Option(None, "--project", help="Only this project."),
    issue_type: str | None = typer.Option(None, "--issue-type", help="Only this issue type."),
    thresholds: Path | None = typer.Option(
        None, "--thresholds", dir_okay=False, help="TOML file with a [risk] table overriding signal thresholds."
    ),
    version: bool = typer.Option(False, "--version", help="Print the version and exit."),
) -> None:
    """With no command: open the dashboards on the warehouse (the demo is generated on first
    use); piped, print its summary. With --export report: print the weekly delivery report."""
    ctx.obj = {"db": db}
    if version:
        from heimdall_tui import __version__

        typer.echo(f"heimdall-tui {__version__}")
        raise typer.Exit()
    report_options = {
        "--format": fmt,
        "--out": out,
        "--week-ending": week_ending,
        "--team": team,
        "--project": project,
        "--issue-type": issue_type,
        "--thresholds": thresholds,
    }
    given = [name for name, value in report_options.items() if value is not None]
    if ctx.invoked_subcommand is not None:
        if export or given:
            raise HeimdallError(
                f"{'--export' if export else given[0]} cannot be combined with a command "
                f"(drop `{ctx.invoked_subcommand}`)"
            )
        return
    if given and not export:
        raise HeimdallError(f"{given[0]} needs --export report")
    target = _ensure_warehouse(ctx)
    if export is Export.report:
        _export_report(target, fmt or Format.md, out, week_ending, team, project, issue_type, thresholds)
    elif sys.stdout.isatty() and sys.stdin.isatty():
        from heimdall_tui.app import HeimdallApp

        HeimdallApp(target).run()  # opening errors surface here, before the screen is taken
    else:
        _print_summary(target)  # piped: a plain summary for scripts


def _ensure_warehouse(ctx: typer.Context) -> Path:
    """The warehouse to read; only the default location is seeded with the demo."""
    target, explicit = _target(ctx, None)
    if not target.exists() and not explicit:
        from generator import config
        from generator.run import generate_warehouse

        typer.echo(f"First run: generating the demo warehouse at {target} ...", err=True)
        _run_build(generate_warehouse, target, config.resolve())
    return target


def _export_report(
    target: Path,
    fmt: Format,
    out: Path | None,
    week_ending: str | None,
    team: str | None,
    project: str | None,
    issue_type: str | None,
    thresholds: Path | None,
) -> None:
    from heimdall_tui.report import to_json, to_markdown, write_text_atomic
    from warehouse.metrics import Filters
    from warehouse.report import build_report
    from warehouse.risks import load_thresholds

    limits = load_thresholds(thresholds)
    with _built(target) as (con, _meta):
        report = build_report(con, week_ending, Filters(team, project, issue_type), limits)
    text = to_json(report) if fmt is Format.json else to_markdown(report)
    if out is None:
        typer.echo(text, nl=False)
    else:
        write_text_atomic(out, text)
        typer.echo(f"wrote {out}", err=True)


def _print_summary(target: Path) -> None:
    from warehouse import metrics

    with _built(target) as (con, meta):
        now = meta["as_of"].astimezone(UTC)
        end = metrics.period_end(con)  # as_of itself is inside "the last 7 days"
        week = (end - timedelta(days=7), end)
        states = metrics.issue_states(con)
        issues = sum(states.values())
        throughput = metrics.throughput(con, *week)
        dropped = metrics.discarded(con, *week)
        cycle = metrics.cycle_time_percentiles(con, *week)
        wip = metrics.current_wip(con)
    source = meta["source"] + (f" (seed {meta['seed']})" if meta["seed"] is not None else "")
    built = meta["built_at"].astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC") if meta["built_at"] else "-"
    hours = lambda v: "n/a" if v is None else f"{v:.1f} h"  # noqa: E731
    rows = [
        ("warehouse", str(target)),
        ("source", source),
        ("as of", f"{now:%Y-%m-%d %H:%M} UTC   (built {built})"),
        (
            "issues",
            f"{issues:,}: {states.get('done', 0):,} done, {wip['wip']:,} active, "
            f"{states.get('todo', 0):,} to do" + (f", {states['unknown']:,} unknown" if states.get("unknown") else ""),
        ),
        (
            "last 7 days",
            f"throughput {throughput} delivered ({dropped['discarded']} discarded), "
            f"cycle time P50 {hours(cycle['p50'])}, P85 {hours(cycle['p85'])}",
        ),
        ("current WIP", f"{wip['wip']:,} ({wip['blocked']:,} blocked)"),
    ]
    if meta.get("skipped_rows"):
        rows.append(("skipped rows", f"{meta['skipped_rows']} (listed in meta.skipped_detail)"))
    for label, value in rows:
        typer.echo(f"{label:<13}{value}")


@app.command()
def glossary() -> None:
    """Print the definition of every governed metric (from warehouse/metrics/)."""
    from warehouse.metrics import glossary as entries

    for name, definition in entries():
        typer.echo(f"{name}\n    {definition}\n")


@app.command()
def generate(
    ctx: typer.Context,
    issues: int | None = typer.Option(None, "--issues", min=1, help="Number of issues (default 1,200)."),
    seed: int | None = typer.Option(None, "--seed", min=0, help="Random seed (default 42)."),
    config_file: Path | None = typer.Option(
        None, "--config", dir_okay=False, help="TOML scenario overriding the defaults."
    ),
    workflow: Path | None = WorkflowOption,
    db: Path | None = DbOption,
    no_build: bool = typer.Option(False, "--no-build", help="Write the raw tables only; build later."),
    force: bool = typer.Option(False, "--force", help="Replace a warehouse that holds imported data."),
) -> None:
    """Generate the synthetic BIFROST raw tables and build the warehouse from them."""
    from generator import config
    from generator.run import generate_warehouse

    target, _ = _target(ctx, db)
    cfg = config.load(config_file, issues=issues, seed=seed)
    workflow_text = _workflow_text(workflow)
    _guard_overwrite(target, force)
    results = _run_build(generate_warehouse, target, cfg, workflow_text, build=not no_build)
    if no_build:
        typer.echo(f"wrote raw tables to {target} (run `heimdall-tui build` to build the models)", err=True)
    else:
        _report_build(results, target)


@app.command()
def build(ctx: typer.Context, db: Path | None = DbOption, workflow: Path | None = WorkflowOption) -> None:
    """Rebuild the models and rerun the data tests of an existing warehouse."""
    from warehouse.engine.pipeline import copy_sources, materialise

    target, _ = _target(ctx, db)
    load = copy_sources(target, _workflow_text(workflow))
    _report_build(_run_build(materialise, target, load), target)


@app.command()
def check(ctx: typer.Context, db: Path | None = DbOption) -> None:
    """Run the data tests against a warehouse; exit 1 when any fails."""
    from warehouse.engine.build import run_tests
    from warehouse.metrics import unmapped_statuses

    target, _ = _target(ctx, db)
    with _built(target) as (con, _meta):
        results = run_tests(con)
        unmapped = unmapped_statuses(con)
    _print_results(results)
    if unmapped:
        _print_workflow_stub(unmapped, target)
    if any(not r.passed and r.test.severity == "error" for r in results):
        raise typer.Exit(1)


@app.command()
def serve(
    ctx: typer.Context,
    db: Path | None = DbOption,
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on (default: this machine only)."),
    port: int = typer.Option(8000, "--port", help="Port to listen on."),
) -> None:
    """Serve the dashboards in a browser (one app per browser tab, the warehouse read-only).
    Reach it from elsewhere through `ssh -L 8000:localhost:8000 server`."""
    from heimdall_tui.web import check_port, is_loopback
    from heimdall_tui.web import serve as serve_app

    target, _ = _target(ctx, db)
    with _built(target):  # a missing or unreadable warehouse fails here, not in the browser
        pass
    check_port(host, port)
    if not is_loopback(host):
        _say(
            f"warning: serving on {host}:{port}: anyone who can reach this port can read {target.name} "
            "(there is no login); the default 127.0.0.1 with an SSH tunnel keeps it to you"
        )
    serve_app(target, host, port, echo=_say)


@app.command()
def forecast(
    ctx: typer.Context,
    days: int | None = typer.Option(None, "--days", help="How many items in the next D days (day 1 = as_of's)."),
    items: int | None = typer.Option(None, "--items", help="When will N items be done."),
    until: str | None = typer.Option(None, "--date", help="How many items by this date (YYYY-MM-DD)."),
    team: str | None = typer.Option(None, "--team", help="Only this team."),
    project: str | None = typer.Option(None, "--project", help="Only this project."),
    trials: int = typer.Option(10_000, "--trials", help="Monte Carlo trials."),
    seed: int = typer.Option(0, "--seed", help="Random seed: the same seed gives the same answer."),
    fmt: ForecastFormat = typer.Option(ForecastFormat.text, "--format", help="text (default) or json."),
    db: Path | None = DbOption,
) -> None:
    """Monte Carlo forecast from the last 84 days' daily throughput: how many in D days, or when N are done."""
    from heimdall_tui.report import forecast_lines
    from warehouse import metrics

    if days is None and items is None and until is None:
        raise HeimdallError("choose what to forecast: --days, --items or --date")
    if days is not None and until is not None:
        raise HeimdallError("give one of --days and --date, not both")
    target, _ = _target(ctx, db)
    with _built(target) as (con, _meta):
        filters = metrics.Filters(team, project)
        metrics.validate_filters(con, filters)
        if until is not None:
            days = _days_until(until, metrics.as_of(con))
        found = metrics.monte_carlo(con, filters, days, items, trials, seed).to_dict()
    if fmt is ForecastFormat.json:
        typer.echo(json.dumps(found, indent=2))
        return
    typer.echo(f"Forecast for {found['scope']}, as of {found['as_of']}")
    typer.echo("\n".join(forecast_lines(found)))


def _days_until(text: str, as_of: datetime) -> int:
    """Days from as_of's day (day 1) through the given date."""
    from datetime import date

    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise HeimdallError(f"--date {text!r} is not a date like 2026-03-31") from None
    first = as_of.astimezone(UTC).date()
    if day < first:
        raise HeimdallError(f"--date {day} is before the day of as_of ({first})")
    return (day - first).days + 1


def _print_workflow_stub(unmapped: list[tuple[str, str, int]], target: Path) -> None:
    """Each unmapped status with its issue count, then a workflow file to finish and pass to
    `build --workflow` (valid TOML as printed: the entries wait, commented, for a state)."""
    from warehouse.semantics.workflow import CANONICAL_STATES

    typer.echo(f"\nUNMAPPED  {len(unmapped)} status(es) map to no state (their time counts as neither work nor wait):")
    for team, name, issues in unmapped:
        typer.echo(f"        {team}: {name!r} ({issues:,} issue(s))")
    typer.echo(
        f"\n# workflow.toml: uncomment each line and give it a state ({', '.join(CANONICAL_STATES)}),\n"
        f"# then: heimdall-tui build --db {target} --workflow workflow.toml"
    )
    by_team: dict[str, list[tuple[str, int]]] = {}
    for team, name, issues in unmapped:
        by_team.setdefault(team, []).append((name, issues))
    for team, names in by_team.items():
        typer.echo(f"\n[teams.{json.dumps(team)}]")
        for name, issues in names:
            typer.echo(f'# {json.dumps(name)} = ""  # {issues:,} issue(s)')


def _parse_instant(text: str, option: str) -> datetime:
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise HeimdallError(
            f"{option} {text!r} is not a date or time like 2026-01-29 or 2026-01-29T12:00:00+01:00"
        ) from None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


@app.command()
def ingest(
    ctx: typer.Context,
    sources: list[Path] = typer.Argument(
        ...,
        help="A folder of raw_*.csv / raw_*.parquet (the raw contract), or Jira REST "
        "JSON: search pages, issues, NDJSON, the status list, board configurations, "
        "or folders of them.",
    ),
    db: Path | None = DbOption,
    skip_bad_rows: bool = typer.Option(
        False, "--skip-bad-rows", help="Load the good rows (or Jira records); count and list the bad ones in meta."
    ),
    as_of: str | None = typer.Option(
        None, "--as-of", help="The instant the data describes (default: its latest timestamp)."
    ),
    workflow: Path | None = WorkflowOption,
    team_field: str | None = typer.Option(
        None,
        "--team-field",
        help="Jira: the team is this field (components, labels or customfield_N); default the project.",
    ),
    points_field: str | None = typer.Option(
        None, "--points-field", help="Jira: the story points field (e.g. customfield_10016)."
    ),
    url: str | None = typer.Option(None, "--url", help="With SOURCE `jira`: fetch live from this Jira base URL."),
    jql: str | None = typer.Option(
        None, "--jql", help="With --url: which issues (ORDER BY created ASC is added when absent)."
    ),
    board: int | None = typer.Option(
        None, "--board", help="With --url: also save this agile board's column configuration."
    ),
    token_env: str = typer.Option("JIRA_API_TOKEN", "--token-env", help="Environment variable holding the API token."),
    user_env: str = typer.Option(
        "JIRA_USER",
        "--user-env",
        help="Environment variable holding the account email (basic auth); unset = bearer token.",
    ),
    force: bool = typer.Option(
        False, "--force", help="Replace a warehouse that holds imported data; accept an --as-of in the future."
    ),
) -> None:
    """Load exported data - the raw contract or Jira's own REST JSON - and build the warehouse."""
    from warehouse.engine.pipeline import materialise
    from warehouse.sources import Options, detect
    from warehouse.sources.contract import latest_plausible
    from warehouse.sources.files import BadRows
    from warehouse.sources.jira.parse import BadRecords, describe_record

    target, _ = _target(ctx, db)
    instant = _parse_instant(as_of, "--as-of") if as_of else None
    if instant is not None and instant > latest_plausible() and not force:
        raise HeimdallError(f"--as-of {as_of} is in the future (pass --force to use it anyway)")
    options = Options(
        as_of=instant,
        workflow=_workflow_text(workflow),
        skip_bad_rows=skip_bad_rows,
        team_field=team_field,
        points_field=points_field,
    )
    # `jira` with --url is the live source, even beside a folder that happens to be called jira
    if [str(s) for s in sources] == ["jira"] and (url or not Path("jira").exists()):
        sources = [_fetch_jira(target, url, jql, board, token_env, user_env, force)]
    elif url or jql or board is not None:
        raise HeimdallError(
            "--url, --jql and --board go with the source `jira`: heimdall-tui ingest jira --url URL --jql JQL"
        )
    load = detect(sources).loader(sources, options)
    _guard_overwrite(target, force)
    try:
        results = _run_build(materialise, target, load)
    except BadRows as exc:
        for file, line, reason in exc.rows[:20]:
            typer.echo(f"{sources[0] / file}:{line}: {reason}", err=True)
        if len(exc.rows) > 20:
            typer.echo(f"... and {len(exc.rows) - 20} more", err=True)
        raise
    except BadRecords as exc:
        for row in exc.rows[:20]:
            typer.echo(describe_record(row), err=True)
        if len(exc.rows) > 20:
            typer.echo(f"... and {len(exc.rows) - 20} more", err=True)
        raise
    _report_notes(target)
    _report_build(results, target)


def _report_notes(target: Path) -> None:
    """What the import decided on the user's behalf (duplicates, events after --as-of)."""
    from warehouse.engine.db import existing_meta

    meta = existing_meta(target) or {}
    for note in json.loads(meta.get("notes") or "[]"):
        typer.echo(f"note: {note}", err=True)
    if meta.get("skipped_rows"):
        typer.echo(f"note: {meta['skipped_rows']} bad record(s) skipped (listed in meta.skipped_detail)", err=True)


def _fetch_jira(
    target: Path,
    url: str | None,
    jql: str | None,
    board: int | None,
    token_env: str,
    user_env: str,
    force: bool,
) -> Path:
    """Fetch live into `<warehouse>.jira-pages/` beside the warehouse; returns that folder."""
    from heimdall_tui.progress import progress_bar
    from heimdall_tui.signals import interruptible
    from warehouse.engine.writer import ensure_writable_dir, writer_lock
    from warehouse.sources.jira.fetch import Client, check_url, credentials, fetch

    if not url or not jql:
        raise HeimdallError("ingest jira needs --url and --jql")
    check_url(url)
    _guard_overwrite(target, force)  # before the network: a refused import fetches nothing
    token, user = credentials(token_env, user_env)
    folder = target.with_name(f"{target.stem}.jira-pages")
    ensure_writable_dir(target)
    with interruptible(), writer_lock(target, on_wait=_say), progress_bar() as progress:
        count = fetch(Client(url, token, user, progress=progress), jql, folder, board, progress)
    typer.echo(f"fetched {count:,} issues into {folder}", err=True)
    return folder


def main() -> None:
    """Console entry point: one line and exit 2 for user errors, never a traceback."""
    from heimdall_tui.signals import Interrupted

    try:
        code = app(standalone_mode=False)
    except Interrupted as exc:
        typer.echo(f"heimdall-tui: interrupted ({exc}); the previous warehouse was left untouched", err=True)
        sys.exit(128 + exc.signum)
    except HeimdallError as exc:
        typer.echo(f"heimdall-tui: error: {exc}", err=True)
        sys.exit(2)
    except ClickException as exc:
        ctx = getattr(exc, "ctx", None)
        hint = f" (see `{ctx.command_path} --help`)" if ctx is not None else ""
        typer.echo(f"heimdall-tui: error: {exc.format_message()}{hint}", err=True)
        sys.exit(2)
    except typer.Abort:
        code = 130
    except OSError as exc:  # disk full, permissions changed mid-build: the old file is intact
        typer.echo(f"heimdall-tui: error: {exc.strerror or exc}", err=True)
        sys.exit(2)
    except Exception as exc:
        import duckdb

        if not isinstance(exc, duckdb.Error):
            raise
        typer.echo(f"heimdall-tui: error: database error: {str(exc).splitlines()[0]}", err=True)
        sys.exit(2)
    if code == 130:  # Typer turns Ctrl-C into exit code 130
        typer.echo("heimdall-tui: interrupted; the previous warehouse was left untouched", err=True)
    sys.exit(code if isinstance(code, int) else 0)
