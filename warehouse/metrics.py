"""Governed delivery metrics: one definition each, one implementation, called by every screen
and by the report. Each function's docstring is its definition: `heimdall-tui glossary`
prints them, so the words and the code cannot drift apart.

Conventions: a period is the half-open interval [start, end) in UTC; "now" is the
warehouse's `as_of`, never the wall clock; `Filters` narrow by team, project and issue type;
weeks are Monday-based ISO weeks.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import duckdb
import polars as pl

from warehouse.errors import HeimdallError
from warehouse.models._sql import ACTIVE

PERCENTILES = (0.50, 0.75, 0.85, 0.95)


# What fct_status_periods carries itself; other filter columns come from the lifecycle.
PERIOD_COLUMNS = frozenset({"team", "is_flow_item"})


@dataclass(frozen=True)
class Filters:
    team: str | None = None
    project: str | None = None
    issue_type: str | None = None

    def _pairs(self):
        return [(c, v) for c, v in (("team", self.team), ("project_key", self.project),
                                    ("issue_type", self.issue_type)) if v is not None]

    def _condition(self, column, named: bool, flow_items: bool = True) -> tuple[str, list | dict]:
        """The filters as SQL over `column(name)`, with `?` or `$name` parameters. Flow items
        only (standard issues; see `is_flow_item`) unless the table holds nothing else."""
        pairs = self._pairs()
        parts = [column("is_flow_item") if flow_items else "true"]
        parts += [f"{column(c)} = {'$' + c if named else '?'}" for c, _ in pairs]
        return " AND ".join(parts), (dict(pairs) if named else [v for _, v in pairs])

    @staticmethod
    def _in(alias: str):
        return lambda column: f"{alias}.{column}" if alias else column

    def where(self, alias: str = "", flow_items: bool = True) -> tuple[str, list]:
        """A SQL condition on fct_issue_lifecycle columns and its positional parameters."""
        return self._condition(self._in(alias), False, flow_items)

    def periods(self) -> str:
        """FROM clause for fct_status_periods (alias p) under these filters: the lifecycle (l)
        is joined only when a project or type filter needs it, as periods carry the team."""
        if self.project is None and self.issue_type is None:
            return "fct_status_periods p"
        return "fct_status_periods p JOIN fct_issue_lifecycle l USING (issue_id)"

    def where_periods(self) -> tuple[str, dict]:
        """The named-parameter condition matching `periods()`."""
        return self._condition(lambda column: f"{'p' if column in PERIOD_COLUMNS else 'l'}.{column}", True)

    def where_named(self, alias: str = "") -> tuple[str, dict]:
        """The same condition with named parameters ($team, $project_key, $issue_type)."""
        return self._condition(self._in(alias), True)

    def describe(self) -> str:
        parts = [f"{k} {v}" for k, v in (("team", self.team), ("project", self.project),
                                          ("type", self.issue_type)) if v is not None]
        return ", ".join(parts) or "all work"

    def with_team(self, team: str | None) -> "Filters":
        return Filters(team, self.project, self.issue_type)


NO_FILTERS = Filters()


def frame(con: duckdb.DuckDBPyConnection, sql: str, params: list | dict | None = None) -> pl.DataFrame:
    """A query's result as a polars frame (through the Arrow C stream, no pyarrow)."""
    return pl.DataFrame(con.sql(sql, params=params or None))


def validate_filters(con: duckdb.DuckDBPyConnection, filters: Filters) -> None:
    """Unknown team, project or issue type: a one-line error listing the known ones."""
    for column, value, label in (("team", filters.team, "team"), ("project_key", filters.project, "project"),
                                 ("issue_type", filters.issue_type, "issue type")):
        if value is None:
            continue
        known = [r[0] for r in con.execute(
            f"SELECT DISTINCT {column} FROM fct_issue_lifecycle WHERE {column} IS NOT NULL ORDER BY 1").fetchall()]
        if value not in known:
            raise HeimdallError(f"unknown {label} {value!r} (known: {', '.join(known)})")


def as_of(con: duckdb.DuckDBPyConnection) -> datetime:
    """As of: the instant the warehouse describes - the end of the generator's window, or the
    time of the export. Every "current" metric is evaluated at as_of."""
    return con.execute("SELECT as_of FROM meta").fetchall()[0][0]


def period_end(con: duckdb.DuckDBPyConnection) -> datetime:
    """Period end: the exclusive end of every window that closes "now" - one microsecond
    (DuckDB's resolution) after as_of, so that an event at exactly as_of (an import's latest
    event) has happened by as_of and is counted in the current week, in "all time" and in
    the state at as_of alike."""
    return as_of(con) + timedelta(microseconds=1)


