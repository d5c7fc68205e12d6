"""The governed metrics on hand-built logs with hand-worked answers."""

from datetime import UTC, datetime, timedelta

import pytest

from tests.eventlog import EventLog, failures
from warehouse import metrics
from warehouse.metrics import Filters


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


THIS = (utc("2025-10-08T00:00:00"), utc("2025-10-15T00:00:00"))
LAST = (utc("2025-10-01T00:00:00"), utc("2025-10-08T00:00:00"))


@pytest.fixture(scope="module")
def two_weeks():
    log = EventLog(as_of="2025-10-15T00:00:00Z")
    log.issue(1, "2025-10-01T00:00:00Z").path(
        1, ("In Progress", "2025-10-02T00:00:00Z"), ("Done", "2025-10-04T00:00:00Z")
    )
    log.issue(2, "2025-10-01T00:00:00Z").path(
        2, ("In Progress", "2025-10-03T00:00:00Z"), ("Done", "2025-10-04T00:00:00Z")
    )
    log.issue(3, "2025-10-01T00:00:00Z", team="TYR", project_key="MIDGARD-OPS").path(
        3, ("Dev", "2025-10-08T00:00:00Z"), ("Complete", "2025-10-10T00:00:00Z"), start="Ready"
    )
    log.issue(4, "2025-10-01T00:00:00Z", issue_type="Bug").path(
        4,
        ("In Progress", "2025-10-09T00:00:00Z"),
        ("Done", "2025-10-11T00:00:00Z"),
        ("In Progress", "2025-10-12T00:00:00Z"),
        ("Done", "2025-10-13T00:00:00Z"),
    )
    log.issue(5, "2025-10-01T00:00:00Z").path(5, ("In Progress", "2025-10-10T00:00:00Z"))
    log.issue(6, "2025-10-01T00:00:00Z").path(6, ("In Progress", "2025-10-05T00:00:00Z"))
    log.blockers += [
        (1, "2025-10-02T06:00:00Z", "2025-10-03T00:00:00Z", "2025-10-02T06:00:00Z"),
        (4, "2025-10-09T12:00:00Z", "2025-10-10T12:00:00Z", "2025-10-09T12:00:00Z"),
    ]
    con, results = log.build()
    assert failures(results) == []
    return con


def test_throughput_counts_done_at_in_the_half_open_week(two_weeks):
    assert metrics.throughput(two_weeks, *THIS) == 2  # issues 3 and 4 (its last done)
    assert metrics.throughput(two_weeks, *LAST) == 2  # issues 1 and 2
    assert metrics.throughput(two_weeks, utc("2025-10-04T00:00:00"), utc("2025-10-10T00:00:00")) == 2  # 3 ends at 10-10


def test_cycle_time_percentiles_are_continuous(two_weeks):
    this = metrics.cycle_time_percentiles(two_weeks, *THIS)
    assert this == {"n": 2, "p50": 72.0, "p75": 84.0, "p85": pytest.approx(88.8), "p95": pytest.approx(93.6)}
    last = metrics.cycle_time_percentiles(two_weeks, *LAST)
    assert (last["p50"], last["p75"]) == (36.0, 42.0)


def test_lead_time_percentiles(two_weeks):
    assert metrics.lead_time_percentiles(two_weeks, *THIS)["p50"] == (9 * 24 + 12 * 24) / 2


def test_wip_at_an_instant_and_current(two_weeks):
    assert metrics.wip_at(two_weeks, THIS[1]) == 2  # 5 and 6
    assert metrics.wip_at(two_weeks, THIS[0]) == 2  # 6, and 3 which started exactly then
    assert metrics.current_wip(two_weeks) == {"wip": 2, "blocked": 0}


def test_average_wip_is_time_weighted(two_weeks):
    # over [10-08, 10-15): 6 all week (7 d), 3 for 2 d, 4 for 2 d + 1 d, 5 for 5 d -> 17 issue-days / 7
    assert metrics.average_wip(two_weeks, *THIS) == pytest.approx(17 / 7)


def test_blocked_share_is_blocked_over_cycle_hours(two_weeks):
    this = metrics.blocked_time(two_weeks, *THIS)
    assert this["share_pct"] == pytest.approx(100 * 24 / 144)
    assert metrics.blocked_time(two_weeks, *LAST)["share_pct"] == pytest.approx(100 * 18 / 72)
    assert metrics.blocks_started(two_weeks, *THIS) == 1


def test_rework_rate_is_the_reopened_share_of_done(two_weeks):
    assert metrics.rework_rate(two_weeks, *THIS) == {"done": 2, "reopened": 1, "rate_pct": 50.0}
    assert metrics.rework_rate(two_weeks, *LAST)["rate_pct"] == 0.0


