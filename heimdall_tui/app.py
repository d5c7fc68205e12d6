"""The heimdall-tui Textual application: the pages of `heimdall_tui.pages` over one warehouse,
read-only.

State flows down (the app tells pages what to show), messages flow up (pages and widgets
post what the user asked for). The app never exits on its own: a loader's error becomes a
line on its page, a failed file or connection action a notification.
"""

from __future__ import annotations

import asyncio
import io
from dataclasses import dataclass, field
from pathlib import Path

from textual import work
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding
from textual.dom import DOMNode
from textual.widget import Widget
from textual.widgets import ContentSwitcher, Header, Tab, Tabs

from heimdall_tui import keymap
from heimdall_tui.connection import Link
from heimdall_tui.export import csv_text, write_new
from heimdall_tui.guard import Guarded
from heimdall_tui.keys import KeysInOrder
from heimdall_tui.pages import PAGES, FlowPage, InvestigatorPage, Page, TriagePage
from heimdall_tui.screens import FilterDialog, HelpScreen
from heimdall_tui.screens.help import key_name
from heimdall_tui.views import Ask, Scope, TriageQuery
from heimdall_tui.widgets import IssueSelected, IssueTable, JumpBar, KeyBar
from warehouse import metrics
from warehouse.errors import HeimdallError

WIDE = 120  # columns from which charts sit side by side
TITLES = {page.page_id: page.title for page in PAGES}
TAB_KEYS = [
    Binding(str(n), f"show_tab('{page.page_id}')", f"{page.title} tab", show=False, id=f"tab.{page.page_id}")
    for n, page in enumerate(PAGES, 1)
]


def one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if isinstance(exc, HeimdallError) else f"{type(exc).__name__}: {text}"


@dataclass
class State:
    """What the pages show: the global scope, the issue under investigation and the list it
    was opened from (with its place there, as keys may repeat), the triage request and the
    forecast's question."""

    scope: Scope = Scope()
    issue: str | None = None
    context: list[str] = field(default_factory=list)
    position: int = 0
    triage: TriageQuery = TriageQuery()
    ask: Ask = Ask()  # the forecast's question (VÖLVA)