def reporting_window(con: duckdb.DuckDBPyConnection, weeks: int | None) -> tuple[datetime, datetime]:
    """Reporting window: "the last N weeks" on every screen is [start, period end), where
    start is the Monday (00:00 UTC) of the week that holds as_of minus N weeks, or the data
    start if later; weekly charts show those Monday-based weeks, the last one partial (it
    runs to as_of). `weeks=None` is all time: from the data start."""
    end = period_end(con)
    first = data_start(con) or end
    if weeks is None:
        return first, end
    back = (end - timedelta(weeks=weeks)).astimezone(timezone.utc)
    monday = datetime(back.year, back.month, back.day, tzinfo=timezone.utc) - timedelta(days=back.weekday())
    return max(first, monday), end


def data_start(con: duckdb.DuckDBPyConnection) -> datetime | None:
    """Data start: the first instant with data, the earliest issue creation."""
    return con.execute("SELECT min(created_at) FROM fct_issue_lifecycle").fetchall()[0][0]


def throughput(con: duckdb.DuckDBPyConnection, start: datetime, end: datetime, filters: Filters = NO_FILTERS) -> int:
    """Throughput: the number of flow items delivered in [start, end): done_at in the period
    and not discarded by their resolution (Won't Do, Duplicate, ...). done_at is the last
    entry into done, counted only for issues still done at as_of (a reopened issue that is
    open again is not done). Flow items are standard issues: sub-tasks and epics are left
    out unless the workflow file includes them."""
    cond, params = filters.where()
    return con.execute(
        f"SELECT count(*) FROM fct_issue_lifecycle WHERE delivered_at >= ? AND delivered_at < ? AND {cond}",
        [start, end, *params],
    ).fetchall()[0][0]


def _share(con, when: str, condition: str, start: datetime, end: datetime, filters: Filters) -> tuple[int, int]:
    """(items whose `when` falls in [start, end), how many of them meet `condition`)."""
    cond, params = filters.where()
    return con.execute(
        f"SELECT count(*), count(*) FILTER (WHERE {condition}) FROM fct_issue_lifecycle "
        f"WHERE {when} >= ? AND {when} < ? AND {cond}", [start, end, *params]).fetchall()[0]


def discarded(con: duckdb.DuckDBPyConnection, start: datetime, end: datetime,
              filters: Filters = NO_FILTERS) -> dict[str, float | int | None]:
    """Discard rate: of the flow items that reached done in [start, end), how many were
    discarded by their resolution (Won't Do, Won't Fix, Duplicate, Cannot Reproduce, Rejected,
    Out of Date, Obsolete, Invalid, Incomplete, Declined, or the workflow file's list) rather
    than delivered, as a count and a percentage of all done. None when nothing was done."""
    done, dropped = _share(con, "done_at", "outcome = 'discarded'", start, end, filters)
    return {"done": done, "discarded": dropped, "rate_pct": 100.0 * dropped / done if done else None}


def _percentiles(con, column: str, start: datetime, end: datetime, filters: Filters) -> dict[str, float | None]:
    cond, params = filters.where()
    quantiles = ", ".join(f"quantile_cont({column}, {p})" for p in PERCENTILES)
    row = con.execute(
        f"SELECT count({column}), {quantiles} FROM fct_issue_lifecycle "
        f"WHERE delivered_at >= ? AND delivered_at < ? AND {column} IS NOT NULL AND {cond}",
        [start, end, *params],
    ).fetchall()[0]
    return {"n": row[0], **{f"p{round(p * 100)}": v for p, v in zip(PERCENTILES, row[1:])}}


def cycle_time_percentiles(con: duckdb.DuckDBPyConnection, start: datetime, end: datetime,
                           filters: Filters = NO_FILTERS) -> dict[str, float | None]:
    """Cycle time: done_at - cycle start, in hours, for items delivered in [start, end); cycle
    start is the first entry into an active state (in progress, review or blocked), so work
    that skipped in progress still counts. Reported as continuous percentiles P50 (median),
    P75, P85, P95 with n, the number of issues; issues done without ever being active have
    no cycle time. None when nothing qualifies."""
    return _percentiles(con, "cycle_time_hours", start, end, filters)


def lead_time_percentiles(con: duckdb.DuckDBPyConnection, start: datetime, end: datetime,
                          filters: Filters = NO_FILTERS) -> dict[str, float | None]:
    """Lead time: done_at - created_at, in hours, for items delivered in [start, end): what the
    requester waits, queue included. Continuous percentiles P50/P75/P85/P95 with n."""
    return _percentiles(con, "lead_time_hours", start, end, filters)


