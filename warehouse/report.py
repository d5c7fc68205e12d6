"""The weekly delivery report's content: every number from `warehouse.metrics` and
`warehouse.risks`, gathered into one plain dict (the JSON format is exactly this) with the
summary sentences made from it. `heimdall_tui.report` renders it as Markdown or JSON.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import NamedTuple

import duckdb

from warehouse import metrics, risks
from warehouse.errors import HeimdallError
from warehouse.metrics import Filters

TREND_BAND = 0.15  # changes smaller than this against the trailing weeks read as stable
CHART_WEEKS = 12
OLDEST_ITEMS = 10
FORECAST_DAYS = 14


def fmt(value: float | None, digits: int = 1) -> str:
    """A number for a sentence or a table cell: thousands separated, a dash when missing."""
    return "—" if value is None else f"{value:,.{digits}f}"


def week_end(con: duckdb.DuckDBPyConnection, week_ending: str | None) -> datetime:
    """E: the period end (just after as_of) by default, else midnight UTC after the given
    date; validated against the data."""
    as_of = metrics.as_of(con).astimezone(UTC)
    if week_ending is None:
        return metrics.period_end(con).astimezone(UTC)
    try:
        day = date.fromisoformat(week_ending)
    except ValueError:
        raise HeimdallError(f"--week-ending {week_ending!r} is not a date like 2026-01-25") from None
    end = datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(days=1)
    if end > as_of:
        raise HeimdallError(f"--week-ending {day} is after the data's as_of ({as_of:%Y-%m-%d %H:%M} UTC)")
    start = metrics.data_start(con)
    if start is None or end <= start:
        raise HeimdallError(
            f"--week-ending {day} is before the data starts" + (f" ({start:%Y-%m-%d})" if start else "")
        )
    return end


def _delta(this, last):
    return None if this is None or last is None else this - last


def _round(value, digits: int = 2):
    return None if value is None else round(value, digits)


class Headline(NamedTuple):
    rows: dict  # metric -> this week, last week, delta, note (the report's "headline")
    items: int  # items this week with a cycle time (for confidence)
    trailing_throughput: float  # a week's throughput, averaged over the 4 weeks before this one
    trailing_median_hours: float | None  # median cycle time over those 4 weeks


def headline(con, end: datetime, filters: Filters, active=None) -> Headline:
    """The headline rows and the trailing 4 weeks they are judged against.
    `active` is the work in progress at the week's end (metrics.work_item_age), if known."""
    if active is None:
        active = metrics.work_item_age(con, filters, at=end)
    this = (end - timedelta(days=7), end)
    last = (end - timedelta(days=14), end - timedelta(days=7))
    ct_this, ct_last = (metrics.cycle_time_percentiles(con, *w, filters) for w in (this, last))
    blocked_this, blocked_last = (metrics.blocked_time(con, *w, filters) for w in (this, last))
    rework_this, rework_last = (metrics.rework_rate(con, *w, filters) for w in (this, last))
    discard_this, discard_last = (metrics.discarded(con, *w, filters) for w in (this, last))
    before = (this[0] - timedelta(weeks=4), this[0])
    trailing = metrics.throughput(con, *before, filters) / 4
    rows = {
        "throughput": (
            metrics.throughput(con, *this, filters),
            metrics.throughput(con, *last, filters),
            f"trailing 4-week average {trailing:.1f}",
        ),
        "median_cycle_time_hours": (ct_this["p50"], ct_last["p50"], f"{ct_this['n']} items with a cycle time"),
        "p75_cycle_time_hours": (
            ct_this["p75"],
            ct_last["p75"],
            f"P85 {fmt(ct_this['p85'])} h, P95 {fmt(ct_this['p95'])} h",
        ),
        "p85_cycle_time_hours": (ct_this["p85"], ct_last["p85"], f"P95 {fmt(ct_this['p95'])} h"),
        "current_wip": (
            active.height,
            metrics.wip_at(con, end - timedelta(days=7), filters),
            f"at the week's end; {active['is_blocked'].sum()} of them blocked",
        ),
        "blocked_share_pct": (
            blocked_this["share_pct"],
            blocked_last["share_pct"],
            f"{blocked_this['blocked_hours']:.0f} of {blocked_this['cycle_hours']:.0f} cycle hours",
        ),
        "rework_rate_pct": (
            rework_this["rate_pct"],
            rework_last["rate_pct"],
            f"{rework_this['reopened']} of {rework_this['done']} reopened before done",
        ),
        "discard_rate_pct": (
            discard_this["rate_pct"],
            discard_last["rate_pct"],
            f"{discard_this['discarded']} of {discard_this['done']} done items discarded, not delivered",
        ),
        "discarded": (discard_this["discarded"], discard_last["discarded"], "done items discarded, not delivered"),
    }
    return Headline(
        {
            key: {"this_week": _round(a), "last_week": _round(b), "delta": _round(_delta(a, b)), "note": note}
            for key, (a, b, note) in rows.items()
        },
        ct_this["n"],
        trailing,
        metrics.cycle_time_percentiles(con, *before, filters)["p50"],
    )


