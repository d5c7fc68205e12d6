"""Monte Carlo forecasts from recent daily throughput: how many items in D days, and when N
items will be done.

Method: the samples are the daily throughput of delivered flow items in scope (see
`throughput`) on each of the `SAMPLE_DAYS` calendar days (UTC) before the day of as_of, days
with nothing delivered included. Each trial draws one sample, with replacement, for each
future day; day 1 is the day of as_of. A level p (50, 85, 95) is the answer at least p% of the
trials reach: for "how many", the largest total that p% of trials reach or exceed; for "when",
the first day by which p% of trials have finished. The same seed gives the same answer.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING

import duckdb

from warehouse.errors import HeimdallError
from warehouse.metrics.analytics import daily_throughput
from warehouse.metrics.filters import NO_FILTERS, Filters
from warehouse.metrics.window import as_of

if TYPE_CHECKING:  # imported where drawn: the screens that never forecast never load numpy
    import numpy as np

SAMPLE_DAYS = 84
TRIALS = 10_000
SEED = 0
LEVELS = (50, 85, 95)
HORIZON_DAYS = 3_660  # "when" gives up after ten years: beyond that the answer is "not in sight"
_DRAWS_AT_ONCE = 4_000_000  # trials x days drawn in one block: 32 MB, whatever trials and days ask


def _chunk(trials: int) -> int:
    """Days drawn per block, so that a block stays within _DRAWS_AT_ONCE draws."""
    return max(1, min(256, _DRAWS_AT_ONCE // trials))


@dataclass(frozen=True)
class Samples:
    first_day: date  # the first sampled day; the last is the day before as_of's
    daily: np.ndarray  # items delivered on each of the SAMPLE_DAYS days, oldest first

    @property
    def total(self) -> int:
        return int(self.daily.sum())

    @property
    def last_day(self) -> date:
        return self.first_day + timedelta(days=len(self.daily) - 1)


@dataclass(frozen=True)
class Forecast:
    """One forecast's inputs and answers; `to_dict` is the JSON the command and report give."""

    as_of: datetime  # day 1 is this instant's day
    scope: str
    samples: Samples
    trials: int
    seed: int
    days: int | None  # "how many in D days", when asked
    how_many: dict[int, int] | None  # level -> items reached or exceeded by that share of trials
    items: int | None  # "when will N be done", when asked
    when: dict[int, date | None] | None  # level -> date; None beyond HORIZON_DAYS

    @property
    def first_day(self) -> date:
        """Day 1 of the forecast: the day of as_of."""
        return self.as_of.astimezone(UTC).date()

    @property
    def empty(self) -> bool:
        """No item delivered in the sampled days: there is nothing to forecast from."""
        return self.samples.total == 0

    def to_dict(self) -> dict:
        out: dict = {
            "as_of": self.as_of.astimezone(UTC).isoformat().replace("+00:00", "Z"),
            "scope": self.scope,
            "samples": {
                "start": self.samples.first_day.isoformat(),
                "end": self.samples.last_day.isoformat(),
                "days": len(self.samples.daily),
                "total": self.samples.total,
            },
            "trials": self.trials,
            "seed": self.seed,
        }
        if self.days is not None:
            out["how_many"] = {"days": self.days, **{f"p{p}": (self.how_many or {}).get(p) for p in LEVELS}}
        if self.items is not None:
            found = self.when or {}
            out["when"] = {
                "items": self.items,
                **{f"p{p}": (d.isoformat() if (d := found.get(p)) else None) for p in LEVELS},
            }
        return out


def throughput_samples(
    con: duckdb.DuckDBPyConnection, filters: Filters = NO_FILTERS, at: datetime | None = None
) -> Samples:
    """Throughput samples: the daily throughput of delivered flow items in scope on each of the
    84 calendar days (UTC) before the day of as_of (or of the instant given), days with nothing
    delivered included."""
    day1 = (at or as_of(con)).astimezone(UTC).date()
    start = datetime(day1.year, day1.month, day1.day, tzinfo=UTC) - timedelta(days=SAMPLE_DAYS)
    first, daily = daily_throughput(con, start, start + timedelta(days=SAMPLE_DAYS), filters)
    return Samples(first.date(), daily)


