"""The weekly delivery report (`heimdall-tui --export report`) rendered as Markdown or JSON,
and written atomically. Its content is `warehouse.report.build_report`; this only formats it.
Needs no terminal UI (never imports Textual).
"""

from __future__ import annotations

import contextlib
import json
import os
import stat
import tempfile
from datetime import date, datetime, timedelta
from pathlib import Path

from warehouse.errors import HeimdallError
from warehouse.report import fmt

BLOCKS = "▁▂▃▄▅▆▇█"


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
        with tempfile.NamedTemporaryFile(
            "w", encoding="utf-8", dir=path.parent, prefix=f".{path.name}.", delete=False
        ) as tmp:
            tmp.write(text)
        os.chmod(tmp.name, mode)
        os.replace(tmp.name, path)
    except OSError as exc:
        with contextlib.suppress(OSError, NameError):
            os.unlink(tmp.name)
        raise HeimdallError(f"cannot write {path}: {exc.strerror or exc}") from None


FORECAST_METHOD = (
    "Method: each of the {trials:,} trials (seed {seed}) draws one day's throughput, with replacement, "
    "from the {days} daily samples for each future day; day 1 is {first}. "
    "85% = at least 85% of the trials reach that many items, or finish by that date."
)


def forecast_lines(data: dict) -> list[str]:
    """A forecast (`Forecast.to_dict()`) in words: the command's text, the report's section
    and the Forecast tab all read these lines."""
    s = data["samples"]
    day1 = date.fromisoformat(data["as_of"][:10])
    out = [
        f"Samples: delivered items a day in {data['scope']}, {s['start']} to {s['end']} "
        f"({s['days']} days, {s['total']:,} items)."
    ]
    if not s["total"]:
        return [
            f"No item in {data['scope']} was delivered in the {s['days']} days before {day1}: nothing to forecast from."
        ]
    if "how_many" in data:
        h = data["how_many"]
        last = day1 + timedelta(days=h["days"] - 1)
        out.append(f"How many in {h['days']} days (through {last}):")
        out += [f"  {p}%  at least {h[f'p{p}']:,} items" for p in (50, 85, 95)]
    if "when" in data:
        w = data["when"]
        out.append(f"When will {w['items']:,} items be done:")
        for p in (50, 85, 95):
            when = w[f"p{p}"]
            out.append(
                f"  {p}%  by {when} (day {(date.fromisoformat(when) - day1).days + 1:,})"
                if when
                else f"  {p}%  not within ten years at this rate"
            )
    out.append(FORECAST_METHOD.format(trials=data["trials"], seed=data["seed"], days=s["days"], first=day1))
    return out


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
    return "".join(
        " " if v is None else BLOCKS[min(len(BLOCKS) - 1, int(v / top * (len(BLOCKS) - 1) + 0.5)) if top else 0]
        for v in values
    )


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
        out.append(
            f"| {label} | {fmt(row['this_week'], digits)} | {fmt(row['last_week'], digits)} | "
            f"{_signed(row['delta'], digits)} | {row['note']} |"
        )
    out += [
        "",
        "## Teams",
        "",
        "| Team | Throughput | Δ | Median cycle time (h) | WIP | Blocked share (%) | Rework rate (%) "
        "| SLE (days) | Within SLE (%) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for t in report["teams"]:
        out.append(
            f"| {t['team']} | {t['throughput']['this_week']} | {_signed(t['throughput']['delta'], 0)} | "
            f"{fmt(t['median_cycle_time_hours'])} | {t['current_wip']} | {fmt(t['blocked_share_pct'], 2)} | "
            f"{fmt(t['rework_rate_pct'])} | {fmt(t['sle_days'])} | {fmt(t['sle_hit_pct'], 0)} |"
        )
    out += ["", "## Risk signals", ""]
    if report["risks"]:
        for r in report["risks"]:
            out.append(
                f"- **{r['severity'].upper()}: {r['name']} ({r['scope']})** — {r['explanation']} "
                f"*Action:* {r['action']}"
            )
    else:
        out.append(f"No risk signal fired ({report['risks_checked']} checked).")
    forecast = report["forecast"]
    work = forecast["open_work"]
    out += [
        "",
        "## Forecast",
        "",
        f"Open work at the end of the week: {work['active']:,} in progress and {work['todo']:,} to do.",
        "",
        "```text",
        *forecast_lines(forecast),
        "```",
    ]
    out += ["", "## Oldest active items", ""]
    if report["oldest_items"]:
        out += ["| Issue | Team | State | Age (days) | In status (days) | Assignee |", "|---|---|---|---:|---:|---|"]
        for i in report["oldest_items"]:
            state = i["state"].replace("_", " ") + (" (blocked)" if i["blocked"] and i["state"] != "blocked" else "")
            out.append(
                f"| {i['issue_key']} | {i['team']} | {state} — {i['raw_status']} | {i['age_days']:.1f} | "
                f"{i['days_in_status']:.1f} | {i['assignee']} |"
            )
    else:
        out.append("Nothing was in progress at the end of the week.")
    weekly = report["weekly"]
    top = max((w["throughput"] for w in weekly), default=0) or 1
    out += [
        "",
        "## Weekly trend",
        "",
        "```text",
        f"throughput        {_spark([w['throughput'] for w in weekly])}",
        f"median cycle (h)  {_spark([w['median_cycle_time_hours'] for w in weekly])}",
        "",
        "week of      done  median h",
    ]
    for w in weekly:
        bar = "█" * round(w["throughput"] / top * 24)
        out.append(
            f"{w['week_start']}{'*' if w['partial'] else ' '}  {w['throughput']:>4}  "
            f"{fmt(w['median_cycle_time_hours'], 0):>8}  {bar}"
        )
    out += ["", "Monday-based weeks; * = partial (cut at the end of the reporting window).", "```", ""]
    return "\n".join(out)
