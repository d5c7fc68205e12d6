"""Risk signals: named checks of a reporting week against the trailing weeks before it.

Each signal yields a severity (ok / info / warning / critical), its evidence numbers, one
sentence explaining it and one recommended action. All numbers come from
`warehouse.metrics`; every threshold lives in `Thresholds` (documented below) and can be
overridden from a TOML file's `[risk]` table.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, fields, replace
from datetime import datetime, timedelta
from pathlib import Path

import duckdb
import polars as pl

from warehouse import metrics, tomlfile
from warehouse.errors import HeimdallError
from warehouse.metrics import Filters

SEVERITY_ORDER = {"ok": 0, "warning": 1, "critical": 2}
# Among equally severe signals, the one earlier here is the likelier root cause to lead with.
PRIORITY = ("throughput_collapse", "cycle_time_increase", "blocker_spike", "wip_overload", "sle_breach",
            "rework_spike", "stale_items", "wip_rising")


@dataclass(frozen=True)
class Thresholds:
    """When each signal fires. Ratios are fractions (0.3 = 30%)."""

    trailing_weeks: int = 4            # the baseline: this many weeks before the reporting week
    min_sample: int = 5                # fewer finished items than this: rate signals stay quiet
    # A change must also be unlikely to be noise: its z-score (Poisson for counts, binomial
    # for rates, the baseline's spread of log cycle times for medians) must reach these.
    z_warning: float = 2.0
    z_critical: float = 3.0
    throughput_drop_warning: float = 0.30   # this week vs the trailing weekly average
    throughput_drop_critical: float = 0.50
    cycle_time_rise_warning: float = 0.25   # median this week vs the trailing median
    cycle_time_rise_critical: float = 0.50
    wip_overload_warning: float = 1.3       # WIP / (throughput per day x mean cycle time in days)
    wip_overload_critical: float = 1.6
    wip_rise_warning: float = 0.20          # WIP at the week's end vs a week earlier
    blocker_spike_warning: float = 1.5      # blocks started this week / trailing weekly average
    blocker_spike_critical: float = 2.5
    blocker_spike_min: int = 3              # and at least this many blocks this week
    rework_spike_warning_points: float = 10.0   # rework rate, percentage points over trailing
    rework_spike_critical_points: float = 20.0
    sle_weeks: int = 12                     # a team's SLE is its P85 cycle time over these weeks
    sle_breach_warning: float = 0.30        # share of WIP older than its team's SLE (about
    sle_breach_critical: float = 0.50       # 20% in a steady flow: long items linger in WIP)
    stale_days: float = 7.0                 # an active item with no status change this long is stale
    stale_warning: float = 0.25             # share of WIP that is stale
    stale_critical: float = 0.50


def load_thresholds(path: Path | None) -> Thresholds:
    """Thresholds from a TOML file's [risk] table; errors name the bad key."""
    if path is None:
        return Thresholds()
    doc = tomlfile.load(path, "thresholds")
    known = {f.name: f.type for f in fields(Thresholds)}
    extra = set(doc) - {"risk"}
    if extra:
        raise HeimdallError(f"thresholds {path}: unknown key {sorted(extra)[0]!r} (expected a [risk] table)")
    values = {}
    for key, value in tomlfile.table(doc, "risk", "thresholds", str(path)).items():
        if key not in known:
            raise HeimdallError(f"thresholds {path}: unknown key 'risk.{key}'")
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value < math.inf:
            raise HeimdallError(f"thresholds {path}: 'risk.{key}' must be a finite, non-negative number")
        values[key] = int(value) if known[key] == "int" else float(value)
    return replace(Thresholds(), **values)


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


def _grade(value: float | None, warning: float, critical: float | None = None,
           z: float | None = None, t: "Thresholds | None" = None) -> str:
    """Severity from the size of a change, capped by how sure we are it is not noise."""
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


def _scope_name(filters: Filters) -> str:
    return filters.team or "all teams"


