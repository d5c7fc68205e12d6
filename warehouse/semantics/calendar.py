"""The calendar of the screens: Monday-based weeks and the periods a screen opens on, as pure
functions of a warehouse's period end and data start (the metrics read those from the
warehouse; the build uses them to choose what to keep in `mart_delivery`)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


def window_from(end: datetime, first: datetime, weeks: int | None) -> tuple[datetime, datetime]:
    """`reporting_window` for a period end and data start."""
    if weeks is None:
        return first, end
    return max(first, week_start(end - timedelta(weeks=weeks))), end


def week_start(instant: datetime) -> datetime:
    """The Monday 00:00 UTC that begins the week holding `instant`."""
    t = instant.astimezone(UTC)
    return datetime(t.year, t.month, t.day, tzinfo=UTC) - timedelta(days=t.weekday())


# The windows a screen offers ("the last N weeks", or all time).
REPORTING_WEEKS = (4, 8, 12, None)
# The periods a week is judged on: the week to the end, the week before, and the baseline of
# the 4 weeks before that (risks.Thresholds.trailing_weeks); SLEs look back 12 weeks
# (Thresholds.sle_weeks); the operations tab counts the last 7 and 30 days.
WEEK = timedelta(days=7)
NOW = timedelta(0)
ANCHORED = ((WEEK, NOW), (2 * WEEK, WEEK), (5 * WEEK, WEEK), (12 * WEEK, NOW), (timedelta(days=30), NOW))


def screen_windows(end: datetime, first: datetime) -> list[tuple[datetime, datetime]]:
    """The periods [start, end) the screens and the report open on, for a warehouse whose
    period end is `end` and data start `first`: those of ANCHORED ending `end` or a week
    before it, each reporting window, and every Monday-based week (the last one partial),
    as the weekly charts show them. The build keeps the delivery figures of each
    (`mart_delivery`), so opening a screen reads them instead of the history."""
    found = {(end - back, end - forward) for back, forward in ANCHORED}
    found |= {window_from(end, first, weeks) for weeks in REPORTING_WEEKS}
    found |= set(monday_weeks(first, end))
    return sorted((start, stop) for start, stop in found if start < stop)


def monday_weeks(start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
    """The Monday-based weeks from the one holding `start` until `end`, each [Monday, next
    Monday) but the last, which stops at `end`."""
    weeks, monday = [], week_start(start)
    while monday < end:
        weeks.append((monday, min(monday + WEEK, end)))
        monday += WEEK
    return weeks
