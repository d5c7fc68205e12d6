"""The jump box: `/` from anywhere, an issue key, enter."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.message import Message
from textual.suggester import Suggester
from textual.widgets import Input, Label, Static

from heimdall_tui import keymap
from heimdall_tui.guard import Guarded
from heimdall_tui.widgets.format import tone


class KeySuggester(Suggester):
    """Completes issue keys case-insensitively by prefix, from the warehouse."""

    def __init__(self, lookup: Callable[[str], Awaitable[list[str]]]):
        super().__init__(use_cache=True, case_sensitive=False)
        self.lookup = lookup

    async def get_suggestion(self, value: str) -> str | None:
        if len(value) < 2:
            return None
        try:
            matches = await self.lookup(value)
        except Exception:  # completion is a convenience: a failed lookup only means no suggestion
            return None
        return matches[0] if matches else None


class JumpBar(Guarded, Horizontal):
    """A one-line bar above the footer. It takes the focus the moment `/` is handled -
    synchronously, before any key typed after it - so nothing typed is lost, however fast."""

    BINDINGS = keymap.JUMP

    class Submitted(Message):
        def __init__(self, value: str, session: int) -> None:
            super().__init__()
            self.value, self.session = value, session

    class Closed(Message):
        pass

    def __init__(self, lookup: Callable[[str], Awaitable[list[str]]], **kwargs):
        super().__init__(**kwargs)
        self.lookup = lookup
        self.session = 0  # bumped on each open: a lookup answers only the session that asked

    def compose(self) -> ComposeResult:
        yield Label("Issue / ")
        yield Input(
            placeholder="issue key; → completes, enter opens, esc closes",
            compact=True,
            id="jump",
            suggester=KeySuggester(self.lookup),
        )
        yield Static(id="jump-error")

    @property
    def input(self) -> Input:
        return self.query_one("#jump", Input)

    def open(self) -> None:
        self.session += 1
        self.display = True
        self.say("")
        self.input.value = ""
        self.screen.set_focus(self.input, scroll_visible=False)

    def say(self, message: str) -> None:
        self.query_one("#jump-error", Static).update(
            Text(f"✖ {message}", style=tone("bad", self.app.no_color)) if message else ""
        )

    def action_close(self) -> None:
        self.display = False
        self.post_message(self.Closed())

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        self.say("")  # an edit answers the last complaint

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.post_message(self.Submitted(event.value, self.session))

    def still_asking(self, session: int, value: str) -> bool:
        """Is the box still open on what was submitted (not closed, reopened or edited)?"""
        return self.display and self.session == session and self.input.value == value