def wip_at(con: duckdb.DuckDBPyConnection, instant: datetime, filters: Filters = NO_FILTERS) -> int:
    """WIP at an instant t: flow items whose state at t is active (in progress, review or
    blocked). A status change at exactly t is already in effect."""
    cond, params = filters.where_periods()
    return con.execute(
        f"SELECT count(*) FROM {filters.periods()} WHERE p.canonical_status IN {ACTIVE} "
        f"AND p.entered_at <= $t AND (p.exited_at IS NULL OR p.exited_at > $t) AND {cond}",
        {"t": instant, **params},
    ).fetchall()[0][0]


def average_wip(con: duckdb.DuckDBPyConnection, start: datetime, end: datetime,
                filters: Filters = NO_FILTERS) -> float:
    """Average WIP: over [start, end), the time-weighted mean number of active flow items, i.e. the
    total time issues spent in active states inside the period divided by its length. This
    is the L of Little's law (L = throughput rate x mean cycle time)."""
    cond, params = filters.where_periods()
    seconds = con.execute(f"""
        SELECT sum(epoch(least(coalesce(p.exited_at, $end), $end)) - epoch(greatest(p.entered_at, $start)))
        FROM {filters.periods()}
        WHERE p.canonical_status IN {ACTIVE} AND p.entered_at < $end AND (p.exited_at IS NULL OR p.exited_at > $start)
          AND {cond}""", {"start": start, "end": end, **params}).fetchall()[0][0]
    return (seconds or 0.0) / (end - start).total_seconds()


def current_wip(con: duckdb.DuckDBPyConnection, filters: Filters = NO_FILTERS) -> dict[str, int]:
    """Current WIP: WIP at as_of, with how many of those items are operationally blocked
    (in the blocked status, or active with a blocker window open at as_of)."""
    cond, params = filters.where()
    total, blocked = con.execute(
        f"SELECT count(*) FILTER (WHERE canonical_status IN {ACTIVE}), "
        f"count(*) FILTER (WHERE canonical_status IN {ACTIVE} AND operational_state = 'blocked') "
        f"FROM fct_wip_current WHERE {cond}",
        params,
    ).fetchall()[0]
    return {"wip": total, "blocked": blocked}


def issue_states(con: duckdb.DuckDBPyConnection, filters: Filters = NO_FILTERS) -> dict[str, int]:
    """Issue states: every flow item counted by its operational state at as_of (todo,
    in_progress, blocked, done, unknown)."""
    cond, params = filters.where()
    return dict(con.execute(
        f"SELECT operational_state, count(*) FROM fct_wip_current WHERE {cond} GROUP BY 1", params).fetchall())


def work_item_age(con: duckdb.DuckDBPyConnection, filters: Filters = NO_FILTERS,
                  at: datetime | None = None, limit: int | None = None) -> pl.DataFrame:
    """Work item age: at an instant t (as_of unless given), t - cycle start in hours for
    every flow item active at t, oldest first, with its state and raw status at t, the hours
    since its last status change, and whether it is blocked at t (blocked status, or a
    blocker window open at t)."""
    at = at or as_of(con)
    cond, params = filters.where_named("l")
    return frame(con, f"""
        WITH open_blockers AS (
            SELECT DISTINCT issue_id FROM stg_blockers
            WHERE is_valid AND blocked_start <= $at AND (blocked_end IS NULL OR blocked_end > $at)
        )
        SELECT l.issue_id, l.issue_key, l.team, l.project_key, l.issue_type, l.priority, l.assignee,
               p.canonical_status, p.raw_status,
               p.canonical_status = 'blocked' OR o.issue_id IS NOT NULL AS is_blocked,
               l.first_in_progress_at,
               (epoch($at) - epoch(l.first_in_progress_at)) / 3600.0 AS age_hours,
               (epoch($at) - epoch(p.entered_at)) / 3600.0 AS time_in_status_hours
        FROM fct_status_periods p
        JOIN fct_issue_lifecycle l USING (issue_id)
        LEFT JOIN open_blockers o USING (issue_id)
        WHERE p.canonical_status IN {ACTIVE} AND p.entered_at <= $at AND (p.exited_at IS NULL OR p.exited_at > $at)
          AND {cond}
        ORDER BY age_hours DESC, l.issue_id
        {f'LIMIT {int(limit)}' if limit else ''}""", {"at": at, **params})


