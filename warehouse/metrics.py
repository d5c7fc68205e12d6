"""Governed delivery metrics: one definition each, one implementation, used by every screen
and report. Each function's docstring is its definition (the glossary prints them).

Conventions: a period is half-open [start, end) in UTC; "now" is the warehouse's `as_of`,
never the wall clock; filters narrow by team, project and issue type.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import duckdb

PERCENTILES = (0.50, 0.75, 0.85, 0.95)


@dataclass(frozen=True)
class Filters:
    team: str | None = None
    project: str | None = None
    issue_type: str | None = None

    def where(self, alias: str = "") -> tuple[str, list]:
        """A SQL condition (always valid, `true` when empty) and its parameters."""
        prefix = f"{alias}." if alias else ""
        clauses, params = ["true"], []
        for column, value in (("team", self.team), ("project_key", self.project), ("issue_type", self.issue_type)):
            if value is not None:
                clauses.append(f"{prefix}{column} = ?")
                params.append(value)
        return " AND ".join(clauses), params


NO_FILTERS = Filters()


def as_of(con: duckdb.DuckDBPyConnection) -> datetime:
    """The instant the warehouse describes: the end of the generator's window, or the time of
    the export. Every "current" metric is evaluated at as_of."""
    return con.execute("SELECT as_of FROM meta").fetchone()[0]


def throughput(con: duckdb.DuckDBPyConnection, start: datetime, end: datetime, filters: Filters = NO_FILTERS) -> int:
    """Throughput: the number of issues whose done_at falls in [start, end). done_at is the
    last entry into done, counted only for issues still done at as_of (a reopened issue that
    is open again is not done)."""
    cond, params = filters.where()
    return con.execute(
        f"SELECT count(*) FROM fct_issue_lifecycle WHERE done_at >= ? AND done_at < ? AND {cond}",
        [start, end, *params],
    ).fetchone()[0]


def cycle_time_percentiles(con: duckdb.DuckDBPyConnection, start: datetime, end: datetime,
                           filters: Filters = NO_FILTERS) -> dict[str, float | None]:
    """Cycle time percentiles (P50/P75/P85/P95, continuous) in hours over issues done in
    [start, end). Cycle time = done_at - cycle start, where cycle start is the first entry
    into an active state (in progress, review or blocked). Issues done without ever being
    active have no cycle time and are left out. None when nothing qualifies."""
    cond, params = filters.where()
    quantiles = ", ".join(f"quantile_cont(cycle_time_hours, {p})" for p in PERCENTILES)
    row = con.execute(
        f"SELECT {quantiles} FROM fct_issue_lifecycle "
        f"WHERE done_at >= ? AND done_at < ? AND cycle_time_hours IS NOT NULL AND {cond}",
        [start, end, *params],
    ).fetchone()
    return {f"p{round(p * 100)}": value for p, value in zip(PERCENTILES, row)}


def current_wip(con: duckdb.DuckDBPyConnection, filters: Filters = NO_FILTERS) -> dict[str, int]:
    """Current WIP: issues whose state at as_of is active (in progress, review or blocked),
    with how many of them are operationally blocked (blocked status, or an open blocker
    window at as_of)."""
    cond, params = filters.where()
    total, blocked = con.execute(
        f"SELECT count(*) FILTER (WHERE canonical_status IN ('in_progress', 'review', 'blocked')), "
        f"count(*) FILTER (WHERE canonical_status IN ('in_progress', 'review', 'blocked') "
        f"AND operational_state = 'blocked') FROM fct_wip_current WHERE {cond}",
        params,
    ).fetchone()
    return {"wip": total, "blocked": blocked}
