"""Reusable widgets: KPI cards, charts, sortable issue tables, and how numbers look."""

from heimdall_tui.widgets.charts import (
    COLORS,
    MARKERS,
    BarList,
    Chart,
    draw_lines,
    draw_stacked,
    x_labels,
    y_axis,
)
from heimdall_tui.widgets.jump import JumpBar
from heimdall_tui.widgets.keybar import KeyBar
from heimdall_tui.widgets.kpi import KpiCard
from heimdall_tui.widgets.table import IssueSelected, IssueTable

__all__ = [
    "COLORS",
    "MARKERS",
    "BarList",
    "Chart",
    "IssueSelected",
    "IssueTable",
    "JumpBar",
    "KeyBar",
    "KpiCard",
    "draw_lines",
    "draw_stacked",
    "x_labels",
    "y_axis",
]
