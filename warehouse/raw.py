"""The raw contract every source writes (DESIGN.md §2), and the `meta` row.

Column names and order match the original HEIMDALL Postgres tables, so a
`\\copy raw_x to 'raw_x.csv' csv header` export loads unchanged.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone

import duckdb

from warehouse.db import SCHEMA_VERSION

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
        ("source_hash", "VARCHAR"),
    ),
    "raw_transitions": (
        ("transition_id", "BIGINT"),
        ("issue_id", "BIGINT"),
        ("from_status", "VARCHAR"),
        ("to_status", "VARCHAR"),
        ("changed_at", "TIMESTAMPTZ"),
        ("actor", "VARCHAR"),
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
}


def content_columns(table: str) -> list[str]:
    """The columns a source supplies (everything but the derived `source_hash`)."""
    return [c for c, _ in RAW_TABLES[table] if c != "source_hash"]


def insert_raw(con: duckdb.DuckDBPyConnection, table: str, relation: str) -> None:
    """Create `table` from a relation holding its content columns, casting to the contract
    types. A relation without `source_hash` gets one derived in DuckDB: a 64-bit hash of the
    content columns as 16 hex digits (for change detection, not security)."""
    columns = [c for c, _ in RAW_TABLES[table] if c != "source_hash"]
    casts = ", ".join(f"CAST({c} AS {t}) AS {c}" for c, t in RAW_TABLES[table] if c != "source_hash")
    given = con.execute(f"SELECT * FROM {relation} LIMIT 0").description
    derived = f"printf('%016x', hash({', '.join(columns)}))"
    source_hash = f"coalesce(CAST(source_hash AS VARCHAR), {derived})" if any(d[0] == "source_hash" for d in given) else derived
    con.execute(f"DROP TABLE IF EXISTS {table}")
    con.execute(f"CREATE TABLE {table} AS SELECT {casts}, {source_hash} AS source_hash FROM {relation}")


class ArrowStream:
    """Hands a polars frame to DuckDB through the Arrow C stream interface, which needs no
    pyarrow (DuckDB's own polars path imports it, costing 0.13 s of start-up)."""

    def __init__(self, frame):
        self._frame = frame

    def __arrow_c_stream__(self, requested_schema=None):
        return self._frame.__arrow_c_stream__(requested_schema)


def insert_frame(con: duckdb.DuckDBPyConnection, table: str, frame) -> None:
    """Create raw `table` from a polars frame holding its content columns."""
    name = f"_frame_{table}"
    con.register(name, ArrowStream(frame))
    try:
        insert_raw(con, table, name)
    finally:
        con.unregister(name)


def create_empty_raw(con: duckdb.DuckDBPyConnection, table: str) -> None:
    cols = ", ".join(f"{c} {t}" for c, t in RAW_TABLES[table])
    con.execute(f"DROP TABLE IF EXISTS {table}")
    con.execute(f"CREATE TABLE {table} ({cols})")


def write_meta(
    con: duckdb.DuckDBPyConnection,
    *,
    source: str,
    as_of: datetime,
    seed: int | None = None,
    config: dict | None = None,
    workflow: str | None = None,
    skipped_rows: list[dict] | None = None,
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
            built_at TIMESTAMPTZ, as_of TIMESTAMPTZ, skipped_rows INTEGER, skipped_detail JSON
        )
        """
    )
    con.execute(
        "INSERT INTO meta VALUES (?, ?, ?, ?, ?, NULL, ?, ?, ?)",
        [
            SCHEMA_VERSION,
            source,
            seed,
            json.dumps(config, sort_keys=True) if config is not None else None,
            workflow,
            as_of.astimezone(timezone.utc),
            len(skipped),
            json.dumps(skipped),
        ],
    )


# A sprint's end is a plan, not an event: it may lie after as_of.
PLANNED = ("raw_sprints", "end_at")


def latest_event(con: duckdb.DuckDBPyConnection) -> datetime | None:
    """The latest event in the raw tables: an import's default as_of."""
    parts = [f"SELECT max({c}) FROM {t}" for t, cols in RAW_TABLES.items() for c, k in cols
             if k == "TIMESTAMPTZ" and (t, c) != PLANNED]
    return con.execute(f"SELECT max(m) FROM ({' UNION ALL '.join(parts)}) t(m)").fetchall()[0][0]
