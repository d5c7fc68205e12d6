"""Flow analytics: the charts flow practitioners read - the cycle-time scatterplot, aging WIP by
stage, the throughput run chart, cumulative flow by stage - and time in stage, flow efficiency.
Stages are the workflow's board columns (`dim_stage`)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, TypedDict

import duckdb
import polars as pl

from warehouse.metrics.filters import NO_FILTERS, Filters, frame, issue_id, over_delivered
from warehouse.metrics.flow import WITH_CYCLE_TIME, team_sle
from warehouse.metrics.window import as_of, period_end
from warehouse.semantics.rules import ACTIVE, EFFICIENCY, within

if TYPE_CHECKING:  # numpy is imported where it is used: the first screen never needs it
    import numpy as np

SCATTER_LEVELS = (50, 70, 85, 95)
SCATTER_POINTS = 2_000  # a chart has a few thousand cells: more points only cost time


class Scatter(TypedDict):
    points: pl.DataFrame  # issue_key, team, done_at, cycle_days (a sample when there are more)
    delivered: int  # items with a cycle time delivered in the window (all of them)
    lines: dict[int, float | None]  # level -> cycle time in days


def _midnight(t: datetime) -> datetime:
    t = t.astimezone(UTC)
    return datetime(t.year, t.month, t.day, tzinfo=UTC)


def _days_before(end: datetime, latest: datetime | None) -> date | None:
    """For a daily mart: the first UTC day to leave out so that its days hold exactly what
    happened before `end` - `end`'s day when `end` is a midnight, the day after it when nothing
    happened at or after `end` (`latest`, the last instant the mart counts, is before it);
    None when `end` cuts a day short (the facts must answer)."""
    if end == _midnight(end):
        return end.astimezone(UTC).date()
    if latest is None or latest < end:
        return (_midnight(end) + timedelta(days=1)).date()
    return None


def daily_throughput(
    con: duckdb.DuckDBPyConnection, start: datetime, end: datetime, filters: Filters = NO_FILTERS
) -> tuple[datetime, np.ndarray]:
    """Daily throughput: items delivered (see `throughput`) on each UTC calendar day from the
    day of `start` to the day before `end` (the days `end` cuts short count to `end`), zero days
    included; returns the first day's midnight and the counts."""
    first = _midnight(start)
    days = max(0, (_midnight(end - timedelta(microseconds=1)) - first).days + 1)
    rows = over_delivered(
        con,
        "CAST(floor((epoch(delivered_at) - epoch($first)) / 86400) AS INTEGER) AS day, count(*)",
        start,
        end,
        filters,
        group_by="day",
        params={"first": first},
    )
    import numpy as np

    daily = np.zeros(days, dtype=np.int64)
    for day, count in rows:  # one row per day at most
        daily[day] = count
    return first, daily


def cycle_time_scatter(
    con: duckdb.DuckDBPyConnection,
    start: datetime,
    end: datetime,
    filters: Filters = NO_FILTERS,
    limit: int = SCATTER_POINTS,
) -> Scatter:
    """Cycle-time scatterplot: each item delivered in [start, end) at (done date, cycle time in
    days), with the 50/70/85/95th percentile cycle times of all of them; above `limit` items the
    points are a fixed pseudo-random sample (by issue id), the percentiles still from every item."""
    cond, params = filters.where()
    query = f"FROM fct_issue_lifecycle WHERE {within('delivered_at')} AND {WITH_CYCLE_TIME} AND {cond}"
    bound = {"start": start, "end": end, **params}
    n, levels = con.execute(
        f"SELECT count(*), quantile_cont(cycle_time_hours / 24, $levels) {query}",
        {**bound, "levels": [p / 100 for p in SCATTER_LEVELS]},
    ).fetchall()[0]
    # the sample is drawn by id, and only its rows are read in full (6.7M deliveries: 0.12 s -> 0.06 s)
    points = frame(
        con,
        f"""WITH sample AS (SELECT issue_id, hash(issue_id) AS h {query} ORDER BY h, issue_id LIMIT $limit)
            SELECT l.issue_key, l.team, l.delivered_at AS done_at, l.cycle_time_hours / 24 AS cycle_days
            FROM sample JOIN fct_issue_lifecycle l USING (issue_id)
            WHERE {within("l.delivered_at")} ORDER BY sample.h, sample.issue_id""",
        {**bound, "limit": int(limit)},
    ).sort("done_at")
    found = levels or [None] * len(SCATTER_LEVELS)
    return {"points": points, "delivered": n, "lines": dict(zip(SCATTER_LEVELS, found, strict=True))}


