"""Reusable widgets: KPI cards, charts (textual-plotext), sortable issue tables."""

from __future__ import annotations

from typing import Callable

from rich.text import Text
from textual.message import Message
from textual.widgets import DataTable, Static
from textual_plotext import PlotextPlot

from heimdall_tui import keymap
from heimdall_tui.views import Kpi

# Distinct markers keep series apart in monochrome (NO_COLOR) terminals too.
MARKERS = ("braille", "dot", "x", "+", "*")
COLORS = ("cyan", "magenta", "yellow", "green", "red", "blue")


def fmt(value: float | None, digits: int = 0, unit: str = "") -> str:
    return "—" if value is None else f"{value:,.{digits}f}{unit}"


class KpiCard(Static):
    """A metric this week, with an arrow against last week that reads without colour."""

    def show(self, kpi: Kpi) -> None:
        text = Text()
        text.append(kpi.label + "\n", style="bold")
        text.append(fmt(kpi.value, kpi.digits, kpi.unit) + "\n")
        if kpi.previous is None:
            pass
        elif kpi.value is None:
            text.append("no data", style="dim")
        else:
            delta = kpi.value - kpi.previous
            if round(delta, kpi.digits) == 0:
                text.append("= same as last wk", style="dim")
            else:
                better = (delta > 0) == kpi.higher_is_better
                arrow = "▲" if delta > 0 else "▼"
                text.append(f"{arrow}{delta:+,.{kpi.digits}f}", style="bold green" if better else "bold red")
                text.append(f" vs {fmt(kpi.previous, kpi.digits)}", style="dim")
        self.update(text)


class Chart(PlotextPlot):
    """A plotext chart redrawn from data handed over by a worker."""

    def __init__(self, title: str, **kwargs):
        super().__init__(**kwargs)
        self.chart_title = title
        self._draw: Callable | None = None

    def draw(self, draw: Callable) -> None:
        """`draw(plt)` plots onto a cleared figure; kept for redraws on resize."""
        self._draw = draw
        self.replot()

    def replot(self) -> None:
        plt = self.plt
        plt.clear_data()
        plt.clear_figure()
        plt.title(self.chart_title)
        if self._draw is not None:
            self._draw(plt)
        self.refresh()

    def on_resize(self) -> None:
        self.replot()


def week_ticks(plt, labels: list[str], every: int | None = None) -> None:
    """x ticks for weekly series: a few MM-DD labels so they fit at 80 columns."""
    if not labels:
        return
    every = every or max(1, len(labels) // 4)
    positions = list(range(0, len(labels), every))
    plt.xticks([p + 1 for p in positions], [labels[p][5:] for p in positions])


def draw_lines(series: dict[str, list[float | None]], labels: list[str], ylabel: str):
    def draw(plt):
        xs = list(range(1, len(labels) + 1))
        for i, (name, values) in enumerate(series.items()):
            points = [(x, v) for x, v in zip(xs, values) if v is not None]
            if points:
                plt.plot([p[0] for p in points], [p[1] for p in points], label=name,
                         marker=MARKERS[i % len(MARKERS)], color=COLORS[i % len(COLORS)])
        week_ticks(plt, labels)
        plt.ylabel(ylabel)
        plt.xlabel("week of (Mon)")
    return draw


class IssueSelected(Message):
    """A row naming an issue was chosen (enter): open it in the Investigator. `keys` are the
    issue keys of the list it was chosen from, for stepping through them."""

    def __init__(self, issue_key: str, keys: list[str]) -> None:
        super().__init__()
        self.issue_key = issue_key
        self.keys = keys


class IssueTable(DataTable):
    """A sortable table whose rows may name issues (row key = issue key)."""

    BINDINGS = keymap.TABLE

    def __init__(self, columns: list[tuple[str, str]], names_issues: bool = True,
                 sort_callback: Callable[[str, bool], None] | None = None, **kwargs):
        super().__init__(cursor_type="row", zebra_stripes=True, **kwargs)
        self.spec = columns
        self.names_issues = names_issues
        # set when the rows are one page of a larger result: sorting is then asked of the source
        self.sort_callback = sort_callback
        self.sort_index: int | None = None
        self.sort_reverse = False
        self.keys: list[str] = []  # the issues named by the rows, in display order
        self.issue_of_row: dict[str, str | None] = {}

    def on_mount(self) -> None:
        for key, label in self.spec:
            self.add_column(label, key=key)

    def show(self, rows: list[tuple], keys: list[str | None] | None = None,
             sorted_by: tuple[str, bool] | None = None) -> None:
        """Replace the rows; `keys` names the issue of each row (None: the row names none)."""
        self.clear()
        keys = list(keys) if keys is not None else [None] * len(rows)
        self.issue_of_row = {str(i): key for i, key in enumerate(keys)}
        for i, row in enumerate(rows):
            self.add_row(*row, key=str(i))
        self.keys = [k for k in keys if k is not None]
        if sorted_by is not None:
            column, self.sort_reverse = sorted_by
            self.sort_index = [k for k, _ in self.spec].index(column)
            self._label_sort()
        elif self.sort_index is not None:
            self._apply_sort()

    def _label_sort(self) -> None:
        label = self.spec[self.sort_index][1]
        self.border_subtitle = f"sorted by {label} {'▼' if self.sort_reverse else '▲'}"

    def _apply_sort(self) -> None:
        if self.sort_callback is not None:
            self.sort_callback(self.spec[self.sort_index][0], self.sort_reverse)
            return
        self.sort(self.spec[self.sort_index][0], reverse=self.sort_reverse)
        self.keys = [k for k in (self.issue_of_row[row.key.value] for row in self.ordered_rows) if k is not None]
        self._label_sort()

    def action_sort_next(self) -> None:
        self.sort_index = 0 if self.sort_index is None else (self.sort_index + 1) % len(self.spec)
        self.sort_reverse = False
        self._apply_sort()

    def action_sort_reverse(self) -> None:
        self.sort_index = self.sort_index or 0
        self.sort_reverse = not self.sort_reverse
        self._apply_sort()

    def on_data_table_header_selected(self, event: DataTable.HeaderSelected) -> None:
        index = [k for k, _ in self.spec].index(event.column_key.value)
        self.sort_reverse = not self.sort_reverse if index == self.sort_index else False
        self.sort_index = index
        self._apply_sort()

    def issue_at(self, row: int) -> str | None:
        return self.issue_of_row.get(self.ordered_rows[row].key.value) if 0 <= row < self.row_count else None

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        key = self.issue_of_row.get(event.row_key.value)
        if self.names_issues and key:
            self.post_message(IssueSelected(key, self.keys))
