"""`heimdall-tui generate`: simulate the raw tables and materialise a warehouse from them."""

from __future__ import annotations

from pathlib import Path

import duckdb

from generator.simulate import simulate
from warehouse.engine.build import Progress, TestResult, quiet
from warehouse.engine.pipeline import materialise
from warehouse.sources.contract import insert_frame, write_meta


def generate_warehouse(
    target: Path, cfg: dict, workflow: str | None = None, progress: Progress = quiet, build: bool = True
) -> list[TestResult]:
    def load(con: duckdb.DuckDBPyConnection) -> None:
        progress("simulating", 0, 1)
        raw = simulate(cfg)
        for table, frame in raw.tables().items():
            progress(f"writing {table}", 0, 1)
            insert_frame(con, table, frame)
        write_meta(con, source="generator", as_of=raw.as_of, seed=cfg["seed"], config=cfg, workflow=workflow)

    return materialise(target, load, progress, build)
