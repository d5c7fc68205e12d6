"""Charts: plotext line charts for time series, text bar lists for categories.

Categories are drawn as text (label, bar, value on one line) rather than plotext bars:
the label can never drift from its bar, values carry separators, and each series has its
own glyph so they stay apart without colour (NO_COLOR).
"""

from __future__ import annotations

from collections.abc import Callable

from rich.text import Text
from textual.widgets import Static
from textual_plotext import PlotextPlot

from heimdall_tui.widgets.format import compact, nice_ticks, number

# Distinct markers and glyphs keep series apart in monochrome terminals too.
MARKERS = ("braille", "dot", "x", "+", "*")
COLORS = ("cyan", "magenta", "yellow", "green", "red", "blue")


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
            try:
                self._draw(plt)
            except Exception as exc:  # one chart that cannot draw must not take the screen down
                plt.clear_data()
                plt.title(f"{self.chart_title}: cannot draw ({type(exc).__name__}: {exc})")
        self.refresh()

    def on_resize(self) -> None:
        self.replot()


def y_axis(plt, values, label: str) -> None:
    """A y axis from 0 with round ticks and k/M labels."""
    top = max((v for v in values if v is not None), default=0)
    ticks = nice_ticks(top)
    plt.ylim(0, ticks[-1])
    plt.yticks(ticks, [compact(t) for t in ticks])
    plt.ylabel(label)


def x_labels(plt, labels: list[str], partial_last: bool = False) -> None:
    """x ticks for a daily or weekly series: about four MM-DD labels so they fit at 80
    columns, always including the last; `*` marks a last period still in progress."""
    if not labels:
        return
    every = max(1, len(labels) // 4)
    positions = list(range(len(labels) - 1, -1, -every))[::-1]
    names = [labels[p][5:] + ("*" if partial_last and p == len(labels) - 1 else "") for p in positions]
    plt.xticks([p + 1 for p in positions], names)


def draw_lines(
    series: dict[str, list[float | None]], labels: list[str], ylabel: str, partial_last: bool = False
) -> Callable:
    def draw(plt):
        xs = list(range(1, len(labels) + 1))
        for i, (name, values) in enumerate(series.items()):
            points = [(x, v) for x, v in zip(xs, values) if v is not None]
            if points:
                plt.plot(
                    [p[0] for p in points],
                    [p[1] for p in points],
                    label=name,
                    marker=MARKERS[i % len(MARKERS)],
                    color=COLORS[i % len(COLORS)],
                )
        x_labels(plt, labels, partial_last)
        y_axis(plt, [v for values in series.values() for v in values], ylabel)
        plt.xlabel("week of (Mon)" + ("; * = this week so far" if partial_last else ""))

    return draw


def draw_stacked(bands: dict[str, list[int]], labels: list[str], ylabel: str) -> Callable:
    """Bands stacked bottom-up in the order given (a cumulative flow diagram): each band is
    filled down to the one below it, with its own marker and colour."""

    def draw(plt):
        xs = list(range(1, len(labels) + 1))
        totals = [0] * len(xs)
        stacked = []
        for name, values in bands.items():
            totals = [a + b for a, b in zip(totals, values, strict=True)]
            stacked.append((name, totals))
        for i, (name, values) in reversed(list(enumerate(stacked))):  # the top band first: fills stay visible
            plt.plot(
                xs, values, label=name, fillx=True, marker=MARKERS[i % len(MARKERS)], color=COLORS[i % len(COLORS)]
            )
        x_labels(plt, labels)
        y_axis(plt, totals, ylabel)

    return draw


class BarList(Static):
    """Horizontal bars, one category a line: `label ███▒▒░ total (parts)`.

    `segments` are (name, glyph, style); each row gives one value per segment. The glyphs
    differ, so the parts read without colour."""

    def __init__(self, title: str, **kwargs):
        super().__init__(**kwargs)
        self.title = title

    def show(
        self,
        rows: list[tuple[str, list[float]]],
        segments: list[tuple[str, str, str]],
        unit: str = "",
        digits: int = 0,
        note: str = "",
    ) -> None:
        width = max(10, (self.size.width or 60) - 2)
        label_width = min(16, max((len(label) for label, _ in rows), default=4))
        totals = [sum(v for v in values if v) for _, values in rows]
        top = max(totals, default=0) or 1
        value_width = max((len(number(t, digits, unit)) for t in totals), default=1)
        bar_width = max(4, width - label_width - value_width - 3)
        if self.app.no_color:
            segments = [(name, glyph, "") for name, glyph, _ in segments]
        text = Text()
        text.append(self.title + "\n", style="bold")
        if len(segments) > 1:
            for name, glyph, style in segments:
                text.append(f"{glyph * 2} {name}  ", style=style)
            text.append("\n")
        for (label, values), total in zip(rows, totals):
            text.append(f"{label[:label_width]:<{label_width}} ")
            drawn = 0
            for value, (_, glyph, style) in zip(values, segments):
                cells = round((value or 0) / top * bar_width)
                text.append(glyph * cells, style=style)
                drawn += cells
            text.append(" " * max(0, bar_width - drawn + 1))
            text.append(f"{number(total, digits, unit):>{value_width}}\n")
        if not rows:
            text.append("nothing to show\n", style="dim")
        if note:
            text.append(note, style="dim")
        self.update(text)
        self._last = (rows, segments, unit, digits, note)

    def on_resize(self) -> None:
        if getattr(self, "_last", None):
            self.show(*self._last)
