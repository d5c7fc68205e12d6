"""When each risk signal fires: every threshold, documented, with the defaults and the
override a TOML file's `[risk]` table gives."""

from __future__ import annotations

import math
from dataclasses import dataclass, fields, replace
from pathlib import Path

from warehouse import tomlfile
from warehouse.errors import HeimdallError


@dataclass(frozen=True)
class Thresholds:
    """When each signal fires. Ratios are fractions (0.3 = 30%)."""

    trailing_weeks: int = 4  # the baseline: this many weeks before the reporting week
    min_sample: int = 5  # fewer finished items than this: rate signals stay quiet
    # A change must also be unlikely to be noise: its z-score (Poisson for counts, binomial
    # for rates, the baseline's spread of log cycle times for medians) must reach these.
    z_warning: float = 2.0
    z_critical: float = 3.0
    throughput_drop_warning: float = 0.30  # this week vs the trailing weekly average
    throughput_drop_critical: float = 0.50
    cycle_time_rise_warning: float = 0.25  # median this week vs the trailing median
    cycle_time_rise_critical: float = 0.50
    wip_overload_warning: float = 1.3  # WIP / (throughput per day x mean cycle time in days)
    wip_overload_critical: float = 1.6
    wip_rise_warning: float = 0.20  # WIP at the week's end vs a week earlier
    blocker_spike_warning: float = 1.5  # blocks started this week / trailing weekly average
    blocker_spike_critical: float = 2.5
    blocker_spike_min: int = 3  # and at least this many blocks this week
    rework_spike_warning_points: float = 10.0  # rework rate, percentage points over trailing
    rework_spike_critical_points: float = 20.0
    sle_weeks: int = 12  # a team's SLE is its P85 cycle time over these weeks
    sle_breach_warning: float = 0.30  # share of WIP older than its team's SLE (about
    sle_breach_critical: float = 0.50  # 20% in a steady flow: long items linger in WIP)
    stale_days: float = 7.0  # an active item with no status change this long is stale
    stale_warning: float = 0.25  # share of WIP that is stale
    stale_critical: float = 0.50


def load_thresholds(path: Path | None) -> Thresholds:
    """Thresholds from a TOML file's [risk] table; errors name the bad key."""
    if path is None:
        return Thresholds()
    doc = tomlfile.load(path, "thresholds")
    known = {f.name: f.type for f in fields(Thresholds)}
    extra = set(doc) - {"risk"}
    if extra:
        raise HeimdallError(f"thresholds {path}: unknown key {sorted(extra)[0]!r} (expected a [risk] table)")
    values: dict[str, int | float] = {}
    for key, value in tomlfile.table(doc, "risk", "thresholds", str(path)).items():
        if key not in known:
            raise HeimdallError(f"thresholds {path}: unknown key 'risk.{key}'")
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value < math.inf:
            raise HeimdallError(f"thresholds {path}: 'risk.{key}' must be a finite, non-negative number")
        values[key] = int(value) if known[key] == "int" else float(value)
    return replace(Thresholds(), **values)  # type: ignore[arg-type]  # each value cast to its field's type above
