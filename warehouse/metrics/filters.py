"""How a metric query is narrowed and run: `Filters` (team, project, issue type, flow items
only) as a named-parameter SQL condition, and the lookups that check and offer filter values.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import duckdb
import polars as pl

from warehouse.errors import HeimdallError
from warehouse.semantics.rules import within

# What fct_status_periods carries itself; other filter columns come from the lifecycle.
PERIOD_COLUMNS = frozenset({"team", "is_flow_item"})
DIMENSIONS = (("team", "team"), ("project_key", "project"), ("issue_type", "issue type"))


@dataclass(frozen=True)
class Filters:
    team: str | None = None
    project: str | None = None
    issue_type: str | None = None

    def _pairs(self) -> list[tuple[str, str]]:
        return [
            (c, v)
            for c, v in (("team", self.team), ("project_key", self.project), ("issue_type", self.issue_type))
            if v is not None
        ]

    def where(self, alias: str = "", flow_items: bool = True) -> tuple[str, dict]:
        """A SQL condition on fct_issue_lifecycle (or fct_wip_current) columns, under `alias`,
        with its named parameters ($team, $project_key, $issue_type). Flow items only (see
        `is_flow_item`) unless the table holds nothing else (`flow_items=False`)."""
        return self._condition(lambda column: f"{alias}.{column}" if alias else column, flow_items)

    def periods(self) -> str:
        """FROM clause for fct_status_periods (alias p) under these filters: the lifecycle (l)
        is joined only when a project or type filter needs it, as periods carry the team."""
        if self.project is None and self.issue_type is None:
            return "fct_status_periods p"
        return "fct_status_periods p JOIN fct_issue_lifecycle l USING (issue_id)"

    def where_periods(self) -> tuple[str, dict]:
        """The condition matching `periods()`."""
        return self._condition(lambda column: f"{'p' if column in PERIOD_COLUMNS else 'l'}.{column}")

    def _condition(self, column, flow_items: bool = True) -> tuple[str, dict]:
        pairs = self._pairs()
        parts = [column("is_flow_item") if flow_items else "true"]
        parts += [f"{column(c)} = ${c}" for c, _ in pairs]
        return " AND ".join(parts), dict(pairs)

    def describe(self) -> str:
        parts = [
            f"{k} {v}"
            for k, v in (("team", self.team), ("project", self.project), ("type", self.issue_type))
            if v is not None
        ]
        return ", ".join(parts) or "all work"

    def with_team(self, team: str | None) -> Filters:
        return Filters(team, self.project, self.issue_type)


NO_FILTERS = Filters()


def frame(con: duckdb.DuckDBPyConnection, sql: str, params: dict | list | None = None) -> pl.DataFrame:
    """A query's result as a polars frame (through the Arrow C stream, no pyarrow)."""
    return pl.DataFrame(con.sql(sql, params=params or None))


def over_delivered(
    con: duckdb.DuckDBPyConnection,
    select: str,
    start: datetime,
    end: datetime,
    filters: Filters,
    only: str = "true",
    group_by: str = "",
    params: dict | None = None,
) -> list[tuple]:
    """`select` over the flow items delivered in [start, end) (see `throughput`) that meet
    `only`: the one place that says which items a delivery metric describes. `params` binds
    what `select` needs beyond $start and $end."""
    cond, named = filters.where()
    return con.execute(
        f"SELECT {select} FROM fct_issue_lifecycle WHERE {within('delivered_at')} AND ({only}) AND {cond} "
        f"{'GROUP BY ' + group_by if group_by else ''}",
        {"start": start, "end": end, **named, **(params or {})},
    ).fetchall()


def dimensions(con: duckdb.DuckDBPyConnection) -> dict[str, list[str]]:
    """The teams, projects and issue types present, for choosing filters."""
    return {
        column: [
            r[0]
            for r in con.execute(
                f"SELECT DISTINCT {column} FROM dim_scope WHERE {column} IS NOT NULL ORDER BY 1"
            ).fetchall()
        ]
        for column, _ in DIMENSIONS
    }


def validate_filters(con: duckdb.DuckDBPyConnection, filters: Filters) -> None:
    """Unknown team, project or issue type: a one-line error listing the known ones."""
    chosen = dict(filters._pairs())
    if not chosen:
        return
    known = dimensions(con)
    for column, label in DIMENSIONS:
        if column in chosen and chosen[column] not in known[column]:
            raise HeimdallError(f"unknown {label} {chosen[column]!r} (known: {', '.join(known[column])})")


def teams(con: duckdb.DuckDBPyConnection, filters: Filters = NO_FILTERS) -> list[str]:
    """The teams with flow items under the filters, by name."""
    cond, params = filters.where()
    return [
        r[0] for r in con.execute(f"SELECT DISTINCT team FROM dim_scope WHERE {cond} ORDER BY 1", params).fetchall()
    ]


def issue_keys(con: duckdb.DuckDBPyConnection, prefix: str, limit: int = 10) -> list[str]:
    """Issue keys starting with `prefix`, case-insensitively (for completion); `_` and `%`
    are plain characters."""
    return [
        r[0]
        for r in con.execute(
            "SELECT issue_key FROM dim_issue_key WHERE starts_with(key_upper, upper($prefix)) "
            "ORDER BY key_length, issue_key LIMIT $limit",
            {"prefix": prefix, "limit": int(limit)},
        ).fetchall()
    ]


def find_issue(con: duckdb.DuckDBPyConnection, key: str) -> str | None:
    """The issue key equal to `key` ignoring case (surrounding blanks dropped), or None."""
    found = sorted(stored for _, stored in _keys(con, key.strip()))
    return found[0] if found else None


def issue_id(con: duckdb.DuckDBPyConnection, issue_key: str) -> int | None:
    """The id of the issue with this exact key, or None. A probe of the key's index: the
    issue's other facts are then read by id, from the row groups that hold it."""
    return next((found for found, stored in _keys(con, issue_key) if stored == issue_key), None)


def _keys(con: duckdb.DuckDBPyConnection, key: str) -> list[tuple[int, str]]:
    """(issue id, key) of the issues whose key equals `key` ignoring case. The upper-cased key
    is bound as a value: compared with an expression, DuckDB would scan every key instead of
    probing the index."""
    upper = con.execute("SELECT upper($key)", {"key": key}).fetchall()[0][0]
    query = "SELECT issue_id, issue_key FROM dim_issue_key WHERE key_upper = $upper"
    return con.execute(query, {"upper": upper}).fetchall()