class HeimdallApp(Guarded, KeysInOrder, App):
    CSS_PATH = Path(__file__).with_name("app.tcss")  # absolute: a subclass elsewhere finds it too
    TITLE = "HEIMDALL"
    AUTO_FOCUS = None  # the active page takes the focus (show_tab)
    BINDINGS = TAB_KEYS + keymap.APP

    def __init__(self, db: Path, scope: Scope = Scope()):
        super().__init__()
        self._keys_in_order_init()
        self.link = Link(db)  # a file we cannot read fails here, before the screen
        self.state = State(scope, triage=TriageQuery().within(scope.filters))
        self.loaded: dict[str, tuple] = {}  # page id -> (request, generation) it shows or is loading
        self.dimensions: dict[str, list[str]] | None = None  # filter choices, fetched by a worker
        self.origin: tuple[str, Widget | None] | None = None  # (page, focused widget) esc returns to
        self.restore: Widget | None = None  # the widget to focus when a page opens again
        self.errors: list[str] = []  # unexpected errors the safety net kept from closing the app
        self._dimensions_asked = False

    # -- shape ---------------------------------------------------------------------------

    @property
    def db(self) -> Path:
        return self.link.db

    @property
    def scope(self) -> Scope:
        return self.state.scope

    @property
    def issue_key(self) -> str | None:
        return self.state.issue

    def compose(self) -> ComposeResult:
        yield Header()
        yield Tabs(*[Tab(f"{n} {page.title}", id=page.page_id) for n, page in enumerate(PAGES, 1)])
        with ContentSwitcher(initial=f"{PAGES[0].page_id}-body"):
            for page in PAGES:
                yield page(built=page is PAGES[0])
        yield JumpBar(self.issue_keys, id="jump-bar")
        yield KeyBar()

    def on_mount(self) -> None:
        self.query_one(Tabs).can_focus = False  # keys switch tabs; the focus stays on pages
        self.query_one(JumpBar).display = False
        self._update_subtitle()
        self._fit(self.size.width)
        self.action_show_tab(PAGES[0].page_id)

    def on_resize(self, event) -> None:
        self._fit(event.size.width)

    def _fit(self, width: int) -> None:
        # on the grids alone: a class on the app restyles every widget of every page (0.1 s)
        self.query("#kpis, .charts").set_class(width >= WIDE, "-wide")

    def page(self, page_id: str) -> Page:
        return self.query_one(f"#{page_id}-body", Page)

    @property
    def active_tab(self) -> str:
        return (self.query_one(ContentSwitcher).current or "").removesuffix("-body")

    def _update_subtitle(self) -> None:
        as_of = self.link.meta["as_of"]
        stamp = f"{as_of:%Y-%m-%d}" if (as_of.hour, as_of.minute) == (0, 0) else f"{as_of:%Y-%m-%d %H:%M}Z"
        self.sub_title = f"{self.db.stem} · as of {stamp} · {self.scope.describe()}"

    # -- tabs and focus --------------------------------------------------------------------

    def action_show_tab(self, page_id: str) -> None:
        """Show a page and give it the focus now, before the next key is read: a key typed
        right after a tab switch goes to the new page, loading or not."""
        switcher = self.query_one(ContentSwitcher)
        if switcher.current != f"{page_id}-body":
            self._drop_queued()
            switcher.current = f"{page_id}-body"
            self.query_one(Tabs).active = page_id
        page = self.page(page_id)
        if not page.built:
            page.build()
            self._fit(self.size.width)
        self.load(page_id)
        target, self.restore = self.restore, None
        if target is None or not target.is_attached or page not in target.ancestors_with_self:
            target = page.initial_focus()
        self.screen.set_focus(target, scroll_visible=False)

    def on_page_replay(self, message: Page.Replay) -> None:
        # the user may have moved on (`/`, another tab) since the page posted them
        focused = self.screen.focused
        if focused is not None and message.page in focused.ancestors_with_self:
            self.replay_first(message.keys)

    def _drop_queued(self) -> None:
        for page in self.query(Page):
            page.drop_queued()

    def on_tabs_tab_activated(self, event: Tabs.TabActivated) -> None:
        # only a click differs from the page shown: a key has switched it already
        if event.tab.id is not None and event.tab.id != self.active_tab:
            self.action_show_tab(event.tab.id)

    # -- data ----------------------------------------------------------------------------

    def load(self, page_id: str) -> None:
        """Fetch a page's view in a worker, unless it shows (or is loading) it for this file."""
        page = self.page(page_id)
        key = (page.request(self.state), self.link.generation)
        if self.loaded.get(page_id) == key:
            return
        self.loaded[page_id] = key
        page.start_loading()
        self._fetch(page_id, type(page).loader, key)

    @work(thread=True, group="views", exit_on_error=False)
    def _fetch(self, page_id: str, loader, key: tuple) -> None:
        try:
            view = self.link.run(loader, key[0])
        except Exception as exc:  # any failure is the page's to report, never the app's end
            self._from_thread(self._failed, page_id, key, one_line(exc))
            return
        self._from_thread(self._show, page_id, key, view)

    def _from_thread(self, callback, *args, **kwargs) -> None:
        try:
            self.call_from_thread(callback, *args, **kwargs)
        except RuntimeError:
            pass  # the app closed while the worker ran: nobody is left to show it to

    async def _show(self, page_id: str, key: tuple, view) -> None:
        page = self.page(page_id)
        await page.ready()
        if self.loaded.get(page_id) == key:  # else the request changed meanwhile; a newer worker fills it
            page.deliver(view)
        self._ask_dimensions()

    def _failed(self, page_id: str, key: tuple, reason: str) -> None:
        if self.loaded.get(page_id) == key:
            del self.loaded[page_id]  # so that r, or coming back, tries again
            self.page(page_id).fail(reason)
        self._ask_dimensions()

    def _ask_dimensions(self) -> None:
        # after the first page has its data: until then this query would only slow that one down
        if not self._dimensions_asked:
            self._dimensions_asked = True
            self._fetch_dimensions()

    @work(thread=True, group="dimensions", exclusive=True, exit_on_error=False)
    def _fetch_dimensions(self) -> None:
        try:
            dimensions = self.link.run(metrics.dimensions)
        except Exception as exc:
            self._from_thread(self.notify, f"Could not read the teams and projects: {one_line(exc)}", severity="error")
            return
        self._from_thread(self._got_dimensions, dimensions)

    async def _got_dimensions(self, dimensions: dict[str, list[str]]) -> None:
        self.dimensions = dimensions
        page = self.query_one(TriagePage)
        await page.ready()
        page.set_dimensions(dimensions)

    async def issue_keys(self, prefix: str) -> list[str]:
        return await asyncio.to_thread(self.link.run, metrics.issue_keys, prefix)

    # -- scope, reload ---------------------------------------------------------------------

    def _set_scope(self, scope: Scope | None) -> None:
        if scope is not None and scope != self.scope:
            self.state.scope = scope
            self.state.triage = self.state.triage.within(scope.filters)
            self._update_subtitle()
            self.load(self.active_tab)

    def action_filter(self) -> None:
        self._drop_queued()
        if self.dimensions is None:
            self.notify("Still reading the teams and projects; try again in a moment.")
            return
        self.push_screen(FilterDialog(self.scope, self.dimensions), self._set_scope)

    def action_reload(self) -> None:
        """Reopen the file (a rebuild replaces it) and refetch what is shown. Queries still
        running finish on the old file; their results are dropped."""
        self._drop_queued()
        self.loaded.clear()  # every view shown came from the file being replaced
        try:
            self.link.reopen()
        except Exception as exc:
            self.notify(
                f"Could not reload {self.db.name}: {one_line(exc)}. The screens keep what they show; r tries again.",
                severity="error",
                timeout=8,
            )
            return
        self._update_subtitle()
        self.load(self.active_tab)
        self._fetch_dimensions()
        self.notify(f"Reloaded {self.db.name} (as of {self.link.meta['as_of']:%Y-%m-%d %H:%M} UTC)")

    # -- the Investigator ----------------------------------------------------------------

    def on_issue_selected(self, message: IssueSelected) -> None:
        self.open_issue(message.keys, message.index)

    def open_issue(self, keys: list[str], index: int) -> None:
        """Drill down: show keys[index] in the Investigator, remembering where we came from."""
        if self.active_tab != "investigator" or self.query_one(InvestigatorPage).lists_recent:
            self.origin = (self.active_tab, self.focused)
        self.state.context, self.state.position = list(keys), index
        self._show_issue()

    def _show_issue(self) -> None:
        s = self.state
        s.issue = s.context[s.position]
        origin = TITLES[self.origin[0]] if self.origin and self.origin[0] != "investigator" else "recently touched"
        page = self.query_one(InvestigatorPage)
        can_step = len(s.context) > 1
        page.set_context(f"{s.position + 1} of {len(s.context)} from {origin} · " if can_step else "", can_step)
        if self.active_tab == "investigator":
            self.load("investigator")
        else:
            self.action_show_tab("investigator")

    def on_investigator_page_step(self, message: InvestigatorPage.Step) -> None:
        s = self.state
        s.position = (s.position + message.step) % len(s.context)
        self._show_issue()

    def on_investigator_page_back(self) -> None:
        if self.origin is None:
            self.notify("Nothing to go back to: esc returns to the tab an issue was opened from.", timeout=3)
            return
        page_id, self.restore = self.origin
        self.origin = None
        if page_id == "investigator":  # opened from the list of recently touched issues: back to it
            self.restore, self.state.issue = None, None
            self.load("investigator")
        else:
            self.action_show_tab(page_id)

    def on_investigator_page_copy(self) -> None:
        if self.state.issue:
            self.copy_to_clipboard(self.state.issue)  # OSC 52: reaches the local clipboard over SSH
            self.notify(f"Copied {self.state.issue}")

    def action_jump(self) -> None:
        """`/` from anywhere: the jump box takes the focus at once."""
        self._drop_queued()
        self.query_one(JumpBar).open()

    def on_jump_bar_submitted(self, message: JumpBar.Submitted) -> None:
        if message.value.strip():
            self._resolve(message.value, message.session)
        else:
            self.query_one(JumpBar).action_close()

    @work(thread=True, group="jump", exclusive=True, exit_on_error=False)
    def _resolve(self, typed: str, session: int) -> None:
        try:
            found = self.link.run(metrics.find_issue, typed)
            near = [] if found else self.link.run(metrics.issue_keys, typed, 3)
        except Exception as exc:
            self._from_thread(self.query_one(JumpBar).say, f"Could not look it up: {one_line(exc)}")
            return
        self._from_thread(self._resolved, typed, session, found, near)

    def _resolved(self, typed: str, session: int, found: str | None, near: list[str]) -> None:
        bar = self.query_one(JumpBar)
        if not bar.still_asking(session, typed):
            return  # closed, reopened or edited while the lookup ran: the user moved on
        if found is None:
            bar.say(f"No issue {typed.strip().upper()}" + (f"; did you mean {', '.join(near)}?" if near else ""))
            return
        bar.action_close()
        self.open_issue([found], 0)

    def on_jump_bar_closed(self) -> None:
        if self.focused is None or not self.focused.display or self.query_one(JumpBar) in self.focused.ancestors:
            page = self.page(self.active_tab)
            self.screen.set_focus(page.initial_focus(), scroll_visible=False)

    # -- triage ----------------------------------------------------------------------------

    def on_triage_page_changed(self, message: TriagePage.Changed) -> None:
        self.state.triage = message.request
        self.load("triage")

    def on_flow_page_asked(self, message: FlowPage.Asked) -> None:
        self.state.ask = message.ask
        self.load("volva")

    def on_triage_page_export(self, message: TriagePage.Export) -> None:
        as_of = self.link.meta["as_of"]
        about = [f"heimdall-tui WIP triage of {self.db.name}, as of {as_of:%Y-%m-%dT%H:%M}Z", *message.about]
        text, stem = csv_text(message.header, message.rows, about), f"heimdall-triage-{as_of:%Y%m%d}"
        if self.is_web:  # served: the file goes to the browser, never onto the server
            self.deliver_text(io.StringIO(text), save_filename=f"{stem}.csv", mime_type="text/csv")
            self.notify(f"Sent {len(message.rows):,} rows to your browser as {stem}.csv", title="Exported")
            return
        try:
            path = write_new(Path.cwd(), stem, text)
        except OSError as exc:
            self.notify(f"Could not export: {exc.strerror or exc} ({Path.cwd()})", severity="error", timeout=8)
            return
        self.notify(f"Wrote {len(message.rows):,} rows to {path}", title="Exported")

    # -- help, palette ---------------------------------------------------------------------

    def action_help(self) -> None:
        """The keys that work where the focus is, read from the live bindings, nearest first.
        Ours carry an id; Textual's own movement keys are summed up in one line per section."""
        self._drop_queued()
        groups: dict[DOMNode, list[tuple[str, str]]] = {}
        moves: dict[DOMNode, bool] = {}
        for key, active in self.screen.active_bindings.items():
            node, binding = active.node, active.binding
            if binding.action == "select_cursor" and not getattr(node, "names_issues", False):
                continue
            if binding.id or binding.action in ("app.focus_next", "app.focus_previous", "focus_next", "focus_previous"):
                description = (
                    binding.description
                    if binding.id
                    else "Next panel"
                    if "next" in binding.action
                    else "Previous panel"
                )
                groups.setdefault(node, []).append((key_name(binding, key), description))
            elif key in ("up", "pagedown", "home"):
                moves[node] = True
        sections = []
        for node, keys in groups.items():
            if moves.get(node):
                keys.append(("↑↓ PgUp/Dn", "Home End: move"))
            if node is self:
                title = "Everywhere"
            elif node is self.screen:
                title = "Focus"
            elif isinstance(node, Page):
                title = f"This page ({node.title})"
            elif isinstance(node, IssueTable):
                title = "This table"
            else:
                title = type(node).__name__
            sections.append((title, keys))
        order = {"Everywhere": 3, "Focus": 2}
        sections.sort(key=lambda s: order.get(s[0], 0) + (1 if s[0].startswith("This page") else 0))
        about = " · ".join(f"{n} {page.title} {page.about.split(':')[0]}" for n, page in enumerate(PAGES, 1))
        self.push_screen(
            HelpScreen(
                sections,
                about + ".\nMetric definitions: `heimdall-tui glossary`. "
                "Weekly report: `heimdall-tui --export report`.",
            )
        )

    def get_system_commands(self, screen):
        yield from super().get_system_commands(screen)
        for n, page in enumerate(PAGES, 1):
            yield SystemCommand(f"Show {page.title} ({n})", page.about, lambda p=page.page_id: self.action_show_tab(p))
        yield SystemCommand("Jump to issue (/)", "Open an issue in the Investigator by its key", self.action_jump)
        yield SystemCommand("Filter (f)", "Team, project, issue type, time window", self.action_filter)
        yield SystemCommand("Clear filters", "All work over the last 12 weeks", lambda: self._set_scope(Scope()))
        yield SystemCommand(
            "Export triage CSV (e on TRIAGE)", "The triage rows on screen, to a CSV file", self._export_from_palette
        )
        yield SystemCommand("Reload (r)", "Reopen the warehouse file", self.action_reload)
        yield SystemCommand("Help (?)", "The keys that work where the focus is", self.action_help)

    def _export_from_palette(self) -> None:
        if self.loaded.get("triage") is None:
            self.action_show_tab("triage")
            self.notify("Opened TRIAGE: export again once its rows are shown.")
            return
        self.query_one(TriagePage).action_export()

    # -- the safety net --------------------------------------------------------------------

    async def run_action(self, action, default_namespace=None, namespaces=None) -> bool:
        """Every key binding's action: an unexpected error becomes a notification."""
        try:
            return await super().run_action(action, default_namespace, namespaces)
        except Exception as exc:
            self.report_error(exc)
            return True

    def report_error(self, error: Exception) -> None:
        self.errors.append(one_line(error))
        self.log.error(error)
        self.notify(f"Something went wrong: {one_line(error)}", severity="error", timeout=10)

    def on_unmount(self) -> None:
        self.link.close()
