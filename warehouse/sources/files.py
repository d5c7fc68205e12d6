"""`heimdall-tui ingest DIR`: load raw_*.csv / raw_*.parquet files that follow the raw contract.

The optional columns and tables (`warehouse.sources.contract.OPTIONAL_COLUMNS`) may be absent, so an
export of an original HEIMDALL Postgres loads unchanged.

Every rule is checked in SQL over all rows at once. A row that breaks the contract is
reported with its file and line (CSV: the physical line, header = line 1; Parquet: the
row number). Without `skip_bad_rows` any bad row aborts the load; with it, bad rows are
left out and listed in `meta`. Rows that depend on a left-out row (a transition of a
rejected issue) are reported and left out too, never silently dropped.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb

from warehouse.errors import HeimdallError
from warehouse.sources import Options
from warehouse.sources.contract import (
    EARLIEST,
    ISSUE_EVENTS,
    PLANNED,
    PLANNED_AHEAD,
    RAW_TABLES,
    TOLERANCE,
    Loader,
    check_as_of,
    content_columns,
    create_empty_raw,
    insert_raw,
    latest_event,
    latest_plausible,
    write_meta,
)

REQUIRED_TABLES = ("raw_issues", "raw_transitions")
# Columns that must hold a value, beyond each table's key.
REQUIRED_VALUES = {
    "raw_issues": ("issue_key", "project_key", "team", "created_at"),
    "raw_transitions": ("issue_id", "to_status", "changed_at"),
    "raw_sprints": ("team", "start_at", "end_at"),
    "raw_issue_sprint": ("issue_id", "sprint_id", "added_at"),
    "raw_blockers": ("issue_id", "blocked_start"),
    "raw_statuses": ("status_name",),
    "raw_board_columns": ("board_id", "column_index", "column_name", "status_id"),
}
# Columns whose values must differ between rows, beyond each table's key.
UNIQUE_VALUES = {"raw_issues": ("issue_key",)}
# (table, column) -> (parent table, parent key) for rows that must point at a loaded row.
REFERENCES = {
    ("raw_transitions", "issue_id"): ("raw_issues", "issue_id"),
    ("raw_issue_sprint", "issue_id"): ("raw_issues", "issue_id"),
    ("raw_issue_sprint", "sprint_id"): ("raw_sprints", "sprint_id"),
    ("raw_blockers", "issue_id"): ("raw_issues", "issue_id"),
}


class BadRows(HeimdallError):
    """Rows breaking the contract; `rows` are (file, line, reason) in file order."""

    def __init__(self, rows: list[tuple[str, int, str]]):
        self.rows = rows
        super().__init__(
            f"{len(rows)} row(s) break the raw contract; nothing was changed "
            f"(fix them, or pass --skip-bad-rows to load the rest and list them in meta)"
        )


@dataclass(frozen=True)
class RawFile:
    table: str
    path: Path

    @property
    def line_offset(self) -> int:
        # _row 0 is CSV line 2 (after the header) and Parquet row 1
        return 2 if self.path.suffix == ".csv" else 1


def find_sources(directory: Path) -> list[RawFile]:
    directory = Path(directory)
    if not directory.is_dir():
        raise HeimdallError(f"{directory} is not a directory")
    sources = []
    for table in RAW_TABLES:
        found = [directory / f"{table}{ext}" for ext in (".csv", ".parquet") if (directory / f"{table}{ext}").is_file()]
        if len(found) > 1:
            raise HeimdallError(f"{directory} has both {found[0].name} and {found[1].name}; keep one")
        if found:
            sources.append(RawFile(table, found[0]))
        elif table in REQUIRED_TABLES:
            raise HeimdallError(f"{directory} has no {table}.csv or {table}.parquet")
    return sources


def _quote(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def _read(con: duckdb.DuckDBPyConnection, source: RawFile) -> tuple[str, set[str]]:
    """Load one file as all-text columns into a scratch table; returns its name and columns."""
    scratch = f"_in_{source.table}"
    # _row is the row's position in the file (rowid is not one inside a transaction); the
    # CSV scan keeps file order, as insertion order is preserved.
    if source.path.suffix == ".csv":
        select = (
            f"row_number() OVER () - 1 AS _row, CAST(COLUMNS(*) AS VARCHAR) "
            f"FROM read_csv({_quote(source.path)}, header = true, all_varchar = true)"
        )
    else:
        select = (
            f"file_row_number AS _row, CAST(COLUMNS(* EXCLUDE (file_row_number)) AS VARCHAR) "
            f"FROM read_parquet({_quote(source.path)}, file_row_number = true)"
        )
    try:
        con.execute(f"CREATE TEMP TABLE {scratch} AS SELECT {select}")
    except duckdb.Error as exc:
        raise HeimdallError(f"cannot read {source.path.name}: {str(exc).splitlines()[0]}") from None
    present = {r[0] for r in con.execute(f"DESCRIBE {scratch}").fetchall()}
    for column in content_columns(source.table, optional=False):
        if column not in present:
            raise HeimdallError(f"{source.path.name}: missing column '{column}'")
    return scratch, present


def _rules(source: RawFile, scratch: str, present: set[str], as_of: datetime | None) -> list[str]:
    """SELECT statements yielding (_row, reason) for each way a row can break the contract."""
    table = source.table
    key = RAW_TABLES[table][0][0]
    rules = [
        f"SELECT _row, 'missing {key}' FROM {scratch} WHERE nullif(trim({key}), '') IS NULL",
        f"SELECT _row, 'duplicate {key} ' || trim({key}) FROM {scratch} "
        f"QUALIFY nullif(trim({key}), '') IS NOT NULL "
        f"AND row_number() OVER (PARTITION BY trim({key}) ORDER BY _row) > 1",
    ]
    for column in REQUIRED_VALUES[table]:
        rules.append(f"SELECT _row, 'missing {column}' FROM {scratch} WHERE nullif(trim({column}), '') IS NULL")
    for column in UNIQUE_VALUES.get(table, ()):
        rules.append(
            f"SELECT _row, 'duplicate {column} ' || trim({column}) FROM {scratch} "
            f"QUALIFY nullif(trim({column}), '') IS NOT NULL "
            f"AND row_number() OVER (PARTITION BY trim({column}) ORDER BY _row) > 1"
        )
    for column, kind in RAW_TABLES[table]:
        if column == "source_hash" or column not in present:
            continue
        value = f"nullif(trim({column}), '')"
        if kind == "TIMESTAMPTZ":
            rules.append(
                f"SELECT _row, 'unparseable {column} ' || {column} FROM {scratch} "
                f"WHERE {value} IS NOT NULL AND try_cast({value} AS TIMESTAMPTZ) IS NULL"
            )
            typed = f"try_cast({value} AS TIMESTAMPTZ)"
            latest = latest_plausible() + (PLANNED_AHEAD if (table, column) == PLANNED else timedelta(0))
            rules.append(
                f"SELECT _row, '{column} ' || {column} || ' is before 1970' FROM {scratch} "
                f"WHERE {typed} < TIMESTAMPTZ '{EARLIEST.isoformat()}'"
            )
            rules.append(
                f"SELECT _row, '{column} ' || {column} || ' is in the future' FROM {scratch} "
                f"WHERE {typed} > TIMESTAMPTZ '{latest.isoformat()}'"
            )
            if as_of is not None and (table, column) != PLANNED:
                rules.append(
                    f"SELECT _row, '{column} ' || {column} || ' is after --as-of' FROM {scratch} "
                    f"WHERE {typed} > TIMESTAMPTZ '{as_of.isoformat()}'"
                )
        elif kind in ("BIGINT", "INTEGER", "BOOLEAN"):
            expected = "true or false" if kind == "BOOLEAN" else "an integer"
            rules.append(
                f"SELECT _row, '{column} ' || {column} || ' is not {expected}' FROM {scratch} "
                f"WHERE {value} IS NOT NULL AND try_cast({value} AS {kind}) IS NULL"
            )
    return rules


def _bad_rows(
    con, source: RawFile, scratch: str, present: set[str], as_of: datetime | None, loaded: dict[str, str]
) -> list[tuple[int, str]]:
    rules = _rules(source, scratch, present, as_of)
    for (table, column), (parent, parent_key) in REFERENCES.items():
        if table != source.table:
            continue
        parent_rel = loaded.get(parent)
        kind = parent.removeprefix("raw_").rstrip("s")
        if parent_rel is None:
            rules.append(
                f"SELECT _row, 'refers to {kind} ' || {column} || ', but no {parent} file was given' "
                f"FROM {scratch} WHERE nullif(trim({column}), '') IS NOT NULL"
            )
        else:
            event = next((c for t, c in ISSUE_EVENTS if t == table and parent == "raw_issues"), None)
            if event in present:
                rules.append(
                    f"SELECT _row, '{event} ' || s.{event} || ' is before its issue was created (' || "
                    f"CAST(p.created_at AS VARCHAR) || ')' FROM {scratch} s JOIN {parent_rel} p "
                    f"ON p.{parent_key} = try_cast(trim(s.{column}) AS BIGINT) "
                    f"WHERE try_cast(nullif(trim(s.{event}), '') AS TIMESTAMPTZ) "
                    f"< p.created_at - INTERVAL {TOLERANCE.days} DAY"
                )
            rules.append(
                f"SELECT _row, 'refers to unknown {kind} ' || {column} FROM {scratch} s "
                f"WHERE try_cast(trim({column}) AS BIGINT) IS NOT NULL AND NOT EXISTS "
                f"(SELECT 1 FROM {parent_rel} p WHERE p.{parent_key} = try_cast(trim(s.{column}) AS BIGINT))"
            )
    union = " UNION ALL ".join(f"({r})" for r in rules)
    return con.execute(
        f"SELECT _row + {source.line_offset} AS line, string_agg(reason, '; ') FROM ({union}) t(_row, reason) "
        f"GROUP BY _row ORDER BY _row"
    ).fetchall()


def _typed(source: RawFile, scratch: str, present: set[str], bad: str) -> str:
    """The good rows of a scratch table, typed; a given source_hash is kept."""
    casts = ", ".join(
        f"CAST(NULL AS {t}) AS {c}"
        if c not in present
        else c
        if t == "VARCHAR"
        else f"try_cast(nullif(trim({c}), '') AS {t}) AS {c}"
        for c, t in RAW_TABLES[source.table]
        if c != "source_hash"
    )
    hash_col = ", nullif(trim(source_hash), '') AS source_hash" if "source_hash" in present else ""
    return f"(SELECT {casts}{hash_col} FROM {scratch} WHERE _row NOT IN (SELECT _row FROM {bad}))"


class RawContractFiles:
    name = "raw contract"

    def recognises(self, paths: list[Path]) -> bool:
        """A single folder holding any raw_<table>.csv or .parquet (one without raw_issues is
        then told so, rather than searched for Jira JSON)."""
        return (
            len(paths) == 1
            and Path(paths[0]).is_dir()
            and any((Path(paths[0]) / f"{table}{ext}").exists() for table in RAW_TABLES for ext in (".csv", ".parquet"))
        )

    def loader(self, paths: list[Path], options: Options) -> Loader:
        return load_directory(
            paths[0], skip_bad_rows=options.skip_bad_rows, as_of=options.as_of, workflow=options.workflow
        )


def load_directory(
    directory: Path, *, skip_bad_rows: bool, as_of: datetime | None, workflow: str | None = None
) -> Loader:
    """Validate the files up front (so a bad directory fails before any file is touched)
    and return a loader for `warehouse.engine.pipeline.materialise`."""
    sources = find_sources(directory)
    if as_of is not None and as_of.tzinfo is None:
        as_of = as_of.replace(tzinfo=UTC)

    def load(con: duckdb.DuckDBPyConnection) -> None:
        loaded: dict[str, str] = {}
        skipped: list[dict] = []
        by_table = {s.table: s for s in sources}
        for table in RAW_TABLES:  # parents before children
            source = by_table.get(table)
            if source is None:
                create_empty_raw(con, table)
                loaded[table] = table
                continue
            scratch, present = _read(con, source)
            if table == "raw_issues":
                check_as_of(
                    as_of,
                    con.execute(
                        f"SELECT min(try_cast(nullif(trim(created_at), '') AS TIMESTAMPTZ)) FROM {scratch}"
                    ).fetchall()[0][0],
                )
            bad = _bad_rows(con, source, scratch, present, as_of, loaded)
            con.execute(f"CREATE TEMP TABLE _bad_{table} (_row BIGINT)")
            if bad:
                skipped.extend({"file": source.path.name, "line": line, "reason": reason} for line, reason in bad)
                con.executemany(
                    f"INSERT INTO _bad_{table} VALUES (?)", [(line - source.line_offset,) for line, _ in bad]
                )
            insert_raw(con, table, _typed(source, scratch, present, f"_bad_{table}"))
            loaded[table] = table
        if skipped and not skip_bad_rows:
            raise BadRows([(r["file"], r["line"], r["reason"]) for r in skipped])
        effective = as_of or latest_event(con)
        if effective is None:
            raise HeimdallError(f"{directory} holds no issues")
        write_meta(con, source="ingest", as_of=effective, workflow=workflow, skipped_rows=skipped)

    return load


SOURCE = RawContractFiles()
