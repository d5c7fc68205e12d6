"""When: the instant the warehouse describes and the periods every screen reports on."""

from __future__ import annotations

import threading
import weakref
from datetime import datetime, timedelta

import duckdb

from warehouse.semantics.calendar import window_from


def as_of(con: duckdb.DuckDBPyConnection) -> datetime:
    """As of: the instant the warehouse describes - the end of the generator's window, or the
    time of the export. Every "current" metric is evaluated at as_of."""
    return _meta(con)[0]


def period_end(con: duckdb.DuckDBPyConnection) -> datetime:
    """Period end: the exclusive end of every window that closes "now" - one microsecond
    (DuckDB's resolution) after as_of, so that an event at exactly as_of (an import's latest
    event) has happened by as_of and is counted in the current week, in "all time" and in
    the state at as_of alike."""
    return as_of(con) + timedelta(microseconds=1)


def data_start(con: duckdb.DuckDBPyConnection) -> datetime | None:
    """Data start: the first instant with data, the earliest issue creation."""
    return con.execute("SELECT min(created_at) FROM fct_issue_lifecycle").fetchall()[0][0]


def reporting_window(con: duckdb.DuckDBPyConnection, weeks: int | None) -> tuple[datetime, datetime]:
    """Reporting window: "the last N weeks" on every screen is [start, period end), where
    start is the Monday (00:00 UTC) of the week that holds as_of minus N weeks, or the data
    start if later; weekly charts show those Monday-based weeks, the last one partial (it
    runs to as_of). `weeks=None` is all time: from the data start."""
    end = period_end(con)
    return window_from(end, data_start(con) or end, weeks)


def built_at(con: duckdb.DuckDBPyConnection) -> datetime | None:
    """Built at: when the warehouse's models were last built (provenance: it tells one build
    from the next; no metric depends on it)."""
    return _meta(con)[1]


# A finished build's as_of and built_at, per connection: a screen asks for them dozens of times
# (each query waits its turn on a connection the other workers are using), and they never change
# under a connection - a rebuild is a new file, which a connection opened before never sees.
_META: weakref.WeakKeyDictionary[duckdb.DuckDBPyConnection, tuple[datetime, datetime]] = weakref.WeakKeyDictionary()
_META_LOCK = threading.Lock()


def _meta(con: duckdb.DuckDBPyConnection) -> tuple[datetime, datetime | None]:
    with _META_LOCK:
        known = _META.get(con)
    if known is not None:
        return known
    found_as_of, found_built_at = con.execute("SELECT as_of, built_at FROM meta").fetchall()[0]
    if found_built_at is not None:  # during a build meta may still change
        with _META_LOCK:
            _META[con] = (found_as_of, found_built_at)
    return found_as_of, found_built_at
