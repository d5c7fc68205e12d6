"""The boundaries the flow rules draw, each pinned by a hand-worked case: move one `<` to
`<=`, one weight or one cut-off, and a test here fails."""

from datetime import UTC, datetime

import pytest

from tests.eventlog import EventLog
from tests.test_models import LIFECYCLE, built, one, rows
from warehouse import metrics, risks
from warehouse.engine.db import connect
from warehouse.engine.pipeline import copy_sources, materialise
from warehouse.semantics.rules import utc_day, utc_day_ending_at
from warehouse.semantics.workflow import Workflow


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def test_a_move_from_done_to_an_unmapped_status_is_not_a_reopen():
    log = (
        EventLog()
        .issue(1, "2025-10-01T00:00:00Z")
        .path(
            1,
            ("In Progress", "2025-10-02T00:00:00Z"),
            ("Done", "2025-10-03T00:00:00Z"),
            ("Limbo", "2025-10-04T00:00:00Z"),
        )
    )
    con = built(log)
    assert one(con, LIFECYCLE, 1)["reopen_count"] == 0
    assert rows(con, "SELECT count(*) FROM fct_status_periods WHERE is_reopen") == [(0,)]


def test_periods_are_half_open_for_percentiles_and_blocked_share():
    log = EventLog(as_of="2025-10-20T00:00:00Z")
    # done exactly at the period's start (counts): 72 h, never blocked
    log.issue(1, "2025-10-01T00:00:00Z").path(
        1, ("In Progress", "2025-10-02T00:00:00Z"), ("Done", "2025-10-05T00:00:00Z")
    )
    # done exactly at its end (does not count): 216 h, 24 h of it blocked
    log.issue(2, "2025-10-01T00:00:00Z").path(
        2, ("In Progress", "2025-10-03T00:00:00Z"), ("Done", "2025-10-12T00:00:00Z")
    )
    log.blockers.append((2, "2025-10-04T00:00:00Z", "2025-10-05T00:00:00Z", "2025-10-04T00:00:00Z"))
    con = built(log)
    start, end = utc("2025-10-05T00:00:00"), utc("2025-10-12T00:00:00")
    cycle = metrics.cycle_time_percentiles(con, start, end)
    assert (cycle["n"], cycle["p50"]) == (1, 72)
    assert metrics.blocked_time(con, start, end) == {"n": 1, "blocked_hours": 0, "cycle_hours": 72, "share_pct": 0}
    assert metrics.throughput(con, start, end) == 1


def test_nested_windows_are_one_island_and_touching_windows_merge():
    log = EventLog(as_of="2025-10-31T00:00:00Z")
    for issue in (1, 2):
        log.issue(issue, "2025-10-01T00:00:00Z").path(
            issue, ("In Progress", "2025-10-01T00:00:00Z"), ("Done", "2025-10-30T00:00:00Z")
        )
    # issue 1: A [10-02, 10-09] (168 h) holds B [10-03, 10-04] and C [10-05, 10-06]: 168 h, not 192 h
    log.blockers += [
        (1, f"2025-10-0{s}T00:00:00Z", f"2025-10-0{e}T00:00:00Z", f"2025-10-0{s}T00:00:00Z")
        for s, e in ((2, 9), (3, 4), (5, 6))
    ]
    # issue 2: [10-02, 10-03] touches [10-03, 10-04]; [10-10, 10-11] stands apart: 2 blocks, not 3
    log.blockers += [
        (2, s, e, s)
        for s, e in (
            ("2025-10-02T00:00:00Z", "2025-10-03T00:00:00Z"),
            ("2025-10-03T00:00:00Z", "2025-10-04T00:00:00Z"),
            ("2025-10-10T00:00:00Z", "2025-10-11T00:00:00Z"),
        )
    ]
    con = built(log)
    assert one(con, LIFECYCLE, 1)["blocked_hours"] == 168
    assert one(con, LIFECYCLE, 2)["blocked_hours"] == 72
    assert metrics.blocks_started(con, utc("2025-10-01T00:00:00"), utc("2025-10-31T00:00:00")) == 1 + 2


