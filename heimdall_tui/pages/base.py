"""The page base class: what every tab's page shares.

A page is focusable from the moment its tab opens, loading or not, so no keystroke meets
a dead screen: keys bound inside the page that arrive while its data loads are queued and
replayed, in order, once the data is shown. A loader's error becomes a line on the page.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.compose import compose
from textual.containers import VerticalScroll
from textual.message import Message
from textual.widgets import Static

from heimdall_tui import keymap
from heimdall_tui.guard import Guarded
from heimdall_tui.widgets.format import tone


class Page(Guarded, VerticalScroll, can_focus=True):
    """One tab's page. Subclasses name themselves (`page_id`, `title`), say which function
    of `heimdall_tui.views` fills them (`loader`) and what it is given (`request`), lay out
    their widgets in `content()` and fill them in `show(view)`. Focused, a page scrolls
    with the arrows, j/k, PgUp/PgDn and g/G."""

    BINDINGS = keymap.PAGE
    page_id: ClassVar[str]
    title: ClassVar[str]
    loader: ClassVar[Callable[..., Any]]
    about: ClassVar[str] = ""

    class Replay(Message):
        """Keys typed for this page while it loaded: to be handled now, before any typed later."""

        def __init__(self, page: Page, keys: list[events.Key]) -> None:
            super().__init__()
            self.page = page
            self.keys = keys

    def __init__(self, built: bool = False, **kwargs):
        super().__init__(id=f"{self.page_id}-body", **kwargs)
        self.busy = False
        self.queued: list[events.Key] = []
        self.built = built  # whether content() is laid out: see build()
        self._building: Any = None  # the mount of that layout, until it is done

    @classmethod
    def request(cls, state) -> Any:
        """The loader's argument, from the app's state (the dashboards take the scope)."""
        return state.scope

    def compose(self) -> ComposeResult:
        yield Static(id=f"{self.page_id}-status", classes="status")
        if self.built:
            yield from self.content()

    def build(self) -> None:
        """Lay out the page's widgets, once. The app builds its first page at start and the
        others when first shown: building all seven took about 0.15 s of the first screen.
        The widgets exist (can be queried and focused) on return; `ready()` waits for them to
        be mounted, before anything draws in them."""
        if not self.built:
            self.built = True
            self._building = self.mount_all(compose(self, self.content()))

    async def ready(self) -> None:
        if self._building is not None:  # may be awaited twice at once (its data, the triage choices)
            await self._building
            self._building = None

    def content(self) -> ComposeResult:
        yield from ()

    def show(self, view) -> None:
        raise NotImplementedError

    def initial_focus(self):
        """What takes the focus when the tab opens."""
        return self

    def watch_has_focus(self, _has_focus: bool) -> None:
        # Textual restyles a widget and everything in it when its focus changes; no rule styles
        # what is in a page by the page's focus, so restyling the page alone is enough (it was
        # about 15% of the CPU time of opening an issue).
        self.app.stylesheet.update_nodes([self], animate=True)

    # -- loading, errors, queued keys ------------------------------------------------

    def _status(self, text: Text | str = "") -> None:
        status = self.query_one(f"#{self.page_id}-status", Static)
        status.update(text)
        status.display = bool(text)

    def start_loading(self) -> None:
        # The status line says so; a class dimming the page would restyle every widget in it,
        # twice a load (about 15% of a drill-down's CPU time).
        self.busy = True
        self._status(Text("⟳ loading…", style="bold"))

    def deliver(self, view) -> None:
        """Show a loader's result; a failure to draw it is reported on the page."""
        try:
            self.show(view)
        except Exception as exc:  # a drawing bug must not take the app down
            self.fail(f"could not draw this page: {type(exc).__name__}: {exc}")
            return
        self._status()
        self._finish()

    def fail(self, reason: str) -> None:
        self._status(Text.assemble(("✖ ", "bold"), (reason, tone("bad", self.app.no_color)), ("  r reloads", "")))
        self._finish()

    def _finish(self) -> None:
        self.busy = False
        queued, self.queued = self.queued, []
        focused = self.screen.focused
        if not self.display or focused is None or self not in focused.ancestors_with_self:
            return  # the user moved on (another tab, the jump box): these keys were for here
        if queued:
            self.post_message(self.Replay(self, queued))

    def drop_queued(self) -> None:
        """The user did something else (another tab, the jump box, a dialog): what was
        typed for this page no longer applies."""
        self.queued = []

    def on_key(self, event: events.Key) -> None:
        if not self.busy or event.key not in self._own_keys():
            return
        event.stop()
        event.prevent_default()
        self.queued.append(event)

    def _own_keys(self) -> set[str]:
        """Keys bound by this page or the focused widget inside it (not the app's)."""
        return {
            key
            for key, active in self.screen.active_bindings.items()
            if active.node is self or self in getattr(active.node, "ancestors", ())
        }


class PanelPage(Page):
    """A page with panels (tables, selects): n and p move the focus between them, like tab."""

    BINDINGS = keymap.PANELS

    def action_panel(self, step: int) -> None:
        if step > 0:
            self.screen.focus_next()
        else:
            self.screen.focus_previous()
