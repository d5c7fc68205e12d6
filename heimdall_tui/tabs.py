"""The four dashboards. Each tab only lays out and formats a view from `heimdall_tui.views`."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Grid, Horizontal, VerticalScroll
from textual.widgets import Static

from heimdall_tui import keymap, views
from heimdall_tui.widgets import COLORS, MARKERS, Chart, IssueTable, KpiCard, draw_lines, week_ticks

STATE_LABELS = {"in_progress": "in progress", "review": "review", "blocked": "blocked", "todo": "to do",
                "done": "done", "unknown": "unknown"}
SEVERITY_STYLE = {"critical": "bold red", "warning": "bold yellow", "info": "cyan"}


class Tab(VerticalScroll, can_focus=True):
    """A tab's page: its `show(view)` fills it; `loading` covers it while a worker runs.
    Focused, it scrolls with the arrows, j/k, PgUp/PgDn and g/G."""

    BINDINGS = keymap.PAGE

    def initial_focus(self):
        """What takes the focus when the tab opens."""
        return self


class ExecutiveTab(Tab):
    def compose(self) -> ComposeResult:
        yield Static(id="verdict")
        with Horizontal(id="kpis"):
            for i in range(6):
                yield KpiCard(classes="kpi", id=f"kpi-{i}")
        with Grid(classes="charts"):
            yield Chart("Throughput per week, by team", id="exec-throughput")
            yield Chart("Median cycle time per week (hours), by team", id="exec-cycle")

    def show(self, view: views.Executive) -> None:
        style = {"regressing": "bold red", "improving": "bold green"}.get(view.verdict, "bold")
        self.query_one("#verdict", Static).update(Text.assemble(
            ("Delivery is ", ""), (view.verdict.upper(), style), (f": {view.reason}", "")))
        for i, kpi in enumerate(view.kpis):
            self.query_one(f"#kpi-{i}", KpiCard).show(kpi)
        self.query_one("#exec-throughput", Chart).draw(draw_lines(view.throughput, view.weeks, "issues done"))
        self.query_one("#exec-cycle", Chart).draw(draw_lines(view.cycle_time, view.weeks, "hours (median)"))


class OperationsTab(Tab):
    def compose(self) -> ComposeResult:
        with Horizontal(id="throughput-cards"):
            for i in range(3):
                yield KpiCard(classes="kpi", id=f"tp-{i}")
            yield Static(classes="kpi", id="stale")
        with Grid(classes="charts"):
            yield Chart("Current WIP by team and state", id="ops-wip")
            yield IssueTable([("issue", "Issue"), ("team", "Team"), ("state", "State"), ("assignee", "Assignee"),
                              ("age", "Age d"), ("sle", "SLE d"), ("in_status", "In status d")], id="aging")

    def show(self, view: views.Operations) -> None:
        for i, (label, count) in enumerate(view.throughput_windows):
            self.query_one(f"#tp-{i}", KpiCard).show(views.Kpi(f"Done {label}", count, None))
        self.query_one("#stale", Static).update(Text.assemble(
            ("Stale items\n", "bold"), (f"{view.stale}\n", ""), (f"unchanged {view.stale_days:g}+ d", "dim")))
        teams = sorted(view.wip_by_team)
        states = ["in_progress", "review", "blocked"]

        def draw(plt):
            if teams:
                plt.stacked_bar(teams, [[view.wip_by_team[t].get(s, 0) for t in teams] for s in states],
                                labels=[STATE_LABELS[s] for s in states], color=["cyan", "magenta", "red"])
            plt.ylabel("issues")

        self.query_one("#ops-wip", Chart).draw(draw)
        table = self.query_one("#aging", IssueTable)
        shown = f"{view.active:,} active" if view.aging.height == view.active else \
            f"oldest {view.aging.height} of {view.active:,} active"
        table.border_title = f"Aging WIP: {shown}"
        rows = [(r["issue_key"], r["team"], STATE_LABELS[r["canonical_status"]] + (" ⊘" if r["is_blocked"] else ""),
                 r["assignee"] or "unassigned", round(r["age_hours"] / 24, 1),
                 round(view.sle_hours.get(r["team"], 0) / 24, 1), round(r["time_in_status_hours"] / 24, 1))
                for r in view.aging.iter_rows(named=True)]
        table.show(rows, [r[0] for r in rows])


class TrendsTab(Tab):
    def compose(self) -> ComposeResult:
        with Grid(classes="charts"):
            yield Chart("Cycle time (h): box P25–P75, whiskers P5–P95", id="trend-box")
            yield Chart("Throughput per team in the window", id="trend-throughput")
            yield Chart("Cumulative flow (issues by state, end of day)", id="trend-cfd")
            yield Chart("WIP run chart (active issues, end of day)", id="trend-wip")
            yield Chart("Sprint commitment vs completion", id="trend-sprints")

    def show(self, view: views.Trends) -> None:
        boxes = view.boxes

        def box(plt):
            if boxes.height:
                plt.box(boxes["team"].to_list(),
                        [[r["p95"], r["p75"], r["p50"], r["p25"], r["p5"]] for r in boxes.iter_rows(named=True)],
                        quintuples=True, colors=["cyan", "red"])
            plt.ylabel("hours")

        def bars(plt):
            if view.throughput_by_team:
                plt.bar([t for t, _ in view.throughput_by_team], [n for _, n in view.throughput_by_team], color="cyan")
            plt.ylabel("issues done")

        def cfd(plt):
            xs = list(range(1, len(view.days) + 1))
            layers = list(view.flow.items())
            totals = [0] * len(xs)
            stacked = []
            for state, values in layers:
                totals = [a + b for a, b in zip(totals, values)]
                stacked.append((state, totals))
            for i, (state, values) in reversed(list(enumerate(stacked))):
                plt.plot(xs, values, label=STATE_LABELS[state], fillx=True, marker=MARKERS[i % len(MARKERS)],
                         color=COLORS[i % len(COLORS)])
            week_ticks(plt, view.days, max(1, len(view.days) // 4))
            plt.ylabel("issues")

        def wip(plt):
            if view.days:
                plt.plot(list(range(1, len(view.days) + 1)), view.wip, marker="braille", color="cyan")
            week_ticks(plt, view.days, max(1, len(view.days) // 4))
            plt.ylabel("active issues")

        sprints = view.sprints

        def sprint_bars(plt):
            if sprints.height:
                names = [n.replace(" Sprint ", " S") for n in sprints["sprint_name"].to_list()]
                plt.multiple_bar(names, [sprints["committed"].to_list(), sprints["completed"].to_list()],
                                 labels=["committed", "completed"], color=["blue", "green"])
            plt.ylabel("issues")

        for chart_id, draw in (("#trend-box", box), ("#trend-throughput", bars), ("#trend-cfd", cfd),
                               ("#trend-wip", wip), ("#trend-sprints", sprint_bars)):
            self.query_one(chart_id, Chart).draw(draw)


class RiskTab(Tab):
    signals: list = []

    def compose(self) -> ComposeResult:
        yield IssueTable([("severity", "Severity"), ("signal", "Signal"), ("scope", "Scope"),
                          ("evidence", "Evidence")], id="signals")
        yield Static(id="signal-detail")
        with Grid(classes="charts"):
            yield IssueTable([("issue", "Issue"), ("team", "Team"), ("state", "State"), ("blocked", "Blocked h"),
                              ("blockers", "Windows")], id="most-blocked")
            yield Chart("Reopen rate by team (% of done work)", id="risk-reopen")
            yield IssueTable([("reason", "Blocker reason"), ("windows", "Windows"), ("open", "Open"),
                              ("late", "Logged late")], names_issues=False, id="reasons")

    def show(self, view: views.Risk) -> None:
        signals = self.query_one("#signals", IssueTable)
        signals.border_title = (f"Risk signals: {len(view.signals)} of {view.checked} checks fired"
                                if view.signals else f"Risk signals: none of {view.checked} checks fired")
        self.signals = view.signals
        rows = [(Text(s.severity.upper(), style=SEVERITY_STYLE.get(s.severity, "")), s.name, s.scope, s.brief)
                for s in view.signals]
        # a signal whose evidence names issues opens the first of them
        examples = [(s.evidence.get("worst") or s.evidence.get("oldest") or [None])[0] for s in view.signals]
        signals.show(rows, examples)
        self._detail(0)
        blocked = self.query_one("#most-blocked", IssueTable)
        blocked.border_title = "Most blocked issues"
        rows = [(r["issue_key"], r["team"], STATE_LABELS.get(r["current_status"], r["current_status"]),
                 round(r["blocked_hours"], 1), r["blocker_count"]) for r in view.most_blocked.iter_rows(named=True)]
        blocked.show(rows, [r[0] for r in rows])
        reopen = view.reopen_by_team

        def bars(plt):
            shown = [(t, rate) for t, rate, _ in reopen if rate is not None]
            if shown:
                plt.bar([t for t, _ in shown], [r for _, r in shown], color="magenta")
            plt.ylabel("% reopened")

        self.query_one("#risk-reopen", Chart).draw(bars)
        reasons = self.query_one("#reasons", IssueTable)
        reasons.border_title = "Blocker reasons in the window"
        reasons.show([(r["reason"], r["windows"], r["still_open"], r["late_logged"])
                      for r in view.reasons.iter_rows(named=True)])

    def _detail(self, index: int) -> None:
        detail = self.query_one("#signal-detail", Static)
        if not self.signals:
            detail.update(Text("Nothing unusual this week: every check is within its thresholds.", style="dim"))
            return
        s = self.signals[min(index, len(self.signals) - 1)]
        detail.update(Text.assemble((f"{s.name} ({s.scope}): ", "bold"), s.explanation.split(": ", 1)[-1],
                                    ("\nAction: ", "bold"), s.action,
            (f"\nenter opens {example}" if (example := (s.evidence.get("worst") or s.evidence.get("oldest") or [None])[0])
             else "", "dim")))

    def on_data_table_row_highlighted(self, event) -> None:
        if event.data_table.id == "signals":
            self._detail(event.cursor_row)