def blocked_time(con: duckdb.DuckDBPyConnection, start: datetime, end: datetime,
                 filters: Filters = NO_FILTERS) -> dict[str, float | int | None]:
    """Blocked share: over items delivered in [start, end), the sum of blocked hours divided by
    the sum of cycle-time hours, as a percentage. Blocked hours are the union of blocker
    windows and blocked-status periods inside each issue's cycle, so overlaps count once
    and the share never exceeds 100%. None when no cycle time was completed."""
    cond, params = filters.where()
    n, blocked, cycle = con.execute(
        f"SELECT count(*), sum(blocked_hours), sum(cycle_time_hours) FROM fct_issue_lifecycle "
        f"WHERE delivered_at >= ? AND delivered_at < ? AND cycle_time_hours IS NOT NULL AND {cond}",
        [start, end, *params],
    ).fetchall()[0]
    share = 100.0 * blocked / cycle if cycle else None
    return {"n": n, "blocked_hours": blocked or 0.0, "cycle_hours": cycle or 0.0, "share_pct": share}


def blocks_started(con: duckdb.DuckDBPyConnection, start: datetime, end: datetime,
                   filters: Filters = NO_FILTERS) -> int:
    """Blocks started: blocked episodes (merged blocker windows and blocked-status periods,
    inside the cycle) that began in [start, end)."""
    cond, params = filters.where("l")
    return con.execute(
        f"SELECT count(*) FROM fct_blocked_intervals b JOIN fct_issue_lifecycle l USING (issue_id) "
        f"WHERE b.blocked_from >= ? AND b.blocked_from < ? AND {cond}",
        [start, end, *params],
    ).fetchall()[0][0]


def rework_rate(con: duckdb.DuckDBPyConnection, start: datetime, end: datetime,
                filters: Filters = NO_FILTERS) -> dict[str, float | int | None]:
    """Rework rate: the share of items delivered in [start, end) that were ever reopened
    (moved out of done into a non-done state before their final done; an admin's workflow
    migration is not a reopen), as a percentage. None when nothing was delivered."""
    done, reopened = _share(con, "delivered_at", "reopen_count > 0", start, end, filters)
    return {"done": done, "reopened": reopened, "rate_pct": 100.0 * reopened / done if done else None}


def weekly_flow(con: duckdb.DuckDBPyConnection, start: datetime, end: datetime,
                filters: Filters = NO_FILTERS, by_team: bool = False) -> pl.DataFrame:
    """Weekly flow: per Monday-based ISO week overlapping [start, end) (and per team when
    asked), throughput (items delivered that week) and the median and P85 cycle time of those
    items; weeks without work are zero-filled."""
    cond, params = filters.where_named()
    team_col = "team," if by_team else ""
    teams = (f"CROSS JOIN (SELECT DISTINCT team FROM fct_issue_lifecycle WHERE {cond}) t" if by_team else "")
    return frame(con, f"""
        WITH weeks AS (
            SELECT w AS week_start FROM range(date_trunc('week', CAST($start AS TIMESTAMPTZ)),
                                              CAST($end AS TIMESTAMPTZ), INTERVAL 7 DAY) r(w)
        ),
        done AS (
            SELECT date_trunc('week', delivered_at) AS week_start, {team_col} count(*) AS throughput,
                   quantile_cont(cycle_time_hours, 0.5) AS median_cycle_time_hours,
                   quantile_cont(cycle_time_hours, 0.85) AS p85_cycle_time_hours
            FROM fct_issue_lifecycle
            WHERE delivered_at >= date_trunc('week', CAST($start AS TIMESTAMPTZ)) AND delivered_at < $end AND {cond}
            GROUP BY ALL
        )
        SELECT CAST(w.week_start AS DATE) AS week_start, {'t.team,' if by_team else ''}
               coalesce(d.throughput, 0) AS throughput, d.median_cycle_time_hours, d.p85_cycle_time_hours
        FROM weeks w {teams}
        LEFT JOIN done d ON d.week_start = w.week_start {'AND d.team = t.team' if by_team else ''}
        ORDER BY 1 {', 2' if by_team else ''}""", {"start": start, "end": end, **params})


def cycle_time_distribution(con: duckdb.DuckDBPyConnection, start: datetime, end: datetime,
                            filters: Filters = NO_FILTERS) -> pl.DataFrame:
    """Cycle time distribution: per team, over items delivered in [start, end), the P5, P25,
    P50, P75 and P95 cycle time in hours (a box plot's whiskers, box and median) and n."""
    cond, params = filters.where()
    return frame(con, f"""
        SELECT team, count(*) AS n,
               quantile_cont(cycle_time_hours, 0.05) AS p5, quantile_cont(cycle_time_hours, 0.25) AS p25,
               quantile_cont(cycle_time_hours, 0.5) AS p50, quantile_cont(cycle_time_hours, 0.75) AS p75,
               quantile_cont(cycle_time_hours, 0.95) AS p95
        FROM fct_issue_lifecycle
        WHERE delivered_at >= ? AND delivered_at < ? AND cycle_time_hours IS NOT NULL AND {cond}
        GROUP BY team ORDER BY team""", [start, end, *params])


