"""IssueTable: a sortable table whose rows may name issues."""

from __future__ import annotations

from collections.abc import Callable

from rich.cells import cell_len
from rich.text import Text
from textual.message import Message
from textual.widgets import DataTable

from heimdall_tui import keymap
from heimdall_tui.guard import Guarded
from heimdall_tui.widgets.format import cell, sort_key


def _aligned(value, width: int):
    """Numbers (Text justified right) padded to the column's width: a fixed-width column
    does not justify on its own."""
    if isinstance(value, Text) and value.justify == "right":
        return Text(" " * max(0, width - value.cell_len)) + value
    return value


class IssueSelected(Message):
    """A row naming an issue was chosen (enter): open it in the Investigator. `keys` are the
    issues of the list it was chosen from, in display order, and `index` its place there, so
    n/p can step through the list even when a key appears twice."""

    def __init__(self, keys: list[str], index: int) -> None:
        super().__init__()
        self.keys = keys
        self.index = index

    @property
    def issue_key(self) -> str:
        return self.keys[self.index]


class IssueTable(Guarded, DataTable):
    """Rows are kept as raw values (for sorting) and drawn formatted (for reading).
    Sorting runs here on the rows shown, or - for a page of a larger result - is asked of
    the source through `sort_callback`."""

    BINDINGS = keymap.TABLE + [keymap.OPEN_ISSUE]

    def __init__(
        self,
        columns: list[tuple],
        names_issues: bool = True,
        sort_callback: Callable[[str, bool], None] | None = None,
        **kwargs,
    ):
        super().__init__(cursor_type="row", zebra_stripes=True, **kwargs)
        # (key, label) or (key, label, decimals)
        self.spec = [(c[0], c[1], c[2] if len(c) > 2 else 1) for c in columns]
        self.names_issues = names_issues
        self.sort_callback = sort_callback
        self.sort_index: int | None = None
        self.sort_reverse = False
        self.rows_raw: list[tuple] = []
        self.row_issues: list[str | None] = []
        self.keys: list[str] = []  # the issues named by the rows, in display order

    def on_mount(self) -> None:
        self._set_columns([cell_len(label) for _, label, _ in self.spec])

    def _set_columns(self, widths: list[int]) -> None:
        # Widths are set here from the rows, not left to DataTable's next idle: a table reads
        # right the moment it is drawn (and so does a screenshot of it).
        self.clear(columns=True)
        for (key, label, _), width in zip(self.spec, widths):
            self.add_column(label, key=key, width=width)

    def show(
        self, rows: list[tuple], keys: list[str | None] | None = None, sorted_by: tuple[str, bool] | None = None
    ) -> None:
        """Replace the rows; `keys` names the issue of each row (None: the row names none).
        `sorted_by` says how the source already ordered them."""
        self.rows_raw = list(rows)
        self.row_issues = list(keys) if keys is not None else [None] * len(self.rows_raw)
        if sorted_by is not None:
            column, self.sort_reverse = sorted_by
            self.sort_index = [k for k, _, _ in self.spec].index(column)
        elif self.sort_index is not None and self.sort_callback is None:
            self._sort_locally()
        self._render_rows()

    def _sort_locally(self) -> None:
        index = self.sort_index
        if index is None:
            return
        order = sorted(
            range(len(self.rows_raw)), key=lambda i: sort_key(self.rows_raw[i][index]), reverse=self.sort_reverse
        )
        self.rows_raw = [self.rows_raw[i] for i in order]
        self.row_issues = [self.row_issues[i] for i in order]

    def _render_rows(self) -> None:
        digits = [d for _, _, d in self.spec]
        cells = [[cell(v, d) for v, d in zip(row, digits)] for row in self.rows_raw]
        widths = [
            max([cell_len(label)] + [cell_len(str(row[i])) for row in cells])
            for i, (_, label, _) in enumerate(self.spec)
        ]
        self._set_columns(widths)
        for i, row in enumerate(cells):
            self.add_row(*(_aligned(c, w) for c, w in zip(row, widths)), key=str(i))
        self.keys = [k for k in self.row_issues if k is not None]
        if self.sort_index is not None:
            label = self.spec[self.sort_index][1] or "marks"
            self.border_subtitle = f"sorted by {label} {'▼' if self.sort_reverse else '▲'}"

    def _apply_sort(self) -> None:
        if self.sort_index is None:
            return
        if self.sort_callback is not None:
            self.sort_callback(self.spec[self.sort_index][0], self.sort_reverse)
            return
        current = self.rows_raw[self.cursor_row] if 0 <= self.cursor_row < len(self.rows_raw) else None
        self._sort_locally()
        self._render_rows()
        if current is not None:
            self.move_cursor(row=self.rows_raw.index(current), animate=False)

    def action_sort_next(self) -> None:
        self.sort_index = 0 if self.sort_index is None else (self.sort_index + 1) % len(self.spec)
        self.sort_reverse = False
        self._apply_sort()

    def action_sort_reverse(self) -> None:
        self.sort_index = self.sort_index or 0
        self.sort_reverse = not self.sort_reverse
        self._apply_sort()

    def on_data_table_header_selected(self, event: DataTable.HeaderSelected) -> None:
        event.stop()
        index = [k for k, _, _ in self.spec].index(event.column_key.value)
        self.sort_reverse = not self.sort_reverse if index == self.sort_index else False
        self.sort_index = index
        self._apply_sort()

    def issue_at(self, row: int) -> str | None:
        return self.row_issues[row] if 0 <= row < len(self.row_issues) else None

    def row_at(self, row: int) -> tuple | None:
        """The raw values of a displayed row."""
        return self.rows_raw[row] if 0 <= row < len(self.rows_raw) else None

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        row = event.cursor_row
        key = self.issue_at(row)
        if self.names_issues and key:
            index = sum(1 for k in self.row_issues[:row] if k is not None)
            self.post_message(IssueSelected(self.keys, index))
