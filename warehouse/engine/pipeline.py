"""Materialising a warehouse: load raw tables, build models, test, then swap in atomically."""

from __future__ import annotations

from pathlib import Path

import duckdb

from warehouse.engine.build import (
    Progress,
    TestResult,
    build_models,
    create_indexes,
    quiet,
    run_tests,
    stamp_built_at,
)
from warehouse.engine.db import SCHEMA_VERSION, open_warehouse
from warehouse.engine.registry import Model
from warehouse.engine.writer import atomic_target, build_connection
from warehouse.errors import BuildFailed
from warehouse.sources.contract import RAW_TABLES, Loader, insert_raw


def materialise(
    target: Path, load: Loader, progress: Progress = quiet, build: bool = True, models: list[Model] | None = None
) -> list[TestResult]:
    """Build a complete warehouse beside `target` and rename it over `target` only if every
    error-severity data test passes. Raises BuildFailed (with all results) otherwise.
    With build=False only the raw tables and meta are written (models come with `build`)."""
    results: list[TestResult] = []
    with atomic_target(target) as tmp:
        con = build_connection(tmp)
        try:
            # One transaction (ended and reopened only where a model is built on several
            # cursors): a commit per statement costs more than the work on small data.
            con.execute("BEGIN")
            load(con)
            if build:
                build_models(con, models, progress=progress)
                results = run_tests(con, models, progress=progress)
                if any(not r.passed and r.test.severity == "error" for r in results):
                    raise BuildFailed(results)
                stamp_built_at(con)
            progress("writing the warehouse", 0, 1)
            con.execute("COMMIT")
            if build:
                create_indexes(con, models)
            con.execute("CHECKPOINT")
        finally:
            con.close()
    return results


def copy_sources(source: Path, workflow: str | None = None) -> Loader:
    """A loader that takes the raw tables and meta of an existing warehouse (for `build`),
    optionally replacing the stored workflow map."""
    source = Path(source)
    con, _ = open_warehouse(source)  # validates it is a readable heimdall warehouse
    con.close()

    def load(con: duckdb.DuckDBPyConnection) -> None:
        escaped = str(source).replace("'", "''")
        con.execute(f"ATTACH '{escaped}' AS src (READ_ONLY)")
        try:
            present = {
                t
                for (t,) in con.execute("SELECT table_name FROM duckdb_tables() WHERE database_name = 'src'").fetchall()
            }
            # an older warehouse lacks the optional columns (they come as NULLs) and tables
            # (the build creates them empty)
            for table in RAW_TABLES:
                if table in present:
                    insert_raw(con, table, f"src.{table}")
            con.execute("CREATE TABLE meta AS SELECT * FROM src.meta")
        finally:
            con.execute("DETACH src")
        con.execute("ALTER TABLE meta ADD COLUMN IF NOT EXISTS notes JSON")
        con.execute("UPDATE meta SET schema_version = ?", [SCHEMA_VERSION])
        if workflow is not None:
            con.execute("UPDATE meta SET workflow = ?", [workflow])

    return load
