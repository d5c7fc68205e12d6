"""Delivery: what finished in a period, how long it took and how much came back."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TypedDict

import duckdb
import polars as pl

from warehouse.metrics.delivery import empty, period_stats, quantile, stats, team_stats
from warehouse.metrics.filters import NO_FILTERS, Filters, frame, teams
from warehouse.semantics.calendar import monday_weeks
from warehouse.semantics.rules import within

PERCENTILES = (0.50, 0.75, 0.85, 0.95)
WITH_CYCLE_TIME = "cycle_time_hours IS NOT NULL"


class Percentiles(TypedDict):
    n: int
    p50: float | None
    p75: float | None
    p85: float | None
    p95: float | None


class Discards(TypedDict):
    done: int
    discarded: int
    rate_pct: float | None


class Rework(TypedDict):
    done: int
    reopened: int
    rate_pct: float | None


class CycleSummary(TypedDict):
    n: int
    mean_days: float | None
    log_spread: float | None


def throughput(con: duckdb.DuckDBPyConnection, start: datetime, end: datetime, filters: Filters = NO_FILTERS) -> int:
    """Throughput: the number of flow items delivered in [start, end): done_at in the period
    and not discarded by their resolution (Won't Do, Duplicate, ...). done_at is the last
    entry into done, counted only for issues still done at as_of (a reopened issue that is
    open again is not done). Flow items are standard issues: sub-tasks and epics are left
    out unless the workflow file includes them."""
    return period_stats(con, start, end, filters)["delivered"]


def discarded(
    con: duckdb.DuckDBPyConnection, start: datetime, end: datetime, filters: Filters = NO_FILTERS
) -> Discards:
    """Discard rate: of the flow items that reached done in [start, end), how many were
    discarded by their resolution (Won't Do, Won't Fix, Duplicate, Cannot Reproduce, Rejected,
    Out of Date, Obsolete, Invalid, Incomplete, Declined, or the workflow file's list) rather
    than delivered, as a count and a percentage of all done. None when nothing was done."""
    figures = period_stats(con, start, end, filters)
    done, dropped = figures["done"], figures["discarded"]
    return {"done": done, "discarded": dropped, "rate_pct": 100.0 * dropped / done if done else None}


def _percentiles(con, column: str, start: datetime, end: datetime, filters: Filters) -> Percentiles:
    figures = period_stats(con, start, end, filters)
    p50, p75, p85, p95 = (quantile(figures, column, p) for p in PERCENTILES)
    return {"n": figures[f"with_{column}"], "p50": p50, "p75": p75, "p85": p85, "p95": p95}


def cycle_time_percentiles(
    con: duckdb.DuckDBPyConnection, start: datetime, end: datetime, filters: Filters = NO_FILTERS
) -> Percentiles:
    """Cycle time: done_at - cycle start, in hours, for items delivered in [start, end); cycle
    start is the first entry into an active state (in progress, review or blocked), so work
    that skipped in progress still counts. Reported as continuous percentiles P50 (median),
    P75, P85, P95 with n, the number of issues; issues done without ever being active have
    no cycle time. None when nothing qualifies."""
    return _percentiles(con, "cycle", start, end, filters)


def lead_time_percentiles(
    con: duckdb.DuckDBPyConnection, start: datetime, end: datetime, filters: Filters = NO_FILTERS
) -> Percentiles:
    """Lead time: done_at - created_at, in hours, for items delivered in [start, end): what the
    requester waits, queue included. Continuous percentiles P50/P75/P85/P95 with n."""
    return _percentiles(con, "lead", start, end, filters)


def cycle_time_summary(
    con: duckdb.DuckDBPyConnection, start: datetime, end: datetime, filters: Filters = NO_FILTERS
) -> CycleSummary:
    """Cycle time summary: for items delivered in [start, end) with a cycle time, n, the mean
    cycle time in days (Little's law's W) and the sample standard deviation of the natural
    log of cycle time in hours (each under 0.1 h taken as 0.1 h), how widely cycle times
    spread; None where too few items."""
    figures = period_stats(con, start, end, filters)
    return {"n": figures["with_cycle"], "mean_days": figures["mean_cycle_days"], "log_spread": figures["log_spread"]}


def cycle_time_distribution(
    con: duckdb.DuckDBPyConnection, start: datetime, end: datetime, filters: Filters = NO_FILTERS
) -> pl.DataFrame:
    """Cycle time distribution: per team, over items delivered in [start, end), the P5, P25,
    P50, P75 and P95 cycle time in hours (a box plot's whiskers, box and median) and n."""
    box = (5, 25, 50, 75, 95)
    rows = [
        (team, figures["with_cycle"], *(quantile(figures, "cycle", p / 100) for p in box))
        for team, figures in team_stats(con, start, end, filters).items()
        if figures["with_cycle"]
    ]
    schema = {"team": pl.String, "n": pl.Int64, **{f"p{p}": pl.Float64 for p in box}}
    return pl.DataFrame(rows, schema=schema, orient="row")


def team_sle(
    con: duckdb.DuckDBPyConnection, end: datetime, weeks: int = 12, filters: Filters = NO_FILTERS
) -> dict[str, float]:
    """Service level expectation (SLE): per team, the cycle time (hours) within which its work
    is expected to finish - the workflow file's `[sle]` days for the team when it sets them,
    else the P85 cycle time of the items the team delivered in the `weeks` weeks before `end`
    (85% of its recent work took at most that long). An active item older than its team's SLE
    is past it."""
    computed = {
        team: quantile(figures, "cycle", 0.85)
        for team, figures in team_stats(con, end - timedelta(weeks=weeks), end, filters).items()
        if figures["with_cycle"]
    }
    cond, params = filters.where()
    configured = con.execute(
        f"SELECT team, days * 24 FROM dim_sle WHERE team IN (SELECT team FROM dim_scope WHERE {cond})",
        params,
    ).fetchall()
    return {**computed, **dict(configured)}


def sle_hit_rate(
    con: duckdb.DuckDBPyConnection, start: datetime, end: datetime, filters: Filters = NO_FILTERS, weeks: int = 12
) -> pl.DataFrame:
    """SLE hit rate: per team, of the items delivered in [start, end), the share (%) whose
    cycle time was within the team's SLE (see `team_sle`, as of `end`), with the SLE itself,
    its percentile target and where it comes from (the workflow file or the P85)."""
    sle = team_sle(con, end, weeks, filters)
    cond, params = filters.where("l")
    return frame(
        con,
        f"""
        WITH sle AS (SELECT unnest($teams::VARCHAR[]) AS team, unnest($hours::DOUBLE[]) AS sle_hours)
        SELECT l.team, s.sle_hours, coalesce(c.percentile, 85.0) AS target_pct,
               CASE WHEN c.team IS NULL THEN 'P85 of 12 weeks' ELSE 'workflow file' END AS source,
               count(*) AS delivered,
               count(*) FILTER (WHERE l.cycle_time_hours <= s.sle_hours) AS within,
               100.0 * count(*) FILTER (WHERE l.cycle_time_hours <= s.sle_hours) / count(*) AS hit_pct
        FROM fct_issue_lifecycle l JOIN sle s USING (team) LEFT JOIN dim_sle c USING (team)
        WHERE {within("l.delivered_at")} AND l.cycle_time_hours IS NOT NULL AND {cond}
        GROUP BY ALL ORDER BY l.team""",
        {"start": start, "end": end, "teams": list(sle), "hours": list(sle.values()), **params},
    )


def rework_rate(
    con: duckdb.DuckDBPyConnection, start: datetime, end: datetime, filters: Filters = NO_FILTERS
) -> Rework:
    """Rework rate: the share of items delivered in [start, end) that were ever reopened
    (moved out of done into a non-done state before their final done; an admin's workflow
    migration is not a reopen), as a percentage. None when nothing was delivered."""
    figures = period_stats(con, start, end, filters)
    done, reopened = figures["delivered"], figures["reopened"]
    return {"done": done, "reopened": reopened, "rate_pct": 100.0 * reopened / done if done else None}


def weekly_flow(
    con: duckdb.DuckDBPyConnection, start: datetime, end: datetime, filters: Filters = NO_FILTERS, by_team: bool = False
) -> pl.DataFrame:
    """Weekly flow: per Monday-based ISO week overlapping [start, end) (and per team when
    asked), throughput (items delivered that week) and the median and P85 cycle time of those
    items; weeks without work are zero-filled."""
    weeks = monday_weeks(start, end)
    found = stats(con, weeks, filters, by_team)
    names = teams(con, filters) if by_team else [None]
    rows = []
    for monday, sunday in weeks:
        for team in names:
            figures = found.get((monday, sunday, team), empty())
            cycle = [quantile(figures, "cycle", p) for p in (0.5, 0.85)]
            rows.append((monday.date(), *([team] if by_team else []), figures["delivered"], *cycle))
    schema = {
        "week_start": pl.Date,
        **({"team": pl.String} if by_team else {}),
        "throughput": pl.Int64,
        "median_cycle_time_hours": pl.Float64,
        "p85_cycle_time_hours": pl.Float64,
    }
    return pl.DataFrame(rows, schema=schema, orient="row")


def time_in_status(
    con: duckdb.DuckDBPyConnection, start: datetime, end: datetime, filters: Filters = NO_FILTERS
) -> pl.DataFrame:
    """Time in status: for items delivered in [start, end), the hours their cycles spent in each
    canonical state (from cycle start to done_at), summed, with each state's share. Flow
    efficiency is the in-progress share: the rest is waiting, reviewing or blocked."""
    cond, params = filters.where("l")
    return frame(
        con,
        f"""
        SELECT p.canonical_status, sum(p.hours) AS hours,
               100.0 * sum(p.hours) / sum(sum(p.hours)) OVER () AS share_pct
        FROM fct_status_periods p JOIN fct_issue_lifecycle l USING (issue_id)
        WHERE {within("l.delivered_at")} AND {within("p.entered_at", "l.first_in_progress_at", "l.done_at")}
          AND {cond}
        GROUP BY 1 ORDER BY hours DESC""",
        {"start": start, "end": end, **params},
    )
