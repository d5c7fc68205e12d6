"""The heimdall-tui Textual application: four dashboards over one warehouse, read-only."""

from __future__ import annotations

from pathlib import Path

from textual import work
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding
from textual.widgets import Footer, Header, TabbedContent, TabPane
from textual.widgets._tabbed_content import ContentTabs
from textual.worker import get_current_worker

from heimdall_tui import keymap
from heimdall_tui.dialogs import FilterDialog, HelpScreen
from heimdall_tui.tabs import TABS
from heimdall_tui.views import LOADERS, Scope
from heimdall_tui.widgets import IssueSelected, IssueTable
from warehouse import metrics
from warehouse.db import open_warehouse, require_models

WIDE = 120  # columns from which charts sit side by side
_ENTER = Binding("enter", "select_cursor", "Show the issue on this row", id="table.select")


def _describe(facts: dict) -> str:
    days = lambda hours: "—" if hours is None else f"{hours / 24:.1f} d"  # noqa: E731
    state = facts["current_status"].replace("_", " ")
    lines = [facts["summary"] or "", f"{state} ({facts['current_raw_status'] or 'created'}), "
             f"assignee {facts['assignee'] or 'unassigned'}"]
    if facts["done_at"] is not None:
        lines.append(f"cycle {days(facts['cycle_time_hours'])}, lead {days(facts['lead_time_hours'])}")
    elif facts["age_hours"] is not None:
        lines.append(f"age {days(facts['age_hours'])}")
    lines.append(f"blocked {facts['blocked_hours']:.0f} h, reopened {facts['reopen_count']}x")
    return "\n".join(lines)