def daily_states(con: duckdb.DuckDBPyConnection, start: datetime, end: datetime,
                 filters: Filters = NO_FILTERS) -> pl.DataFrame:
    """Cumulative flow: for each UTC day in [start, end), the number of flow items in each
    canonical state at the end of the day (the as_of instant on its last day). Summing the
    active states gives the WIP run chart."""
    cond, params = filters.where(flow_items=False)  # the daily counts hold flow items only
    return frame(con, f"""
        SELECT day, canonical_status, CAST(sum(issue_count) AS BIGINT) AS issues
        FROM fct_daily_state_counts
        WHERE day >= CAST(? AS DATE) AND day < CAST(? AS DATE) + 1 AND {cond}
        GROUP BY ALL ORDER BY day, canonical_status""", [start, end, *params])


def wip_breakdown(con: duckdb.DuckDBPyConnection, filters: Filters = NO_FILTERS) -> pl.DataFrame:
    """WIP breakdown: current WIP (at as_of) counted per team and canonical state."""
    cond, params = filters.where()
    return frame(con, f"""
        SELECT team, canonical_status, count(*) AS issues FROM fct_wip_current
        WHERE canonical_status IN {ACTIVE} AND {cond} GROUP BY ALL ORDER BY team, canonical_status""", params)


def most_blocked(con: duckdb.DuckDBPyConnection, start: datetime, end: datetime,
                 filters: Filters = NO_FILTERS, limit: int = 20) -> pl.DataFrame:
    """Most blocked issues: issues done in [start, end) or still active at as_of, ranked by
    blocked hours (the union of blocked windows inside their cycle)."""
    cond, params = filters.where()
    return frame(con, f"""
        SELECT issue_id, issue_key, team, current_status, blocked_hours, cycle_time_hours, age_hours,
               blocker_count, late_logged_blockers
        FROM fct_issue_lifecycle
        WHERE blocked_hours > 0 AND (is_active OR (done_at >= ? AND done_at < ?)) AND {cond}
        ORDER BY blocked_hours DESC, issue_id LIMIT {int(limit)}""", [start, end, *params])


def blocker_reasons(con: duckdb.DuckDBPyConnection, start: datetime, end: datetime,
                    filters: Filters = NO_FILTERS) -> pl.DataFrame:
    """Blocker reasons: blocker windows that started in [start, end), per reason: how many,
    how many are still open at as_of, and how many were logged late (over 24 h after they
    started)."""
    cond, params = filters.where("l")
    return frame(con, f"""
        SELECT b.reason, count(*) AS windows, count(*) FILTER (WHERE b.is_open) AS still_open,
               count(*) FILTER (WHERE b.is_late_logged) AS late_logged
        FROM stg_blockers b JOIN fct_issue_lifecycle l USING (issue_id)
        WHERE b.blocked_start >= ? AND b.blocked_start < ? AND {cond}
        GROUP BY 1 ORDER BY windows DESC, reason""", [start, end, *params])


def issue_snapshot(con: duckdb.DuckDBPyConnection, issue_key: str) -> dict | None:
    """Issue snapshot: one issue's lifecycle facts (state, cycle start, done_at, cycle and
    lead time, age, blocked hours, reopen count, resolution and outcome, whether it is a
    sub-task, an epic, a flow item), as the other metrics define them."""
    cur = con.execute(
        "SELECT issue_key, team, project_key, issue_type, priority, summary, assignee, created_at, current_status, "
        "current_raw_status, first_in_progress_at, done_at, cycle_time_hours, lead_time_hours, age_hours, "
        "blocked_hours, reopen_count, resolution, outcome, is_subtask, is_epic, is_flow_item "
        "FROM fct_issue_lifecycle WHERE issue_key = ?", [issue_key])
    rows = cur.fetchall()
    return dict(zip([d[0] for d in cur.description], rows[0])) if rows else None


TRIAGE_RULE = "risk = age / team SLE (P85) + 1 if blocked now + 0.5 x weeks in status + 0.5 x reopens"
TRIAGE_COLUMNS = ("issue_key", "team", "project_key", "canonical_status", "raw_status", "assignee", "age_days",
                  "days_in_status", "blocked_hours", "risk", "marks")


