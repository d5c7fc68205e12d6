"""Flow analytics on tiny event logs whose answers were worked out by hand: the scatterplot and
its percentile lines, aging WIP by stage against the SLE, cumulative flow, arrival and
departure rates, time in stage, flow efficiency, SLE hit rates."""

from datetime import UTC, datetime

import pytest

from tests.eventlog import EventLog
from tests.test_models import built
from warehouse import metrics
from warehouse.metrics import Filters


def utc(day: str) -> datetime:
    return datetime.fromisoformat(day).replace(tzinfo=UTC)


WINDOW = (utc("2025-10-20"), utc("2025-10-31"))


def log(workflow: str | None = None) -> EventLog:
    """as_of 2025-10-31. Delivered in the window: 1 (2 days), 2 (6), 3 (8), 4 (14, started
    before it); 5 active in Review for 2 days, 6 days old; 6 never started; 7 done on 10-05 (3)."""
    e = EventLog(as_of="2025-10-31T00:00:00Z", workflow=workflow)
    for issue in range(1, 8):
        e.issue(issue, "2025-09-25T00:00:00Z")
    d = "T00:00:00Z"
    e.path(1, ("In Progress", f"2025-10-20{d}"), ("Done", f"2025-10-22{d}"))
    e.path(2, ("In Progress", f"2025-10-21{d}"), ("In Review", f"2025-10-23{d}"), ("Done", f"2025-10-27{d}"))
    e.path(3, ("In Progress", f"2025-10-22{d}"), ("Done", f"2025-10-30{d}"))
    e.path(4, ("In Progress", f"2025-10-10{d}"), ("Done", f"2025-10-24{d}"))
    e.path(5, ("In Progress", f"2025-10-25{d}"), ("In Review", f"2025-10-29{d}"))
    e.path(7, ("In Progress", f"2025-10-02{d}"), ("Done", f"2025-10-05{d}"))
    return e


@pytest.fixture(scope="module")
def con():
    return built(log())


def test_the_scatterplot_places_each_delivered_item_and_draws_continuous_percentiles(con):
    scatter = metrics.cycle_time_scatter(con, *WINDOW)
    points = scatter["points"]
    assert points["issue_key"].to_list() == ["VAL-1", "VAL-4", "VAL-2", "VAL-3"]  # by done date
    assert points["cycle_days"].to_list() == [2, 14, 6, 8]
    assert [d.date().isoformat() for d in points["done_at"]] == ["2025-10-22", "2025-10-24", "2025-10-27", "2025-10-30"]
    # [2, 6, 8, 14]: P50 = 7, P70 at 2.1 -> 8.6, P85 at 2.55 -> 11.3, P95 at 2.85 -> 13.1
    assert scatter["lines"] == pytest.approx({50: 7.0, 70: 8.6, 85: 11.3, 95: 13.1})
    assert scatter["delivered"] == 4
    assert metrics.slowest_delivered(con, *WINDOW, scatter["lines"][85])["issue_key"].to_list() == ["VAL-4"]


def test_a_sampled_scatterplot_keeps_the_percentiles_of_every_item(con):
    sampled = metrics.cycle_time_scatter(con, *WINDOW, limit=2)
    assert sampled["points"].height == 2 and sampled["delivered"] == 4
    assert sampled["lines"] == metrics.cycle_time_scatter(con, *WINDOW)["lines"]
    assert sampled["points"].equals(metrics.cycle_time_scatter(con, *WINDOW, limit=2)["points"])  # fixed sample


def test_aging_wip_shows_the_stage_age_and_the_sle(con):
    aging = metrics.aging_wip(con)
    assert aging.height == 1
    row = aging.row(0, named=True)
    assert (row["issue_key"], row["stage"], row["age_days"], row["days_in_stage"]) == ("VAL-5", "Review", 6, 2)
    # P85 of the cycle times delivered in the 12 weeks before as_of, [2, 3, 6, 8, 14]: 8 + 0.4 * 6
    assert row["sle_days"] == pytest.approx(10.4) and row["past_sle"] is False


def test_a_configured_sle_replaces_the_p85_for_aging_and_the_hit_rate():
    con = built(log("[sle]\nAEGIR = { percentile = 80, days = 5 }\n"))
    row = metrics.aging_wip(con).row(0, named=True)
    assert row["sle_days"] == 5 and row["past_sle"] is True  # 6 days old
    hit = metrics.sle_hit_rate(con, *WINDOW).row(0, named=True)
    # of 2, 6, 8, 14 days only the 2-day item is within 5 days
    assert (hit["delivered"], hit["within"], hit["hit_pct"]) == (4, 1, 25.0)
    assert (hit["target_pct"], hit["source"], hit["sle_hours"]) == (80.0, "workflow file", 120.0)


def test_cumulative_flow_counts_each_stage_at_each_days_end_from_the_window_on(con):
    cfd = metrics.cumulative_flow(con, utc("2025-10-29"), utc("2025-10-31"))
    got = {(r["day"].isoformat(), r["stage"]): r["items"] for r in cfd.iter_rows(named=True)}
    # done before 10-29 (1, 2, 4, 7) is not in the chart; 3 reaches Done on 10-30
    assert got == {
        ("2025-10-29", "To Do"): 1,
        ("2025-10-29", "In Progress"): 1,
        ("2025-10-29", "Review"): 1,
        ("2025-10-30", "To Do"): 1,
        ("2025-10-30", "Review"): 1,
        ("2025-10-30", "Done"): 1,
    }


