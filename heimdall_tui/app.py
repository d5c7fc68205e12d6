"""The heimdall-tui Textual application: four dashboards over one warehouse, read-only."""

from __future__ import annotations

import csv
from pathlib import Path

from textual import work
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding
from textual.widgets import Footer, Header, TabbedContent, TabPane, Tabs
from textual.worker import get_current_worker

from heimdall_tui import keymap
from heimdall_tui.dialogs import FilterDialog, HelpScreen
from heimdall_tui.investigate import InvestigatorTab, TriageTab
from heimdall_tui.tabs import ExecutiveTab, OperationsTab, RiskTab, TrendsTab
from heimdall_tui.views import LOADERS, Scope, TriageQuery
from heimdall_tui.widgets import IssueSelected, IssueTable
from warehouse import metrics
from warehouse.db import open_warehouse, require_models

WIDE = 120  # columns from which charts sit side by side
_ENTER = Binding("enter", "select_cursor", "Open this issue in the Investigator", id="table.select")
TABS = {"valskjalf": ("1 VALSKJALF", ExecutiveTab), "huginn": ("2 HUGINN", OperationsTab),
        "muninn": ("3 MUNINN", TrendsTab), "gjallarhorn": ("4 GJALLARHORN", RiskTab),
        "investigator": ("5 ISSUE", InvestigatorTab), "triage": ("6 TRIAGE", TriageTab)}


def _free_path(path: Path) -> Path:
    """`path`, or `path` with -2, -3... before the suffix: an export never overwrites a file."""
    candidate, n = path, 1
    while candidate.exists():
        n += 1
        candidate = path.with_name(f"{path.stem}-{n}{path.suffix}")
    return candidate


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
        self.issue_key: str | None = None  # what the Investigator shows
        self.context: list[str] = []  # the list it was opened from, for n/p
        self.origin = None  # (tab, focused widget) to return to with esc
        self.triage_query = TriageQuery()
        self.jump_pending = False  # `/` was pressed: the jump box, not the page, takes the focus
        self.restore = None  # the widget to focus when returning to a tab with esc
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
        yield Footer(show_command_palette=False)  # ctrl+p is listed by ? instead: the footer needs the room

    def on_mount(self) -> None:
        # keys, not the tab strip, switch tabs: keep the focus on pages and tables
        self.query_one(TabbedContent).query_one(Tabs).can_focus = False
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
        """Give the active page the focus (a page cannot take it while it is loading): the
        widget `esc` returns to, if any, else the page's own choice."""
        body = self.query_one(f"#{self.active_tab}-body")
        if body.loading:
            return
        target, self.restore = self.restore, None
        if target is None or not target.is_attached or body not in target.ancestors_with_self:
            target = body.initial_focus()
        self.call_after_refresh(self._focus_if_unmoved, self.active_tab, target, self.focused)

    def _focus_if_unmoved(self, tab_id: str, target, focused_then) -> None:
        # The focus lands a refresh later. If the user switched tabs meanwhile, focusing a widget
        # of the hidden tab would make TabbedContent switch back to it; if they moved the focus
        # themselves (n, a click), theirs wins.
        if tab_id == self.active_tab and self.focused is focused_then:
            target.focus()

    def action_panel(self, step: int) -> None:
        """Move the focus between the page and its tables."""
        body = self.query_one(f"#{self.active_tab}-body")
        panels = [body, *body.query(IssueTable)]
        current = panels.index(self.focused) if self.focused in panels else 0
        panels[(current + step) % len(panels)].focus()

    def _argument(self, tab_id: str):
        return {"investigator": self.issue_key, "triage": self.triage_query}.get(tab_id, self.scope)

    def load(self, tab_id: str) -> None:
        """Fetch a tab's view in a worker, unless it already shows it for this file."""
        key = (self._argument(tab_id), self.generation)
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
        self.call_from_thread(self._got_dimensions, dimensions)

    def _got_dimensions(self, dimensions: dict[str, list[str]]) -> None:
        self.dimensions = dimensions
        self.query_one(TriageTab).set_dimensions(dimensions)

    def _show(self, tab_id: str, key: tuple, view) -> None:
        if self.loaded.get(tab_id) != key:
            return  # the scope changed while this was loading; a newer worker will fill it
        body = self.query_one(f"#{tab_id}-body")
        body.show(view)
        body.loading = False
        if tab_id == self.active_tab:
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
        self.open_issue(message.issue_key, message.keys)

    def on_investigator_tab_jump(self, message: InvestigatorTab.Jump) -> None:
        self.open_issue(message.key, [message.key])

    def on_triage_tab_changed(self, message: TriageTab.Changed) -> None:
        self.triage_query = message.query
        self.load("triage")

    def open_issue(self, key: str, context: list[str]) -> None:
        """Drill down: show `key` in the Investigator, remembering where we came from."""
        if self.active_tab != "investigator":
            self.origin = (self.active_tab, self.focused)
        self.issue_key = key
        self.context = context
        if self.active_tab == "investigator":
            self.load("investigator")
        else:
            self.action_show_tab("investigator")

    def go_back(self) -> None:
        """esc in the Investigator: the tab, scroll and row it was opened from."""
        if self.origin is None:
            return
        tab, self.restore = self.origin
        self.origin = None
        self.action_show_tab(tab)

    def step_issue(self, step: int) -> None:
        if self.issue_key in self.context and len(self.context) > 1:
            index = (self.context.index(self.issue_key) + step) % len(self.context)
            self.issue_key = self.context[index]
            self.load("investigator")

    def copy_issue_key(self) -> None:
        if self.issue_key:
            self.copy_to_clipboard(self.issue_key)  # OSC 52: reaches the local clipboard over SSH
            self.notify(f"Copied {self.issue_key}")

    def action_jump(self) -> None:
        """`/` from anywhere: the Investigator's jump box."""
        self.jump_pending = True
        if self.active_tab != "investigator":
            self.origin = (self.active_tab, self.focused)
            self.action_show_tab("investigator")
        self.load("investigator")  # now, so a page still to load waits for its data (see _show)
        self._focus_page()

    async def issue_keys(self, prefix: str) -> list[str]:
        import asyncio

        return await asyncio.to_thread(self._query, metrics.issue_keys, prefix)

    def export_triage(self) -> None:
        """`e`: exactly the rows on screen, to a CSV file beside the working directory."""
        tab = self.query_one(TriageTab)
        path = _free_path(Path.cwd() / f"heimdall-triage-{self.meta['as_of']:%Y%m%d}.csv")
        with path.open("w", newline="", encoding="utf-8") as out:
            writer = csv.writer(out)
            writer.writerow([label for _, label in self.query_one("#triage-table", IssueTable).spec])
            writer.writerows(tab.rows_shown)
        self.notify(f"Wrote {len(tab.rows_shown)} rows to {path}", title="Exported")

    def get_system_commands(self, screen):
        yield from super().get_system_commands(screen)
        for tab_id, (title, _) in TABS.items():
            yield SystemCommand(f"Show {title.split()[1]}", f"Open tab {title}", lambda t=tab_id: self.action_show_tab(t))
        yield SystemCommand("Filter", "Team, project, issue type, time window", self.action_filter)
        yield SystemCommand("Clear filters", "Show all work over the last 12 weeks", lambda: self._set_scope(Scope()))
        yield SystemCommand("Reload", "Reopen the warehouse file", self.action_reload)

    def on_unmount(self) -> None:
        self.con.close()