def slowest_delivered(
    con: duckdb.DuckDBPyConnection,
    start: datetime,
    end: datetime,
    over_days: float,
    filters: Filters = NO_FILTERS,
    limit: int | None = None,
) -> pl.DataFrame:
    """Slowest delivered items: those delivered in [start, end) whose cycle time exceeded
    `over_days` (the scatterplot's P85, say), slowest first (the first `limit`), each row with
    how many there are in all (`items`)."""
    cond, params = filters.where()
    slow = f"""FROM fct_issue_lifecycle
        WHERE {within("delivered_at")} AND {WITH_CYCLE_TIME} AND cycle_time_hours > $over * 24 AND {cond}"""
    # counted apart: a count over the rows would keep all of them (a million at 10M issues) for `limit`
    return frame(
        con,
        f"""SELECT issue_key, team, issue_type, delivered_at AS done_at, cycle_time_hours / 24 AS cycle_days,
                   blocked_hours / 24 AS blocked_days, reopen_count, (SELECT count(*) {slow}) AS items
            {slow}
            ORDER BY cycle_time_hours DESC, issue_key LIMIT $limit""",
        {"start": start, "end": end, "over": over_days, "limit": limit, **params},
    )


def stages(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """Stages: the workflow's board columns in order (stage_index, stage, is_wait, is_active,
    source - the workflow file, an imported Jira board, or the canonical states)."""
    return frame(con, "SELECT stage_index, stage, is_wait, is_active, source FROM dim_stage ORDER BY stage_index")


def aging_wip(
    con: duckdb.DuckDBPyConnection, filters: Filters = NO_FILTERS, sle_weeks: int = 12, per_stage: int | None = None
) -> pl.DataFrame:
    """Aging WIP: every flow item active at as_of with its stage, its age (as_of - cycle start)
    and time in its current stage in days, its team's SLE in days (see `team_sle`) and whether
    its age is past it; by stage, oldest first (the oldest `per_stage` of each stage), each row
    with the counts of all active items (`active_items`) and of those past their SLE."""
    now = as_of(con)
    sle = team_sle(con, period_end(con), sle_weeks, filters)
    cond, params = filters.where("w")
    # The oldest of a stage are at least as old as its per_stage-th oldest age: only they are
    # ranked, not every active item (546,000 at 10M issues: 0.26 s -> 0.03 s).
    oldest = (
        ""
        if per_stage is None
        else f"""SEMI JOIN (
                SELECT stage_index, CASE WHEN count(age_hours) >= {int(per_stage)}
                                         THEN list_min(max(age_hours, {int(per_stage)})) END AS threshold
                FROM active GROUP BY ALL
            ) o ON o.stage_index IS NOT DISTINCT FROM w.stage_index
                 AND (o.threshold IS NULL OR w.age_hours >= o.threshold)"""
    )
    return frame(
        con,
        f"""
        WITH sle AS (SELECT unnest($teams::VARCHAR[]) AS team, unnest($hours::DOUBLE[]) AS hours),
        active AS (
            SELECT w.*, sle.hours AS sle_hours, coalesce(w.age_hours >= sle.hours, false) AS past_sle
            FROM fct_wip_current w LEFT JOIN sle USING (team) WHERE w.canonical_status IN {ACTIVE} AND {cond}
        ),
        totals AS (SELECT count(*) AS active_items, sum(CAST(past_sle AS INTEGER)) AS past_sle_items FROM active)
        SELECT w.issue_key, w.team, coalesce(w.stage, '(no stage)') AS stage, w.stage_index,
               w.canonical_status, w.raw_status, w.operational_state = 'blocked' AS is_blocked,
               w.age_hours / 24 AS age_days,
               greatest(0, epoch($now) - epoch(coalesce(w.in_stage_since, w.last_status_change_at))) / 86400
                   AS days_in_stage,
               w.sle_hours / 24 AS sle_days, w.past_sle, t.active_items, t.past_sle_items
        FROM active w {oldest}, totals t
        QUALIFY $per_stage IS NULL
             OR row_number() OVER (PARTITION BY w.stage_index ORDER BY w.age_hours DESC, w.issue_key) <= $per_stage
        ORDER BY w.stage_index NULLS LAST, w.age_hours DESC, w.issue_key""",
        {"teams": list(sle), "hours": list(sle.values()), "now": now, "per_stage": per_stage, **params},
    )


def cumulative_flow(
    con: duckdb.DuckDBPyConnection, start: datetime, end: datetime, filters: Filters = NO_FILTERS
) -> pl.DataFrame:
    """Cumulative flow: at the end of each UTC day from the day of `start` to the last day
    before `end`, the number of flow items in each stage, where the done stages count only what
    reached them since `start`, so the chart starts at the window, not at the beginning of
    history (stacked in stage order, the bands are the CFD)."""
    first = _midnight(start)
    days = max(0, (_midnight(end - timedelta(microseconds=1)) - first).days + 1)
    # At a day's end the items in a stage are those that entered it by then minus those that
    # left: the moves are counted per stage and day (before the window: day -1), and a running
    # sum over the window's days turns them into the counts - no join of every period with
    # every day. The periods' moves come from the daily mart when the window's end leaves no
    # day cut short, else from the periods themselves.
    moves, params = _stage_moves_by_day(con, first, end, filters) or _stage_moves(end, filters)
    return frame(
        con,
        f"""
        WITH done_stages AS (
            SELECT stage_index FROM dim_stage
            WHERE NOT is_active AND stage_index > (SELECT coalesce(max(stage_index), -1) FROM dim_stage WHERE is_active)
        ),
        moves AS ({moves}),
        binned AS (
            SELECT stage, stage_index, CAST(greatest(day_no, -1) AS INTEGER) AS day_no, sum(delta) AS delta
            FROM moves GROUP BY ALL
        ),
        grid AS (
            SELECT s.stage, s.stage_index, CAST(d.range AS INTEGER) AS day_no
            FROM (SELECT DISTINCT stage, stage_index FROM binned) s CROSS JOIN range(-1, $days) d
        ),
        counted AS (
            SELECT g.stage, g.stage_index, g.day_no,
                   sum(coalesce(b.delta, 0)) OVER (PARTITION BY g.stage_index ORDER BY g.day_no) AS items
            FROM grid g LEFT JOIN binned b USING (stage_index, day_no)
        )
        SELECT CAST($first AS DATE) + day_no AS day, stage, stage_index, CAST(items AS BIGINT) AS items
        FROM counted WHERE day_no >= 0 AND items > 0
        ORDER BY day, stage_index""",
        {"first": first, "days": days, **params},
    )


def _stage_moves(end: datetime, filters: Filters) -> tuple[str, dict]:
    """(stage, stage_index, day_no, delta): the entries (+1) into and exits (-1) from stages
    before `end` by day from $first, from the periods; a done stage's only if entered from
    $first on. With its parameters."""
    cond, params = filters.where_periods()
    return (
        f"""
        WITH kept AS (
            SELECT p.stage, p.stage_index, p.entered_at, p.exited_at
            FROM {filters.periods()}
            WHERE p.stage IS NOT NULL AND p.entered_at < $end AND {cond}
              AND NOT (p.stage_index IN (SELECT stage_index FROM done_stages) AND p.entered_at < $first)
        )
        SELECT stage, stage_index, floor((epoch(entered_at) - epoch($first)) / 86400) AS day_no, 1 AS delta
        FROM kept
        UNION ALL
        SELECT stage, stage_index, floor((epoch(exited_at) - epoch($first)) / 86400), -1
        FROM kept WHERE exited_at < $end""",
        {**params, "end": end},
    )


def _stage_moves_by_day(
    con: duckdb.DuckDBPyConnection, first: datetime, end: datetime, filters: Filters
) -> tuple[str, dict] | None:
    """The same moves from mart_stage_days, when every move before `end` is in a whole day:
    `end` is a UTC midnight (the days before it), or no move is at or after it (all days)."""
    (latest,) = con.execute("SELECT max(last_moved_at) FROM mart_stage_days").fetchall()[0]
    last_day = _days_before(end, latest)
    if last_day is None:
        return None
    cond, params = filters.where(flow_items=False)  # the mart holds flow items only
    return (
        f"""
        WITH kept AS (
            SELECT stage, stage_index, entered_day, exited_day, periods FROM mart_stage_days
            WHERE entered_day < $last_day AND {cond}
              AND NOT (stage_index IN (SELECT stage_index FROM done_stages) AND entered_day < $first_day)
        )
        SELECT stage, stage_index, entered_day - $first_day AS day_no, periods AS delta FROM kept
        UNION ALL
        SELECT stage, stage_index, exited_day - $first_day, -periods FROM kept WHERE exited_day < $last_day""",
        {**params, "first_day": first.date(), "last_day": last_day},
    )


class Rates(TypedDict):
    days: float
    arrived: int  # items that passed the commitment point (cycle start) in the window
    departed: int  # items delivered in the window
    arrival_per_day: float
    departure_per_day: float


def arrival_departure(
    con: duckdb.DuckDBPyConnection, start: datetime, end: datetime, filters: Filters = NO_FILTERS
) -> Rates:
    """Arrival and departure rates: over [start, end), the items that passed the commitment
    point (their cycle started) and the items delivered, each per day; when arrivals outrun
    departures, WIP grows and cycle times follow."""
    cond, params = filters.where()
    arrived, departed = con.execute(
        f"""SELECT count(*) FILTER (WHERE {within("first_in_progress_at")}),
                   count(*) FILTER (WHERE {within("delivered_at")})
            FROM fct_issue_lifecycle WHERE {cond}""",
        {"start": start, "end": end, **params},
    ).fetchall()[0]
    days = (end - start).total_seconds() / 86400
    return {
        "days": days,
        "arrived": arrived,
        "departed": departed,
        "arrival_per_day": arrived / days if days else 0.0,
        "departure_per_day": departed / days if days else 0.0,
    }


def time_in_stage(
    con: duckdb.DuckDBPyConnection, start: datetime, end: datetime, filters: Filters = NO_FILTERS
) -> pl.DataFrame:
    """Time in stage: for items delivered in [start, end), the hours their cycles (cycle start
    to done) spent in each stage, summed, with each stage's share and the mean per item, in
    stage order; a status no stage lists counts as "(no stage)"."""
    cond, params = filters.where("l")
    delivered = f"SELECT count(*) FROM fct_issue_lifecycle l WHERE {within('l.delivered_at')} AND {cond}"
    hours, more = _stage_hours_by_day(con, start, end, filters) or (
        f"""
        SELECT p.stage, p.stage_index, p.hours
        FROM fct_status_periods p JOIN fct_issue_lifecycle l USING (issue_id)
        WHERE {within("l.delivered_at")} AND {within("p.entered_at", "l.first_in_progress_at", "l.done_at")}
          AND {cond}""",
        {},
    )
    return frame(
        con,
        f"""
        SELECT coalesce(h.stage, '(no stage)') AS stage, any_value(h.stage_index) AS stage_index,
               sum(h.hours) AS hours, 100.0 * sum(h.hours) / sum(sum(h.hours)) OVER () AS share_pct,
               sum(h.hours) / any_value(n.items) AS mean_hours_per_item
        FROM ({hours}) h, ({delivered}) n(items)
        GROUP BY 1 ORDER BY stage_index NULLS LAST""",
        {"start": start, "end": end, **params, **more},
    )


def _stage_hours_by_day(
    con: duckdb.DuckDBPyConnection, start: datetime, end: datetime, filters: Filters
) -> tuple[str, dict] | None:
    """(stage, stage_index, hours) of the items delivered in [start, end) from the sums the
    build kept per day of delivery (mart_stage_hours); None when the window does not hold whole
    days of deliveries (see `_delivery_days`)."""
    days = _delivery_days(con, start, end)
    if days is None:
        return None
    cond, params = filters.where(flow_items=False)  # the mart holds flow items only
    return (
        f"""
        SELECT stage, stage_index, hours FROM mart_stage_hours
        WHERE delivered_day >= $first_day AND delivered_day < $last_day AND {cond}""",
        {**params, **days},
    )


def _delivery_days(con: duckdb.DuckDBPyConnection, start: datetime, end: datetime) -> dict[str, date] | None:
    """For a mart summed per UTC day of delivery: the days [$first_day, $last_day) that hold
    exactly the items delivered in [start, end), when the window holds whole days of
    deliveries (from a midnight or from before the first delivery, to a midnight or to after
    the last one, as_of); None otherwise (the facts must answer)."""
    last_day = _days_before(end, as_of(con))  # nothing is delivered after as_of
    if last_day is None:
        return None
    if start != _midnight(start):
        (first,) = con.execute("SELECT min(delivered_at) FROM fct_issue_lifecycle").fetchall()[0]
        if first is not None and first < start:
            return None
    return {"first_day": _midnight(start).date(), "last_day": last_day}


def flow_efficiency(
    con: duckdb.DuckDBPyConnection,
    start: datetime,
    end: datetime,
    filters: Filters = NO_FILTERS,
    per_item: bool = False,
) -> pl.DataFrame:
    """Flow efficiency: for items delivered in [start, end), work time / cycle time as a
    percentage, where wait time is blocked time (blocker windows and blocked statuses) and time
    in the stages the workflow marks as waiting, counted once; per team (total work over total
    cycle time) or per item. Per team, windows of whole days of deliveries are read from the
    sums the build kept per day (mart_flow_efficiency)."""
    days = None if per_item else _delivery_days(con, start, end)
    if days is not None:
        cond, params = filters.where(flow_items=False)  # the mart holds flow items only
        rows = f"""
            SELECT team, items, cycle_hours, wait_hours, work_hours FROM mart_flow_efficiency
            WHERE delivered_day >= $first_day AND delivered_day < $last_day AND {cond}"""
        params = {**params, **days}
    else:
        cond, params = filters.where("l")
        sql = EFFICIENCY.format(
            where=f"{within('l.delivered_at')} AND {cond}",
            periods="fct_status_periods",
            blocked="fct_blocked_intervals",
        )
        params = {"start": start, "end": end, **params}
        if per_item:
            return frame(
                con,
                f"""WITH {sql} SELECT issue_key, team, cycle_hours, wait_hours,
                                      100.0 * work_hours / cycle_hours AS efficiency_pct
                    FROM efficiency ORDER BY efficiency_pct, issue_key""",
                params,
            )
        rows = f"WITH {sql} SELECT team, 1 AS items, cycle_hours, wait_hours, work_hours FROM efficiency"
    return frame(
        con,
        f"""
        SELECT team, CAST(sum(items) AS BIGINT) AS items, sum(cycle_hours) AS cycle_hours,
               sum(wait_hours) AS wait_hours, 100.0 * sum(work_hours) / sum(cycle_hours) AS efficiency_pct
        FROM ({rows}) GROUP BY team ORDER BY team""",
        params,
    )


def issue_flow_efficiency(con: duckdb.DuckDBPyConnection, key: str) -> float | None:
    """Flow efficiency of one issue (see `flow_efficiency`): work time / cycle time in %, for a
    delivered issue; None before it is done."""
    # the issue's own rows, read by id from the row groups that hold them, not joined over every issue's
    one = "(SELECT * FROM {} WHERE issue_id = $id)"
    sql = EFFICIENCY.format(
        where="l.issue_id = $id", periods=one.format("fct_status_periods"), blocked=one.format("fct_blocked_intervals")
    )
    found = issue_id(con, key)
    if found is None:
        return None
    rows = con.execute(f"WITH {sql} SELECT 100.0 * work_hours / cycle_hours FROM efficiency", {"id": found}).fetchall()
    return rows[0][0] if rows else None
