"""4 GJALLARHORN: risk - the signals that fired, the most blocked issues, reopen rates, blocker reasons."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Grid
from textual.widgets import DataTable, Static

from heimdall_tui import views
from heimdall_tui.pages.base import PanelPage
from heimdall_tui.widgets import BarList, IssueTable
from heimdall_tui.widgets.format import Shown, state_label, tone

# severity as a symbol, a word and a tone: readable without colour
SEVERITY = {"critical": (2, "✖ CRITICAL", "bad"), "warning": (1, "! WARNING", "warn")}


def example(signal) -> str | None:
    """The issue a signal's evidence names first (enter opens it)."""
    return (signal.evidence.get("worst") or signal.evidence.get("oldest") or [None])[0]


class RiskPage(PanelPage):
    page_id = "gjallarhorn"
    title = "GJALLARHORN"
    about = "risk: the signals that fired and why, most blocked issues, reopens, blocker reasons"
    loader = staticmethod(views.risk)

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.signals: list = []

    def content(self) -> ComposeResult:
        yield IssueTable(
            [("severity", "Severity"), ("signal", "Signal"), ("scope", "Scope"), ("evidence", "Evidence")], id="signals"
        )
        yield Static(id="signal-detail")
        with Grid(classes="charts"):
            yield IssueTable(
                [
                    ("issue", "Issue"),
                    ("blocked", "Blocked h"),
                    ("blockers", "Windows"),
                    ("state", "State"),
                    ("team", "Team"),
                ],
                id="most-blocked",
            )
            yield BarList("Reopen rate by team (% of done work)", id="risk-reopen")
            yield IssueTable(
                [("reason", "Blocker reason"), ("windows", "Windows"), ("open", "Open"), ("late", "Logged late")],
                names_issues=False,
                id="reasons",
            )

    def show(self, view: views.Risk) -> None:
        signals = self.query_one("#signals", IssueTable)
        signals.border_title = (
            f"Risk signals: {len(view.signals)} of {view.checked} checks fired"
            if view.signals
            else f"Risk signals: none of {view.checked} checks fired"
        )
        self.signals = view.signals
        rows = []
        for s in view.signals:
            rank, word, name = SEVERITY.get(s.severity, (0, s.severity.upper(), "muted"))
            rows.append((Shown(rank, Text(word, style=tone(name, self.app.no_color))), s.name, s.scope, s.brief))
        signals.show(rows, [example(s) for s in view.signals])
        self._detail(0)
        blocked = self.query_one("#most-blocked", IssueTable)
        blocked.border_title = "Most blocked issues in the window"
        most = [
            (r["issue_key"], r["blocked_hours"], r["blocker_count"], state_label(r["current_status"]), r["team"])
            for r in view.most_blocked.iter_rows(named=True)
        ]
        blocked.show(most, [r[0] for r in most])
        self.query_one("#risk-reopen", BarList).show(
            [(team, [rate]) for team, rate, _ in view.reopen_by_team if rate is not None],
            [("reopened", "█", "magenta")],
            unit="%",
            digits=1,
            note="share of the window's done work that was reopened before done",
        )
        reasons = self.query_one("#reasons", IssueTable)
        reasons.border_title = "Blocker reasons in the window"
        reasons.show(
            [(r["reason"], r["windows"], r["still_open"], r["late_logged"]) for r in view.reasons.iter_rows(named=True)]
        )

    def _detail(self, row: int) -> None:
        detail = self.query_one("#signal-detail", Static)
        if not self.signals:
            detail.update(Text("Nothing unusual this week: every check is within its thresholds.", style="dim"))
            return
        shown = self.query_one("#signals", IssueTable).row_at(row)
        s = next((s for s in self.signals if shown and (s.name, s.scope) == (shown[1], shown[2])), self.signals[0])
        first = example(s)
        detail.update(
            Text.assemble(
                (f"{s.name} ({s.scope}): ", "bold"),
                s.explanation.split(": ", 1)[-1],
                ("\nAction: ", "bold"),
                s.action,
                (f"\nenter opens {first}" if first else "", "dim"),
            )
        )

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.data_table.id == "signals":
            self._detail(event.cursor_row)