def _teams(con, end: datetime, filters: Filters, active) -> list[dict]:
    this = (end - timedelta(days=7), end)
    last = (end - timedelta(days=14), end - timedelta(days=7))
    sle = metrics.team_sle(con, end, filters=filters)
    hits = dict(metrics.sle_hit_rate(con, *this, filters).select("team", "hit_pct").iter_rows())
    rows = []
    for team in metrics.teams(con, filters):
        f = filters.with_team(team)
        done, done_last = metrics.throughput(con, *this, f), metrics.throughput(con, *last, f)
        rows.append(
            {
                "team": team,
                "throughput": {"this_week": done, "last_week": done_last, "delta": done - done_last},
                "median_cycle_time_hours": _round(metrics.cycle_time_percentiles(con, *this, f)["p50"]),
                "current_wip": int((active["team"] == team).sum()),
                "blocked_share_pct": _round(metrics.blocked_time(con, *this, f)["share_pct"]),
                "rework_rate_pct": _round(metrics.rework_rate(con, *this, f)["rate_pct"]),
                "sle_days": _round(sle[team] / 24, 1) if team in sle else None,
                "sle_hit_pct": _round(hits.get(team)),
            }
        )
    return rows


def summary(con, filters: Filters, head: Headline, signals: list[risks.Signal]) -> dict:
    """The verdict and its reasons: this week against the trailing 4 weeks, and the signals."""
    done_avg, ct_base, items = head.trailing_throughput, head.trailing_median_hours, head.items
    done_now = head.rows["throughput"]["this_week"]
    ct_now = head.rows["median_cycle_time_hours"]["this_week"]
    good: list[str] = []
    bad: list[str] = []
    if done_avg:
        change = done_now / done_avg - 1
        text = (
            f"throughput {'rose' if change > 0 else 'fell'} to {done_now} "
            f"from a trailing 4-week average of {done_avg:.1f} ({change:+.0%})"
        )
        (good if change >= TREND_BAND else bad if change <= -TREND_BAND else []).append(text)
    if ct_now is not None and ct_base:
        change = ct_now / ct_base - 1
        text = (
            f"median cycle time {'rose' if change > 0 else 'fell'} to {ct_now:.0f} h "
            f"from {ct_base:.0f} h ({change:+.0%})"
        )
        (bad if change >= TREND_BAND else good if change <= -TREND_BAND else []).append(text)
    critical = [s for s in signals if s.severity == "critical"]
    if critical:
        bad.append(f"{len(critical)} risk signal{'s are' if len(critical) > 1 else ' is'} critical")
    verdict = "regressing" if bad else "improving" if good else "stable"
    if bad or good:
        parts = bad + good
        reason = (", ".join(parts[:-1]) + " and " + parts[-1] if len(parts) > 1 else parts[0]) + "."
    else:
        reason = (
            f"throughput ({done_now} against {done_avg:.1f} a week) and median cycle time "
            f"({fmt(ct_now, 0)} h against {fmt(ct_base, 0)} h) are within {TREND_BAND:.0%} of the trailing 4 weeks."
        )
    reason = reason[0].upper() + reason[1:]
    fired = [s for s in signals if s.fired]
    primary = fired[0] if fired else None
    level = "high" if items >= 20 else "medium" if items >= 8 else "low"
    why = [
        f"{items} items finished with a cycle time this week"
        + ("" if items >= 20 else "; percentiles on fewer than 20 items move a lot")
    ]
    unmapped = len(metrics.unmapped_statuses(con))
    skipped = metrics.rejected_rows(con)
    if unmapped or skipped:
        level = {"high": "medium", "medium": "low", "low": "low"}[level]
        if unmapped:
            why.append(f"{unmapped} raw status name{'s are' if unmapped > 1 else ' is'} unmapped")
        if skipped:
            why.append(f"{skipped} source row{'s were' if skipped > 1 else ' was'} rejected on import")
    return {
        "verdict": verdict,
        "reason": reason,
        "primary_risk": (
            f"{primary.name} ({primary.scope}, {primary.severity}): {primary.explanation}"
            if primary
            else "None: no risk signal fired."
        ),
        "recommended_action": primary.action
        if primary
        else "Keep the current WIP limits and cadence; no risk signal fired.",
        "confidence": level,
        "confidence_reason": "; ".join(why) + ".",
        "metric_to_watch": primary.metric_to_watch if primary else f"weekly throughput ({filters.describe()})",
    }


