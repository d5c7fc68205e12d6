"""Every key binding, as data: ids, keys, descriptions. One place to read and to test.

The number keys 1-7 come from the page registry (`heimdall_tui.pages.PAGES`); tab and
shift+tab are Textual's own focus moves, which stay inside the visible page or dialog.
"""

from textual.binding import Binding, BindingType

APP: list[BindingType] = [
    Binding("slash", "jump", "Jump", key_display="/", id="app.jump"),
    Binding("f", "filter", "Filter", id="app.filter"),
    Binding("r", "reload", "Reload", id="app.reload"),
    Binding("question_mark", "help", "Help", key_display="?", id="app.help"),
    Binding("q", "quit", "Quit", id="app.quit"),
    Binding("ctrl+p", "command_palette", "Command palette", show=False, id="app.palette"),
]

PAGE: list[BindingType] = [
    Binding("j", "scroll_down", "Scroll down", show=False, id="page.down"),
    Binding("k", "scroll_up", "Scroll up", show=False, id="page.up"),
    Binding("g", "scroll_home", "Top", show=False, id="page.top"),
    Binding("G", "scroll_end", "Bottom", show=False, id="page.bottom"),
]

PANELS: list[BindingType] = [
    Binding("n", "panel(1)", "Next panel", id="panel.next"),
    Binding("p", "panel(-1)", "Previous panel", show=False, id="panel.previous"),
]

TABLE: list[BindingType] = [
    Binding("j", "cursor_down", "Down", show=False, id="table.down"),
    Binding("k", "cursor_up", "Up", show=False, id="table.up"),
    Binding("g", "scroll_top", "First row", show=False, id="table.first"),
    Binding("G", "scroll_bottom", "Last row", show=False, id="table.last"),
    Binding("s", "sort_next", "Sort", id="table.sort"),
    Binding("S", "sort_reverse", "Reverse sort", show=False, id="table.reverse"),
]

# enter on a table whose rows name issues (DataTable's own select_cursor)
OPEN_ISSUE = Binding("enter", "select_cursor", "Open issue", id="table.open")

INVESTIGATOR: list[BindingType] = [
    Binding("escape", "back", "Back", id="investigator.back"),
    Binding("n", "step(1)", "Next issue", id="investigator.next"),
    Binding("p", "step(-1)", "Previous issue", show=False, id="investigator.previous"),
    Binding("y", "copy_key", "Copy key", id="investigator.copy"),
]

TRIAGE: list[BindingType] = [
    Binding("e", "export", "Export CSV", id="triage.export"),
    Binding("right_square_bracket", "page(1)", "Next page", key_display="]", id="triage.next"),
    Binding("left_square_bracket", "page(-1)", "Previous page", key_display="[", id="triage.previous"),
]

FLOW: list[BindingType] = [
    Binding("a", "ask", "Ask forecast", id="flow.ask"),
]

JUMP: list[BindingType] = [
    Binding("escape", "close", "Close", id="jump.close"),
]

DIALOG: list[BindingType] = [
    Binding("escape", "cancel", "Cancel", id="dialog.cancel"),
    Binding("ctrl+s", "apply", "Apply", id="dialog.apply"),
]

HELP: list[BindingType] = [
    Binding("escape,question_mark,q", "dismiss", "Close", id="help.close"),
]
