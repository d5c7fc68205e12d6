"""Risk signals: named checks of a reporting week against the trailing weeks before it.

`thresholds` says when each fires (overridable from a TOML file's `[risk]` table);
`signals` holds one function per signal, in priority order, each reading `warehouse.metrics`.
"""

from __future__ import annotations

from datetime import datetime

import duckdb
import polars as pl

from warehouse import metrics
from warehouse.metrics import Filters
from warehouse.risks.signals import (
    PRIORITY,
    SEVERITY_ORDER,
    SIGNALS,
    Scope,
    Signal,
    Window,
    grade,
)
from warehouse.risks.thresholds import Thresholds, load_thresholds

__all__ = ["PRIORITY", "SEVERITY_ORDER", "Signal", "Thresholds", "evaluate", "grade", "load_thresholds"]


def evaluate(
    con: duckdb.DuckDBPyConnection,
    end: datetime,
    filters: Filters = metrics.NO_FILTERS,
    thresholds: Thresholds = Thresholds(),
    active: pl.DataFrame | None = None,
) -> list[Signal]:
    """All signals for the week ending at `end`: for the filtered scope and, unless one team
    is selected, for each team. Sorted most severe first. `active` may pass in the scope's
    metrics.work_item_age at `end` when the caller already has it."""
    window = Window(end, thresholds.trailing_weeks)
    if active is None:
        active = metrics.work_item_age(con, filters, at=end)
    scopes = [Scope(con, window, filters, active, thresholds)]
    if filters.team is None:
        teams = metrics.teams(con, filters)
        if len(teams) > 1:
            scopes += [
                Scope(con, window, filters.with_team(team), active.filter(pl.col("team") == team), thresholds)
                for team in teams
            ]
    signals = [check(scope) for scope in scopes for check in SIGNALS]
    return sorted(
        signals, key=lambda s: (-SEVERITY_ORDER[s.severity], PRIORITY.index(s.key), s.scope != "all teams", s.scope)
    )
