"""Sprints: what teams committed to and what they finished."""

from __future__ import annotations

from datetime import datetime

import duckdb
import polars as pl

from warehouse.metrics.filters import NO_FILTERS, Filters, frame
from warehouse.semantics.rules import within


def sprint_commitment(
    con: duckdb.DuckDBPyConnection, start: datetime, end: datetime, filters: Filters = NO_FILTERS
) -> pl.DataFrame:
    """Sprint commitment (say/do): per sprint starting in [start, end), committed (issues that
    are members at the start), added (joins after it), removed (departures before the end),
    completed (issues that entered done inside the sprint while a member), spillover (issues
    that are members at the end and not done then; empty until the sprint ends) and say/do =
    completed / committed.
    Only the team filter applies: sprints belong to teams, not projects."""
    team = {"team": filters.team} if filters.team else {}
    return frame(
        con,
        f"""
        SELECT sprint_id, team, sprint_name, start_at, end_at, state, committed, added, removed,
               completed, spillover, say_do
        FROM fct_sprint_performance
        WHERE {within("start_at")} {"AND team = $team" if team else ""}
        ORDER BY start_at, team""",
        {"start": start, "end": end, **team},
    )