def _reached(totals: np.ndarray, share: float) -> int:
    """The largest total that at least `share` of the trials reach or exceed."""
    import numpy as np

    ordered = np.sort(totals)
    return int(ordered[len(ordered) - math.ceil(share * len(ordered))])


def how_many(samples: np.ndarray, days: int, trials: int = TRIALS, seed: int = SEED) -> dict[int, int]:
    """Forecast of how many: for each level p (50, 85, 95), the largest number of items that
    p% of the trials deliver or exceed in `days` days (85% = the 15th percentile of totals)."""
    import numpy as np

    rng = np.random.default_rng(seed)
    totals = np.zeros(trials, dtype=np.int64)
    for first in range(0, days, _chunk(trials)):
        totals += rng.choice(samples, size=(trials, min(_chunk(trials), days - first))).sum(axis=1)
    return {p: _reached(totals, p / 100) for p in LEVELS}


def days_to_finish(samples: np.ndarray, items: int, trials: int = TRIALS, seed: int = SEED) -> dict[int, int | None]:
    """Forecast of when: for each level p (50, 85, 95), the first day (1 = the day of as_of) by
    which p% of the trials have delivered `items` items; None when they do not within ten years."""
    import numpy as np

    rng = np.random.default_rng(seed)
    finish = np.full(trials, np.inf)
    done = np.zeros(trials, dtype=np.int64)
    drawn = 0
    while drawn < HORIZON_DAYS and np.isinf(finish).any():
        chunk = min(_chunk(trials), HORIZON_DAYS - drawn)
        running = done[:, None] + rng.choice(samples, size=(trials, chunk)).cumsum(axis=1)
        hit = running >= items
        newly = np.isinf(finish) & hit.any(axis=1)
        finish[newly] = drawn + hit[newly].argmax(axis=1) + 1
        done = running[:, -1]
        drawn += chunk
    ordered = np.sort(finish)
    found = {p: ordered[math.ceil(p / 100 * trials) - 1] for p in LEVELS}
    return {p: None if np.isinf(d) else int(d) for p, d in found.items()}


def monte_carlo(
    con: duckdb.DuckDBPyConnection,
    filters: Filters = NO_FILTERS,
    days: int | None = None,
    items: int | None = None,
    trials: int = TRIALS,
    seed: int = SEED,
    at: datetime | None = None,
) -> Forecast:
    """Monte Carlo forecast: how many items in scope will be delivered in `days` days and/or
    when `items` items will be, from 10,000 trials (by default) that each draw a day's
    throughput from the throughput samples, with replacement, for each day from as_of's on
    (or from the day of `at`, for a report on an earlier week)."""
    if days is not None and not 1 <= days <= HORIZON_DAYS:
        raise HeimdallError(f"days must be between 1 and {HORIZON_DAYS:,} (got {days:,})")
    if items is not None and items < 1:
        raise HeimdallError(f"items must be at least 1 (got {items:,})")
    if not 1 <= trials <= 1_000_000:
        raise HeimdallError(f"trials must be between 1 and 1,000,000 (got {trials:,})")
    if seed < 0:
        raise HeimdallError(f"the seed must not be negative (got {seed})")
    samples = throughput_samples(con, filters, at)
    result = Forecast(at or as_of(con), filters.describe(), samples, trials, seed, days, None, items, None)
    if result.empty:
        return result
    first = result.first_day
    finished = days_to_finish(samples.daily, items, trials, seed) if items is not None else None
    return Forecast(
        result.as_of,
        result.scope,
        samples,
        trials,
        seed,
        days,
        how_many(samples.daily, days, trials, seed) if days is not None else None,
        items,
        {p: None if d is None else first + timedelta(days=d - 1) for p, d in finished.items()}
        if finished is not None
        else None,
    )