def _oldest(active) -> list[dict]:
    items = active.head(OLDEST_ITEMS)
    return [
        {
            "issue_key": r["issue_key"],
            "team": r["team"],
            "state": r["canonical_status"],
            "raw_status": r["raw_status"],
            "blocked": r["is_blocked"],
            "age_days": round(r["age_hours"] / 24, 1),
            "days_in_status": round(r["time_in_status_hours"] / 24, 1),
            "assignee": r["assignee"] or "unassigned",
        }
        for r in items.iter_rows(named=True)
    ]


def _weekly(con, end: datetime, filters: Filters) -> list[dict]:
    flow = metrics.weekly_flow(con, end - timedelta(weeks=CHART_WEEKS), end, filters)
    return [
        {
            "week_start": r["week_start"].isoformat(),
            "throughput": r["throughput"],
            "median_cycle_time_hours": _round(r["median_cycle_time_hours"], 1),
            "partial": datetime(r["week_start"].year, r["week_start"].month, r["week_start"].day, tzinfo=UTC)
            + timedelta(days=7)
            > end,
        }
        for r in flow.iter_rows(named=True)
    ]


def _forecast(con, shown: datetime, filters: Filters) -> dict:
    """How many in the next FORECAST_DAYS days, and when the open work in scope (WIP and
    to-do backlog at the week's end) will be done."""
    open_items = metrics.open_work(con, filters, at=shown)
    total = open_items["todo"] + open_items["active"]
    found = metrics.monte_carlo(con, filters, days=FORECAST_DAYS, items=total or None, at=shown).to_dict()
    return {**found, "open_work": open_items}


def build_report(
    con: duckdb.DuckDBPyConnection,
    week_ending: str | None = None,
    filters: Filters = metrics.NO_FILTERS,
    thresholds: risks.Thresholds = risks.Thresholds(),
) -> dict:
    """Everything the weekly report says, as plain data (the JSON format is exactly this)."""
    metrics.validate_filters(con, filters)
    end = week_end(con, week_ending)
    active = metrics.work_item_age(con, filters, at=end)
    head = headline(con, end, filters, active)
    signals = risks.evaluate(con, end, filters, thresholds, active)
    iso = lambda t: t.astimezone(UTC).isoformat().replace("+00:00", "Z")  # noqa: E731
    as_of = metrics.as_of(con)
    shown = min(end, as_of)  # the period end is a microsecond past as_of: say as_of
    return {
        "title": "HEIMDALL weekly delivery report",
        "as_of": iso(as_of),
        "week": {
            "start": iso(shown - timedelta(days=7)),
            "end": iso(shown),
            "ending": (shown - timedelta(microseconds=1)).date().isoformat(),
        },
        "filters": {"team": filters.team, "project": filters.project, "issue_type": filters.issue_type},
        "scope": filters.describe(),
        "summary": summary(con, filters, head, signals),
        "headline": head.rows,
        "teams": _teams(con, end, filters, active),
        "risks": [s.to_dict() for s in signals if s.fired],
        "risks_checked": len(signals),
        "forecast": _forecast(con, shown, filters),
        "oldest_items": _oldest(active),
        "weekly": _weekly(con, end, filters),
    }
