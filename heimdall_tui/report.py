"""The weekly delivery report (`heimdall-tui --export report`), as Markdown or JSON.

`build_report` gathers every number from `warehouse.metrics` and `warehouse.risks` into one
plain dict; the renderers only format it, and every summary sentence is made from it.
Needs no terminal UI (never imports Textual).
"""

from __future__ import annotations

import contextlib
import json
import os
import stat
import tempfile
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import duckdb

from warehouse import metrics, risks
from warehouse.errors import HeimdallError
from warehouse.metrics import Filters

TREND_BAND = 0.15  # changes smaller than this against the trailing weeks read as stable
CHART_WEEKS = 12
OLDEST_ITEMS = 10
BLOCKS = "▁▂▃▄▅▆▇█"


def week_end(con: duckdb.DuckDBPyConnection, week_ending: str | None) -> datetime:
    """E: the period end (just after as_of) by default, else midnight UTC after the given
    date; validated against the data."""
    as_of = metrics.as_of(con).astimezone(timezone.utc)
    if week_ending is None:
        return metrics.period_end(con).astimezone(timezone.utc)
    try:
        day = date.fromisoformat(week_ending)
    except ValueError:
        raise HeimdallError(f"--week-ending {week_ending!r} is not a date like 2026-01-25") from None
    end = datetime(day.year, day.month, day.day, tzinfo=timezone.utc) + timedelta(days=1)
    if end > as_of:
        raise HeimdallError(f"--week-ending {day} is after the data's as_of ({as_of:%Y-%m-%d %H:%M} UTC)")
    start = metrics.data_start(con)
    if start is None or end <= start:
        raise HeimdallError(f"--week-ending {day} is before the data starts"
                            + (f" ({start:%Y-%m-%d})" if start else ""))
    return end


def _delta(this, last):
    return None if this is None or last is None else this - last


def _round(value, digits: int = 2):
    return None if value is None else round(value, digits)


def headline(con, end: datetime, filters: Filters, active=None) -> tuple[dict, int]:
    """The headline rows, and how many items this week had a cycle time (for confidence).
    `active` is the work in progress at the week's end (metrics.work_item_age), if known."""
    if active is None:
        active = metrics.work_item_age(con, filters, at=end)
    this = (end - timedelta(days=7), end)
    last = (end - timedelta(days=14), end - timedelta(days=7))
    ct_this, ct_last = (metrics.cycle_time_percentiles(con, *w, filters) for w in (this, last))
    blocked_this, blocked_last = (metrics.blocked_time(con, *w, filters) for w in (this, last))
    rework_this, rework_last = (metrics.rework_rate(con, *w, filters) for w in (this, last))
    discard_this, discard_last = (metrics.discarded(con, *w, filters) for w in (this, last))
    trailing = metrics.throughput(con, this[0] - timedelta(weeks=4), this[0], filters) / 4
    rows = {
        "throughput": (metrics.throughput(con, *this, filters), metrics.throughput(con, *last, filters),
                       f"trailing 4-week average {trailing:.1f}"),
        "median_cycle_time_hours": (ct_this["p50"], ct_last["p50"], f"{ct_this['n']} items with a cycle time"),
        "p75_cycle_time_hours": (ct_this["p75"], ct_last["p75"], f"P85 {_fmt(ct_this['p85'])} h, P95 {_fmt(ct_this['p95'])} h"),
        "p85_cycle_time_hours": (ct_this["p85"], ct_last["p85"], f"P95 {_fmt(ct_this['p95'])} h"),
        "current_wip": (active.height, metrics.wip_at(con, end - timedelta(days=7), filters),
                        f"at the week's end; {active['is_blocked'].sum()} of them blocked"),
        "blocked_share_pct": (blocked_this["share_pct"], blocked_last["share_pct"],
                              f"{blocked_this['blocked_hours']:.0f} of {blocked_this['cycle_hours']:.0f} cycle hours"),
        "rework_rate_pct": (rework_this["rate_pct"], rework_last["rate_pct"],
                            f"{rework_this['reopened']} of {rework_this['done']} reopened before done"),
        "discard_rate_pct": (discard_this["rate_pct"], discard_last["rate_pct"],
                             f"{discard_this['discarded']} of {discard_this['done']} done items discarded, not delivered"),
        "discarded": (discard_this["discarded"], discard_last["discarded"], "done items discarded, not delivered"),
    }
    return ({key: {"this_week": _round(a), "last_week": _round(b), "delta": _round(_delta(a, b)), "note": note}
             for key, (a, b, note) in rows.items()}, ct_this["n"])


