"""What the delivery metrics aggregate over the flow items done in a period, as one SQL select
list over fct_issue_lifecycle rows: the metrics evaluate it over the facts, and the build
stores it (`mart_delivery`) for the periods the screens open on, so both give one answer.

Rows are the items whose done_at is in the period (delivered_at is done_at for the delivered
ones, so "delivered in the period" is the `delivered` filter of those rows).
"""

from warehouse.semantics.rules import within

# The cycle-time quantiles kept: the percentiles (P50/P75/P85/P95) and a box plot's (P5/P25).
QUANTILES = (0.05, 0.25, 0.50, 0.75, 0.85, 0.95)

DELIVERED = "outcome = 'delivered'"
WITH_CYCLE = f"{DELIVERED} AND cycle_time_hours IS NOT NULL"

# name -> aggregate; counts are 0 (never NULL) over no rows, everything else NULL.
STATS: dict[str, str] = {
    "done": "count(*)",
    "discarded": "count(*) FILTER (WHERE outcome = 'discarded')",
    "delivered": f"count(*) FILTER (WHERE {DELIVERED})",
    "reopened": f"count(*) FILTER (WHERE {DELIVERED} AND reopen_count > 0)",
    "with_cycle": f"count(*) FILTER (WHERE {WITH_CYCLE})",
    "with_lead": f"count(lead_time_hours) FILTER (WHERE {DELIVERED})",
    "cycle_hours": f"sum(cycle_time_hours) FILTER (WHERE {WITH_CYCLE})",
    "blocked_hours": f"sum(blocked_hours) FILTER (WHERE {WITH_CYCLE})",
    "mean_cycle_days": f"avg(cycle_time_hours) FILTER (WHERE {WITH_CYCLE}) / 24",
    "log_spread": f"stddev_samp(ln(greatest(cycle_time_hours, 0.1))) FILTER (WHERE {WITH_CYCLE})",
    "cycle_quantiles": f"quantile_cont(cycle_time_hours, {list(QUANTILES)}) FILTER (WHERE {WITH_CYCLE})",
    "lead_quantiles": f"quantile_cont(lead_time_hours, {list(QUANTILES)}) FILTER (WHERE {DELIVERED})",
}
COUNTS = frozenset(name for name, sql in STATS.items() if sql.startswith("count("))


def stats_select() -> str:
    """The select list, each aggregate named as in STATS."""
    return ", ".join(f"{sql} AS {name}" for name, sql in STATS.items())


def done_in(periods: str, bounds: tuple[str, str] | None = None) -> str:
    """Every fct_issue_lifecycle row (its columns) with the period of `periods` (a relation
    with columns s and e) in which it was done, as window_start and window_end; with `bounds`
    (the periods' earliest start and latest end) only the row groups done within them are read."""
    bounded = f"WHERE {within('l.done_at', *bounds)}" if bounds else ""
    return f"""
        SELECT w.s AS window_start, w.e AS window_end, l.*
        FROM {periods} w JOIN fct_issue_lifecycle l ON {within("l.done_at", "w.s", "w.e")}
        {bounded}"""
