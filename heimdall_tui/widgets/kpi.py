"""KPI cards: a metric this week against last week."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from heimdall_tui.views import Kpi
from heimdall_tui.widgets.format import number, tone


class KpiCard(Static):
    """The value, then the change with an arrow and a word: direction and verdict read
    without colour (▲/▼, "worse" in bold reverse)."""

    def show(self, kpi: Kpi) -> None:
        text = Text()
        text.append(kpi.label + "\n", style="bold")
        text.append(number(kpi.value, kpi.digits, kpi.unit))
        text.append(f" {kpi.aside}\n" if kpi.aside else "\n", style="dim")
        if kpi.previous is None:
            pass
        elif kpi.value is None:
            text.append("no data", style="dim")
        else:
            delta = kpi.value - kpi.previous
            if round(delta, kpi.digits) == 0:
                text.append("= last wk", style="dim")
            else:
                better = (delta > 0) == kpi.higher_is_better
                arrow = "▲" if delta > 0 else "▼"
                text.append(
                    f"{arrow}{delta:+,.{kpi.digits}f}", style=tone("good" if better else "bad", self.app.no_color)
                )
                text.append(f" vs {number(kpi.previous, kpi.digits)}", style="dim")
        self.update(text)
