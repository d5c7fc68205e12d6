"""6 TRIAGE: every active item ranked by risk; its own selects; sorting and paging in the warehouse."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import replace

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.message import Message
from textual.widgets import Select, Static

from heimdall_tui import keymap, views
from heimdall_tui.pages.base import PanelPage
from heimdall_tui.widgets import IssueTable
from heimdall_tui.widgets.format import Shown, state_label, tone

ROWS_PER_PAGE = (50, 100, 200, 500, 1000)
COLUMNS = (
    ("issue_key", "Issue"),
    ("risk", "Risk", 2),
    ("marks", "!"),
    ("team", "Team"),
    ("canonical_status", "State"),
    ("age_days", "Age d"),
    ("days_in_status", "In status d"),
    ("blocked_hours", "Blocked h"),
    ("assignee", "Assignee"),
    ("project_key", "Project"),
    ("raw_status", "Raw status"),
)
MARKS = {0: "", 1: "!", 2: "!!"}


class TriagePage(PanelPage):
    page_id = "triage"
    title = "TRIAGE"
    about = "WIP triage: every active item ranked by risk, paged; e exports the rows shown"
    loader = staticmethod(views.triage)
    BINDINGS = keymap.TRIAGE

    class Changed(Message):
        """The user changed a select, the sort or the page."""

        def __init__(self, request: views.TriageQuery) -> None:
            super().__init__()
            self.request = request

    class Export(Message):
        """e: write these rows (what is on screen) to a CSV file."""

        def __init__(self, header: list[str], rows: list[tuple], about: list[str]) -> None:
            super().__init__()
            self.header, self.rows, self.about = header, rows, about

    @classmethod
    def request(cls, state):
        return state.triage

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.shown = views.TriageQuery()  # what the rows on screen answer
        self.total = 0
        self.rule = views.metrics.TRIAGE_RULE  # until the first view says it
        self.choices: dict[str, Collection] = {
            "#triage-team": [],
            "#triage-project": [],
            "#triage-state": {"in_progress", "review", "blocked"},
            "#triage-limit": set(ROWS_PER_PAGE),
        }

    def content(self) -> ComposeResult:
        with Horizontal(id="triage-filters"):
            yield Select(self._options("#triage-team"), prompt="team: all", compact=True, id="triage-team")
            yield Select(self._options("#triage-project"), prompt="project: all", compact=True, id="triage-project")
            yield Select(
                [(state_label(s), s) for s in ("in_progress", "review", "blocked")],
                prompt="state: all",
                compact=True,
                id="triage-state",
            )
            yield Select(
                [(f"{n} rows", n) for n in ROWS_PER_PAGE],
                value=views.TriageQuery().limit,
                allow_blank=False,
                compact=True,
                id="triage-limit",
            )
        yield Static(id="triage-rule", classes="dim")
        yield IssueTable(list(COLUMNS), id="triage-table", sort_callback=self._sorted)

    def _options(self, widget_id: str) -> list[tuple[str, str]]:
        return [(v, v) for v in self.choices[widget_id]]

    def set_dimensions(self, dimensions: dict[str, list[str]]) -> None:
        """The teams and projects to choose from; a page not built yet lays them out when it is."""
        for key, widget_id in (("team", "#triage-team"), ("project_key", "#triage-project")):
            self.choices[widget_id] = list(dimensions[key])  # as the warehouse orders them
            if self.built:
                with self.prevent(Select.Changed):
                    self.query_one(widget_id, Select).set_options(self._options(widget_id))
        if self.built:
            self._reflect(self.shown)

    def _reflect(self, request: views.TriageQuery) -> None:
        """Show `request` in the selects without announcing it as a change."""
        for widget_id, value in (
            ("#triage-team", request.team),
            ("#triage-project", request.project),
            ("#triage-state", request.state),
            ("#triage-limit", request.limit),
        ):
            select = self.query_one(widget_id, Select)
            wanted = value if value in self.choices[widget_id] else Select.NULL
            if select.value != wanted:
                with self.prevent(Select.Changed):
                    select.value = wanted

    def on_select_changed(self, event: Select.Changed) -> None:
        event.stop()

        def value(widget_id):
            v = self.query_one(widget_id, Select).value
            return None if v == Select.NULL else v

        request = replace(
            self.shown,
            team=value("#triage-team"),
            project=value("#triage-project"),
            state=value("#triage-state"),
            limit=value("#triage-limit") or self.shown.limit,
            page=0,
        )
        if request != self.shown:
            self.post_message(self.Changed(request))

    def _sorted(self, column: str, reverse: bool) -> None:
        self.post_message(self.Changed(replace(self.shown, order=column, descending=reverse, page=0)))

    def action_page(self, step: int) -> None:
        pages = max(1, -(-self.total // self.shown.limit))
        page = min(max(self.shown.page + step, 0), pages - 1)
        if page != self.shown.page:
            self.post_message(self.Changed(replace(self.shown, page=page)))
        else:
            self.notify("No next page." if step > 0 else "Already on the first page.", timeout=2)

    def show(self, view: views.Triage) -> None:
        self.shown = view.query
        self.total = view.total
        self.rule = view.rule
        self._reflect(view.query)
        q = view.query
        start = q.page * q.limit
        pages = max(1, -(-view.total // q.limit))
        self.query_one("#triage-rule", Static).update(
            f"{view.rule}.  ! past SLE or blocked, !! both.  Page {q.page + 1} of {pages}: ] next, [ previous"
        )
        table = self.query_one("#triage-table", IssueTable)
        table.border_title = (
            f"WIP triage: {start + 1:,}–{start + view.rows.height:,} of {view.total:,} active"
            + (f" · {q.describe()}" if q.describe() else "")
            if view.rows.height
            else f"WIP triage: nothing active matches {q.describe()}"
        )
        rows = [
            (
                r["issue_key"],
                r["risk"],
                Shown(r["marks"], Text(MARKS[r["marks"]], style=tone("bad", self.app.no_color))),
                r["team"],
                state_label(r["canonical_status"]),
                r["age_days"],
                r["days_in_status"],
                r["blocked_hours"],
                r["assignee"],
                r["project_key"],
                r["raw_status"],
            )
            for r in view.rows.iter_rows(named=True)
        ]
        table.show(rows, [r[0] for r in rows], sorted_by=(q.order, q.descending))

    def initial_focus(self):
        return self.query_one("#triage-table", IssueTable)

    def action_export(self) -> None:
        table = self.query_one("#triage-table", IssueTable)
        q = self.shown
        rows = [tuple(str(v) if isinstance(v, Shown) else v for v in row) for row in table.rows_raw]
        about = [
            f"filters: {q.describe() or 'none'}; sorted by {q.order} {'desc' if q.descending else 'asc'}; "
            f"rows {q.page * q.limit + 1}-{q.page * q.limit + len(rows)} of {self.total}",
            f"rule: {self.rule}",
        ]
        self.post_message(self.Export([c[1] if c[0] != "marks" else "Marks" for c in COLUMNS], rows, about))