def evaluate_scope(con: duckdb.DuckDBPyConnection, window: Window, filters: Filters, active,
                   t: Thresholds = Thresholds()) -> list[Signal]:
    """Every signal for one scope (the filters), fired or not; `active` is the scope's work in
    progress at the window's end (metrics.work_item_age)."""
    scope = _scope_name(filters)
    weeks = window.trailing_weeks
    this_start, end, base_start, base_end = window.start, window.end, window.trailing_start, window.start
    signals = []

    # Throughput collapse
    done_now = metrics.throughput(con, this_start, end, filters)
    done_base = metrics.throughput(con, base_start, base_end, filters)
    weekly = done_base / weeks
    drop = 1 - done_now / weekly if weekly >= t.min_sample else None
    signals.append(Signal(
        "throughput_collapse", "Throughput collapse", scope,
        _grade(drop, t.throughput_drop_warning, t.throughput_drop_critical, _poisson_z(done_now, weekly), t),
        f"{scope}: {_n(done_now, 'item')} finished this week against a trailing {weeks}-week average of {weekly:,.1f}"
        + (f" ({_pct(-drop)})." if drop is not None else " (too little history to judge)."),
        "Find what stopped work finishing: clear blocked items and swarm on the oldest ones before starting new work.",
        f"weekly throughput ({scope})",
        {"this_week": done_now, "trailing_weekly_average": round(weekly, 2), "drop": None if drop is None else round(drop, 4)},
        brief=f"{done_now:,} vs {weekly:,.1f}/wk"))

    # Cycle-time increase
    ct_now = metrics.cycle_time_percentiles(con, this_start, end, filters)
    ct_base = metrics.cycle_time_percentiles(con, base_start, base_end, filters)
    rise = (ct_now["p50"] / ct_base["p50"] - 1
            if ct_now["n"] >= t.min_sample and ct_base["n"] >= t.min_sample and ct_base["p50"] else None)
    z = None
    if rise is not None and rise > 0:
        # standard error of a sample median of log-times: 1.25 sd / sqrt(n)
        spread = _log_cycle_spread(con, base_start, base_end, filters) or 1.0
        z = math.log1p(rise) / (1.25 * spread / math.sqrt(ct_now["n"]))
    signals.append(Signal(
        "cycle_time_increase", "Cycle-time increase", scope,
        _grade(rise, t.cycle_time_rise_warning, t.cycle_time_rise_critical, z, t),
        (f"{scope}: median cycle time was {ct_now['p50']:,.0f} h this week ({ct_now['n']} items) against "
         f"{ct_base['p50']:,.0f} h over the trailing {weeks} weeks ({_pct(rise)})." if rise is not None else
         f"{scope}: too few items finished to compare cycle times ({ct_now['n']} this week)."),
        "Look at where finished work waited longest (review, blocked) and cut the queue there.",
        f"median cycle time ({scope})",
        {"median_this_week_hours": ct_now["p50"], "median_trailing_hours": ct_base["p50"],
         "items_this_week": ct_now["n"], "rise": None if rise is None else round(rise, 4)},
        brief=(f"{ct_now['p50']:,.0f} h vs {ct_base['p50']:,.0f} h" if rise is not None else "too few items")))

    # WIP overload (Little's law: time-averaged WIP vs throughput rate x mean cycle time)
    wip_end = active.height
    wip_before = metrics.wip_at(con, this_start, filters)
    wip_avg = metrics.average_wip(con, this_start, end, filters)
    mean_ct = _mean_cycle_days(con, base_start, base_end, filters)
    rate = done_base / (weeks * 7)
    expected = rate * mean_ct if mean_ct is not None else None
    ratio = wip_avg / expected if expected and expected >= 1 and done_base >= t.min_sample else None
    signals.append(Signal(
        "wip_overload", "WIP overload", scope,
        _grade(ratio, t.wip_overload_warning, t.wip_overload_critical,
               _poisson_z(wip_avg, expected) if expected else None, t),
        (f"{scope}: {wip_avg:,.0f} items were in progress on average this week where Little's law expects about "
         f"{expected:,.0f} ({rate:,.1f} finished a day x {mean_ct:,.1f} days mean cycle time): {ratio:,.1f}x."
         if ratio is not None else f"{scope}: too little finished work to estimate the WIP the flow supports."),
        "Stop starting, start finishing: hold new work until WIP is back near what the team finishes.",
        f"WIP ({scope})",
        {"average_wip": round(wip_avg, 2), "wip_at_week_end": wip_end,
         "expected_wip": None if expected is None else round(expected, 2),
         "ratio": None if ratio is None else round(ratio, 3)},
        brief=(f"{wip_avg:,.0f} vs {expected:,.0f} ({ratio:,.1f}x)" if ratio is not None else "too little data")))
    growth = (wip_end / wip_before - 1) if wip_before >= t.min_sample else None
    signals.append(Signal(
        "wip_rising", "WIP rising", scope,
        _grade(growth, t.wip_rise_warning),
        f"{scope}: WIP went from {wip_before:,} to {wip_end:,} over the week"
        + (f" ({_pct(growth)})." if growth is not None else "."),
        "Check whether new work is being started faster than work is finishing, and pause intake if so.",
        f"WIP ({scope})",
        {"wip_week_start": wip_before, "wip_week_end": wip_end, "growth": None if growth is None else round(growth, 4)},
        brief=f"{wip_before:,} -> {wip_end:,}"))

    # Blocker spike
    blocks_now = metrics.blocks_started(con, this_start, end, filters)
    blocks_base = metrics.blocks_started(con, base_start, base_end, filters) / weeks
    spike = blocks_now / max(blocks_base, 1.0) if blocks_now >= t.blocker_spike_min else None
    signals.append(Signal(
        "blocker_spike", "Blocker spike", scope,
        _grade(spike, t.blocker_spike_warning, t.blocker_spike_critical, _poisson_z(blocks_now, blocks_base), t),
        f"{scope}: {_n(blocks_now, 'item')} became blocked this week against a trailing average of {blocks_base:,.1f} a week"
        + (f" ({spike:,.1f}x)." if spike is not None else "."),
        "Find the shared cause of the new blocks (an environment, a dependency, a reviewer) and escalate it today.",
        f"items blocked per week ({scope})",
        {"blocks_this_week": blocks_now, "trailing_weekly_average": round(blocks_base, 2),
         "ratio": None if spike is None else round(spike, 3)},
        brief=f"{blocks_now:,} vs {blocks_base:,.1f}/wk"))

    # Rework spike
    rw_now = metrics.rework_rate(con, this_start, end, filters)
    rw_base = metrics.rework_rate(con, base_start, base_end, filters)
    points = (rw_now["rate_pct"] - rw_base["rate_pct"]
              if rw_now["done"] >= t.min_sample and rw_base["done"] >= t.min_sample else None)
    z = None
    if points is not None:
        p = min(max(rw_base["rate_pct"] / 100, 0.01), 0.99)
        z = (points / 100) / math.sqrt(p * (1 - p) / rw_now["done"])
    signals.append(Signal(
        "rework_spike", "Rework spike", scope,
        _grade(points, t.rework_spike_warning_points, t.rework_spike_critical_points, z, t),
        (f"{scope}: {rw_now['reopened']} of {rw_now['done']} items finished this week had been reopened "
         f"({rw_now['rate_pct']:,.0f}%) against {rw_base['rate_pct']:,.0f}% over the trailing {weeks} weeks."
         if points is not None else f"{scope}: too few items finished to compare rework ({rw_now['done']} this week)."),
        "Review why finished work came back (acceptance criteria, test coverage) before closing more.",
        f"rework rate ({scope})",
        {"rate_this_week_pct": rw_now["rate_pct"], "rate_trailing_pct": rw_base["rate_pct"],
         "points": None if points is None else round(points, 2)},
        brief=(f"{rw_now['rate_pct']:,.0f}% vs {rw_base['rate_pct']:,.0f}%" if points is not None else "too few items")))

    # SLE breach and stale items, over the items active at the week's end
    sle = metrics.team_sle(con, end, t.sle_weeks, filters)
    wip = active.height
    sle_of_team = pl.col("team").replace_strict(sle, default=None, return_dtype=pl.Float64)
    past = active.filter(pl.col("age_hours") > sle_of_team)
    share = past.height / wip if wip >= t.min_sample else None
    signals.append(Signal(
        "sle_breach", "Items past SLE", scope,
        _grade(share, t.sle_breach_warning, t.sle_breach_critical),
        f"{scope}: {past.height:,} of {wip:,} active items are older than their team's 85th-percentile cycle time"
        + (f" ({share:.0%})." if share is not None else "."),
        "Swarm on the items past their SLE, oldest first, and say no to new starts until they move.",
        f"items past SLE ({scope})",
        {"past_sle": past.height, "active": wip, "share": None if share is None else round(share, 4),
         "sle_hours": {k: round(v, 1) for k, v in sorted(sle.items())},
         "worst": past["issue_key"].head(5).to_list()},
        brief=f"{past.height:,} of {wip:,} past SLE"))
    stale = active.filter(active["time_in_status_hours"] >= t.stale_days * 24)
    stale_share = stale.height / wip if wip >= t.min_sample else None
    signals.append(Signal(
        "stale_items", "Stale items", scope,
        _grade(stale_share, t.stale_warning, t.stale_critical),
        f"{scope}: {stale.height:,} of {wip:,} active items have not changed status for {t.stale_days:g} days or more"
        + (f" ({stale_share:.0%})." if stale_share is not None else "."),
        "Triage the stale items: finish, split, unblock or send each back to the backlog.",
        f"stale items ({scope})",
        {"stale": stale.height, "active": wip, "share": None if stale_share is None else round(stale_share, 4),
         "stale_days": t.stale_days, "oldest": stale.sort("time_in_status_hours", descending=True)["issue_key"].head(5).to_list()},
        brief=f"{stale.height:,} of {wip:,} stale"))
    return signals


