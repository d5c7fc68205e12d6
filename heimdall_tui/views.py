"""What each tab shows, gathered from `warehouse.metrics` and `warehouse.risks`.

Plain data, no Textual: the app's workers call these off the UI thread, and tests call
them directly. A `Scope` is what the filter dialog sets: filters plus a time window.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta

import duckdb
import polars as pl

from warehouse import metrics, risks
from warehouse.metrics import Filters
from warehouse.report import headline, summary

WINDOWS = {"4": 4, "8": 8, "12": 12, "all": None}  # weeks shown by the charts
AGING_ROWS = 200  # the oldest items HUGINN lists (and VÖLVA a stage); the WIP Triage tab holds them all
SPRINTS_PER_TEAM = 3  # finished sprints MUNINN lists per team


@dataclass(frozen=True)
class Scope:
    filters: Filters = Filters()
    weeks: int | None = 12

    def describe(self) -> str:
        window = "all time" if self.weeks is None else f"{self.weeks} wk"
        return f"{self.filters.describe()}, {window}"

    def window(self, con: duckdb.DuckDBPyConnection) -> tuple[datetime, datetime]:
        return metrics.reporting_window(con, self.weeks)

    def window_label(self) -> str:
        return "over all time" if self.weeks is None else f"over the last {self.weeks} weeks"


@dataclass(frozen=True)
class Kpi:
    label: str
    value: float | None
    previous: float | None
    unit: str = ""
    digits: int = 0
    higher_is_better: bool = True
    aside: str = ""  # shown dim after the value


@dataclass(frozen=True)
class Executive:
    kpis: list[Kpi]
    verdict: str
    reason: str
    weeks: list[str]
    throughput: dict[str, list[float | None]]
    cycle_time: dict[str, list[float | None]]
    partial_last: bool = False  # the last week runs only to as_of


@dataclass(frozen=True)
class Operations:
    wip_by_team: dict[str, dict[str, int]]  # team -> state -> count
    active: int
    aging: pl.DataFrame  # the AGING_ROWS oldest
    sle_hours: dict[str, float]
    throughput_windows: list[tuple[str, int]]
    stale_days: float
    stale: int
    blocked_now: int  # active items blocked at as_of (Blocked status or an open blocker window)


@dataclass(frozen=True)
class Trends:
    boxes: pl.DataFrame
    throughput_by_team: list[tuple[str, int]]
    days: list[str]
    flow: dict[str, list[int]]  # state -> issues per day
    wip: list[int]
    sprints: pl.DataFrame  # finished sprints, the last SPRINTS_PER_TEAM per team
    window_label: str = ""


@dataclass(frozen=True)
class Risk:
    signals: list[risks.Signal]
    most_blocked: pl.DataFrame
    reopen_by_team: list[tuple[str, float | None, int]]
    reasons: pl.DataFrame
    checked: int = 0


_SIGNALS: dict[tuple, list[risks.Signal]] = {}
_SIGNALS_LOCK = threading.Lock()


def signals(
    con: duckdb.DuckDBPyConnection, end: datetime, filters: Filters, active: pl.DataFrame | None = None
) -> list[risks.Signal]:
    """risks.evaluate, once per warehouse build, week end and filters: the executive verdict
    and the risk tab share it (it is the costliest query work of either). `active`: the work
    in progress at `end`, when the caller has it."""
    key = (metrics.built_at(con), end, filters)
    with _SIGNALS_LOCK:
        if key in _SIGNALS:
            return _SIGNALS[key]
    found = risks.evaluate(con, end, filters, active=active)
    with _SIGNALS_LOCK:
        if len(_SIGNALS) > 32:
            _SIGNALS.clear()
        _SIGNALS[key] = found
    return found


def executive(con: duckdb.DuckDBPyConnection, scope: Scope) -> Executive:
    start, end = scope.window(con)
    filters = scope.filters
    active = metrics.work_item_age(con, filters, at=end)
    head = headline(con, end, filters, active)
    rows = head.rows
    verdict = summary(con, filters, head, signals(con, end, filters, active))
    dropped = rows["discarded"]["this_week"]

    def card(label: str, key: str, unit: str, digits: int, higher_is_better: bool = False, aside: str = "") -> Kpi:
        row = rows[key]
        return Kpi(label, row["this_week"], row["last_week"], unit, digits, higher_is_better, aside)

    kpis = [
        card(
            "Throughput",
            "throughput",
            "" if dropped else " delivered",
            0,
            True,
            f"· {dropped} discarded" if dropped else "",
        ),
        card("Median cycle", "median_cycle_time_hours", " h", 0),
        card("P85 cycle", "p85_cycle_time_hours", " h", 0),
        card("Current WIP", "current_wip", "", 0),
        card("Blocked share", "blocked_share_pct", "%", 1),
        card("Rework rate", "rework_rate_pct", "%", 1),
    ]
    flow = metrics.weekly_flow(con, start, end, filters, by_team=True)
    weeks = sorted({str(w) for w in flow["week_start"]})
    partial = bool(weeks) and datetime.fromisoformat(weeks[-1]).replace(tzinfo=end.tzinfo) + timedelta(days=7) > end
    throughput, cycle = {}, {}
    for team in sorted(set(flow["team"])):
        part = flow.filter(pl.col("team") == team).sort("week_start")
        throughput[team] = part["throughput"].to_list()
        cycle[team] = part["median_cycle_time_hours"].to_list()
    return Executive(kpis, verdict["verdict"], verdict["reason"], weeks, throughput, cycle, partial)


def operations(
    con: duckdb.DuckDBPyConnection, scope: Scope, thresholds: risks.Thresholds = risks.Thresholds()
) -> Operations:
    _, end = scope.window(con)
    filters = scope.filters
    by_team: dict[str, dict[str, int]] = {}
    for row in metrics.wip_breakdown(con, filters).iter_rows(named=True):
        by_team.setdefault(row["team"], {})[row["canonical_status"]] = row["issues"]
    sle = metrics.team_sle(con, end, thresholds.sle_weeks, filters)
    counts = metrics.work_item_age_counts(con, thresholds.stale_days * 24, filters)
    windows = [
        ("7 days", metrics.throughput(con, end - timedelta(days=7), end, filters)),
        ("30 days", metrics.throughput(con, end - timedelta(days=30), end, filters)),
        ("all time", metrics.throughput(con, metrics.data_start(con) or end, end, filters)),
    ]
    return Operations(
        by_team,
        counts["active"],
        metrics.work_item_age(con, filters, limit=AGING_ROWS),
        sle,
        windows,
        thresholds.stale_days,
        counts["stale"],
        counts["blocked"],
    )


def trends(con: duckdb.DuckDBPyConnection, scope: Scope) -> Trends:
    start, end = scope.window(con)
    filters = scope.filters
    boxes = metrics.cycle_time_distribution(con, start, end, filters)
    per_team = [
        (team, metrics.throughput(con, start, end, filters.with_team(team)))
        for team in metrics.dimensions(con)["team"]
        if filters.team in (None, team)
    ]
    daily = metrics.daily_states(con, start, end, filters)
    days = sorted({str(d) for d in daily["day"]})
    flow = {
        state: daily.filter(pl.col("canonical_status") == state).sort("day")["issues"].to_list()
        for state in ("done", "review", "in_progress", "blocked", "todo")
    }
    wip = [sum(values) for values in zip(flow["in_progress"], flow["review"], flow["blocked"])]
    sprints = (
        metrics.sprint_commitment(con, metrics.data_start(con) or start, end, filters)
        .filter(pl.col("end_at") <= end)
        .sort("end_at", descending=True)
        .group_by("team", maintain_order=True)
        .head(SPRINTS_PER_TEAM)
        .sort(["team", "end_at"])
    )
    return Trends(boxes, per_team, days, flow, wip, sprints, scope.window_label())


def risk(con: duckdb.DuckDBPyConnection, scope: Scope) -> Risk:
    start, end = scope.window(con)
    filters = scope.filters
    found = signals(con, end, filters)
    reopen = []
    for team in metrics.dimensions(con)["team"]:
        if filters.team in (None, team):
            rate = metrics.rework_rate(con, start, end, filters.with_team(team))
            reopen.append((team, rate["rate_pct"], rate["done"]))
    return Risk(
        [s for s in found if s.fired],
        metrics.most_blocked(con, start, end, filters),
        reopen,
        metrics.blocker_reasons(con, start, end, filters),
        len(found),
    )


@dataclass(frozen=True)
class Ask:
    """What VÖLVA's forecast answers: how many items in `days` days, and when `items` items
    will be done (None: the open work in scope, WIP and to-do backlog)."""

    days: int = 14
    items: int | None = None
    until: date | None = None  # instead of `days`: through this date

    def days_from(self, first: date) -> int:
        """The days asked about, day 1 being `first` (the day of as_of)."""
        return self.days if self.until is None else (self.until - first).days + 1


@dataclass(frozen=True)
class Flow:
    forecast: dict  # metrics.Forecast.to_dict()
    open_work: dict[str, int]
    scatter: metrics.analytics.Scatter
    slowest: pl.DataFrame  # the AGING_ROWS slowest delivered above P85
    aging: pl.DataFrame  # the AGING_ROWS oldest active items of each stage
    stages: pl.DataFrame
    days: list[str]  # the window's days, for the daily charts
    daily: list[int]  # delivered per day
    cfd: dict[str, list[int]]  # stage -> items at each day's end, in stage order
    rates: metrics.analytics.Rates
    teams: pl.DataFrame  # per team: SLE, hit rate, flow efficiency
    time_in_stage: pl.DataFrame
    window_label: str
    ask: Ask
    note: str = ""  # why the question asked could not be answered as asked


def flow(con: duckdb.DuckDBPyConnection, request: tuple[Scope, Ask]) -> Flow:
    scope, ask = request
    start, end = scope.window(con)
    filters = scope.filters
    open_work = metrics.open_work(con, filters)
    items = ask.items or (open_work["todo"] + open_work["active"]) or None
    first = metrics.as_of(con).astimezone(UTC).date()
    days, note = ask.days_from(first), ""
    if not 1 <= days <= metrics.forecast.HORIZON_DAYS:
        note = f"{ask.until} is not between {first} (day 1) and ten years on: showing the next {Ask().days} days"
        days = Ask().days
    forecast = metrics.monte_carlo(con, filters, days=days, items=items).to_dict()
    scatter = metrics.cycle_time_scatter(con, start, end, filters)
    p85 = scatter["lines"][85]
    day0, daily = metrics.daily_throughput(con, start, end, filters)
    days_shown = [(day0 + timedelta(days=i)).date().isoformat() for i in range(len(daily))]
    cfd_rows = metrics.cumulative_flow(con, start, end, filters)
    stages = metrics.stages(con)
    cfd = {}
    for stage in stages["stage"]:
        counts = dict(
            cfd_rows.filter(pl.col("stage") == stage).select(pl.col("day").cast(pl.String), "items").iter_rows()
        )
        cfd[stage] = [counts.get(day, 0) for day in days_shown]
    hits = metrics.sle_hit_rate(con, start, end, filters)
    efficiency = metrics.flow_efficiency(con, start, end, filters).select("team", "efficiency_pct")
    teams = hits.join(efficiency, on="team", how="full", coalesce=True).sort("team")
    return Flow(
        forecast,
        open_work,
        scatter,
        metrics.slowest_delivered(con, start, end, p85, filters, limit=AGING_ROWS)
        if p85 is not None
        else pl.DataFrame(),
        metrics.aging_wip(con, filters, per_stage=AGING_ROWS),
        stages,
        days_shown,
        [int(n) for n in daily],
        cfd,
        metrics.arrival_departure(con, start, end, filters),
        teams,
        metrics.time_in_stage(con, start, end, filters),
        scope.window_label(),
        ask,
        note,
    )


@dataclass(frozen=True)
class IssueDetail:
    """Everything the Investigator shows about one issue."""

    facts: dict
    timeline: pl.DataFrame
    time_in_status: pl.DataFrame
    blockers: pl.DataFrame
    sprints: pl.DataFrame
    quality: tuple[str, ...]
    relations: pl.DataFrame
    flow_efficiency: float | None  # delivered issues only


@dataclass(frozen=True)
class Investigation:
    """The issue asked for (`key`) when it exists, else the recently touched issues."""

    key: str | None
    issue: IssueDetail | None = None
    recent: pl.DataFrame = field(default_factory=pl.DataFrame)


def investigate(con: duckdb.DuckDBPyConnection, key: str | None) -> Investigation:
    facts = metrics.issue_snapshot(con, key) if key is not None else None
    if key is None or facts is None:
        return Investigation(key, recent=metrics.recent_issues(con))
    return Investigation(
        key,
        IssueDetail(
            facts,
            metrics.issue_timeline(con, key),
            metrics.issue_time_in_status(con, key),
            metrics.issue_blockers(con, key),
            metrics.issue_sprints(con, key),
            tuple(metrics.issue_data_quality(con, key)),
            metrics.issue_relations(con, key),
            metrics.issue_flow_efficiency(con, key),
        ),
    )


@dataclass(frozen=True)
class TriageQuery:
    """The triage tab's own selects: team, project, state, rows per page; sort and page."""

    team: str | None = None
    project: str | None = None
    state: str | None = None
    limit: int = 100
    order: str = "risk"
    descending: bool = True
    page: int = 0
    issue_type: str | None = None  # from the global filter; triage has no select of its own for it

    def within(self, filters: Filters) -> TriageQuery:
        """This request narrowed to the global filters (which the selects then show)."""
        return replace(self, team=filters.team, project=filters.project, issue_type=filters.issue_type, page=0)

    def describe(self) -> str:
        return ", ".join(
            f"{k} {v}"
            for k, v in (
                ("team", self.team),
                ("project", self.project),
                ("type", self.issue_type),
                ("state", self.state),
            )
            if v
        )


@dataclass(frozen=True)
class Triage:
    query: TriageQuery
    rows: pl.DataFrame
    total: int
    rule: str = metrics.TRIAGE_RULE


def triage(con: duckdb.DuckDBPyConnection, query: TriageQuery) -> Triage:
    rows, total = metrics.triage(
        con,
        Filters(query.team, query.project, query.issue_type),
        query.state,
        query.order,
        query.descending,
        query.limit,
        query.page * query.limit,
    )
    return Triage(query, rows, total)
