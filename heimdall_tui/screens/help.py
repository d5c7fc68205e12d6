"""The help screen: the keys that work where the focus is, read from the live bindings."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Label, Static

from heimdall_tui import keymap


def key_name(binding: Binding, key: str) -> str:
    if binding.key_display:
        return binding.key_display
    return {
        "question_mark": "?",
        "slash": "/",
        "escape": "esc",
        "right_square_bracket": "]",
        "left_square_bracket": "[",
    }.get(key, key)


class HelpScreen(ModalScreen[None]):
    """Sections from the focused widget outwards, then the keys that work everywhere."""

    BINDINGS = keymap.HELP

    def __init__(self, sections: list[tuple[str, list[tuple[str, str]]]], about: str):
        super().__init__()
        self.sections = sections  # (title, [(key, description)])
        self.about = about

    def compose(self) -> ComposeResult:
        text = Text()
        for title, keys in self.sections:
            text.append(f"{title}\n", style="bold")
            # two keys a line, so the whole list fits 24 rows
            for i, (key, description) in enumerate(keys):
                text.append(f"  {key:<11}", style="bold")
                text.append(f"{description[:22]:<23}" if i % 2 == 0 else f"{description}\n")
            if len(keys) % 2:
                text.append("\n")
        text.append(self.about, style="dim")
        with VerticalScroll(id="help-box"):
            yield Static(text)
            yield Label("esc closes", classes="dim")