def test_a_blocker_is_logged_late_only_after_24_hours():
    log = EventLog().issue(1, "2025-10-01T00:00:00Z").path(1, ("In Progress", "2025-10-01T00:00:00Z"))
    log.blockers += [
        (1, "2025-10-02T00:00:00Z", "2025-10-02T06:00:00Z", "2025-10-03T00:00:00Z"),  # 24 h: on time
        (1, "2025-10-04T00:00:00Z", "2025-10-04T06:00:00Z", "2025-10-05T06:00:00Z"),
    ]  # 30 h: late
    con = built(log)
    assert rows(con, "SELECT blocked_start, is_late_logged FROM stg_blockers ORDER BY 1") == [
        (utc("2025-10-02T00:00:00"), False),
        (utc("2025-10-04T00:00:00"), True),
    ]


def test_the_triage_score_weighs_each_term_as_its_rule_says():
    log = EventLog(as_of="2025-10-21T00:00:00Z")
    # the team's SLE: its only delivered item took 48 h
    log.issue(1, "2025-10-01T00:00:00Z").path(
        1, ("In Progress", "2025-10-01T00:00:00Z"), ("Done", "2025-10-03T00:00:00Z")
    )
    # active since 10-10 (age 264 h = 5.5 SLEs), reopened twice, in its status since 10-14 (one week)
    log.issue(2, "2025-10-09T00:00:00Z").path(
        2,
        ("In Progress", "2025-10-10T00:00:00Z"),
        ("Done", "2025-10-11T00:00:00Z"),
        ("In Progress", "2025-10-12T00:00:00Z"),
        ("Done", "2025-10-13T00:00:00Z"),
        ("In Progress", "2025-10-14T00:00:00Z"),
    )
    con = built(log)
    page, total = metrics.triage(con)
    assert total == 1
    # 264 / 48 + 0 (not blocked) + 0.5 x 1 week + 0.5 x 2 reopens
    assert page.row(0, named=True)["risk"] == 5.5 + 0 + 0.5 + 1.0


def test_triage_filters_sorts_and_pages_what_it_scores():
    log = EventLog(as_of="2025-10-21T00:00:00Z")
    # AEGIR's SLE: its only delivered item took 48 h
    log.issue(1, "2025-10-01T00:00:00Z").path(
        1, ("In Progress", "2025-10-01T00:00:00Z"), ("Done", "2025-10-03T00:00:00Z")
    )
    # in progress for a week: 168 / 48 + 0.5 x 1 week = 4.0
    log.issue(2, "2025-10-13T00:00:00Z").path(2, ("In Progress", "2025-10-14T00:00:00Z"))
    # another project, in review for 2 days, 3 days old: 72 / 48 + 0.5 x 48 / 168 = 1.64
    log.issue(3, "2025-10-17T00:00:00Z", project_key="ASGARD").path(
        3, ("In Progress", "2025-10-18T00:00:00Z"), ("In Review", "2025-10-19T00:00:00Z")
    )
    # a team with no SLE (nothing delivered), a day in progress: 0 + 0.5 x 24 / 168 = 0.07
    log.issue(4, "2025-10-19T00:00:00Z", team="FREYA").path(4, ("Doing", "2025-10-20T00:00:00Z"), start="Backlog")
    con = built(log)

    def keys(**kwargs):
        page, total = metrics.triage(con, **kwargs)
        return page["issue_key"].to_list(), total

    page, total = metrics.triage(con)
    assert (page["issue_key"].to_list(), page["risk"].to_list(), total) == (
        ["VAL-2", "VAL-3", "VAL-4"],
        [4.0, 1.64, 0.07],
        3,
    )
    assert keys(descending=False) == (["VAL-4", "VAL-3", "VAL-2"], 3)
    assert keys(order="age_days", descending=False) == (["VAL-4", "VAL-3", "VAL-2"], 3)
    assert keys(limit=1, offset=1) == (["VAL-3"], 3)
    assert keys(state="review") == (["VAL-3"], 1)
    assert keys(state="in_progress") == (["VAL-2", "VAL-4"], 2)
    assert keys(filters=metrics.Filters(team="AEGIR")) == (["VAL-2", "VAL-3"], 2)
    assert keys(filters=metrics.Filters(project="ASGARD"), state="review") == (["VAL-3"], 1)
    with pytest.raises(ValueError, match="cannot sort triage by 'nope'"):
        metrics.triage(con, order="nope")
    # picking a team keeps the other filters
    assert metrics.Filters(None, "ASGARD", "Bug").with_team("AEGIR") == metrics.Filters("AEGIR", "ASGARD", "Bug")