def test_work_item_age_at_an_instant(two_weeks):
    now = metrics.work_item_age(two_weeks)
    assert now["issue_key"].to_list() == ["VAL-6", "VAL-5"]
    assert now["age_hours"].to_list() == [10 * 24, 5 * 24]
    then = metrics.work_item_age(two_weeks, at=utc("2025-10-09T12:00:00"))
    assert then["issue_key"].to_list() == ["VAL-6", "VAL-3", "VAL-4"]
    assert then.filter(then["issue_key"] == "VAL-4")["is_blocked"].to_list() == [True]


def test_filters_narrow_every_metric(two_weeks):
    tyr = Filters(team="TYR")
    assert metrics.throughput(two_weeks, *THIS, tyr) == 1
    assert metrics.cycle_time_percentiles(two_weeks, *THIS, tyr)["p50"] == 48.0
    assert metrics.throughput(two_weeks, *THIS, Filters(issue_type="Bug")) == 1
    assert metrics.wip_at(two_weeks, THIS[0], Filters(project="MIDGARD-OPS")) == 1


def test_filters_that_select_nothing_give_zero_and_none(two_weeks):
    nothing = Filters(team="TYR", issue_type="Bug")
    assert metrics.throughput(two_weeks, *THIS, nothing) == 0
    assert metrics.cycle_time_percentiles(two_weeks, *THIS, nothing)["p50"] is None
    assert metrics.blocked_time(two_weeks, *THIS, nothing)["share_pct"] is None
    assert metrics.rework_rate(two_weeks, *THIS, nothing)["rate_pct"] is None
    assert metrics.wip_at(two_weeks, THIS[1], nothing) == 0
    assert metrics.average_wip(two_weeks, *THIS, nothing) == 0


def test_weekly_flow_buckets_by_monday_weeks(two_weeks):
    flow = metrics.weekly_flow(two_weeks, utc("2025-09-29T00:00:00"), THIS[1])
    # 2025-09-29 and 2025-10-06 and 2025-10-13 are Mondays
    assert [(str(r["week_start"]), r["throughput"]) for r in flow.iter_rows(named=True)] == [
        ("2025-09-29", 2),
        ("2025-10-06", 1),
        ("2025-10-13", 1),
    ]
    by_team = metrics.weekly_flow(two_weeks, utc("2025-09-29T00:00:00"), THIS[1], by_team=True)
    assert by_team.columns == ["week_start", "team", "throughput", "median_cycle_time_hours", "p85_cycle_time_hours"]
    # every week has a row per team; AEGIR's first week: cycles of 48 and 24 h (P85 24 + 0.85 x 24)
    assert [(str(r[0]), *r[1:]) for r in by_team.rows()] == [
        ("2025-09-29", "AEGIR", 2, 36.0, pytest.approx(44.4)),
        ("2025-09-29", "TYR", 0, None, None),
        ("2025-10-06", "AEGIR", 0, None, None),
        ("2025-10-06", "TYR", 1, 48.0, 48.0),
        ("2025-10-13", "AEGIR", 1, 96.0, 96.0),
        ("2025-10-13", "TYR", 0, None, None),
    ]
    ops = metrics.weekly_flow(two_weeks, utc("2025-09-29T00:00:00"), THIS[1], Filters(project="MIDGARD-OPS"), True)
    assert ops["team"].unique().to_list() == ["TYR"] and ops["throughput"].to_list() == [0, 1, 0]


def test_time_in_status_covers_the_cycles_of_done_work(two_weeks):
    tis = {r["canonical_status"]: r["hours"] for r in metrics.time_in_status(two_weeks, *THIS).iter_rows(named=True)}
    # issue 3: 48 h in progress; issue 4: 48 h in progress, 24 h done, 24 h in progress
    assert tis == {"in_progress": 120.0, "done": 24.0}


def test_sle_is_the_teams_p85(two_weeks):
    sle = metrics.team_sle(two_weeks, THIS[1], weeks=2)
    assert sle["TYR"] == 48.0
    assert sle["AEGIR"] == pytest.approx(48 + 0.7 * 48)  # cycles 24, 48, 96: position 0.85 x 2 = 1.7


def test_unknown_filter_values_are_an_error(two_weeks):
    from warehouse.errors import HeimdallError

    with pytest.raises(HeimdallError, match="unknown team 'LOKI' \\(known: AEGIR, TYR\\)"):
        metrics.validate_filters(two_weeks, Filters(team="LOKI"))
    metrics.validate_filters(two_weeks, Filters(team="TYR", project="VALHALLA"))


def test_the_glossary_is_the_docstrings():
    names = {name for name, _ in metrics.glossary()}
    assert {
        "Throughput",
        "Cycle time",
        "Lead time",
        "Current WIP",
        "Work item age",
        "Blocked share",
        "Rework rate",
        "Average WIP",
        "Time in status",
    } <= names
    for _, definition in metrics.glossary():
        assert len(definition) > 30


