"""`heimdall-tui generate`: simulate the raw tables and materialise a warehouse from them."""

from __future__ import annotations

from pathlib import Path

import duckdb

from generator.simulate import stream
from warehouse.engine.build import Progress, TestResult, quiet
from warehouse.engine.pipeline import materialise
from warehouse.sources.contract import insert_frame, write_meta


def generate_warehouse(
    target: Path, cfg: dict, workflow: str | None = None, progress: Progress = quiet, build: bool = True
) -> list[TestResult]:
    def load(con: duckdb.DuckDBPyConnection) -> None:
        # the tables come in pieces, so memory holds one chunk of issues, not all of them
        as_of, pieces = stream(cfg)
        written: dict[str, int] = {}
        progress("simulating", 0, cfg["issues"])
        for table, frame in pieces:
            insert_frame(con, table, frame, append=table in written)
            # A transaction keeps what it wrote in memory until it commits (0.85 GB more at 2M
            # issues): commit each piece. The file is a temporary one until the build succeeds.
            con.execute("COMMIT")
            con.execute("BEGIN")
            written[table] = written.get(table, 0) + frame.height
            if table == "raw_issues":
                progress("simulating", written[table], cfg["issues"])
        write_meta(con, source="generator", as_of=as_of, seed=cfg["seed"], config=cfg, workflow=workflow)

    return materialise(target, load, progress, build)