def triage(con: duckdb.DuckDBPyConnection, filters: Filters = NO_FILTERS, state: str | None = None,
           order: str = "risk", descending: bool = True, limit: int = 100, offset: int = 0,
           sle_weeks: int = 12) -> tuple[pl.DataFrame, int]:
    """WIP triage risk: every flow item active at as_of, scored by the rule in TRIAGE_RULE (age
    against its team's SLE, blocked now, time in its current status, reopens), highest
    first. Returns one page of rows (sorted on any column) and the number of matching items."""
    if order not in TRIAGE_COLUMNS:
        raise ValueError(f"cannot sort triage by {order!r}")
    cond, params = filters.where_named("w")
    state_cond = "AND w.canonical_status = $state" if state else ""
    end = as_of(con)
    sle = team_sle(con, end, sle_weeks, filters)
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
                   coalesce(w.age_hours > s.hours, false) AS past_sle, w.operational_state = 'blocked' AS blocked_now,
                   CAST(coalesce(w.age_hours > s.hours, false) AS INT)
                     + CAST(w.operational_state = 'blocked' AS INT) AS marks
            FROM fct_wip_current w LEFT JOIN sle s ON s.team = w.team
            WHERE w.canonical_status IN {ACTIVE} AND {cond} {state_cond}
        )"""
    named = {**params, **({"state": state} if state else {}), "sle_teams": list(sle), "sle_hours": list(sle.values())}
    total = con.execute(f"{base} SELECT count(*) FROM scored", named).fetchall()[0][0]
    page = frame(con, f"""{base}
        SELECT * FROM scored ORDER BY {order} {'DESC' if descending else 'ASC'} NULLS LAST, issue_key
        LIMIT {int(limit)} OFFSET {int(offset)}""", named)
    return page, total


def issue_timeline(con: duckdb.DuckDBPyConnection, issue_key: str) -> pl.DataFrame:
    """Issue timeline: the issue's periods in time order - when it entered each raw status,
    from which, its canonical state, the hours spent there (to as_of for the current one),
    and whether the move was a reopen or a backward move."""
    return frame(con, """
        SELECT p.period_index, p.entered_at, lag(p.raw_status) OVER (ORDER BY p.period_index) AS from_status,
               p.raw_status AS to_status, p.canonical_status, p.hours, p.is_reopen, p.is_backward,
               m.is_drifted, m.mapped_by
        FROM fct_status_periods p JOIN fct_issue_lifecycle l USING (issue_id)
        LEFT JOIN stg_status_map m ON m.team = p.team AND m.raw_status = p.raw_status
             AND m.status_id IS NOT DISTINCT FROM p.raw_status_id
        WHERE l.issue_key = ? ORDER BY p.period_index""", [issue_key])


def issue_time_in_status(con: duckdb.DuckDBPyConnection, issue_key: str) -> pl.DataFrame:
    """Issue time in status: the hours the issue has spent in each canonical state, from
    creation to as_of."""
    return frame(con, """
        SELECT p.canonical_status, sum(p.hours) AS hours
        FROM fct_status_periods p JOIN fct_issue_lifecycle l USING (issue_id)
        WHERE l.issue_key = ? GROUP BY 1 ORDER BY hours DESC""", [issue_key])


def issue_blockers(con: duckdb.DuckDBPyConnection, issue_key: str) -> pl.DataFrame:
    """Issue blockers: the issue's blocker windows with reason, duration (open ones to
    as_of), and whether they were logged late (over 24 h after they started)."""
    return frame(con, """
        SELECT b.reason, b.blocked_start, b.blocked_end, b.logged_at, b.is_open, b.is_late_logged, b.is_valid,
               (epoch(coalesce(b.blocked_end, m.as_of)) - epoch(b.blocked_start)) / 3600.0 AS hours
        FROM stg_blockers b JOIN fct_issue_lifecycle l USING (issue_id), meta m
        WHERE l.issue_key = ? ORDER BY b.blocked_start""", [issue_key])


def issue_sprints(con: duckdb.DuckDBPyConnection, issue_key: str) -> pl.DataFrame:
    """Issue sprint history: each sprint the issue was in, when it joined and left, whether
    it joined after the sprint started (a mid-sprint addition) or was removed before it
    ended."""
    return frame(con, """
        SELECT s.sprint_name, s.start_at, s.end_at, s.state, x.added_at, x.removed_at,
               x.added_at > s.start_at AS added_mid_sprint,
               x.removed_at IS NOT NULL AND x.removed_at < s.end_at AS removed
        FROM stg_issue_sprint x JOIN stg_sprints s USING (sprint_id) JOIN fct_issue_lifecycle l USING (issue_id)
        WHERE l.issue_key = ? ORDER BY s.start_at""", [issue_key])


def issue_relations(con: duckdb.DuckDBPyConnection, issue_key: str) -> pl.DataFrame:
    """Issue relations: the issue's parent (an epic, or the story of a sub-task) and its
    children, each with its key, type, state and outcome; a parent not in the warehouse is
    listed by key with no state."""
    return frame(con, """
        WITH me AS (SELECT issue_id, parent_issue_id, parent_key FROM fct_issue_lifecycle WHERE issue_key = $key)
        SELECT 'parent' AS relation, coalesce(p.issue_key, me.parent_key) AS issue_key, p.issue_type,
               p.current_status, p.outcome, p.summary
        FROM me LEFT JOIN fct_issue_lifecycle p ON p.issue_id = me.parent_issue_id
        WHERE me.parent_issue_id IS NOT NULL OR me.parent_key IS NOT NULL
        UNION ALL
        SELECT CASE WHEN c.is_subtask THEN 'sub-task' ELSE 'child' END, c.issue_key, c.issue_type,
               c.current_status, c.outcome, c.summary
        FROM fct_issue_lifecycle c JOIN me ON c.parent_issue_id = me.issue_id
        ORDER BY relation DESC, issue_key""", {"key": issue_key})


def issue_data_quality(con: duckdb.DuckDBPyConnection, issue_key: str) -> list[str]:
    """Issue data quality: what in this issue's raw data needed interpreting - drifted or
    unmapped status names, done without ever being active, a missing assignee or estimate,
    blocker windows logged late or ending before they start, transitions dropped as exact
    duplicates, and what the source noted (an incomplete Jira changelog)."""
    found = con.execute("SELECT issue_id FROM fct_issue_lifecycle WHERE issue_key = ?", [issue_key]).fetchall()
    if not found:
        return []
    # a constant issue id lets DuckDB push the filter into the de-duplicating staging view
    issue_id = found[0][0]
    facts = con.execute("""
        SELECT l.data_quality, l.assignee IS NULL, i.estimate_points IS NULL, l.done_without_in_progress,
               l.late_logged_blockers,
               (SELECT count(*) FROM raw_transitions WHERE issue_id = $id)
                 - (SELECT count(*) FROM stg_transitions WHERE issue_id = $id),
               (SELECT count(*) FROM stg_blockers WHERE issue_id = $id AND NOT is_valid)
        FROM fct_issue_lifecycle l JOIN stg_issues i USING (issue_id) WHERE l.issue_id = $id""",
                        {"id": issue_id}).fetchall()
    source_note, no_assignee, no_estimate, skipped_progress, late, duplicates, inverted = facts[0]
    names = con.execute("""
        SELECT DISTINCT m.raw_status, m.clean_status, m.canonical_status, m.is_drifted
        FROM fct_status_periods p JOIN fct_issue_lifecycle l USING (issue_id)
        JOIN stg_status_map m ON m.team = p.team AND m.raw_status = p.raw_status
             AND m.status_id IS NOT DISTINCT FROM p.raw_status_id
        WHERE l.issue_key = ? AND (m.is_drifted OR m.canonical_status = 'unknown') ORDER BY 1""", [issue_key]).fetchall()
    notes = [f"status name {raw!r} is unmapped: counted as unknown, not as work" if state == "unknown"
             else f"status name {raw!r} drifted; read as {clean!r} ({state.replace('_', ' ')})"
             for raw, clean, state, _ in names]
    notes += [text for flag, text in (
        (source_note, source_note),
        (skipped_progress, "done without ever being in an active state: it has a lead time but no cycle time"),
        (no_assignee, "no assignee"), (no_estimate, "no estimate"),
        (late, f"{late} blocker window(s) logged more than 24 h after they started"),
        (inverted, f"{inverted} blocker window(s) end before they start: ignored"),
        (duplicates, f"{duplicates} transition row(s) were exact duplicates: counted once")) if flag]
    return notes


def unmapped_statuses(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str, int]]:
    """Unmapped statuses: (team, raw status name, issues that were ever in it) for every
    status nothing maps - no workflow-file entry, no Jira category, no default name, no
    keyword - most used first. Time in them counts as neither work nor waiting."""
    return con.execute("""
        SELECT m.team, m.raw_status, count(DISTINCT p.issue_id) AS issues
        FROM stg_status_map m
        LEFT JOIN fct_status_periods p ON p.team = m.team AND p.raw_status = m.raw_status
             AND p.raw_status_id IS NOT DISTINCT FROM m.status_id
        WHERE m.canonical_status = 'unknown'
        GROUP BY 1, 2 ORDER BY issues DESC, 1, 2""").fetchall()


def recent_issues(con: duckdb.DuckDBPyConnection, filters: Filters = NO_FILTERS, limit: int = 20) -> pl.DataFrame:
    """Recently touched issues: the issues whose status changed most recently before as_of."""
    cond, params = filters.where()
    return frame(con, f"""
        SELECT issue_key, team, current_status, coalesce(last_status_change_at, created_at) AS touched_at, summary
        FROM fct_issue_lifecycle WHERE {cond}
        ORDER BY touched_at DESC, issue_key LIMIT {int(limit)}""", params)


def issue_keys(con: duckdb.DuckDBPyConnection, prefix: str, limit: int = 10) -> list[str]:
    """Issue keys starting with `prefix`, case-insensitively (for completion); `_` and `%`
    are plain characters."""
    return [r[0] for r in con.execute(
        "SELECT issue_key FROM fct_issue_lifecycle WHERE starts_with(upper(issue_key), upper(?)) "
        "ORDER BY length(issue_key), issue_key LIMIT ?", [prefix, int(limit)]).fetchall()]


def find_issue(con: duckdb.DuckDBPyConnection, key: str) -> str | None:
    """The issue key equal to `key` ignoring case (surrounding blanks dropped), or None."""
    rows = con.execute("SELECT issue_key FROM fct_issue_lifecycle WHERE upper(issue_key) = upper(trim(?)) "
                       "ORDER BY issue_key LIMIT 1", [key]).fetchall()
    return rows[0][0] if rows else None


def dimensions(con: duckdb.DuckDBPyConnection) -> dict[str, list[str]]:
    """The teams, projects and issue types present, for choosing filters."""
    return {column: [r[0] for r in con.execute(
        f"SELECT DISTINCT {column} FROM fct_issue_lifecycle WHERE {column} IS NOT NULL ORDER BY 1").fetchall()]
        for column in ("team", "project_key", "issue_type")}


def sprint_commitment(con: duckdb.DuckDBPyConnection, start: datetime, end: datetime,
                      filters: Filters = NO_FILTERS) -> pl.DataFrame:
    """Sprint commitment (say/do): per sprint starting in [start, end), committed
    (members at the start), added (joined after it), removed (left before the end),
    completed (entered done inside the sprint while a member), spillover (members at the
    end not done then; empty until the sprint ends) and say/do = completed / committed.
    Only the team filter applies: sprints belong to teams, not projects."""
    params = [start, end] + ([filters.team] if filters.team else [])
    return frame(con, f"""
        SELECT sprint_id, team, sprint_name, start_at, end_at, state, committed, added, removed,
               completed, spillover, say_do
        FROM fct_sprint_performance
        WHERE start_at >= ? AND start_at < ? {'AND team = ?' if filters.team else ''}
        ORDER BY start_at, team""", params)


def time_in_status(con: duckdb.DuckDBPyConnection, start: datetime, end: datetime,
                   filters: Filters = NO_FILTERS) -> pl.DataFrame:
    """Time in status: for items delivered in [start, end), the hours their cycles spent in each
    canonical state (from cycle start to done_at), summed, with each state's share. Flow
    efficiency is the in-progress share: the rest is waiting, reviewing or blocked."""
    cond, params = filters.where("l")
    return frame(con, f"""
        SELECT p.canonical_status, sum(p.hours) AS hours,
               100.0 * sum(p.hours) / sum(sum(p.hours)) OVER () AS share_pct
        FROM fct_status_periods p JOIN fct_issue_lifecycle l USING (issue_id)
        WHERE l.delivered_at >= ? AND l.delivered_at < ? AND p.entered_at >= l.first_in_progress_at
          AND p.entered_at < l.done_at AND {cond}
        GROUP BY 1 ORDER BY hours DESC""", [start, end, *params])


def team_sle(con: duckdb.DuckDBPyConnection, end: datetime, weeks: int = 12,
             filters: Filters = NO_FILTERS) -> dict[str, float]:
    """Service level expectation (SLE): per team, the P85 cycle time (hours) of the items it
    delivered in the `weeks` weeks before `end`: 85% of its recent work took at most that
    long. An active item older than its team's SLE is past it."""
    cond, params = filters.where()
    return dict(con.execute(
        f"SELECT team, quantile_cont(cycle_time_hours, 0.85) FROM fct_issue_lifecycle "
        f"WHERE delivered_at >= ? AND delivered_at < ? AND cycle_time_hours IS NOT NULL AND {cond} GROUP BY team",
        [end - timedelta(weeks=weeks), end, *params],
    ).fetchall())


def glossary() -> list[tuple[str, str]]:
    """(name, definition) for every governed metric, from the docstrings above."""
    import inspect
    import sys

    module = sys.modules[__name__]
    entries = []
    for name, fn in inspect.getmembers(module, inspect.isfunction):
        if fn.__module__ != __name__ or name.startswith("_") or name in (
                "frame", "validate_filters", "glossary", "dimensions", "issue_keys", "find_issue"):
            continue
        doc = inspect.getdoc(fn) or ""
        title, _, body = doc.partition(":")
        entries.append((title.strip(), " ".join(body.split())))
    return sorted(entries, key=lambda e: e[0].lower())