def test_issue_states_count_every_issue_once(two_weeks):
    assert metrics.issue_states(two_weeks) == {"done": 4, "in_progress": 2}
    assert metrics.issue_states(two_weeks, Filters(team="TYR")) == {"done": 1}


def test_an_issue_done_exactly_at_as_of_counts_in_every_window_that_ends_now():
    log = EventLog(as_of="2025-10-15T00:00:00Z")
    log.issue(1, "2025-10-01T00:00:00Z").path(
        1, ("In Progress", "2025-10-02T00:00:00Z"), ("Done", "2025-10-15T00:00:00Z")
    )
    log.issue(2, "2025-10-01T00:00:00Z").path(
        2, ("In Progress", "2025-10-02T00:00:00Z"), ("Done", "2025-10-03T00:00:00Z")
    )
    con, _ = log.build()
    end = metrics.period_end(con)
    assert end == utc("2025-10-15T00:00:00.000001")
    assert metrics.throughput(con, end - timedelta(days=7), end) == 1
    start, _ = metrics.reporting_window(con, None)
    assert metrics.throughput(con, start, end) == metrics.issue_states(con)["done"] == 2


def test_the_reporting_window_is_whole_monday_weeks_back_from_as_of():
    log = EventLog(as_of="2025-10-30T12:00:00Z")  # a Thursday
    log.issue(1, "2025-09-01T00:00:00Z").path(1, ("In Progress", "2025-09-02T00:00:00Z"))
    con, _ = log.build()
    start, end = metrics.reporting_window(con, 4)
    # 4 weeks before the Thursday is Thursday 2 October; its week began Monday 29 September
    assert (start, end) == (utc("2025-09-29T00:00:00"), utc("2025-10-30T12:00:00.000001"))
    start, _ = metrics.reporting_window(con, 12)  # reaches before the data: the data start
    assert start == utc("2025-09-01T00:00:00")


def test_cycle_time_distribution_is_each_teams_box_over_the_period():
    log = EventLog(as_of="2025-10-31T00:00:00Z")
    # AEGIR delivers 10, 20, 30, 40 and 50 h of cycle time in the week; one more after it
    for n, hours in enumerate((10, 20, 30, 40, 50, 60), 1):
        done = datetime(2025, 10, 7, tzinfo=UTC) + timedelta(days=n if n < 6 else 10)
        start = done - timedelta(hours=hours)
        log.issue(n, "2025-10-01T00:00:00Z").path(
            n, ("In Progress", f"{start:%Y-%m-%dT%H:%M:%SZ}"), ("Done", f"{done:%Y-%m-%dT%H:%M:%SZ}")
        )
    # FREYA delivers one item of 100 h; VANIR's item skipped every active state (no cycle time)
    log.issue(7, "2025-10-01T00:00:00Z", team="FREYA").path(
        7, ("Doing", "2025-10-04T04:00:00Z"), ("Shipped", "2025-10-08T08:00:00Z"), start="Backlog"
    )
    log.issue(8, "2025-10-01T00:00:00Z", team="VANIR").path(8, ("Done", "2025-10-09T00:00:00Z"))
    con = log.build()[0]
    box = metrics.cycle_time_distribution(con, datetime(2025, 10, 6, tzinfo=UTC), datetime(2025, 10, 13, tzinfo=UTC))
    assert box.columns == ["team", "n", "p5", "p25", "p50", "p75", "p95"]
    # quantile_cont over 10..50: P5 = 10 + 0.05 x 4 x 10 = 12, P95 = 48
    assert sorted(box.rows()) == [
        ("AEGIR", 5, 12.0, 20.0, 30.0, 40.0, 48.0),
        ("FREYA", 1, 100.0, 100.0, 100.0, 100.0, 100.0),
    ]
    empty = metrics.cycle_time_distribution(con, datetime(2025, 9, 1, tzinfo=UTC), datetime(2025, 9, 8, tzinfo=UTC))
    assert empty.columns == box.columns and empty.height == 0


def test_issue_data_quality_names_drifted_and_unmapped_statuses():
    log = (
        EventLog()
        .issue(1, "2025-10-01T00:00:00Z")
        .path(
            1,
            ("Custom:In Progress", "2025-10-02T00:00:00Z"),
            ("Limbo", "2025-10-03T00:00:00Z"),
            ("Done", "2025-10-04T00:00:00Z"),
        )
    )
    con = log.build()[0]
    assert metrics.issue_data_quality(con, "VAL-1") == [
        "status name 'Custom:In Progress' drifted; read as 'In Progress' (in progress)",
        "status name 'Limbo' is unmapped: counted as unknown, not as work",
    ]
    assert metrics.issue_data_quality(con, "VAL-404") == []
