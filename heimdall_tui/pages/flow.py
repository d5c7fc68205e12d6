"""7 VÖLVA: forecast and flow - Monte Carlo forecasts, the cycle-time scatterplot, aging WIP by
stage, the throughput run chart and histogram, cumulative flow by stage, SLEs and flow efficiency."""

from __future__ import annotations

import re
from collections import Counter
from datetime import date

import polars as pl
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Grid
from textual.message import Message
from textual.widgets import Input, Static

from heimdall_tui import keymap, views
from heimdall_tui.pages.base import PanelPage
from heimdall_tui.report import forecast_lines
from heimdall_tui.widgets import BarList, Chart, IssueTable, draw_stacked, x_labels, y_axis
from heimdall_tui.widgets.format import tone

LEVEL_STYLES = {50: "green", 70: "yellow", 85: "magenta", 95: "red"}
ASK = re.compile(r"^\s*(?:(?P<items>\d+)\s*(?:items?)?|(?P<days>\d+)\s*d(?:ays?)?)\s*$", re.IGNORECASE)


def parse_ask(text: str, current: views.Ask) -> views.Ask | str:
    """`40` (items), `21d` (days) or `2026-03-01` (days through that date, counted by the
    view): the new question, or why the text is not one."""
    found = ASK.match(text)
    if found and found["items"]:
        n = int(found["items"])
        return views.Ask(current.days, n) if 1 <= n <= 1_000_000 else "items must be between 1 and 1,000,000"
    if found and found["days"]:
        n = int(found["days"])
        return views.Ask(n, current.items) if 1 <= n <= 3_660 else "days must be between 1 and 3,660"
    try:
        return views.Ask(current.days, current.items, date.fromisoformat(text.strip()))
    except ValueError:
        return f"{text.strip()!r}: type a number of items (40), of days (21d) or a date (2026-03-01)"


HISTOGRAM_ROWS = 20