def test_severity_and_stale_cut_offs_include_the_threshold():
    assert [risks.grade(v, 0.25, 0.5) for v in (0.2499, 0.25, 0.4999, 0.5)] == ["ok", "warning", "warning", "critical"]
    end = utc("2025-10-31T00:00:00")
    log = EventLog(as_of="2025-10-31T00:00:00Z")
    log.issue(1, "2025-10-01T00:00:00Z").path(1, ("In Progress", "2025-10-24T00:00:00Z"))  # exactly 7 days
    log.issue(2, "2025-10-01T00:00:00Z").path(2, ("In Progress", "2025-10-24T01:00:00Z"))  # 7 days less an hour
    con = built(log)
    stale = next(s for s in risks.evaluate(con, end) if s.key == "stale_items" and s.scope == "all teams")
    assert stale.evidence["stale"] == 1 and stale.evidence["oldest"] == ["VAL-1"]


def test_work_done_exactly_at_the_sprint_end_is_not_completed_in_it():
    log = EventLog(as_of="2025-10-31T00:00:00Z")
    log.sprints.append((1, "AEGIR", "2025-10-06T00:00:00Z", "2025-10-20T00:00:00Z"))
    for issue, done in ((1, "2025-10-19T23:00:00Z"), (2, "2025-10-20T00:00:00Z")):
        log.issue(issue, "2025-10-01T00:00:00Z").path(issue, ("In Progress", "2025-10-07T00:00:00Z"), ("Done", done))
        log.memberships.append((issue, 1, "2025-10-01T00:00:00Z", None))
    con = built(log)
    assert rows(con, "SELECT committed, completed FROM fct_sprint_performance") == [(2, 1)]


def test_a_jira_category_outranks_the_default_maps_and_a_workflow_file_outranks_both():
    from warehouse.semantics.workflow import parse_workflow

    defaults = Workflow()
    assert defaults.resolve("X", "Done", "indeterminate")[1:3] == ("in_progress", "status category")
    assert defaults.resolve("AEGIR", "QA", "new")[1:3] == ("todo", "status category")
    assert defaults.resolve("X", "Selected for Development", "indeterminate")[1] == "in_progress"
    assert defaults.resolve("X", "Selected for Development", None)[1] == "todo"  # no category: the default map
    mine = parse_workflow('[statuses]\n"Done" = "review"\n')
    assert mine.resolve("X", "Done", "done")[1:3] == ("review", "workflow file")


def test_built_at_stamps_the_build_not_the_data(demo_db, tmp_path):
    """Provenance only: the wall-clock moment of the build, never as_of (which is the data's)."""
    target = tmp_path / "rebuilt.duckdb"
    before = datetime.now(UTC)
    materialise(target, copy_sources(demo_db))
    after = datetime.now(UTC)
    con = connect(target, read_only=True)
    assert before <= metrics.built_at(con) <= after
    assert metrics.as_of(con) == utc("2026-01-29T00:00:00")


@pytest.mark.parametrize(
    ("instant", "day", "ending"),
    [
        # a midnight is the start of its day and the end of the day before
        ("2025-10-26T00:00:00+00:00", "2025-10-26", "2025-10-25"),
        ("2025-10-26T00:00:00.000001+00:00", "2025-10-26", "2025-10-26"),
        ("2025-10-26T23:59:59.999999+00:00", "2025-10-26", "2025-10-26"),
        # an offset is the instant's, not the day's: 01:30 at +02:00 is 23:30 UTC the day before
        ("2025-10-26T01:30:00+02:00", "2025-10-25", "2025-10-25"),
        # before 1970 the day is floored, not truncated toward 1970
        ("1969-12-31T23:00:00+00:00", "1969-12-31", "1969-12-31"),
        ("1970-01-01T00:00:00+00:00", "1970-01-01", "1969-12-31"),
    ],
)
def test_the_utc_day_of_an_instant_is_the_one_a_utc_calendar_gives(instant, day, ending):
    con = connect(":memory:")
    got = con.execute(
        f"SELECT {utc_day('$t::TIMESTAMPTZ')}, {utc_day_ending_at('$t::TIMESTAMPTZ')}, "
        "CAST($t::TIMESTAMPTZ AS DATE), CAST($t::TIMESTAMPTZ - INTERVAL 1 MICROSECOND AS DATE)",
        {"t": instant},
    ).fetchall()[0]
    assert [d.isoformat() for d in got] == [day, ending, day, ending]
