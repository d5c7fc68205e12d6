"""Every key binding, as data: ids, keys, descriptions. One place to read and to test."""

from textual.binding import Binding

APP = [
    Binding("1", "show_tab('valskjalf')", "Executive tab", show=False, id="tab.valskjalf"),  # the tab strip shows it
    Binding("2", "show_tab('huginn')", "Operations tab", show=False, id="tab.huginn"),  # the tab strip shows it
    Binding("3", "show_tab('muninn')", "Trends tab", show=False, id="tab.muninn"),  # the tab strip shows it
    Binding("4", "show_tab('gjallarhorn')", "Risk tab", show=False, id="tab.gjallarhorn"),  # the tab strip shows it
    Binding("5", "show_tab('investigator')", "Investigator tab", show=False, id="tab.investigator"),
    Binding("6", "show_tab('triage')", "Triage tab", show=False, id="tab.triage"),
    Binding("slash", "jump", "Jump", key_display="/", id="app.jump"),
    Binding("tab", "cycle_tab(1)", "Next tab", show=False, priority=True, id="tab.next"),
    Binding("shift+tab", "cycle_tab(-1)", "Previous tab", show=False, priority=True, id="tab.previous"),
    Binding("n", "panel(1)", "Panel", id="panel.next"),
    Binding("p", "panel(-1)", "Previous panel", show=False, id="panel.previous"),
    Binding("f", "filter", "Filter", id="app.filter"),
    Binding("r", "reload", "Reload", id="app.reload"),
    Binding("question_mark", "help", "Help", key_display="?", id="app.help"),
    Binding("q", "quit", "Quit", id="app.quit"),
    Binding("ctrl+p", "command_palette", "Command palette", show=False, id="app.palette"),
]

PAGE = [
    Binding("j", "scroll_down", "Scroll down", show=False, id="page.down"),
    Binding("k", "scroll_up", "Scroll up", show=False, id="page.up"),
    Binding("g", "scroll_home", "Top", show=False, id="page.top"),
    Binding("G", "scroll_end", "Bottom", show=False, id="page.bottom"),
]

TABLE = [
    Binding("j", "cursor_down", "Down", show=False, id="table.down"),
    Binding("k", "cursor_up", "Up", show=False, id="table.up"),
    Binding("g", "scroll_top", "First row", show=False, id="table.first"),
    Binding("G", "scroll_bottom", "Last row", show=False, id="table.last"),
    Binding("s", "sort_next", "Sort", id="table.sort"),
    Binding("S", "sort_reverse", "Reverse", show=False, id="table.reverse"),
]

INVESTIGATOR = [
    Binding("escape", "back", "Back", id="investigator.back"),
    Binding("n", "step(1)", "Next issue", show=False, id="investigator.next"),
    Binding("p", "step(-1)", "Previous issue", show=False, id="investigator.previous"),
    Binding("y", "copy_key", "Copy key", id="investigator.copy"),
]

TRIAGE = [
    Binding("e", "export", "Export", id="triage.export"),
    Binding("right_square_bracket", "page(1)", "Next page", key_display="]", show=False, id="triage.next"),
    Binding("left_square_bracket", "page(-1)", "Previous page", key_display="[", show=False, id="triage.previous"),
]

DIALOG = [
    Binding("escape", "cancel", "Cancel", id="dialog.cancel"),
    Binding("ctrl+s", "apply", "Apply", id="dialog.apply"),
]
