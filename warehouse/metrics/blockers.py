"""Blocked work: how much of the cycle waited on blockers, and why."""

from __future__ import annotations

from datetime import datetime
from typing import TypedDict

import duckdb
import polars as pl

from warehouse.metrics.delivery import period_stats
from warehouse.metrics.filters import NO_FILTERS, Filters, frame
from warehouse.semantics.rules import within


class BlockedShare(TypedDict):
    n: int
    blocked_hours: float
    cycle_hours: float
    share_pct: float | None


def blocked_time(
    con: duckdb.DuckDBPyConnection, start: datetime, end: datetime, filters: Filters = NO_FILTERS
) -> BlockedShare:
    """Blocked share: over items delivered in [start, end), the sum of blocked hours divided by
    the sum of cycle-time hours, as a percentage. Blocked hours are the union of blocker
    windows and blocked-status periods inside each issue's cycle, so overlaps count once
    and the share never exceeds 100%. None when no cycle time was completed."""
    figures = period_stats(con, start, end, filters)
    n, blocked, cycle = figures["with_cycle"], figures["blocked_hours"], figures["cycle_hours"]
    share = 100.0 * blocked / cycle if cycle else None
    return {"n": n, "blocked_hours": blocked or 0.0, "cycle_hours": cycle or 0.0, "share_pct": share}


def blocks_started(
    con: duckdb.DuckDBPyConnection, start: datetime, end: datetime, filters: Filters = NO_FILTERS
) -> int:
    """Blocks started: blocked episodes (merged blocker windows and blocked-status periods,
    inside the cycle) that began in [start, end)."""
    cond, params = filters.where()
    return con.execute(
        f"SELECT count(*) FROM fct_blocked_intervals WHERE {within('blocked_from')} AND {cond}",
        {"start": start, "end": end, **params},
    ).fetchall()[0][0]


def most_blocked(
    con: duckdb.DuckDBPyConnection, start: datetime, end: datetime, filters: Filters = NO_FILTERS, limit: int = 20
) -> pl.DataFrame:
    """Most blocked issues: issues done in [start, end) or still active at as_of, ranked by
    blocked hours (the union of blocked windows inside their cycle)."""
    cond, params = filters.where()
    return frame(
        con,
        f"""
        SELECT issue_id, issue_key, team, current_status, blocked_hours, cycle_time_hours, age_hours,
               blocker_count, late_logged_blockers
        FROM fct_issue_lifecycle
        WHERE blocked_hours > 0 AND (is_active OR ({within("done_at")})) AND {cond}
        ORDER BY blocked_hours DESC, issue_id LIMIT {int(limit)}""",
        {"start": start, "end": end, **params},
    )


def blocker_reasons(
    con: duckdb.DuckDBPyConnection, start: datetime, end: datetime, filters: Filters = NO_FILTERS
) -> pl.DataFrame:
    """Blocker reasons: blocker windows that started in [start, end), per reason: how many,
    how many are still open at as_of, and how many were logged late (over 24 h after they
    started)."""
    cond, params = filters.where("b")
    return frame(
        con,
        f"""
        SELECT b.reason, count(*) AS windows, count(*) FILTER (WHERE b.is_open) AS still_open,
               count(*) FILTER (WHERE b.is_late_logged) AS late_logged
        FROM stg_blockers b
        WHERE {within("b.blocked_start")} AND {cond}
        GROUP BY 1 ORDER BY windows DESC, reason""",
        {"start": start, "end": end, **params},
    )
