"""3 MUNINN: trends over the window - cycle-time spread, throughput, flow, WIP, sprints."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Grid

from heimdall_tui import views
from heimdall_tui.pages.base import PanelPage
from heimdall_tui.widgets import (
    BarList,
    Chart,
    IssueTable,
    draw_stacked,
    x_labels,
    y_axis,
)
from heimdall_tui.widgets.format import state_label


class TrendsPage(PanelPage):
    page_id = "muninn"
    title = "MUNINN"
    about = "trends: cycle-time spread, throughput, issues by state, WIP run chart, sprints"
    loader = staticmethod(views.trends)

    def content(self) -> ComposeResult:
        with Grid(classes="charts"):
            yield Chart("Cycle time (h): box P25–P75, whiskers P5–P95", id="trend-box")
            yield BarList("Throughput per team in the window", id="trend-throughput")
            yield Chart("Issues by state (end of day)", id="trend-cfd")
            yield Chart("WIP run chart (active issues, end of day)", id="trend-wip")
        yield IssueTable(
            [
                ("team", "Team"),
                ("sprint", "Sprint"),
                ("ended", "Ended"),
                ("committed", "Committed"),
                ("added", "Added"),
                ("completed", "Done"),
                ("say_do", "Say/do %", 0),
            ],
            names_issues=False,
            id="trend-sprints",
        )

    def show(self, view: views.Trends) -> None:
        boxes = view.boxes

        def box(plt):
            if boxes.height:
                plt.box(
                    boxes["team"].to_list(),
                    [[r["p95"], r["p75"], r["p50"], r["p25"], r["p5"]] for r in boxes.iter_rows(named=True)],
                    quintuples=True,
                    colors=["cyan", "red"],
                )
            y_axis(plt, boxes["p95"].to_list() if boxes.height else [], "hours")

        self.query_one("#trend-throughput", BarList).show(
            [(team, [n]) for team, n in view.throughput_by_team],
            [("done", "█", "cyan")],
            note=f"issues done {view.window_label}",
        )

        def wip(plt):
            if view.days:
                plt.plot(list(range(1, len(view.days) + 1)), view.wip, marker="braille", color="cyan")
            x_labels(plt, view.days)
            y_axis(plt, view.wip, "active issues")

        self.query_one("#trend-box", Chart).draw(box)
        self.query_one("#trend-cfd", Chart).draw(
            draw_stacked({state_label(state): values for state, values in view.flow.items()}, view.days, "issues")
        )
        self.query_one("#trend-wip", Chart).draw(wip)
        sprints = self.query_one("#trend-sprints", IssueTable)
        sprints.border_title = f"Finished sprints: the last {views.SPRINTS_PER_TEAM} per team, committed vs done"
        sprints.show(
            [
                (
                    r["team"],
                    r["sprint_name"],
                    r["end_at"].date().isoformat(),
                    r["committed"],
                    r["added"],
                    r["completed"],
                    None if r["say_do"] is None else 100 * r["say_do"],
                )
                for r in view.sprints.iter_rows(named=True)
            ]
        )
