"""Governed delivery metrics: one definition each, one implementation, called by every screen
and by the report. Each function's docstring is its definition: `heimdall-tui glossary`
prints them, so the words and the code cannot drift apart.

Conventions: a period is the half-open interval [start, end) in UTC; "now" is the
warehouse's `as_of`, never the wall clock; `Filters` narrow by team, project and issue type;
weeks are Monday-based ISO weeks. The flow rules the queries share (active at t, done in a
period, blocker open at t, entry into done) live in `warehouse.semantics.rules`.

One module per family: `window` (when), `flow` (delivery), `wip` (work in progress),
`blockers`, `sprints`, `issue` (one issue), `quality` (data quality), `forecast`
(Monte Carlo), `analytics` (scatterplot, aging, cumulative flow, stages, flow efficiency); `filters` narrows and
runs the queries.
"""

from __future__ import annotations

import inspect

from warehouse.metrics import analytics, blockers, flow, forecast, issue, quality, sprints, window, wip
from warehouse.metrics.analytics import (
    SCATTER_LEVELS,
    aging_wip,
    arrival_departure,
    cumulative_flow,
    cycle_time_scatter,
    daily_throughput,
    flow_efficiency,
    issue_flow_efficiency,
    slowest_delivered,
    stages,
    time_in_stage,
)
from warehouse.metrics.blockers import (
    blocked_time,
    blocker_reasons,
    blocks_started,
    most_blocked,
)
from warehouse.metrics.filters import (
    NO_FILTERS,
    Filters,
    dimensions,
    find_issue,
    frame,
    issue_keys,
    teams,
    validate_filters,
)
from warehouse.metrics.flow import (
    PERCENTILES,
    cycle_time_distribution,
    cycle_time_percentiles,
    cycle_time_summary,
    discarded,
    lead_time_percentiles,
    rework_rate,
    sle_hit_rate,
    team_sle,
    throughput,
    time_in_status,
    weekly_flow,
)
from warehouse.metrics.forecast import Forecast, monte_carlo, throughput_samples
from warehouse.metrics.issue import (
    issue_blockers,
    issue_relations,
    issue_snapshot,
    issue_sprints,
    issue_time_in_status,
    issue_timeline,
    recent_issues,
)
from warehouse.metrics.quality import (
    issue_data_quality,
    rejected_rows,
    unmapped_statuses,
)
from warehouse.metrics.sprints import sprint_commitment
from warehouse.metrics.window import (
    as_of,
    built_at,
    data_start,
    period_end,
    reporting_window,
)
from warehouse.metrics.wip import (
    TRIAGE_COLUMNS,
    TRIAGE_RULE,
    average_wip,
    current_wip,
    daily_states,
    issue_states,
    open_work,
    triage,
    wip_at,
    wip_breakdown,
    work_item_age,
    work_item_age_counts,
)

FAMILIES = (window, flow, wip, blockers, sprints, issue, quality, forecast, analytics)

__all__ = [
    "SCATTER_LEVELS",
    "aging_wip",
    "arrival_departure",
    "cumulative_flow",
    "cycle_time_scatter",
    "daily_throughput",
    "flow_efficiency",
    "issue_flow_efficiency",
    "slowest_delivered",
    "stages",
    "time_in_stage",
    "NO_FILTERS",
    "PERCENTILES",
    "TRIAGE_COLUMNS",
    "TRIAGE_RULE",
    "Filters",
    "Forecast",
    "as_of",
    "average_wip",
    "blocked_time",
    "blocker_reasons",
    "blocks_started",
    "built_at",
    "current_wip",
    "cycle_time_distribution",
    "cycle_time_percentiles",
    "cycle_time_summary",
    "daily_states",
    "data_start",
    "dimensions",
    "discarded",
    "find_issue",
    "frame",
    "glossary",
    "issue_blockers",
    "issue_data_quality",
    "issue_keys",
    "issue_relations",
    "issue_snapshot",
    "issue_sprints",
    "issue_states",
    "issue_time_in_status",
    "issue_timeline",
    "lead_time_percentiles",
    "monte_carlo",
    "most_blocked",
    "open_work",
    "period_end",
    "recent_issues",
    "rejected_rows",
    "reporting_window",
    "rework_rate",
    "sle_hit_rate",
    "sprint_commitment",
    "team_sle",
    "teams",
    "throughput",
    "throughput_samples",
    "time_in_status",
    "triage",
    "unmapped_statuses",
    "validate_filters",
    "weekly_flow",
    "wip_at",
    "wip_breakdown",
    "work_item_age",
    "work_item_age_counts",
]


def glossary() -> list[tuple[str, str]]:
    """(name, definition) for every governed metric: the public functions of each family
    module, from their docstrings ("Name: definition")."""
    entries = []
    for module in FAMILIES:
        for name, fn in inspect.getmembers(module, inspect.isfunction):
            if fn.__module__ != module.__name__ or name.startswith("_"):
                continue
            title, _, body = (inspect.getdoc(fn) or "").partition(":")
            entries.append((title.strip(), " ".join(body.split())))
    return sorted(entries, key=lambda e: e[0].lower())
