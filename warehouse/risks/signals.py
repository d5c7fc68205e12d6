"""The risk signals: one function per signal, registered in priority order (among equally
severe signals, the one registered first is the likelier root cause to lead with).

A signal compares the reporting week with the trailing weeks before it, for one scope (the
filters). Its figures come from `warehouse.metrics`; when it fires depends only on
`Thresholds`. Each yields a severity (ok / warning / critical), its evidence numbers, one
sentence explaining it and one recommended action.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from functools import cached_property

import duckdb
import polars as pl

from warehouse import metrics
from warehouse.metrics import Filters
from warehouse.risks.thresholds import Thresholds

SEVERITY_ORDER = {"ok": 0, "warning": 1, "critical": 2}


@dataclass(frozen=True)
class Signal:
    key: str
    name: str
    scope: str
    severity: str
    explanation: str
    action: str
    metric_to_watch: str
    evidence: dict = field(default_factory=dict)
    brief: str = ""  # the evidence in a few characters, for narrow tables

    @property
    def fired(self) -> bool:
        return self.severity != "ok"

    def to_dict(self) -> dict:
        return asdict(self)


def grade(
    value: float | None,
    warning: float,
    critical: float | None = None,
    z: float | None = None,
    t: Thresholds | None = None,
) -> str:
    """Severity from the size of a change (at or past a threshold fires), capped by how sure
    we are it is not noise (its z-score against the thresholds' z_warning / z_critical)."""
    if value is None:
        return "ok"
    severity = "critical" if critical is not None and value >= critical else "warning" if value >= warning else "ok"
    if z is not None and t is not None:
        if z < t.z_warning:
            return "ok"
        if z < t.z_critical and severity == "critical":
            return "warning"
    return severity


def _poisson_z(observed: float, expected: float) -> float:
    return abs(observed - expected) / math.sqrt(max(expected, 1.0))


def _n(count: int, noun: str) -> str:
    return f"{count:,} {noun}" + ("" if count == 1 else "s")


def _pct(x: float) -> str:
    return f"{x:+.0%}"


def _round(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits)


@dataclass(frozen=True)
class Window:
    """The reporting week [end - 7 days, end) and the trailing weeks before it."""

    end: datetime
    trailing_weeks: int

    @property
    def start(self) -> datetime:
        return self.end - timedelta(days=7)

    @property
    def trailing_start(self) -> datetime:
        return self.start - timedelta(weeks=self.trailing_weeks)


@dataclass
class Scope:
    """What every signal of one scope reads: its window, filters and thresholds, the work in
    progress at the window's end (metrics.work_item_age), and the figures two signals share."""

    con: duckdb.DuckDBPyConnection
    window: Window
    filters: Filters
    active: pl.DataFrame
    t: Thresholds

    @property
    def name(self) -> str:
        return self.filters.team or "all teams"

    @property
    def this_week(self) -> tuple[datetime, datetime]:
        return self.window.start, self.window.end

    @property
    def trailing(self) -> tuple[datetime, datetime]:
        return self.window.trailing_start, self.window.start

    @cached_property
    def done_trailing(self) -> int:
        return metrics.throughput(self.con, *self.trailing, self.filters)

    def signal(
        self, key: str, name: str, severity: str, explanation: str, action: str, watch: str, evidence: dict, brief: str
    ) -> Signal:
        return Signal(key, name, self.name, severity, explanation, action, f"{watch} ({self.name})", evidence, brief)


Check = Callable[[Scope], Signal]
SIGNALS: list[Check] = []


def registered(check: Check) -> Check:
    SIGNALS.append(check)
    return check


@registered
def throughput_collapse(s: Scope) -> Signal:
    t, weeks = s.t, s.window.trailing_weeks
    done_now = metrics.throughput(s.con, *s.this_week, s.filters)
    weekly = s.done_trailing / weeks
    drop = 1 - done_now / weekly if weekly >= t.min_sample else None
    return s.signal(
        "throughput_collapse",
        "Throughput collapse",
        grade(drop, t.throughput_drop_warning, t.throughput_drop_critical, _poisson_z(done_now, weekly), t),
        f"{s.name}: {_n(done_now, 'item')} finished this week against a trailing {weeks}-week average of "
        f"{weekly:,.1f}" + (f" ({_pct(-drop)})." if drop is not None else " (too little history to judge)."),
        "Find what stopped work finishing: clear blocked items and swarm on the oldest ones before starting new work.",
        "weekly throughput",
        {"this_week": done_now, "trailing_weekly_average": round(weekly, 2), "drop": _round(drop, 4)},
        f"{done_now:,} vs {weekly:,.1f}/wk",
    )


@registered
def cycle_time_increase(s: Scope) -> Signal:
    t, weeks = s.t, s.window.trailing_weeks
    now = metrics.cycle_time_percentiles(s.con, *s.this_week, s.filters)
    base = metrics.cycle_time_percentiles(s.con, *s.trailing, s.filters)
    now_p50, base_p50 = now["p50"], base["p50"]
    enough = now["n"] >= t.min_sample and base["n"] >= t.min_sample
    rise = now_p50 / base_p50 - 1 if enough and now_p50 is not None and base_p50 else None
    z = None
    if rise is not None and rise > 0:
        # standard error of a sample median of log-times: 1.25 sd / sqrt(n)
        spread = metrics.cycle_time_summary(s.con, *s.trailing, s.filters)["log_spread"] or 1.0
        z = math.log1p(rise) / (1.25 * spread / math.sqrt(now["n"]))
    return s.signal(
        "cycle_time_increase",
        "Cycle-time increase",
        grade(rise, t.cycle_time_rise_warning, t.cycle_time_rise_critical, z, t),
        (
            f"{s.name}: median cycle time was {now['p50']:,.0f} h this week ({now['n']} items) against "
            f"{base['p50']:,.0f} h over the trailing {weeks} weeks ({_pct(rise)})."
            if rise is not None
            else f"{s.name}: too few items finished to compare cycle times ({now['n']} this week)."
        ),
        "Look at where finished work waited longest (review, blocked) and cut the queue there.",
        "median cycle time",
        {
            "median_this_week_hours": now["p50"],
            "median_trailing_hours": base["p50"],
            "items_this_week": now["n"],
            "rise": _round(rise, 4),
        },
        f"{now['p50']:,.0f} h vs {base['p50']:,.0f} h" if rise is not None else "too few items",
    )


@registered
def blocker_spike(s: Scope) -> Signal:
    t = s.t
    now = metrics.blocks_started(s.con, *s.this_week, s.filters)
    base = metrics.blocks_started(s.con, *s.trailing, s.filters) / s.window.trailing_weeks
    spike = now / max(base, 1.0) if now >= t.blocker_spike_min else None
    return s.signal(
        "blocker_spike",
        "Blocker spike",
        grade(spike, t.blocker_spike_warning, t.blocker_spike_critical, _poisson_z(now, base), t),
        f"{s.name}: {_n(now, 'item')} became blocked this week against a trailing average of {base:,.1f} a week"
        + (f" ({spike:,.1f}x)." if spike is not None else "."),
        "Find the shared cause of the new blocks (an environment, a dependency, a reviewer) and escalate it today.",
        "items blocked per week",
        {"blocks_this_week": now, "trailing_weekly_average": round(base, 2), "ratio": _round(spike, 3)},
        f"{now:,} vs {base:,.1f}/wk",
    )


@registered
def wip_overload(s: Scope) -> Signal:
    """Little's law: the time-averaged WIP against throughput rate x mean cycle time."""
    t = s.t
    average = metrics.average_wip(s.con, *s.this_week, s.filters)
    mean_days = metrics.cycle_time_summary(s.con, *s.trailing, s.filters)["mean_days"]
    rate = s.done_trailing / (s.window.trailing_weeks * 7)
    expected = rate * mean_days if mean_days is not None else None
    ratio = average / expected if expected and expected >= 1 and s.done_trailing >= t.min_sample else None
    return s.signal(
        "wip_overload",
        "WIP overload",
        grade(
            ratio,
            t.wip_overload_warning,
            t.wip_overload_critical,
            _poisson_z(average, expected) if expected else None,
            t,
        ),
        (
            f"{s.name}: {average:,.0f} items were in progress on average this week where Little's law expects about "
            f"{expected:,.0f} ({rate:,.1f} finished a day x {mean_days:,.1f} days mean cycle time): {ratio:,.1f}x."
            if ratio is not None
            else f"{s.name}: too little finished work to estimate the WIP the flow supports."
        ),
        "Stop starting, start finishing: hold new work until WIP is back near what the team finishes.",
        "WIP",
        {
            "average_wip": round(average, 2),
            "wip_at_week_end": s.active.height,
            "expected_wip": _round(expected, 2),
            "ratio": _round(ratio, 3),
        },
        f"{average:,.0f} vs {expected:,.0f} ({ratio:,.1f}x)" if ratio is not None else "too little data",
    )


@registered
def sle_breach(s: Scope) -> Signal:
    t, wip = s.t, s.active.height
    sle = metrics.team_sle(s.con, s.window.end, t.sle_weeks, s.filters)
    sle_of_team = pl.col("team").replace_strict(sle, default=None, return_dtype=pl.Float64)
    past = s.active.filter(pl.col("age_hours") > sle_of_team)
    share = past.height / wip if wip >= t.min_sample else None
    return s.signal(
        "sle_breach",
        "Items past SLE",
        grade(share, t.sle_breach_warning, t.sle_breach_critical),
        f"{s.name}: {past.height:,} of {wip:,} active items are older than their team's 85th-percentile cycle time"
        + (f" ({share:.0%})." if share is not None else "."),
        "Swarm on the items past their SLE, oldest first, and say no to new starts until they move.",
        "items past SLE",
        {
            "past_sle": past.height,
            "active": wip,
            "share": _round(share, 4),
            "sle_hours": {k: round(v, 1) for k, v in sorted(sle.items())},
            "worst": past["issue_key"].head(5).to_list(),
        },
        f"{past.height:,} of {wip:,} past SLE",
    )


@registered
def rework_spike(s: Scope) -> Signal:
    t, weeks = s.t, s.window.trailing_weeks
    now = metrics.rework_rate(s.con, *s.this_week, s.filters)
    base = metrics.rework_rate(s.con, *s.trailing, s.filters)
    now_pct, base_pct = now["rate_pct"], base["rate_pct"]
    enough = now["done"] >= t.min_sample and base["done"] >= t.min_sample
    points = now_pct - base_pct if enough and now_pct is not None and base_pct is not None else None
    z = None
    if points is not None and base_pct is not None:
        p = min(max(base_pct / 100, 0.01), 0.99)
        z = (points / 100) / math.sqrt(p * (1 - p) / now["done"])
    return s.signal(
        "rework_spike",
        "Rework spike",
        grade(points, t.rework_spike_warning_points, t.rework_spike_critical_points, z, t),
        (
            f"{s.name}: {now['reopened']} of {now['done']} items finished this week had been reopened "
            f"({now['rate_pct']:,.0f}%) against {base['rate_pct']:,.0f}% over the trailing {weeks} weeks."
            if points is not None
            else f"{s.name}: too few items finished to compare rework ({now['done']} this week)."
        ),
        "Review why finished work came back (acceptance criteria, test coverage) before closing more.",
        "rework rate",
        {"rate_this_week_pct": now["rate_pct"], "rate_trailing_pct": base["rate_pct"], "points": _round(points, 2)},
        f"{now['rate_pct']:,.0f}% vs {base['rate_pct']:,.0f}%" if points is not None else "too few items",
    )


@registered
def stale_items(s: Scope) -> Signal:
    t, wip = s.t, s.active.height
    stale = s.active.filter(pl.col("time_in_status_hours") >= t.stale_days * 24)
    share = stale.height / wip if wip >= t.min_sample else None
    return s.signal(
        "stale_items",
        "Stale items",
        grade(share, t.stale_warning, t.stale_critical),
        f"{s.name}: {stale.height:,} of {wip:,} active items have not changed status for {t.stale_days:g} days or more"
        + (f" ({share:.0%})." if share is not None else "."),
        "Triage the stale items: finish, split, unblock or send each back to the backlog.",
        "stale items",
        {
            "stale": stale.height,
            "active": wip,
            "share": _round(share, 4),
            "stale_days": t.stale_days,
            "oldest": stale.sort("time_in_status_hours", descending=True)["issue_key"].head(5).to_list(),
        },
        f"{stale.height:,} of {wip:,} stale",
    )


@registered
def wip_rising(s: Scope) -> Signal:
    before, after = metrics.wip_at(s.con, s.window.start, s.filters), s.active.height
    growth = after / before - 1 if before >= s.t.min_sample else None
    return s.signal(
        "wip_rising",
        "WIP rising",
        grade(growth, s.t.wip_rise_warning),
        f"{s.name}: WIP went from {before:,} to {after:,} over the week"
        + (f" ({_pct(growth)})." if growth is not None else "."),
        "Check whether new work is being started faster than work is finishing, and pause intake if so.",
        "WIP",
        {"wip_week_start": before, "wip_week_end": after, "growth": _round(growth, 4)},
        f"{before:,} -> {after:,}",
    )


PRIORITY = tuple(check.__name__ for check in SIGNALS)
