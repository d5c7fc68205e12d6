"""Work in progress: what is active at an instant, for how long, and how risky it is."""

from __future__ import annotations

from datetime import datetime, timedelta

import duckdb
import polars as pl

from warehouse.metrics.filters import NO_FILTERS, Filters, frame
from warehouse.metrics.flow import team_sle
from warehouse.metrics.window import as_of, period_end
from warehouse.semantics.rules import (
    ACTIVE,
    active_at,
    blocker_open_at,
    holds_at,
    overlaps,
    within,
)


def wip_at(con: duckdb.DuckDBPyConnection, instant: datetime, filters: Filters = NO_FILTERS) -> int:
    """WIP at an instant t: flow items whose state at t is active (in progress, review or
    blocked). A status change at exactly t is already in effect."""
    days = _days_back(con, instant)
    if days is not None:
        cond, params = filters.where(flow_items=False)  # the mart holds flow items only
        return con.execute(
            f"SELECT coalesce(sum(entries) - sum(exits), 0) FROM mart_wip_days WHERE days_back >= $d AND {cond}",
            {"d": days, **params},
        ).fetchall()[0][0]
    cond, params = filters.where_periods()
    return con.execute(
        f"SELECT count(*) FROM {filters.periods()} WHERE {active_at('$t')} AND {cond}", {"t": instant, **params}
    ).fetchall()[0][0]


def average_wip(con: duckdb.DuckDBPyConnection, start: datetime, end: datetime, filters: Filters = NO_FILTERS) -> float:
    """Average WIP: over [start, end), the time-weighted mean number of active flow items, i.e. the
    total time issues spent in active states inside the period divided by its length. This
    is the L of Little's law (L = throughput rate x mean cycle time)."""
    first, last = _days_back(con, start), _days_back(con, end)
    if first is not None and last is not None:
        cond, params = filters.where(flow_items=False)
        seconds = con.execute(
            f"""
            WITH days AS (
                SELECT days_back, sum(entries) - sum(exits) AS change, sum(net_seconds) AS net_seconds
                FROM mart_wip_days WHERE {cond} GROUP BY days_back
            ),
            spine AS (  -- every day of the period, those without a change too
                SELECT CAST(d AS INTEGER) AS days_back FROM range($last, $first) r(d)
            ),
            filled AS (
                SELECT s.days_back, coalesce(d.change, 0) AS change, coalesce(d.net_seconds, 0) AS net_seconds,
                       -- WIP at the day's start: every change of the days before it
                       (SELECT coalesce(sum(change), 0) FROM days WHERE days_back >= $first)
                       + coalesce(sum(coalesce(d.change, 0)) OVER (ORDER BY s.days_back DESC
                                  ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS wip
                FROM spine s LEFT JOIN days d USING (days_back)
            )
            SELECT sum(wip * 86400 + net_seconds) FROM filled""",
            {"first": first, "last": last, **params},
        ).fetchall()[0][0]
        return (seconds or 0.0) / (end - start).total_seconds()
    cond, params = filters.where_periods()
    seconds = con.execute(
        f"""
        SELECT sum(epoch(least(coalesce(p.exited_at, $end), $end)) - epoch(greatest(p.entered_at, $start)))
        FROM {filters.periods()}
        WHERE p.canonical_status IN {ACTIVE} AND {overlaps("p.entered_at", "p.exited_at")} AND {cond}""",
        {"start": start, "end": end, **params},
    ).fetchall()[0][0]
    return (seconds or 0.0) / (end - start).total_seconds()


def _days_back(con: duckdb.DuckDBPyConnection, instant: datetime) -> int | None:
    """d when `instant` is the period end minus d whole days (d >= 0), where mart_wip_days
    answers; None otherwise."""
    back = period_end(con) - instant
    if back < timedelta(0) or back % timedelta(days=1):
        return None
    return back // timedelta(days=1)


def current_wip(con: duckdb.DuckDBPyConnection, filters: Filters = NO_FILTERS) -> dict[str, int]:
    """Current WIP: WIP at as_of, with how many of those items are operationally blocked
    (in the blocked status, or active with a blocker window open at as_of)."""
    cond, params = filters.where()
    total, blocked = con.execute(
        f"SELECT count(*), count(*) FILTER (WHERE operational_state = 'blocked') "
        f"FROM fct_wip_current WHERE canonical_status IN {ACTIVE} AND {cond}",
        params,
    ).fetchall()[0]
    return {"wip": total, "blocked": blocked}


