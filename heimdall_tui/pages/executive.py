"""1 VALSKJALF: the executive view - the verdict, six KPIs, weekly throughput and cycle time."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Grid, Horizontal
from textual.widgets import Static

from heimdall_tui import views
from heimdall_tui.pages.base import Page
from heimdall_tui.widgets import Chart, KpiCard, draw_lines
from heimdall_tui.widgets.format import tone

# the verdict reads without colour: a symbol and the word in its tone
VERDICT = {"regressing": ("▼ ", "bad"), "improving": ("▲ ", "good"), "stable": ("= ", "muted")}


class ExecutivePage(Page):
    page_id = "valskjalf"
    title = "VALSKJALF"
    about = "executive: verdict, KPIs this week vs last, weekly throughput and cycle time"
    loader = staticmethod(views.executive)

    def content(self) -> ComposeResult:
        yield Static(id="verdict")
        with Horizontal(id="kpis"):
            for i in range(6):
                yield KpiCard(classes="kpi", id=f"kpi-{i}")
        with Grid(classes="charts"):
            yield Chart("Throughput per week, by team", id="exec-throughput")
            yield Chart("Median cycle time per week (hours), by team", id="exec-cycle")

    def show(self, view: views.Executive) -> None:
        symbol, name = VERDICT.get(view.verdict, ("", "muted"))
        self.query_one("#verdict", Static).update(
            Text.assemble(
                ("Delivery is ", ""),
                (f" {symbol}{view.verdict.upper()} ", tone(name, self.app.no_color)),
                (f": {view.reason}", ""),
            )
        )
        for i, kpi in enumerate(view.kpis):
            self.query_one(f"#kpi-{i}", KpiCard).show(kpi)
        self.query_one("#exec-throughput", Chart).draw(
            draw_lines(view.throughput, view.weeks, "issues done", view.partial_last)
        )
        self.query_one("#exec-cycle", Chart).draw(
            draw_lines(view.cycle_time, view.weeks, "hours (median)", view.partial_last)
        )
