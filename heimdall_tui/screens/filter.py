"""The filter dialog: team, project, issue type and time window, for every tab."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Label, Select

from heimdall_tui import keymap
from heimdall_tui.guard import Guarded
from heimdall_tui.views import WINDOWS, Scope
from warehouse.metrics import Filters


class FilterDialog(Guarded, ModalScreen[Scope | None]):
    """Keyboard first: the first field has the focus, tab and shift+tab move between the
    fields and buttons (never behind the dialog), enter opens a select and picks, ctrl+s or
    enter on Apply applies, esc cancels."""

    BINDINGS = keymap.DIALOG

    def __init__(self, scope: Scope, dimensions: dict[str, list[str]]):
        super().__init__()
        self.scope = scope
        self.dimensions = dimensions

    def compose(self) -> ComposeResult:
        f = self.scope.filters
        with Vertical(id="filter-box"):
            yield Label("Filter every tab", id="filter-title")
            for key, label, current in (
                ("team", "Team", f.team),
                ("project_key", "Project", f.project),
                ("issue_type", "Issue type", f.issue_type),
            ):
                with Horizontal(classes="filter-row"):
                    yield Label(label)
                    yield Select(
                        [(v, v) for v in self.dimensions[key]],
                        value=current if current in self.dimensions[key] else Select.NULL,
                        prompt="all",
                        compact=True,
                        id=f"pick-{key}",
                    )
            with Horizontal(classes="filter-row"):
                yield Label("Time window")
                yield Select(
                    [(("all time" if w is None else f"last {w} weeks"), k) for k, w in WINDOWS.items()],
                    value=next(k for k, w in WINDOWS.items() if w == self.scope.weeks),
                    allow_blank=False,
                    compact=True,
                    id="pick-window",
                )
            with Horizontal(id="filter-buttons"):
                yield Button("Apply", variant="primary", compact=True, id="apply")
                yield Button("Clear", compact=True, id="clear")
                yield Button("Cancel", compact=True, id="cancel")
            yield Label("tab moves · enter picks · ctrl+s applies · esc", classes="dim")

    def on_mount(self) -> None:
        self.set_focus(self.query_one("#pick-team", Select))

    def _value(self, key: str) -> str | None:
        value = self.query_one(f"#pick-{key}", Select).value
        return None if value == Select.NULL else str(value)

    def action_apply(self) -> None:
        self.dismiss(
            Scope(
                Filters(self._value("team"), self._value("project_key"), self._value("issue_type")),
                WINDOWS[str(self._value("window"))],
            )
        )

    def action_cancel(self) -> None:
        self.dismiss(None)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "apply":
            self.action_apply()
        elif event.button.id == "clear":
            self.dismiss(Scope())
        else:
            self.action_cancel()
