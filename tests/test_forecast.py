"""Monte Carlo forecasts: hand-worked answers for constant and two-valued throughput, the
samples a tiny event log gives, seeds, the command and its errors."""

import json
from datetime import date, timedelta

import numpy as np
import pytest

from tests.eventlog import EventLog
from tests.test_models import built
from warehouse import metrics
from warehouse.errors import HeimdallError
from warehouse.metrics.forecast import days_to_finish, how_many


def test_a_constant_three_a_day_gives_exactly_42_in_14_days_at_every_level():
    assert how_many(np.full(84, 3), 14) == {50: 42, 85: 42, 95: 42}
    # 3 a day: 39 after 13 days, 42 after 14 - every trial finishes 40 on day 14
    assert days_to_finish(np.full(84, 3), 40) == {50: 14, 85: 14, 95: 14}
    assert days_to_finish(np.full(84, 3), 3) == {50: 1, 85: 1, 95: 1}


def test_a_two_valued_sample_gives_the_binomial_answer():
    # 0 or 1 a day, evenly: the total of 4 days is Binomial(4, 1/2). P(total >= k) is
    # 15/16 for k=1, 11/16 for k=2, 5/16 for k=3: 50% of trials reach 2, 85% reach 1, and
    # only 15/16 < 95% reach 1, so the 95% answer is 0.
    samples = np.array([0, 1] * 42)
    assert how_many(samples, 4) == {50: 2, 85: 1, 95: 0}
    # 1 a day with probability 1/3: the first item's day is geometric, P(done by d) = 1 - (2/3)^d:
    # 0.556 by day 2 (0.333 by day 1), 0.868 by day 5 (0.802 by 4), 0.961 by day 8 (0.941 by 7)
    third = np.array([1, 0, 0] * 28)
    assert days_to_finish(third, 1) == {50: 2, 85: 5, 95: 8}


def test_the_same_seed_gives_the_same_answer_and_another_seed_may_not():
    rng = np.random.default_rng(7)
    samples = rng.integers(0, 9, 84)
    assert how_many(samples, 30, seed=5) == how_many(samples, 30, seed=5)
    assert days_to_finish(samples, 200, seed=5) == days_to_finish(samples, 200, seed=5)
    runs = {tuple(how_many(samples, 30, trials=50, seed=s).values()) for s in range(20)}
    assert len(runs) > 1  # the seed is really used


def test_work_that_never_finishes_within_ten_years_has_no_date():
    assert days_to_finish(np.array([0] * 83 + [1]), 10_000, trials=200) == {50: None, 85: None, 95: None}


def deliveries(per_day: dict[str, int], as_of: str = "2025-10-31T12:00:00Z") -> EventLog:
    """Items delivered on the given days (at noon UTC), each started the day before."""
    log = EventLog(as_of=as_of)
    n = 0
    for day, count in per_day.items():
        for _ in range(count):
            n += 1
            log.issue(n, "2025-01-01T00:00:00Z").path(
                n, ("In Progress", "2025-01-02T00:00:00Z"), ("Done", f"{day}T12:00:00Z")
            )
    return log


def test_samples_are_the_84_days_before_as_of_day_with_zero_days():
    # as_of 2025-10-31 12:00: samples are 2025-08-08 .. 2025-10-30. A delivery on as_of's own
    # day and one on 2025-08-07 fall outside; 23:30 at +02:00 on 10-30 is 21:30 UTC, inside.
    log = deliveries({"2025-10-30": 2, "2025-08-08": 1, "2025-08-07": 1, "2025-10-31": 1})
    log.issue(99, "2025-01-01T00:00:00Z").path(
        99, ("In Progress", "2025-10-01T00:00:00Z"), ("Done", "2025-10-30T23:30:00+02:00")
    )
    con = built(log)
    samples = metrics.throughput_samples(con)
    assert (samples.first_day, samples.last_day) == (date(2025, 8, 8), date(2025, 10, 30))
    assert len(samples.daily) == 84 and samples.total == 4
    assert samples.daily[0] == 1 and samples.daily[-1] == 3 and samples.daily[1:-1].sum() == 0


