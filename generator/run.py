"""`heimdall-tui generate`: simulate the raw tables and materialise a warehouse from them."""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import TypeVar

import duckdb

from generator.simulate import stream
from warehouse.engine.build import Progress, TestResult, quiet
from warehouse.engine.pipeline import materialise
from warehouse.sources.contract import insert_frame, write_meta

T = TypeVar("T")

# Pieces the simulation may run ahead of the inserts: it works on one core (numpy) while DuckDB
# inserts the pieces before it on both (2M issues: 13.1 s -> 10.9 s), holding a few pieces more.
AHEAD = 2


def generate_warehouse(
    target: Path, cfg: dict, workflow: str | None = None, progress: Progress = quiet, build: bool = True
) -> list[TestResult]:
    def load(con: duckdb.DuckDBPyConnection) -> None:
        # the tables come in pieces, so memory holds one chunk of issues, not all of them
        as_of, pieces = stream(cfg)
        written: dict[str, int] = {}
        progress("simulating", 0, cfg["issues"])
        for table, frame in ahead(pieces, AHEAD):
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


def ahead(items: Iterator[T], depth: int) -> Iterator[T]:
    """`items`, made in a thread up to `depth` items ahead of the caller. An error making them is
    raised here; when the caller stops (an error, Ctrl-C), the thread stops after its item."""
    made: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()
    end = object()

    def offer(item) -> bool:
        while not stop.is_set():
            try:
                made.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def make() -> None:
        try:
            for item in items:
                if not offer(item):
                    return
        except BaseException as exc:  # handed to the caller, who raises it
            offer(exc)
            return
        offer(end)

    thread = threading.Thread(target=make, name="simulate", daemon=True)
    thread.start()
    try:
        while (item := made.get()) is not end:
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        thread.join()
