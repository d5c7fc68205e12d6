"""The raw contract every source writes (DESIGN.md §2), and the `meta` row.

Column names and order match the original HEIMDALL Postgres tables, so a
`\\copy raw_x to 'raw_x.csv' csv header` export loads unchanged.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import duckdb

from warehouse.engine.db import SCHEMA_VERSION
from warehouse.errors import HeimdallError

# A source's part of a build: fills the raw tables and meta on the build's connection.
Loader = Callable[[duckdb.DuckDBPyConnection], None]

# table -> ((column, DuckDB type), ...); the first column is the primary key.
RAW_TABLES: dict[str, tuple[tuple[str, str], ...]] = {
    "raw_issues": (
        ("issue_id", "BIGINT"),
        ("issue_key", "VARCHAR"),
        ("project_key", "VARCHAR"),
        ("team", "VARCHAR"),
        ("issue_type", "VARCHAR"),
        ("priority", "VARCHAR"),
        ("created_at", "TIMESTAMPTZ"),
        ("resolved_at", "TIMESTAMPTZ"),
        ("assignee", "VARCHAR"),
        ("reporter", "VARCHAR"),
        ("estimate_points", "INTEGER"),
        ("summary", "VARCHAR"),
        ("resolution", "VARCHAR"),
        ("hierarchy_level", "INTEGER"),
        ("parent_issue_id", "BIGINT"),
        ("parent_key", "VARCHAR"),
        ("data_quality", "VARCHAR"),
        ("source_hash", "VARCHAR"),
    ),
    "raw_transitions": (
        ("transition_id", "BIGINT"),
        ("issue_id", "BIGINT"),
        ("from_status", "VARCHAR"),
        ("to_status", "VARCHAR"),
        ("changed_at", "TIMESTAMPTZ"),
        ("actor", "VARCHAR"),
        ("from_status_id", "VARCHAR"),
        ("to_status_id", "VARCHAR"),
        ("is_migration", "BOOLEAN"),
        ("source_hash", "VARCHAR"),
    ),
    "raw_sprints": (
        ("sprint_id", "BIGINT"),
        ("team", "VARCHAR"),
        ("sprint_name", "VARCHAR"),
        ("start_at", "TIMESTAMPTZ"),
        ("end_at", "TIMESTAMPTZ"),
        ("goal", "VARCHAR"),
        ("source_hash", "VARCHAR"),
    ),
    "raw_issue_sprint": (
        ("id", "BIGINT"),
        ("issue_id", "BIGINT"),
        ("sprint_id", "BIGINT"),
        ("added_at", "TIMESTAMPTZ"),
        ("removed_at", "TIMESTAMPTZ"),
        ("source_hash", "VARCHAR"),
    ),
    "raw_blockers": (
        ("blocker_id", "BIGINT"),
        ("issue_id", "BIGINT"),
        ("reason", "VARCHAR"),
        ("blocked_start", "TIMESTAMPTZ"),
        ("blocked_end", "TIMESTAMPTZ"),
        ("logged_at", "TIMESTAMPTZ"),
        ("source_hash", "VARCHAR"),
    ),
    "raw_statuses": (
        ("status_id", "VARCHAR"),
        ("status_name", "VARCHAR"),
        ("category", "VARCHAR"),
        ("source_hash", "VARCHAR"),
    ),
    "raw_board_columns": (
        ("id", "BIGINT"),
        ("board_id", "BIGINT"),
        ("column_index", "INTEGER"),
        ("column_name", "VARCHAR"),
        ("status_id", "VARCHAR"),
        ("source_hash", "VARCHAR"),
    ),
}

# Columns (and a table) beyond the original HEIMDALL contract: a source may leave them out,
# so an export of an original Postgres still loads. They carry what Jira itself knows:
# resolution (delivered or discarded), the issue hierarchy (-1 sub-task, 0 standard,
# 1+ epic), status ids and Jira's status categories, admin workflow migrations, and a note
# when the source could not give a complete history.
OPTIONAL_COLUMNS: dict[str, frozenset[str]] = {
    "raw_issues": frozenset({"resolution", "hierarchy_level", "parent_issue_id", "parent_key", "data_quality"}),
    "raw_transitions": frozenset({"from_status_id", "to_status_id", "is_migration"}),
}
OPTIONAL_TABLES = frozenset({"raw_sprints", "raw_issue_sprint", "raw_blockers", "raw_statuses", "raw_board_columns"})


def content_columns(table: str, optional: bool = True) -> list[str]:
    """The columns a source supplies (everything but the derived `source_hash`); with
    optional=False only those it must supply."""
    skip = {"source_hash"} | (set() if optional else OPTIONAL_COLUMNS.get(table, frozenset()))
    return [c for c, _ in RAW_TABLES[table] if c not in skip]


def insert_raw(con: duckdb.DuckDBPyConnection, table: str, relation: str, append: bool = False) -> None:
    """Create `table` (or with `append`, add to it) from a relation holding its content
    columns, casting to the contract types. A relation without `source_hash` gets one derived
    in DuckDB: a 64-bit hash of the content columns as 16 hex digits (for change detection, not
    security)."""
    given = {d[0] for d in con.execute(f"SELECT * FROM {relation} LIMIT 0").description}
    # the hash covers what the source gave, so adding an optional column changes no old hash
    columns = [c for c in content_columns(table) if c in given]
    casts = ", ".join(
        f"CAST({c if c in given else 'NULL'} AS {t}) AS {c}" for c, t in RAW_TABLES[table] if c != "source_hash"
    )
    derived = f"printf('%016x', hash({', '.join(columns)}))"
    source_hash = f"coalesce(CAST(source_hash AS VARCHAR), {derived})" if "source_hash" in given else derived
    rows = f"SELECT {casts}, {source_hash} AS source_hash FROM {relation}"
    if append:
        con.execute(f"INSERT INTO {table} {rows}")
        return
    con.execute(f"DROP TABLE IF EXISTS {table}")
    con.execute(f"CREATE TABLE {table} AS {rows}")


class ArrowStream:
    """Hands a polars frame to DuckDB through the Arrow C stream interface, which needs no
    pyarrow (DuckDB's own polars path imports it, costing 0.13 s of start-up)."""

    def __init__(self, frame):
        self._frame = frame

    def __arrow_c_stream__(self, requested_schema=None):
        return self._frame.__arrow_c_stream__(requested_schema)


def insert_frame(con: duckdb.DuckDBPyConnection, table: str, frame, append: bool = False) -> None:
    """Create raw `table` (or with `append`, add to it) from a polars frame holding its content
    columns."""
    name = f"_frame_{table}"
    con.register(name, ArrowStream(frame))
    try:
        insert_raw(con, table, name, append)
    finally:
        con.unregister(name)


def create_empty_raw(con: duckdb.DuckDBPyConnection, table: str) -> None:
    cols = ", ".join(f"{c} {t}" for c, t in RAW_TABLES[table])
    con.execute(f"DROP TABLE IF EXISTS {table}")
    con.execute(f"CREATE TABLE {table} ({cols})")


def ensure_raw_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Create, empty, every raw table a source did not write (the optional ones)."""
    present = {
        t
        for (t,) in con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database()"
        ).fetchall()
    }
    for table in RAW_TABLES:
        if table not in present:
            create_empty_raw(con, table)


def write_meta(
    con: duckdb.DuckDBPyConnection,
    *,
    source: str,
    as_of: datetime,
    seed: int | None = None,
    config: dict | None = None,
    workflow: str | None = None,
    skipped_rows: list[dict] | None = None,
    notes: list[str] | None = None,
) -> None:
    """(Re)write the single `meta` row. `built_at` is stamped by the build, not here."""
    if as_of.tzinfo is None:
        raise ValueError("as_of must be timezone-aware")
    skipped = skipped_rows or []
    con.execute("DROP TABLE IF EXISTS meta")
    con.execute(
        """
        CREATE TABLE meta (
            schema_version INTEGER, source VARCHAR, seed BIGINT, config JSON, workflow VARCHAR,
            built_at TIMESTAMPTZ, as_of TIMESTAMPTZ, skipped_rows INTEGER, skipped_detail JSON,
            notes JSON
        )
        """
    )
    con.execute(
        "INSERT INTO meta VALUES (?, ?, ?, ?, ?, NULL, ?, ?, ?, ?)",
        [
            SCHEMA_VERSION,
            source,
            seed,
            json.dumps(config, sort_keys=True) if config is not None else None,
            workflow,
            as_of.astimezone(UTC),
            len(skipped),
            json.dumps(skipped),
            json.dumps(notes or []),
        ],
    )


# A sprint's end is a plan, not an event: it may lie after as_of.
PLANNED = ("raw_sprints", "end_at")


# What an event's time may be. Before 1970 is a placeholder (0001-01-01), after tomorrow a typo
# (9999-12-31): either would stretch every daily spine over centuries. An issue's events may
# precede its creation by a day at most (clocks of the systems involved disagree).
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
TOLERANCE = timedelta(days=1)
PLANNED_AHEAD = timedelta(days=366)  # a sprint's planned end may lie this far after tomorrow
ISSUE_EVENTS = (("raw_transitions", "changed_at"), ("raw_blockers", "blocked_start"), ("raw_issue_sprint", "added_at"))


def latest_plausible() -> datetime:
    """The latest instant data may describe: now plus the tolerance. (Validation only: no
    metric ever reads the wall clock.)"""
    return datetime.now(UTC) + TOLERANCE


def check_as_of(as_of: datetime | None, first_created: datetime | None) -> None:
    """An as_of before the first issue was created describes no data: one clear error."""
    if as_of is not None and first_created is not None and first_created > as_of:
        raise HeimdallError(
            f"--as-of {as_of.astimezone(UTC):%Y-%m-%d %H:%M} UTC is before the first "
            f"issue was created ({first_created.astimezone(UTC):%Y-%m-%d %H:%M} UTC)"
        )


def latest_event(con: duckdb.DuckDBPyConnection) -> datetime | None:
    """The latest event in the raw tables: an import's default as_of."""
    parts = [
        f"SELECT max({c}) FROM {t}"
        for t, cols in RAW_TABLES.items()
        for c, k in cols
        if k == "TIMESTAMPTZ" and (t, c) != PLANNED
    ]
    return con.execute(f"SELECT max(m) FROM ({' UNION ALL '.join(parts)}) t(m)").fetchall()[0][0]