def test_a_forecast_dates_day_one_as_the_day_of_as_of():
    # one item on every third sampled day: 1 a day with probability 1/3, as above
    days = [date(2025, 8, 8) + timedelta(days=3 * k) for k in range(28)]
    con = built(deliveries({d.isoformat(): 1 for d in days}))
    out = metrics.monte_carlo(con, days=14, items=1).to_dict()
    assert out["samples"] == {"start": "2025-08-08", "end": "2025-10-30", "days": 84, "total": 28}
    assert out["when"] == {"items": 1, "p50": "2025-11-01", "p85": "2025-11-04", "p95": "2025-11-07"}
    assert out["how_many"]["days"] == 14 and out["trials"] == 10_000
    assert out["as_of"] == "2025-10-31T12:00:00Z" and out["scope"] == "all work"


def test_no_delivery_in_84_days_is_an_empty_forecast_not_a_division_by_zero():
    con = built(deliveries({"2025-03-01": 2}))
    found = metrics.monte_carlo(con, days=14, items=40)
    assert found.empty
    out = found.to_dict()
    assert out["how_many"] == {"days": 14, "p50": None, "p85": None, "p95": None}
    assert out["when"] == {"items": 40, "p50": None, "p85": None, "p95": None}


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"days": 0}, "days must be between 1"),
        ({"items": 0}, "items must be at least 1"),
        ({"days": 3, "trials": 0}, "trials must be between 1"),
        ({"days": 3, "seed": -1}, "seed must not be negative"),
    ],
)
def test_bad_forecast_arguments_are_errors(kwargs, message):
    con = built(deliveries({"2025-10-01": 1}))
    with pytest.raises(HeimdallError, match=message):
        metrics.monte_carlo(con, **kwargs)


def test_the_forecast_command_text_and_json_agree(run, demo_db):
    text = run("forecast", "--db", demo_db, "--items", "40", "--days", "14", "--team", "AEGIR")
    assert text.code == 0, text
    out = run("forecast", "--db", demo_db, "--items", "40", "--days", "14", "--team", "AEGIR", "--format", "json")
    assert out.code == 0, out
    data = json.loads(out.out)
    assert set(data) >= {"as_of", "scope", "samples", "trials", "how_many", "when"}
    assert data["scope"] == "team AEGIR" and data["trials"] == 10_000
    assert f"{data['how_many']['p85']:,} items" in text.out
    assert f"by {data['when']['p85']}" in text.out
    assert "84 days" in text.out and "with replacement" in text.out
    assert data["how_many"]["p50"] >= data["how_many"]["p85"] >= data["how_many"]["p95"]
    assert data["when"]["p50"] <= data["when"]["p85"] <= data["when"]["p95"]


def test_the_forecast_command_counts_days_to_a_date(run, demo_db):
    as_of = json.loads(run("forecast", "--db", demo_db, "--days", "1", "--format", "json").out)["as_of"]
    day = date.fromisoformat(as_of[:10])
    for given, days in ((day, 1), (day + timedelta(days=13), 14)):  # the day of as_of is day 1
        by_date = run("forecast", "--db", demo_db, "--date", given.isoformat(), "--format", "json")
        assert json.loads(by_date.out)["how_many"]["days"] == days


@pytest.mark.parametrize(
    "args, message",
    [
        ((), "choose what to forecast: --days, --items or --date"),
        (("--days", "3", "--date", "2030-01-01"), "--days and --date"),
        (("--date", "2001-01-01"), "is before the day of as_of"),
        (("--date", "soon"), "is not a date like"),
        (("--items", "0"), "items must be at least 1"),
        (("--days", "3", "--team", "NOPE"), "unknown team 'NOPE'"),
    ],
)
def test_bad_forecast_commands_are_one_line_and_exit_2(run, demo_db, args, message):
    result = run("forecast", "--db", demo_db, *args)
    assert result.code == 2, result
    assert message in result.err and "Traceback" not in result.err


def test_the_report_forecasts_the_next_14_days_and_the_open_work_like_the_command(run, demo_db):
    report = json.loads(run("--export", "report", "--db", demo_db, "--format", "json", "--team", "TYR").out)
    forecast = report["forecast"]
    work = forecast.pop("open_work")
    assert work["active"] == report["headline"]["current_wip"]["this_week"]
    items = work["active"] + work["todo"]
    command = run("forecast", "--db", demo_db, "--team", "TYR", "--days", "14", "--items", items, "--format", "json")
    assert json.loads(command.out) == forecast
    markdown = run("--export", "report", "--db", demo_db, "--team", "TYR").out
    assert f"When will {items:,} items be done:" in markdown and "day 1 is " in markdown