def open_work(
    con: duckdb.DuckDBPyConnection, filters: Filters = NO_FILTERS, at: datetime | None = None
) -> dict[str, int]:
    """Open work: at an instant t (as_of unless given), the flow items that exist and are not
    done - `todo` (the backlog: created, not started or sent back) and `active` (the WIP)."""
    at = at or as_of(con)
    count = "count(*) FILTER (WHERE {state} = 'todo'), count(*) FILTER (WHERE {state} IN {active})"
    if _current(con, at):
        cond, params = filters.where()
        query = f"SELECT {count.format(state='canonical_status', active=ACTIVE)} FROM fct_wip_current WHERE {cond}"
    else:
        cond, params = filters.where_periods()
        query = f"""
            SELECT {count.format(state="p.canonical_status", active=ACTIVE)} FROM {filters.periods()}
            WHERE {holds_at("p.entered_at", "p.exited_at", "$t")} AND {cond}"""
        params = {"t": at, **params}
    todo, active = con.execute(query, params).fetchall()[0]
    return {"todo": todo, "active": active}


def _current(con: duckdb.DuckDBPyConnection, at: datetime) -> bool:
    """Whether `at` is as_of or later (to the period end): nothing happens after as_of, so the
    state then is every issue's state at as_of, which fct_wip_current holds."""
    return as_of(con) <= at <= period_end(con)


def issue_states(con: duckdb.DuckDBPyConnection, filters: Filters = NO_FILTERS) -> dict[str, int]:
    """Issue states: every flow item counted by its operational state at as_of (todo,
    in_progress, blocked, done, unknown)."""
    cond, params = filters.where()
    return dict(
        con.execute(
            f"SELECT operational_state, count(*) FROM fct_wip_current WHERE {cond} GROUP BY 1", params
        ).fetchall()
    )


def work_item_age(
    con: duckdb.DuckDBPyConnection, filters: Filters = NO_FILTERS, at: datetime | None = None, limit: int | None = None
) -> pl.DataFrame:
    """Work item age: at an instant t (as_of unless given), t - cycle start in hours for
    every flow item active at t, oldest first, with its state and raw status at t, the hours
    since its last status change, and whether it is blocked at t (blocked status, or a
    blocker window open at t)."""
    relation, params = _aged(con, filters, at)
    return frame(
        con,
        f"SELECT * FROM ({relation}) ORDER BY age_hours DESC, issue_id {f'LIMIT {int(limit)}' if limit else ''}",
        params,
    )


def work_item_age_counts(
    con: duckdb.DuckDBPyConnection, stale_hours: float, filters: Filters = NO_FILTERS, at: datetime | None = None
) -> dict[str, int]:
    """Work item age counts: at an instant t (as_of unless given), of work_item_age's items,
    `active` (all of them), `blocked` (blocked at t) and `stale` (no status change for
    stale_hours or more), without listing them."""
    relation, params = _aged(con, filters, at)
    active, blocked, stale = con.execute(
        f"""SELECT count(*), count(*) FILTER (WHERE is_blocked), count(*) FILTER (WHERE time_in_status_hours >= $stale)
            FROM ({relation})""",
        {**params, "stale": stale_hours},
    ).fetchall()[0]
    return {"active": active, "blocked": blocked, "stale": stale}


# The columns of work_item_age, over a relation `w` holding the state at $at.
_AGE_COLUMNS = """
    w.issue_id, w.issue_key, w.team, w.project_key, w.issue_type, w.priority, w.assignee,
    w.canonical_status, w.raw_status, {blocked} AS is_blocked, w.first_in_progress_at,
    (epoch($at) - epoch(w.first_in_progress_at)) / 3600.0 AS age_hours,
    (epoch($at) - epoch({entered})) / 3600.0 AS time_in_status_hours"""


def _aged(con: duckdb.DuckDBPyConnection, filters: Filters, at: datetime | None) -> tuple[str, dict]:
    """The items active at `at` with work_item_age's columns, as SQL and its parameters: from the
    current state at as_of (up to the period end), else from the history."""
    at = at or as_of(con)
    return (_age_now if _current(con, at) else _age_then)(filters, at)


def _age_now(filters: Filters, at: datetime) -> tuple[str, dict]:
    cond, params = filters.where("w")
    columns = _AGE_COLUMNS.format(blocked="w.operational_state = 'blocked'", entered="w.last_status_change_at")
    return (
        f"SELECT {columns} FROM fct_wip_current w WHERE w.canonical_status IN {ACTIVE} AND {cond}",
        {"at": at, **params},
    )


def _age_then(filters: Filters, at: datetime) -> tuple[str, dict]:
    cond, params = filters.where("l")
    columns = _AGE_COLUMNS.format(
        blocked="w.canonical_status = 'blocked' OR o.issue_id IS NOT NULL", entered="w.entered_at"
    )
    return (
        f"""
        WITH open_blockers AS (SELECT DISTINCT issue_id FROM stg_blockers WHERE {blocker_open_at("$at")}),
        w AS (
            SELECT l.issue_id, l.issue_key, l.team, l.project_key, l.issue_type, l.priority, l.assignee,
                   p.canonical_status, p.raw_status, l.first_in_progress_at, p.entered_at
            FROM fct_status_periods p JOIN fct_issue_lifecycle l USING (issue_id)
            WHERE {active_at("$at")} AND {cond}
        )
        SELECT {columns} FROM w LEFT JOIN open_blockers o USING (issue_id)""",
        {"at": at, **params},
    )