def test_arrivals_are_cycle_starts_and_departures_deliveries(con):
    rates = metrics.arrival_departure(con, *WINDOW)
    assert (rates["arrived"], rates["departed"], rates["days"]) == (4, 4, 11)
    assert (rates["arrival_per_day"], rates["departure_per_day"]) == (pytest.approx(4 / 11), pytest.approx(4 / 11))
    instant = metrics.arrival_departure(con, WINDOW[0], WINDOW[0])  # an empty period: no rate, not a division by 0
    assert (instant["days"], instant["arrival_per_day"], instant["departure_per_day"]) == (0, 0.0, 0.0)


def test_daily_throughput_is_zero_filled(con):
    first, daily = metrics.daily_throughput(con, *WINDOW)
    assert first == utc("2025-10-20") and len(daily) == 11
    assert daily.tolist() == [0, 0, 1, 0, 1, 0, 0, 1, 0, 0, 1]


WAITING = """
[stages]
"To Do" = ["To Do"]
"Doing" = ["In Progress"]
"Waiting for QA" = ["Ready for QA"]
"QA" = ["QA"]
"Done" = ["Done"]
"""


def test_flow_efficiency_counts_blocked_and_waiting_time_once():
    e = EventLog(as_of="2025-10-31T00:00:00Z", workflow=WAITING).issue(1, "2025-09-30T00:00:00Z")
    e.path(
        1,
        ("In Progress", "2025-10-01T00:00:00Z"),
        ("Ready for QA", "2025-10-03T00:00:00Z"),
        ("QA", "2025-10-05T00:00:00Z"),
        ("Done", "2025-10-06T00:00:00Z"),
    )
    # blocked 10-04 .. 10-05 12:00: 24 h of it while waiting for QA, 12 h during QA
    e.blockers.append((1, "2025-10-04T00:00:00Z", "2025-10-05T12:00:00Z", "2025-10-04T00:00:00Z"))
    con = built(e)
    start, end = utc("2025-10-01"), utc("2025-10-08")
    # cycle 120 h; wait = 36 h blocked + 48 h waiting for QA - 24 h both = 60 h: 50%
    team = metrics.flow_efficiency(con, start, end).row(0, named=True)
    assert (team["cycle_hours"], team["wait_hours"], team["efficiency_pct"]) == (120, 60, 50)
    item = metrics.flow_efficiency(con, start, end, per_item=True).row(0, named=True)
    assert (item["issue_key"], item["efficiency_pct"]) == ("VAL-1", 50)
    assert metrics.issue_flow_efficiency(con, "VAL-1") == 50
    stages = metrics.time_in_stage(con, start, end)
    assert dict(zip(stages["stage"], stages["hours"], strict=True)) == {"Doing": 48, "Waiting for QA": 48, "QA": 24}


def test_filters_narrow_the_analytics(con):
    nobody = Filters(team="FREYA")
    assert metrics.cycle_time_scatter(con, *WINDOW, nobody)["delivered"] == 0
    assert metrics.cycle_time_scatter(con, *WINDOW, nobody)["lines"] == {50: None, 70: None, 85: None, 95: None}
    assert metrics.aging_wip(con, nobody).height == 0
    assert metrics.cumulative_flow(con, *WINDOW, nobody).height == 0
    assert metrics.flow_efficiency(con, *WINDOW, nobody).height == 0


def test_cumulative_flow_equals_counting_every_period_at_every_days_end(demo_db):
    """The running-sum CFD against the definition itself, on the demo: for each day's end t,
    the periods that hold at t in each stage (done stages: only those entered in the window)."""
    from warehouse.engine.db import open_warehouse

    con, _ = open_warehouse(demo_db)
    end = metrics.period_end(con)
    for start, filters in ((utc("2025-12-01"), Filters()), (utc("2025-10-15"), Filters(team="TYR"))):
        fast = metrics.cumulative_flow(con, start, end, filters)
        team = "AND p.team = $team" if filters.team else ""
        slow = con.execute(
            f"""
            WITH days AS (SELECT CAST(d AS DATE) AS day, least(d + INTERVAL 1 DAY, $end) - INTERVAL 1 MICROSECOND AS t
                          FROM range($start, $end, INTERVAL 1 DAY) r(d))
            SELECT days.day, p.stage, count(*) FROM fct_status_periods p
            JOIN days ON p.entered_at <= days.t AND (p.exited_at IS NULL OR p.exited_at > days.t)
            WHERE p.is_flow_item AND p.stage IS NOT NULL {team}
              AND NOT (p.stage = 'Done' AND p.entered_at < $start)
            GROUP BY ALL ORDER BY 1, 2""",
            {"start": start, "end": end, **({"team": filters.team} if filters.team else {})},
        ).fetchall()
        assert sorted(fast.select("day", "stage", "items").iter_rows()) == sorted(slow)
        assert len(slow) > 100


def test_the_tab_lists_the_oldest_of_each_stage_and_counts_them_all(demo_db):
    from warehouse.engine.db import open_warehouse

    con, _ = open_warehouse(demo_db)
    every = metrics.aging_wip(con)
    some = metrics.aging_wip(con, per_stage=5)
    wip = metrics.current_wip(con)["wip"]
    assert every.height == wip and set(some["active_items"]) == {wip}
    assert set(some["past_sle_items"]) == {int(every["past_sle"].sum())}
    for stage, rows in some.group_by("stage"):
        oldest = every.filter(every["stage"] == stage[0]).head(5)
        assert rows["issue_key"].to_list() == oldest["issue_key"].to_list()
    start, end = metrics.reporting_window(con, 12)
    p85 = metrics.cycle_time_scatter(con, start, end)["lines"][85]
    slow = metrics.slowest_delivered(con, start, end, p85, limit=3)
    everything = metrics.slowest_delivered(con, start, end, p85)
    assert slow["issue_key"].to_list() == everything["issue_key"].head(3).to_list()
    assert set(slow["items"]) == {everything.height}