def _fmt(value, digits: int = 1) -> str:
    return "—" if value is None else f"{value:,.{digits}f}"


def _teams(con, end: datetime, filters: Filters, active) -> list[dict]:
    cond, params = filters.where()
    names = [r[0] for r in con.execute(
        f"SELECT DISTINCT team FROM fct_issue_lifecycle WHERE {cond} ORDER BY 1", params).fetchall()]
    this = (end - timedelta(days=7), end)
    last = (end - timedelta(days=14), end - timedelta(days=7))
    rows = []
    for team in names:
        f = filters.with_team(team)
        done, done_last = metrics.throughput(con, *this, f), metrics.throughput(con, *last, f)
        rows.append({
            "team": team,
            "throughput": {"this_week": done, "last_week": done_last, "delta": done - done_last},
            "median_cycle_time_hours": _round(metrics.cycle_time_percentiles(con, *this, f)["p50"]),
            "current_wip": int((active["team"] == team).sum()),
            "blocked_share_pct": _round(metrics.blocked_time(con, *this, f)["share_pct"]),
            "rework_rate_pct": _round(metrics.rework_rate(con, *this, f)["rate_pct"]),
        })
    return rows


def summary(con, end: datetime, filters: Filters, headline: dict, items: int,
             signals: list[risks.Signal]) -> dict:
    start = end - timedelta(days=7)
    trailing = (start - timedelta(weeks=4), start)
    done_avg = metrics.throughput(con, *trailing, filters) / 4
    ct_base = metrics.cycle_time_percentiles(con, *trailing, filters)["p50"]
    done_now = headline["throughput"]["this_week"]
    ct_now = headline["median_cycle_time_hours"]["this_week"]
    good, bad = [], []
    if done_avg:
        change = done_now / done_avg - 1
        text = f"throughput {'rose' if change > 0 else 'fell'} to {done_now} from a trailing 4-week average of {done_avg:.1f} ({change:+.0%})"
        (good if change >= TREND_BAND else bad if change <= -TREND_BAND else []).append(text)
    if ct_now is not None and ct_base:
        change = ct_now / ct_base - 1
        text = f"median cycle time {'rose' if change > 0 else 'fell'} to {ct_now:.0f} h from {ct_base:.0f} h ({change:+.0%})"
        (bad if change >= TREND_BAND else good if change <= -TREND_BAND else []).append(text)
    critical = [s for s in signals if s.severity == "critical"]
    if critical:
        bad.append(f"{len(critical)} risk signal{'s are' if len(critical) > 1 else ' is'} critical")
    verdict = "regressing" if bad else "improving" if good else "stable"
    if bad or good:
        parts = bad + good
        reason = (", ".join(parts[:-1]) + " and " + parts[-1] if len(parts) > 1 else parts[0]) + "."
    else:
        reason = (f"throughput ({done_now} against {done_avg:.1f} a week) and median cycle time "
                  f"({_fmt(ct_now, 0)} h against {_fmt(ct_base, 0)} h) are within {TREND_BAND:.0%} of the trailing 4 weeks.")
    reason = reason[0].upper() + reason[1:]
    fired = [s for s in signals if s.fired]
    primary = fired[0] if fired else None
    level = "high" if items >= 20 else "medium" if items >= 8 else "low"
    why = [f"{items} items finished with a cycle time this week"
           + ("" if items >= 20 else "; percentiles on fewer than 20 items move a lot")]
    unmapped = len(metrics.unmapped_statuses(con))
    skipped = con.execute("SELECT coalesce(skipped_rows, 0) FROM meta").fetchall()[0][0]
    if unmapped or skipped:
        level = {"high": "medium", "medium": "low", "low": "low"}[level]
        if unmapped:
            why.append(f"{unmapped} raw status name{'s are' if unmapped > 1 else ' is'} unmapped")
        if skipped:
            why.append(f"{skipped} source row{'s were' if skipped > 1 else ' was'} rejected on import")
    return {
        "verdict": verdict,
        "reason": reason,
        "primary_risk": (f"{primary.name} ({primary.scope}, {primary.severity}): {primary.explanation}"
                         if primary else "None: no risk signal fired."),
        "recommended_action": primary.action if primary else "Keep the current WIP limits and cadence; no risk signal fired.",
        "confidence": level,
        "confidence_reason": "; ".join(why) + ".",
        "metric_to_watch": primary.metric_to_watch if primary else f"weekly throughput ({filters.describe()})",
    }


