"""2 HUGINN: operations - throughput counts, current WIP by team and state, aging WIP."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Grid, Horizontal
from textual.widgets import Static

from heimdall_tui import views
from heimdall_tui.pages.base import PanelPage
from heimdall_tui.widgets import BarList, IssueTable, KpiCard
from heimdall_tui.widgets.format import number, state_label

# (state, glyph, style): distinct glyphs keep the parts apart without colour
WIP_SEGMENTS = [("in_progress", "█", "cyan"), ("review", "▒", "magenta"), ("blocked", "░", "bold red")]


class OperationsPage(PanelPage):
    page_id = "huginn"
    title = "HUGINN"
    about = "operations: done counts, WIP by team and state, the oldest active items"
    loader = staticmethod(views.operations)

    def content(self) -> ComposeResult:
        with Horizontal(id="throughput-cards"):
            for i in range(3):
                yield KpiCard(classes="kpi", id=f"tp-{i}")
            yield Static(classes="kpi", id="stale")
        with Grid(classes="charts"):
            yield BarList("Current WIP by team and workflow state", id="ops-wip")
            yield IssueTable(
                [
                    ("issue", "Issue"),
                    ("age", "Age d"),
                    ("sle", "SLE d"),
                    ("in_status", "In status d"),
                    ("state", "State"),
                    ("team", "Team"),
                    ("assignee", "Assignee"),
                ],
                id="aging",
            )

    def show(self, view: views.Operations) -> None:
        for i, (label, count) in enumerate(view.throughput_windows):
            self.query_one(f"#tp-{i}", KpiCard).show(views.Kpi(f"Done {label}", count, None))
        self.query_one("#stale", Static).update(
            Text.assemble(
                ("Stale · Blocked\n", "bold"),
                (f"{number(view.stale)} · {number(view.blocked_now)} ⊘\n", ""),
                (f"{view.stale_days:g}+ d idle · now", "dim"),
            )
        )
        teams = sorted(view.wip_by_team)
        self.query_one("#ops-wip", BarList).show(
            [(team, [view.wip_by_team[team].get(s, 0) for s, _, _ in WIP_SEGMENTS]) for team in teams],
            [
                (state_label(s) + (" (status)" if s == "blocked" else ""), glyph, style)
                for s, glyph, style in WIP_SEGMENTS
            ],
            note=f"{number(view.active)} active; {number(view.blocked_now)} blocked now "
            "(Blocked status or an open blocker: ⊘ in the table)",
        )
        table = self.query_one("#aging", IssueTable)
        shown = (
            f"{view.active:,} active"
            if view.aging.height == view.active
            else f"oldest {view.aging.height:,} of {view.active:,} active"
        )
        table.border_title = f"Aging WIP: {shown}"
        rows = [
            (
                r["issue_key"],
                r["age_hours"] / 24,
                view.sle_hours[r["team"]] / 24 if r["team"] in view.sle_hours else None,
                r["time_in_status_hours"] / 24,
                state_label(r["canonical_status"]) + (" ⊘" if r["is_blocked"] else ""),
                r["team"],
                r["assignee"] or "unassigned",
            )
            for r in view.aging.iter_rows(named=True)
        ]
        table.show(rows, [r[0] for r in rows])
