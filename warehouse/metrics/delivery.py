"""The delivery figures of periods (semantics.delivery.STATS), from the delivery mart when the
build kept them for those periods, else from the facts: the same aggregates over the same
rows, so the two give one answer; the mart only spares a screen the scan of the history.
"""

from __future__ import annotations

import threading
from datetime import datetime
from typing import Any

import duckdb

from warehouse.metrics.filters import Filters
from warehouse.metrics.window import built_at
from warehouse.semantics.delivery import COUNTS, QUANTILES, STATS, done_in, stats_select

Stats = dict[str, Any]
Period = tuple[datetime, datetime]
NAMES = tuple(STATS)
PERIODS = "(SELECT unnest($starts::TIMESTAMPTZ[]) AS s, unnest($ends::TIMESTAMPTZ[]) AS e)"


def empty() -> Stats:
    """The figures of a period in which nothing was done."""
    return {name: 0 if name in COUNTS else None for name in NAMES}


def quantile(stats: Stats, column: str, p: float) -> float | None:
    """The p-quantile of cycle ('cycle') or lead ('lead') time among the figures."""
    values = stats[f"{column}_quantiles"]
    return None if values is None else values[QUANTILES.index(p)]


def period_stats(con: duckdb.DuckDBPyConnection, start: datetime, end: datetime, filters: Filters) -> Stats:
    """The figures of the flow items under `filters` done in [start, end)."""
    return stats(con, [(start, end)], filters).get((start, end, None), empty())


def team_stats(con: duckdb.DuckDBPyConnection, start: datetime, end: datetime, filters: Filters) -> dict[str, Stats]:
    """The figures per team (the teams with anything done in [start, end)) under `filters`."""
    found = stats(con, [(start, end)], filters, by_team=True)
    return {team: figures for (_, _, team), figures in sorted(found.items()) if team is not None}


def stats(
    con: duckdb.DuckDBPyConnection, periods: list[Period], filters: Filters, by_team: bool = False
) -> dict[tuple[datetime, datetime, str | None], Stats]:
    """The figures of each period (keyed by its start and end, and team when asked - None
    otherwise; a period or team with nothing done has no entry)."""
    kept = _from_mart(con, periods, filters, by_team)
    return kept if kept is not None else _from_facts(con, periods, filters, by_team)


def _from_mart(
    con: duckdb.DuckDBPyConnection, periods: list[Period], filters: Filters, by_team: bool
) -> dict[tuple[datetime, datetime, str | None], Stats] | None:
    """None when the mart cannot answer: a period the build did not keep, or filters on more
    than the one dimension a mart row describes."""
    pairs = filters._pairs()
    if by_team:
        if any(column != "team" for column, _ in pairs):
            return None
        dimension, value = "team", filters.team
    elif len(pairs) > 1:
        return None
    else:
        dimension, value = pairs[0] if pairs else ("all", None)
    windows, cells = _mart(con)
    if not windows.issuperset(periods):
        return None
    found = {}
    for start, end in periods:
        for name, figures in cells.get((start, end, dimension), {}).items():
            if value is None or name == value:
                found[(start, end, name if by_team else None)] = figures
    return found


# built_at -> (the periods kept, (start, end, dimension) -> value -> figures). The mart is a
# few hundred rows (periods x teams, projects and types): read once per build, each later
# question is a lookup, not a query.
_MARTS: dict[datetime, tuple[set[Period], dict[tuple[datetime, datetime, str], dict[str | None, Stats]]]] = {}
_MARTS_LOCK = threading.Lock()


def _mart(con: duckdb.DuckDBPyConnection):
    key = built_at(con)
    with _MARTS_LOCK:
        if key is not None and key in _MARTS:
            return _MARTS[key]
    windows = set(con.execute("SELECT window_start, window_end FROM mart_windows").fetchall())
    cells: dict[tuple[datetime, datetime, str], dict[str | None, Stats]] = {}
    rows = con.execute(f"SELECT window_start, window_end, dimension, value, {', '.join(NAMES)} FROM mart_delivery")
    for start, end, dimension, value, *figures in rows.fetchall():
        cells.setdefault((start, end, dimension), {})[value] = dict(zip(NAMES, figures))
    with _MARTS_LOCK:
        if len(_MARTS) > 8:
            _MARTS.clear()
        if key is not None:
            _MARTS[key] = (windows, cells)
    return windows, cells


def _from_facts(
    con: duckdb.DuckDBPyConnection, periods: list[Period], filters: Filters, by_team: bool
) -> dict[tuple[datetime, datetime, str | None], Stats]:
    cond, params = filters.where()
    rows = con.execute(
        f"""
        SELECT window_start, window_end, {"team" if by_team else "NULL"}, {stats_select()}
        FROM ({done_in(PERIODS, ("$lo", "$hi"))})
        WHERE {cond} GROUP BY ALL""",
        {
            "starts": [s for s, _ in periods],
            "ends": [e for _, e in periods],
            "lo": min(s for s, _ in periods),
            "hi": max(e for _, e in periods),
            **params,
        },
    ).fetchall()
    return {(row[0], row[1], row[2]): dict(zip(NAMES, row[3:])) for row in rows}