def histogram(daily: list[int]) -> list[tuple[str, list[float]]]:
    """Days by items delivered: a row per count (`3 a day`), or, when the busiest day would
    need more than HISTOGRAM_ROWS rows (tens of thousands a day on a large site), a row per
    range of counts of equal width (`2,500-4,999`)."""
    top = max(daily, default=0)
    width = -(-(top + 1) // HISTOGRAM_ROWS)
    counts = Counter(n // width for n in daily)
    return [
        (f"{b} a day" if width == 1 else f"{b * width:,}-{(b + 1) * width - 1:,}", [float(counts.get(b, 0))])
        for b in range(top // width + 1)
    ]


class FlowPage(PanelPage):
    page_id = "volva"
    title = "VÖLVA"
    about = "forecast and flow: Monte Carlo forecasts, scatterplot, aging WIP by stage, cumulative flow, SLEs"
    loader = staticmethod(views.flow)
    BINDINGS = keymap.FLOW

    class Asked(Message):
        """The user asked the forecast another question."""

        def __init__(self, ask: views.Ask) -> None:
            super().__init__()
            self.ask = ask

    @classmethod
    def request(cls, state):
        return (state.scope, state.ask)

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.ask = views.Ask()  # the question the forecast on screen answers

    def content(self) -> ComposeResult:
        yield Static(id="flow-forecast", classes="forecast")
        ask = Input(
            placeholder="a: ask - items (40), days (21d) or a date (2026-03-01), then enter",
            id="flow-ask",
            compact=True,
        )
        # the box is reached with `a` only: n, p and tab move between the charts' tables, and
        # never land in a box that would take them as text
        ask.can_focus = False
        yield ask
        with Grid(classes="charts"):
            yield Chart("Cycle-time scatterplot (days)", id="flow-scatter")
            yield Chart("Aging WIP by stage (days)", id="flow-aging-chart")
            yield Chart("Daily throughput and its 7-day mean", id="flow-run")
            yield BarList("Throughput histogram: days by items delivered", id="flow-histogram")
            yield Chart("Cumulative flow by stage (items at each day's end)", id="flow-cfd")
            yield BarList("Time in stage: mean days per delivered item", id="flow-stages")
        yield IssueTable(
            [
                ("team", "Team"),
                ("sle", "SLE d"),
                ("target", "Target %", 0),
                ("hit", "Hit %", 0),
                ("delivered", "Done"),
                ("efficiency", "Flow eff. %", 0),
                ("source", "SLE from"),
            ],
            names_issues=False,
            id="flow-teams",
        )
        yield IssueTable(
            [
                ("issue", "Issue"),
                ("stage", "Stage"),
                ("age", "Age d"),
                ("in_stage", "In stage d"),
                ("sle", "SLE d"),
                ("past", "!"),
                ("team", "Team"),
            ],
            id="flow-aging",
        )
        yield IssueTable(
            [
                ("issue", "Issue"),
                ("cycle", "Cycle d"),
                ("done", "Done"),
                ("blocked", "Blocked d"),
                ("reopened", "Reopened"),
                ("team", "Team"),
                ("type", "Type"),
            ],
            id="flow-slow",
        )

    def _own_keys(self) -> set[str]:
        # `a` opens the question box at once, loading or not: what is typed next is the question
        return super()._own_keys() - {"a"}

    def action_ask(self) -> None:
        field = self.query_one("#flow-ask", Input)
        field.can_focus = True
        self.screen.set_focus(field, scroll_visible=True)

    def _leave_box(self) -> None:
        field = self.query_one("#flow-ask", Input)
        field.value = ""
        field.can_focus = False
        self.screen.set_focus(self, scroll_visible=False)

    def on_descendant_blur(self, event) -> None:
        if event.widget.id == "flow-ask":
            event.widget.can_focus = False

    @on(Input.Submitted, "#flow-ask")
    def _asked(self, event: Input.Submitted) -> None:
        event.stop()
        asked = parse_ask(event.value, self.ask)
        if isinstance(asked, str):
            self.notify(asked, severity="warning", timeout=6)
            return
        self._leave_box()
        self.post_message(self.Asked(asked))

    def on_key(self, event) -> None:
        field = self.query_one("#flow-ask", Input)
        if event.key == "escape" and self.screen.focused is field:
            event.stop()
            self._leave_box()
            return
        super().on_key(event)

    def show(self, view: views.Flow) -> None:
        no_color = self.app.no_color
        self.ask = view.ask
        work = view.open_work
        lines = forecast_lines(view.forecast)
        text = Text()
        text.append(f"Forecast for {view.forecast['scope']}", style="bold")
        text.append(f"  ·  open work: {work['active']:,} in progress, {work['todo']:,} to do\n")
        for line in lines[:-1]:
            text.append(line + "\n", style=tone("good", no_color) if line.startswith("  85%") else "")
        text.append(lines[-1], style="dim")
        if view.note:
            text.append("\n" + view.note, style=tone("bad", no_color))
        self.query_one("#flow-forecast", Static).update(text)
        self._scatter(view)
        self._aging(view)
        self._throughput(view)
        self._cfd(view)
        stages = view.time_in_stage
        self.query_one("#flow-stages", BarList).show(
            [(r["stage"], [r["mean_hours_per_item"] / 24]) for r in stages.iter_rows(named=True)],
            [("days", "█", "cyan")],
            unit=" d",
            digits=1,
            note=f"from cycle start to done, items delivered {view.window_label}; "
            + ", ".join(f"{r['stage']} {r['share_pct']:.0f}%" for r in stages.iter_rows(named=True)),
        )
        self._tables(view)

    def _scatter(self, view: views.Flow) -> None:
        points = view.scatter["points"]
        lines = view.scatter["lines"]
        index = {day: i + 1 for i, day in enumerate(view.days)}

        def draw(plt):
            if points.height:
                xs = [index.get(d.date().isoformat(), 1) for d in points["done_at"]]
                plt.scatter(xs, points["cycle_days"].to_list(), marker="dot", color="cyan")
            for level, value in lines.items():
                if value is not None:
                    plt.hline(value, LEVEL_STYLES[level])
                    plt.text(f"P{level} {value:.1f}", len(view.days) or 1, value, alignment="right")
            x_labels(plt, view.days)
            y_axis(plt, [*points["cycle_days"].to_list(), *[v for v in lines.values() if v]], "days")

        chart = self.query_one("#flow-scatter", Chart)
        shown = view.scatter["delivered"]
        # plotext drops a title wider than the chart: these stay under 50 columns
        chart.chart_title = f"Cycle time (days): {shown:,} delivered" + (
            f", {points.height:,} drawn" if points.height < shown else ""
        )
        chart.draw(draw)

    def _aging(self, view: views.Flow) -> None:
        aging = view.aging
        names = view.stages["stage"].to_list()
        names += sorted(set(aging["stage"]) - set(names))  # "(no stage)": statuses no stage lists
        position = {name: i + 1 for i, name in enumerate(names)}
        lines = view.scatter["lines"]
        # Items of a stage fan out across its column (by their rank there) instead of stacking
        # on one line, so each stays visible: the chart reads like ActionableAgile's.
        spread = aging.with_columns(
            x=pl.col("stage").replace_strict(position, return_dtype=pl.Float64)
            + ((pl.int_range(pl.len()).over("stage") % 9) - 4) * 0.07
        )

        def draw(plt):
            for past, marker, color in ((False, "dot", "cyan"), (True, "x", "red")):
                part = spread.filter(pl.col("past_sle") == past)
                if part.height:
                    plt.scatter(part["x"].to_list(), part["age_days"].to_list(), marker=marker, color=color)
            for level, value in lines.items():
                if value is not None:
                    plt.hline(value, LEVEL_STYLES[level])
            plt.xticks(list(range(1, len(names) + 1)), [n[:10] for n in names])
            plt.xlim(0.5, len(names) + 0.5)
            y_axis(plt, [*aging["age_days"].to_list(), *[v for v in lines.values() if v]], "age d")

        active, past = (aging["active_items"][0], aging["past_sle_items"][0]) if aging.height else (0, 0)
        chart = self.query_one("#flow-aging-chart", Chart)
        chart.chart_title = f"Aging WIP: {active:,} active, {past:,} past SLE (x)"
        chart.draw(draw)

    def _throughput(self, view: views.Flow) -> None:
        daily = view.daily

        def draw(plt):
            xs = list(range(1, len(daily) + 1))
            if daily:
                plt.plot(xs, daily, marker="braille", color="cyan", label="a day")
                weekly = [
                    sum(daily[max(0, i - 6) : i + 1]) / len(daily[max(0, i - 6) : i + 1]) for i in range(len(daily))
                ]
                plt.plot(xs, weekly, marker="dot", color="magenta", label="7-day mean")
            x_labels(plt, view.days)
            y_axis(plt, daily, "items")

        self.query_one("#flow-run", Chart).draw(draw)
        self.query_one("#flow-histogram", BarList).show(
            histogram(daily), [("days", "█", "cyan")], note=f"{len(daily):,} days {view.window_label}"
        )

    def _cfd(self, view: views.Flow) -> None:
        rates = view.rates

        chart = self.query_one("#flow-cfd", Chart)
        chart.chart_title = (
            f"Cumulative flow by stage: in {rates['arrival_per_day']:.1f}/d, out {rates['departure_per_day']:.1f}/d"
        )
        # done at the bottom: the stages stacked in reverse board order
        bands = {stage[:14]: values for stage, values in reversed(list(view.cfd.items()))}
        chart.draw(draw_stacked(bands, view.days, "items"))

    def _tables(self, view: views.Flow) -> None:
        teams = self.query_one("#flow-teams", IssueTable)
        teams.border_title = f"SLE hit rate and flow efficiency {view.window_label}"
        teams.show(
            [
                (
                    r["team"],
                    None if r["sle_hours"] is None else r["sle_hours"] / 24,
                    r["target_pct"],
                    r["hit_pct"],
                    r["delivered"],
                    r["efficiency_pct"],
                    r["source"],
                )
                for r in view.teams.iter_rows(named=True)
            ]
        )
        aging = self.query_one("#flow-aging", IssueTable)
        shown = view.aging.height
        total = view.aging["active_items"][0] if shown else 0
        which = f"all {total:,}" if shown == total else f"the oldest {views.AGING_ROWS:,} a stage of {total:,}"
        aging.border_title = f"Aging WIP by stage: {which} active; ! past its team's SLE; enter opens"
        rows = [
            (
                r["issue_key"],
                r["stage"],
                r["age_days"],
                r["days_in_stage"],
                r["sle_days"],
                "!" if r["past_sle"] else "",
                r["team"],
            )
            for r in view.aging.iter_rows(named=True)
        ]
        aging.show(rows, [r[0] for r in rows])
        slow = self.query_one("#flow-slow", IssueTable)
        p85 = view.scatter["lines"][85]
        over = view.slowest["items"][0] if view.slowest.height else 0
        listed = "" if view.slowest.height == over else f", the {view.slowest.height:,} slowest listed"
        slow.border_title = (
            f"Delivered {view.window_label} above P85 ({p85:.1f} d): {over:,} items{listed}; enter opens"
            if p85 is not None
            else f"Nothing delivered {view.window_label}"
        )
        rows = [
            (
                r["issue_key"],
                r["cycle_days"],
                r["done_at"].date().isoformat(),
                r["blocked_days"],
                r["reopen_count"],
                r["team"],
                r["issue_type"],
            )
            for r in view.slowest.iter_rows(named=True)
        ]
        slow.show(rows, [r[0] for r in rows])
