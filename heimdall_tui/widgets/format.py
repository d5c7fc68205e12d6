"""How numbers look on screen: one place, so every tab formats alike.

Thousands separators everywhere, one decimal only where the value was rounded to one,
and axis ticks at round values with k/M units (never `1000000.0`).
"""

from __future__ import annotations

import math
from datetime import datetime

from rich.text import Text

DASH = "—"
STATE_LABELS = {
    "in_progress": "in progress",
    "review": "review",
    "blocked": "blocked",
    "todo": "to do",
    "done": "done",
    "unknown": "unknown",
}


# Each tone has a colour form and a NO_COLOR form. Without colour Textual turns red into a
# dark grey that nearly vanishes, so the worst news would be the least visible: there it is
# carried by reverse video, bold and underline instead (and, where it is drawn, by a word
# or symbol: ▲▼ ✖ !).
TONES = {
    "bad": ("bold white on red", "bold reverse"),
    "warn": ("bold black on yellow", "bold underline"),
    "good": ("bold green", "bold"),
    "muted": ("dim", "dim"),
}


def tone(name: str, no_color: bool) -> str:
    return TONES[name][1 if no_color else 0]


def state_label(state: str | None) -> str:
    return STATE_LABELS.get(state or "", state or DASH)


def outcome_label(state: str | None, outcome: str | None) -> str:
    """The state, with a done item that was discarded (Won't Do, Duplicate, ...) said so."""
    return "done: discarded" if outcome == "discarded" else state_label(state)


def number(value: float | None, digits: int = 0, unit: str = "") -> str:
    """`1,234`, `12.5` (digits=1), `—` for no value."""
    if value is None:
        return DASH
    return f"{value:,.{digits}f}{unit}"


def when(t: datetime | None) -> str:
    return DASH if t is None else f"{t:%Y-%m-%d %H:%M}"


def duration(hours: float | None) -> str:
    """Hours under two days, days from there on: `5.5 h`, `3.2 d`."""
    if hours is None:
        return DASH
    return f"{hours / 24:,.1f} d" if hours >= 48 else f"{hours:,.1f} h"


def compact(value: float) -> str:
    """An axis label: `0`, `250`, `1.5k`, `20k`, `1.2M`."""
    magnitude = abs(value)
    for limit, suffix in ((1e6, "M"), (1e3, "k")):
        if magnitude >= limit:
            scaled = value / limit
            return f"{scaled:.1f}".rstrip("0").rstrip(".") + suffix
    if value == int(value):
        return f"{int(value)}"
    return f"{value:.1f}".rstrip("0").rstrip(".")


def nice_ticks(top: float, count: int = 4) -> list[float]:
    """Round tick values from 0 to at least `top` (1, 2, 2.5 or 5 times a power of ten apart)."""
    if top <= 0 or not math.isfinite(top):
        return [0.0, 1.0]
    raw = top / count
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    n = math.ceil(top / step - 1e-9)
    return [i * step for i in range(n + 1)]


class Shown:
    """A cell drawn as `text` but sorted by `value` (a severity drawn as a word, ranked)."""

    def __init__(self, value, text: Text | str):
        self.value, self.text = value, text

    def __eq__(self, other) -> bool:
        return isinstance(other, Shown) and (self.value, str(self.text)) == (other.value, str(other.text))

    def __str__(self) -> str:
        return str(self.text)


def cell(value, digits: int = 1):
    """A table cell: numbers right-aligned with separators, None as a dash."""
    if isinstance(value, Shown):
        return value.text
    if value is None:
        return Text(DASH, justify="right", style="dim")
    if isinstance(value, bool):
        return "yes" if value else ""
    if isinstance(value, int):
        return Text(f"{value:,}", justify="right")
    if isinstance(value, float):
        return Text(f"{value:,.{digits}f}", justify="right")
    if isinstance(value, datetime):
        return when(value)
    return value


def sort_key(value):
    """Orders any mix of cell values: numbers, then text, then blanks, case-insensitively."""
    if isinstance(value, Shown):
        value = value.value
    if isinstance(value, Text):
        value = value.plain
    if value is None or value == "":
        return (2, 0, "")
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return (0, value, "")
    if isinstance(value, datetime):
        return (0, value.timestamp(), "")
    return (1, 0, str(value).lower())