def daily_states(
    con: duckdb.DuckDBPyConnection, start: datetime, end: datetime, filters: Filters = NO_FILTERS
) -> pl.DataFrame:
    """Daily states: for each UTC day in [start, end), the number of flow items in each
    canonical state at the end of the day (the as_of instant on its last day), done items of
    all time included. Summing the active states gives the WIP run chart; the cumulative flow
    diagram by stage is `cumulative_flow`."""
    cond, params = filters.where(flow_items=False)  # the daily counts hold flow items only
    return frame(
        con,
        f"""
        SELECT day, canonical_status, CAST(sum(issue_count) AS BIGINT) AS issues
        FROM fct_daily_state_counts
        WHERE {within("day", "CAST($start AS DATE)", "CAST($end AS DATE) + 1")} AND {cond}
        GROUP BY ALL ORDER BY day, canonical_status""",
        {"start": start, "end": end, **params},
    )


def wip_breakdown(con: duckdb.DuckDBPyConnection, filters: Filters = NO_FILTERS) -> pl.DataFrame:
    """WIP breakdown: current WIP (at as_of) counted per team and canonical state."""
    cond, params = filters.where()
    return frame(
        con,
        f"""
        SELECT team, canonical_status, count(*) AS issues FROM fct_wip_current
        WHERE canonical_status IN {ACTIVE} AND {cond} GROUP BY ALL ORDER BY team, canonical_status""",
        params,
    )


TRIAGE_RULE = "risk = age / team SLE (P85) + 1 if blocked now + 0.5 x weeks in status + 0.5 x reopens"
TRIAGE_COLUMNS = (
    "issue_key",
    "team",
    "project_key",
    "canonical_status",
    "raw_status",
    "assignee",
    "age_days",
    "days_in_status",
    "blocked_hours",
    "risk",
    "marks",
)


def triage(
    con: duckdb.DuckDBPyConnection,
    filters: Filters = NO_FILTERS,
    state: str | None = None,
    order: str = "risk",
    descending: bool = True,
    limit: int = 100,
    offset: int = 0,
    sle_weeks: int = 12,
) -> tuple[pl.DataFrame, int]:
    """WIP triage risk: every flow item active at as_of, scored by the rule in TRIAGE_RULE (age
    against its team's SLE, blocked now, time in its current status, reopens), highest
    first. Returns one page of rows (sorted on any column) and the number of matching items."""
    if order not in TRIAGE_COLUMNS:
        raise ValueError(f"cannot sort triage by {order!r}")
    cond, params = filters.where("w")
    state_cond = "AND w.canonical_status = $state" if state else ""
    sle = team_sle(con, period_end(con), sle_weeks, filters)
    base = f"""
        WITH sle AS (SELECT unnest($sle_teams::VARCHAR[]) AS team, unnest($sle_hours::DOUBLE[]) AS hours),
        scored AS (
            SELECT w.issue_key, w.team, w.project_key, w.canonical_status, w.raw_status,
                   coalesce(w.assignee, 'unassigned') AS assignee,
                   round(w.age_hours / 24, 1) AS age_days,
                   round(w.time_in_current_status_hours / 24, 1) AS days_in_status,
                   round(w.blocked_hours, 1) AS blocked_hours,
                   round(coalesce(w.age_hours / nullif(s.hours, 0), 0)
                         + CASE WHEN w.operational_state = 'blocked' THEN 1 ELSE 0 END
                         + 0.5 * w.time_in_current_status_hours / (7 * 24)
                         + 0.5 * w.reopen_count, 2) AS risk,
                   CAST(coalesce(w.age_hours > s.hours, false) AS INT)
                     + CAST(w.operational_state = 'blocked' AS INT) AS marks
            FROM fct_wip_current w LEFT JOIN sle s ON s.team = w.team
            WHERE w.canonical_status IN {ACTIVE} AND {cond} {state_cond}
        )"""
    named = {**params, **({"state": state} if state else {}), "sle_teams": list(sle), "sle_hours": list(sle.values())}
    total = con.execute(f"{base} SELECT count(*) FROM scored", named).fetchall()[0][0]
    page = frame(
        con,
        f"""{base}
        SELECT * FROM scored ORDER BY {order} {"DESC" if descending else "ASC"} NULLS LAST, issue_key
        LIMIT {int(limit)} OFFSET {int(offset)}""",
        named,
    )
    return page, total