def _oldest(active) -> list[dict]:
    items = active.head(OLDEST_ITEMS)
    return [{"issue_key": r["issue_key"], "team": r["team"], "state": r["canonical_status"],
             "raw_status": r["raw_status"], "blocked": r["is_blocked"], "age_days": round(r["age_hours"] / 24, 1),
             "days_in_status": round(r["time_in_status_hours"] / 24, 1), "assignee": r["assignee"] or "unassigned"}
            for r in items.iter_rows(named=True)]


def _weekly(con, end: datetime, filters: Filters) -> list[dict]:
    flow = metrics.weekly_flow(con, end - timedelta(weeks=CHART_WEEKS), end, filters)
    return [{"week_start": r["week_start"].isoformat(), "throughput": r["throughput"],
             "median_cycle_time_hours": _round(r["median_cycle_time_hours"], 1),
             "partial": datetime(r["week_start"].year, r["week_start"].month, r["week_start"].day,
                                 tzinfo=timezone.utc) + timedelta(days=7) > end}
            for r in flow.iter_rows(named=True)]


def build_report(con: duckdb.DuckDBPyConnection, week_ending: str | None = None,
                 filters: Filters = metrics.NO_FILTERS, thresholds: risks.Thresholds = risks.Thresholds()) -> dict:
    """Everything the weekly report says, as plain data (the JSON format is exactly this)."""
    metrics.validate_filters(con, filters)
    end = week_end(con, week_ending)
    active = metrics.work_item_age(con, filters, at=end)
    rows, items = headline(con, end, filters, active)
    signals = risks.evaluate(con, end, filters, thresholds, active)
    iso = lambda t: t.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")  # noqa: E731
    as_of = metrics.as_of(con)
    shown = min(end, as_of)  # the period end is a microsecond past as_of: say as_of
    return {
        "title": "HEIMDALL weekly delivery report",
        "as_of": iso(as_of),
        "week": {"start": iso(shown - timedelta(days=7)), "end": iso(shown),
                 "ending": (shown - timedelta(microseconds=1)).date().isoformat()},
        "filters": {"team": filters.team, "project": filters.project, "issue_type": filters.issue_type},
        "scope": filters.describe(),
        "summary": summary(con, end, filters, rows, items, signals),
        "headline": rows,
        "teams": _teams(con, end, filters, active),
        "risks": [s.to_dict() for s in signals if s.fired],
        "risks_checked": len(signals),
        "oldest_items": _oldest(active),
        "weekly": _weekly(con, end, filters),
    }


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


def write_text_atomic(path: Path, text: str) -> None:
    """Write beside `path`, then rename over it: a reader never sees half a report. The file
    gets the mode of the one it replaces, else what the umask allows (like any other tool)."""
    path = Path(path)
    if not path.parent.is_dir():
        raise HeimdallError(f"cannot write {path}: folder {path.parent} does not exist")
    try:
        mode = stat.S_IMODE(path.stat().st_mode) if path.exists() else 0o666 & ~_umask()
        with tempfile.NamedTemporaryFile("w", encoding="utf-8", dir=path.parent, prefix=f".{path.name}.",
                                         delete=False) as tmp:
            tmp.write(text)
        os.chmod(tmp.name, mode)
        os.replace(tmp.name, path)
    except OSError as exc:
        with contextlib.suppress(OSError, NameError):
            os.unlink(tmp.name)
        raise HeimdallError(f"cannot write {path}: {exc.strerror or exc}") from None


def to_json(report: dict) -> str:
    return json.dumps(report, indent=2, ensure_ascii=False) + "\n"


HEADLINE_ROWS = (
    ("throughput", "Throughput", 0),
    ("median_cycle_time_hours", "Median cycle time (hours)", 1),
    ("p75_cycle_time_hours", "P75 cycle time (hours)", 1),
    ("current_wip", "Current WIP", 0),
    ("blocked_share_pct", "Blocked share (%)", 2),
    ("rework_rate_pct", "Rework rate (%)", 1),
    ("discard_rate_pct", "Discard rate (%)", 1),
)


