"""The app's link to its warehouse file: read-only, shared by worker threads, reopenable.

DuckDB keeps one database instance per open path, so a reload must close the old
connection before it can see a file that a rebuild put in its place. A reload therefore
interrupts the queries still running, waits (briefly) for them to let go, closes, and opens
the file again. If that fails (file deleted, not built yet) the link stays closed: queries
fail with the reason, and the next reload tries again.
"""

from __future__ import annotations

import threading
from contextlib import contextmanager
from pathlib import Path

import duckdb

from warehouse.engine.db import open_warehouse, require_models
from warehouse.errors import HeimdallError

DRAIN_SECONDS = 5.0  # how long a reload waits for interrupted queries to let go


class Link:
    def __init__(self, db: Path):
        self.db = Path(db)
        self.generation = 0  # bumped by reopen: results from an older file are stale
        self._idle = threading.Condition()
        self._cursors: set = set()
        self.con: duckdb.DuckDBPyConnection | None = None
        self.failure = ""  # why the last reopen failed, while the link is closed
        self.con, self.meta = self._open()

    def _open(self):
        con, meta = open_warehouse(self.db)
        try:
            require_models(con, self.db)
        except Exception:
            con.close()
            raise
        return con, meta

    def reopen(self) -> None:
        """Open the file again (a rebuild replaced it). Raises HeimdallError when it cannot
        be read; the link is then closed until a later reopen succeeds."""
        with self._idle:
            self.generation += 1
            old, self.con = self.con, None
            for cursor in list(self._cursors):
                cursor.interrupt()
            if not self._idle.wait_for(lambda: not self._cursors, timeout=DRAIN_SECONDS):
                self.con = old
                raise HeimdallError("queries still running did not stop; try again in a moment")
        if old is not None:
            old.close()
        try:
            self.con, self.meta = self._open()
        except HeimdallError as exc:
            self.failure = str(exc)
            raise

    @contextmanager
    def cursor(self):
        """A cursor of the current connection for this thread, in UTC."""
        with self._idle:
            if self.con is None:
                raise HeimdallError(f"{self.db.name} is not open: {self.failure}")
            cursor = self.con.cursor()
            self._cursors.add(cursor)
        try:
            cursor.execute("SET TimeZone = 'UTC'")
            yield cursor
        finally:
            cursor.close()
            with self._idle:
                self._cursors.discard(cursor)
                self._idle.notify_all()

    def run(self, fn, *args):
        """Run a warehouse query function on a cursor of this thread."""
        with self.cursor() as cursor:
            return fn(cursor, *args)

    def close(self) -> None:
        with self._idle:
            con, self.con = self.con, None
            for cursor in list(self._cursors):
                cursor.interrupt()
        if con is not None:
            try:
                con.close()
            except duckdb.Error:
                pass  # a worker still reads it as the app exits; the process end releases it