class HeimdallApp(App):
    CSS_PATH = "app.tcss"
    TITLE = "HEIMDALL"
    AUTO_FOCUS = None  # the active tab's page takes the focus (see on_mount, tab activation)
    BINDINGS = keymap.APP

    def __init__(self, db: Path, scope: Scope = Scope()):
        super().__init__()
        self.db = Path(db)
        self.scope = scope
        self.generation = 0  # bumped by reload: cached views from an older file are stale
        self.loaded: dict[str, tuple] = {}
        self.dimensions: dict[str, list[str]] | None = None  # filter choices, fetched once by a worker
        self.con, self.meta = self._open()

    def _open(self):
        con, meta = open_warehouse(self.db)
        require_models(con, self.db)
        return con, meta

    def compose(self) -> ComposeResult:
        yield Header()
        with TabbedContent(initial="valskjalf"):
            for tab_id, (title, cls) in TABS.items():
                with TabPane(title, id=tab_id):
                    yield cls(id=f"{tab_id}-body")
        yield Footer()

    def on_mount(self) -> None:
        # keys, not the tab strip, switch tabs: keep the focus on pages and tables
        self.query_one(ContentTabs).can_focus = False
        self._update_subtitle()
        self.set_class(self.size.width >= WIDE, "-wide")
        self.load(self.active_tab)
        self._fetch_dimensions()

    def on_resize(self, event) -> None:
        self.set_class(event.size.width >= WIDE, "-wide")

    def _update_subtitle(self) -> None:
        as_of = self.meta["as_of"]
        stamp = f"{as_of:%Y-%m-%d}" if (as_of.hour, as_of.minute) == (0, 0) else f"{as_of:%Y-%m-%d %H:%M}Z"
        self.sub_title = f"{self.db.stem} · as of {stamp} · {self.scope.describe()}"

    @property
    def active_tab(self) -> str:
        return self.query_one(TabbedContent).active

    def on_tabbed_content_tab_activated(self, event: TabbedContent.TabActivated) -> None:
        self.load(event.pane.id)
        self._focus_page()

    def _focus_page(self) -> None:
        """Give the active page the focus (a page cannot take it while it is loading)."""
        body = self.query_one(f"#{self.active_tab}-body")
        if not body.loading:
            self.call_after_refresh(body.focus)

    def action_panel(self, step: int) -> None:
        """Move the focus between the page and its tables."""
        body = self.query_one(f"#{self.active_tab}-body")
        panels = [body, *body.query(IssueTable)]
        current = panels.index(self.focused) if self.focused in panels else 0
        panels[(current + step) % len(panels)].focus()

    def load(self, tab_id: str) -> None:
        """Fetch a tab's view in a worker, unless it already shows this scope and file."""
        key = (self.scope, self.generation)
        if self.loaded.get(tab_id) == key:
            return
        self.loaded[tab_id] = key
        self.query_one(f"#{tab_id}-body").loading = True
        self._fetch(tab_id, key)

    def _query(self, fn, *args):
        """Run a warehouse query function on a connection of this (worker) thread."""
        cursor = self.con.cursor()  # one connection per thread; the session zone is per connection
        try:
            cursor.execute("SET TimeZone = 'UTC'")
            return fn(cursor, *args)
        finally:
            cursor.close()

    @work(thread=True, group="views")
    def _fetch(self, tab_id: str, key: tuple) -> None:
        view = self._query(LOADERS[tab_id], key[0])
        if not get_current_worker().is_cancelled:
            self.call_from_thread(self._show, tab_id, key, view)

    @work(thread=True, group="dimensions", exclusive=True)
    def _fetch_dimensions(self) -> None:
        dimensions = self._query(metrics.dimensions)
        self.call_from_thread(setattr, self, "dimensions", dimensions)

    def _show(self, tab_id: str, key: tuple, view) -> None:
        if self.loaded.get(tab_id) != key:
            return  # the scope changed while this was loading; a newer worker will fill it
        body = self.query_one(f"#{tab_id}-body")
        body.show(view)
        body.loading = False
        if tab_id == self.active_tab and (self.focused is None or body not in self.focused.ancestors_with_self):
            self._focus_page()

    def action_show_tab(self, tab_id: str) -> None:
        self.query_one(TabbedContent).active = tab_id

    def action_cycle_tab(self, step: int) -> None:
        ids = list(TABS)
        self.action_show_tab(ids[(ids.index(self.active_tab) + step) % len(ids)])

    def _set_scope(self, scope: Scope | None) -> None:
        if scope is not None and scope != self.scope:
            self.scope = scope
            self._update_subtitle()
            self.load(self.active_tab)

    def action_filter(self) -> None:
        if self.dimensions is None:
            self.notify("Still reading the teams and projects; try again in a moment.")
            return
        self.push_screen(FilterDialog(self.scope, self.dimensions), self._set_scope)

    def action_reload(self) -> None:
        """Reopen the file (a rebuild replaces it) and refetch what is shown."""
        self.con.close()
        self.con, self.meta = self._open()
        self.generation += 1
        self._update_subtitle()
        self.load(self.active_tab)
        self._fetch_dimensions()
        self.notify(f"Reloaded {self.db.name} (as of {self.meta['as_of']:%Y-%m-%d %H:%M} UTC)")

    def action_help(self) -> None:
        sections = []
        focused = self.focused
        if isinstance(focused, IssueTable):
            sections.append(("Table", keymap.TABLE + ([_ENTER] if focused.names_issues else [])))
        else:
            sections.append(("Page", keymap.PAGE))
        sections.append(("Everywhere", keymap.APP))
        about = ("1 VALSKJALF executive · 2 HUGINN operations · 3 MUNINN trends · 4 GJALLARHORN risk.\n"
                 "Metric definitions: `heimdall-tui glossary`. Weekly report: `heimdall-tui --export report`.")
        self.push_screen(HelpScreen(sections, about))

    def on_issue_selected(self, message: IssueSelected) -> None:
        """The drill-down hook: for now a snapshot of the issue's lifecycle facts."""
        self._snapshot(message.issue_key)

    @work(thread=True, group="issue", exclusive=True)
    def _snapshot(self, issue_key: str) -> None:
        facts = self._query(metrics.issue_snapshot, issue_key)
        if facts is not None:
            self.call_from_thread(self.notify, _describe(facts), title=f"{issue_key} · {facts['team']}")

    def get_system_commands(self, screen):
        yield from super().get_system_commands(screen)
        for tab_id, (title, _) in TABS.items():
            yield SystemCommand(f"Show {title.split()[1]}", f"Open tab {title}", lambda t=tab_id: self.action_show_tab(t))
        yield SystemCommand("Filter", "Team, project, issue type, time window", self.action_filter)
        yield SystemCommand("Clear filters", "Show all work over the last 12 weeks", lambda: self._set_scope(Scope()))
        yield SystemCommand("Reload", "Reopen the warehouse file", self.action_reload)

    def on_unmount(self) -> None:
        self.con.close()