def _signed(value, digits: int) -> str:
    if value is None:
        return "—"
    text = f"{value:+,.{digits}f}"
    return "0" if float(text.replace(",", "")) == 0 else text


def _spark(values: list[float | None]) -> str:
    present = [v for v in values if v is not None]
    top = max(present) if present else 0
    return "".join(" " if v is None else BLOCKS[min(len(BLOCKS) - 1, int(v / top * (len(BLOCKS) - 1) + 0.5)) if top else 0]
                   for v in values)


def to_markdown(report: dict) -> str:
    s, week = report["summary"], report["week"]
    start, end = (datetime.fromisoformat(week[k].replace("Z", "+00:00")) for k in ("start", "end"))
    out = [
        f"# {report['title']}",
        "",
        f"**Week ending:** {week['ending']}  ",
        f"**Reporting window:** {start:%Y-%m-%d %H:%M} → {end:%Y-%m-%d %H:%M} UTC (as of "
        f"{datetime.fromisoformat(report['as_of'].replace('Z', '+00:00')):%Y-%m-%d %H:%M} UTC)  ",
        f"**Scope:** {report['scope']}",
        "",
        "## Executive Summary",
        "",
        f"- **Trend:** {s['verdict']} — {s['reason']}",
        f"- **Primary risk:** {s['primary_risk']}",
        f"- **Recommended action:** {s['recommended_action']}",
        f"- **Confidence:** {s['confidence']} — {s['confidence_reason']}",
        f"- **Metric to watch:** {s['metric_to_watch']}",
        "",
        "## Headline Metrics",
        "",
        "| Metric | This week | Last week | Δ | Notes |",
        "|---|---:|---:|---:|---|",
    ]
    for key, label, digits in HEADLINE_ROWS:
        row = report["headline"][key]
        out.append(f"| {label} | {_fmt(row['this_week'], digits)} | {_fmt(row['last_week'], digits)} | "
                   f"{_signed(row['delta'], digits)} | {row['note']} |")
    out += ["", "## Teams", "",
            "| Team | Throughput | Δ | Median cycle time (h) | WIP | Blocked share (%) | Rework rate (%) |",
            "|---|---:|---:|---:|---:|---:|---:|"]
    for t in report["teams"]:
        out.append(f"| {t['team']} | {t['throughput']['this_week']} | {_signed(t['throughput']['delta'], 0)} | "
                   f"{_fmt(t['median_cycle_time_hours'])} | {t['current_wip']} | {_fmt(t['blocked_share_pct'], 2)} | "
                   f"{_fmt(t['rework_rate_pct'])} |")
    out += ["", "## Risk signals", ""]
    if report["risks"]:
        for r in report["risks"]:
            out.append(f"- **{r['severity'].upper()}: {r['name']} ({r['scope']})** — {r['explanation']} "
                       f"*Action:* {r['action']}")
    else:
        out.append(f"No risk signal fired ({report['risks_checked']} checked).")
    out += ["", "## Oldest active items", ""]
    if report["oldest_items"]:
        out += ["| Issue | Team | State | Age (days) | In status (days) | Assignee |", "|---|---|---|---:|---:|---|"]
        for i in report["oldest_items"]:
            state = i["state"].replace("_", " ") + (" (blocked)" if i["blocked"] and i["state"] != "blocked" else "")
            out.append(f"| {i['issue_key']} | {i['team']} | {state} — {i['raw_status']} | {i['age_days']:.1f} | "
                       f"{i['days_in_status']:.1f} | {i['assignee']} |")
    else:
        out.append("Nothing was in progress at the end of the week.")
    weekly = report["weekly"]
    top = max((w["throughput"] for w in weekly), default=0) or 1
    out += ["", "## Weekly trend", "", "```text",
            f"throughput        {_spark([w['throughput'] for w in weekly])}",
            f"median cycle (h)  {_spark([w['median_cycle_time_hours'] for w in weekly])}",
            "",
            "week of      done  median h",]
    for w in weekly:
        bar = "█" * round(w["throughput"] / top * 24)
        out.append(f"{w['week_start']}{'*' if w['partial'] else ' '}  {w['throughput']:>4}  "
                   f"{_fmt(w['median_cycle_time_hours'], 0):>8}  {bar}")
    out += ["", "Monday-based weeks; * = partial (cut at the end of the reporting window).", "```", ""]
    return "\n".join(out)
