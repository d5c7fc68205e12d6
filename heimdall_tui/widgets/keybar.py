"""The key bar: the keys that work where the focus is, on one line at the bottom."""

from __future__ import annotations

from typing import NamedTuple

from rich.cells import cell_len
from rich.style import Style
from rich.text import Text
from textual import events
from textual.screen import Screen
from textual.widget import Widget


class Shown(NamedTuple):
    key: str  # what simulate_key presses on a click
    display: str
    description: str
    enabled: bool


class KeyBar(Widget, can_focus=False):
    """One widget drawing one line. Textual's Footer builds a widget per key and rebuilds them
    all on every focus change, which cost about a third of the CPU time of opening an issue
    (and kept the old keys alive); this one redraws its line only when the keys change.
    Clicking a key presses it."""

    DEFAULT_CSS = """
    KeyBar {
        dock: bottom;
        height: 1;
        background: $footer-background;
        color: $footer-foreground;
        text-wrap: nowrap;
        .keybar--key { color: $footer-key-foreground; background: $footer-key-background; text-style: bold; }
        .keybar--description { color: $footer-description-foreground; background: $footer-description-background; }
    }
    """
    COMPONENT_CLASSES = {"keybar--key", "keybar--description"}
    ALLOW_SELECT = False

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.shown: tuple[Shown, ...] = ()

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self._bindings_changed)
        self._bindings_changed(self.screen)

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    def _bindings_changed(self, screen: Screen) -> None:
        if screen is not self.screen:
            return
        first_per_action: dict[str, Shown] = {}
        for _node, binding, enabled, _tooltip in screen.active_bindings.values():
            if binding.show and binding.action not in first_per_action:
                first_per_action[binding.action] = Shown(
                    binding.key, self.app.get_key_display(binding), binding.description, enabled
                )
        shown = tuple(first_per_action.values())
        if shown != self.shown:
            self.shown = shown
            self.refresh()

    def _cells(self) -> list[tuple[str, str, Shown]]:
        """Each key's two cells (its key, padded, and its description), in order."""
        return [(f" {s.display} ", f"{s.description} ", s) for s in self.shown]

    def render(self) -> Text:
        key_style = self.get_component_rich_style("keybar--key")
        description_style = self.get_component_rich_style("keybar--description")
        disabled = Style(dim=True)
        line = Text(no_wrap=True, overflow="crop")
        for key, description, shown in self._cells():
            line.append(key, key_style if shown.enabled else key_style + disabled)
            line.append(description, description_style if shown.enabled else description_style + disabled)
        return line

    def on_click(self, event: events.Click) -> None:
        x = 0
        for key, description, shown in self._cells():
            x += cell_len(key) + cell_len(description)
            if event.x < x:
                if shown.enabled:
                    self.app.simulate_key(shown.key)
                else:
                    self.app.bell()
                return