def _log_cycle_spread(con, start, end, filters) -> float | None:
    cond, params = filters.where()
    return con.execute(
        f"SELECT stddev_samp(ln(greatest(cycle_time_hours, 0.1))) FROM fct_issue_lifecycle WHERE done_at >= ? "
        f"AND done_at < ? AND cycle_time_hours IS NOT NULL AND {cond}", [start, end, *params]).fetchall()[0][0]


def _mean_cycle_days(con, start, end, filters) -> float | None:
    cond, params = filters.where()
    value = con.execute(
        f"SELECT avg(cycle_time_hours) / 24 FROM fct_issue_lifecycle WHERE done_at >= ? AND done_at < ? "
        f"AND cycle_time_hours IS NOT NULL AND {cond}", [start, end, *params]).fetchall()[0][0]
    return value


def evaluate(con: duckdb.DuckDBPyConnection, end: datetime, filters: Filters = metrics.NO_FILTERS,
             thresholds: Thresholds = Thresholds(), active=None) -> list[Signal]:
    """All signals for the week ending at `end`: for the filtered scope and, unless one team
    is selected, for each team. Sorted most severe first. `active` may pass in the scope's
    metrics.work_item_age at `end` when the caller already has it."""
    window = Window(end, thresholds.trailing_weeks)
    if active is None:
        active = metrics.work_item_age(con, filters, at=end)
    signals = evaluate_scope(con, window, filters, active, thresholds)
    if filters.team is None:
        cond, params = filters.where()
        teams = [r[0] for r in con.execute(
            f"SELECT DISTINCT team FROM fct_issue_lifecycle WHERE {cond} ORDER BY 1", params).fetchall()]
        if len(teams) > 1:
            for team in teams:
                signals += evaluate_scope(con, window, filters.with_team(team),
                                          active.filter(active["team"] == team), thresholds)
    return sorted(signals, key=lambda s: (-SEVERITY_ORDER[s.severity], PRIORITY.index(s.key),
                                          s.scope != "all teams", s.scope))
