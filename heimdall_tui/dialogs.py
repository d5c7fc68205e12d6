"""Modal screens: the filter dialog and the help screen."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Label, Select, Static

from heimdall_tui import keymap
from heimdall_tui.views import WINDOWS, Scope
from warehouse.metrics import Filters


class FilterDialog(ModalScreen[Scope | None]):
    """Team, project, issue type and time window, applied to every tab."""

    BINDINGS = keymap.DIALOG

    def __init__(self, scope: Scope, dimensions: dict[str, list[str]]):
        super().__init__()
        self.scope = scope
        self.dimensions = dimensions

    def compose(self) -> ComposeResult:
        f = self.scope.filters
        with Vertical(id="filter-box"):
            yield Label("Filter every tab", id="filter-title")
            for key, label, current in (("team", "Team", f.team), ("project_key", "Project", f.project),
                                        ("issue_type", "Issue type", f.issue_type)):
                with Horizontal(classes="filter-row"):
                    yield Label(label)
                    yield Select([(v, v) for v in self.dimensions[key]], value=current or Select.NULL,
                                 prompt="all", compact=True, id=f"pick-{key}")
            with Horizontal(classes="filter-row"):
                yield Label("Time window")
                yield Select([(("all time" if w is None else f"last {w} weeks"), k) for k, w in WINDOWS.items()],
                             value=next(k for k, w in WINDOWS.items() if w == self.scope.weeks), allow_blank=False,
                             compact=True, id="pick-window")
            with Horizontal(id="filter-buttons"):
                yield Button("Apply", variant="primary", compact=True, id="apply")
                yield Button("Clear", compact=True, id="clear")
                yield Button("Cancel", compact=True, id="cancel")
            yield Label("ctrl+s applies · esc cancels", classes="dim")

    def _value(self, key: str) -> str | None:
        value = self.query_one(f"#pick-{key}", Select).value
        return None if value == Select.NULL else value

    def action_apply(self) -> None:
        self.dismiss(Scope(Filters(self._value("team"), self._value("project_key"), self._value("issue_type")),
                           WINDOWS[self._value("window")]))

    def action_cancel(self) -> None:
        self.dismiss(None)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "apply":
            self.action_apply()
        elif event.button.id == "clear":
            self.dismiss(Scope())
        else:
            self.action_cancel()


class HelpScreen(ModalScreen[None]):
    """The keys that work where the focus is, then the global ones."""

    BINDINGS = [Binding("escape,question_mark,q", "dismiss", "Close", id="help.close")]

    def __init__(self, sections: list[tuple[str, list[Binding]]], about: str):
        super().__init__()
        self.sections = sections
        self.about = about

    def compose(self) -> ComposeResult:
        text = Text()
        for title, bindings in self.sections:
            text.append(f"{title}\n", style="bold")
            # two bindings a line, so the whole list fits 24 rows
            for i, b in enumerate(bindings):
                key = b.key_display or b.key.replace("question_mark", "?")
                text.append(f"  {key:<10}", style="bold cyan")
                text.append(f"{b.description:<20}" if i % 2 == 0 else f"{b.description}\n")
            if len(bindings) % 2:
                text.append("\n")
            text.append("\n")
        text.append(self.about, style="dim")
        with VerticalScroll(id="help-box"):
            yield Static(text)
            yield Label("esc closes", classes="dim")
