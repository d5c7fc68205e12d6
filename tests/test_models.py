"""Hand-built event logs with hand-worked answers for every lifecycle trap (DESIGN.md §4)."""

from datetime import UTC, date, datetime

import pytest

from tests.eventlog import EventLog, failures, one, rows

LIFECYCLE = "SELECT * FROM fct_issue_lifecycle WHERE issue_id = ?"


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def built(log: EventLog):
    con, results = log.build()
    assert failures(results) == []
    return con


def test_straight_flow_cycle_and_lead_time():
    log = (
        EventLog()
        .issue(1, "2025-10-01T00:00:00Z")
        .path(
            1,
            ("In Progress", "2025-10-02T00:00:00Z"),
            ("In Review", "2025-10-03T12:00:00Z"),
            ("Done", "2025-10-04T00:00:00Z"),
        )
    )
    row = one(built(log), LIFECYCLE, 1)
    assert row["first_in_progress_at"] == utc("2025-10-02T00:00:00")
    assert row["done_at"] == utc("2025-10-04T00:00:00")
    assert row["cycle_time_hours"] == 48
    assert row["lead_time_hours"] == 72
    assert (row["reopen_count"], row["blocked_hours"], row["current_status"]) == (0, 0, "done")


def test_reopen_after_done_uses_the_last_done_and_counts_the_reopen():
    log = (
        EventLog()
        .issue(1, "2025-10-01T00:00:00Z")
        .path(
            1,
            ("In Progress", "2025-10-02T00:00:00Z"),
            ("Done", "2025-10-04T00:00:00Z"),
            ("In Progress", "2025-10-05T00:00:00Z"),
            ("In Review", "2025-10-06T00:00:00Z"),
            ("Done", "2025-10-07T00:00:00Z"),
        )
    )
    row = one(built(log), LIFECYCLE, 1)
    assert row["first_done_at"] == utc("2025-10-04T00:00:00")
    assert row["done_at"] == utc("2025-10-07T00:00:00")
    assert row["cycle_time_hours"] == 120
    assert row["lead_time_hours"] == 144
    assert row["reopen_count"] == 1


def test_reopened_and_still_open_is_wip_not_done():
    log = (
        EventLog()
        .issue(1, "2025-10-01T00:00:00Z")
        .path(
            1,
            ("In Progress", "2025-10-02T00:00:00Z"),
            ("Done", "2025-10-04T00:00:00Z"),
            ("In Progress", "2025-10-05T00:00:00Z"),
        )
    )
    con = built(log)
    row = one(con, LIFECYCLE, 1)
    assert row["done_at"] is None and row["cycle_time_hours"] is None
    assert row["reopen_count"] == 1 and row["is_active"]
    assert row["age_hours"] == 29 * 24  # 2025-10-02 -> as_of 2025-10-31
    assert one(con, "SELECT sum(issues_done) AS n FROM fct_throughput_daily")["n"] == 0
    assert one(con, "SELECT wip_count FROM fct_wip_daily WHERE day = DATE '2025-10-30'")["wip_count"] == 1
    # done at 10-04 00:00 (the end of 10-03), reopened at 10-05 00:00 (the end of 10-04)
    assert one(con, "SELECT wip_count FROM fct_wip_daily WHERE day = DATE '2025-10-03'")["wip_count"] == 0
    assert one(con, "SELECT wip_count FROM fct_wip_daily WHERE day = DATE '2025-10-04'")["wip_count"] == 1


def test_backward_move_is_flagged_and_cycle_runs_from_the_first_start():
    log = (
        EventLog()
        .issue(1, "2025-10-01T00:00:00Z")
        .path(
            1,
            ("In Progress", "2025-10-02T00:00:00Z"),
            ("In Review", "2025-10-03T00:00:00Z"),
            ("In Progress", "2025-10-04T00:00:00Z"),
            ("In Review", "2025-10-05T00:00:00Z"),
            ("Done", "2025-10-06T00:00:00Z"),
        )
    )
    con = built(log)
    row = one(con, LIFECYCLE, 1)
    assert row["cycle_time_hours"] == 96 and row["reopen_count"] == 0
    flagged = rows(con, "SELECT period_index FROM fct_status_periods WHERE issue_id = 1 AND is_backward")
    assert flagged == [(3,)]
    time_in = dict(
        rows(
            con,
            "SELECT canonical_status, sum(hours) FROM fct_status_periods WHERE issue_id = 1 "
            "AND canonical_status <> 'done' GROUP BY 1",
        )
    )
    assert time_in == {"todo": 24, "in_progress": 48, "review": 48}


def test_skipped_in_progress_starts_the_cycle_at_review():
    log = (
        EventLog()
        .issue(1, "2025-10-01T00:00:00Z")
        .path(1, ("In Review", "2025-10-03T00:00:00Z"), ("Done", "2025-10-04T00:00:00Z"))
    )
    row = one(built(log), LIFECYCLE, 1)
    assert row["first_in_progress_at"] == utc("2025-10-03T00:00:00")
    assert row["cycle_time_hours"] == 24
    # the data-quality flag agrees with the cycle rule: review is active work, nothing is missing
    assert not row["done_without_in_progress"]


def test_todo_straight_to_done_has_a_lead_time_but_no_cycle_time():
    log = EventLog().issue(1, "2025-10-01T00:00:00Z").path(1, ("Done", "2025-10-02T00:00:00Z"))
    row = one(built(log), LIFECYCLE, 1)
    assert row["first_in_progress_at"] is None and row["cycle_time_hours"] is None
    assert row["lead_time_hours"] == 24 and row["blocked_hours"] == 0
    assert row["done_without_in_progress"]


def test_overlapping_blockers_and_blocked_status_are_a_union_clipped_to_the_cycle():
    log = (
        EventLog()
        .issue(1, "2025-10-01T00:00:00Z")
        .path(
            1,
            ("In Progress", "2025-10-02T00:00:00Z"),
            ("Blocked", "2025-10-03T03:00:00Z"),
            ("In Progress", "2025-10-03T09:00:00Z"),
            ("Done", "2025-10-06T00:00:00Z"),
        )
    )
    log.blockers += [
        (1, "2025-10-02T12:00:00Z", "2025-10-03T00:00:00Z", "2025-10-02T12:05:00Z"),
        (1, "2025-10-02T18:00:00Z", "2025-10-03T06:00:00Z", "2025-10-02T18:05:00Z"),
        # starts before the cycle: only [10-02 00:00, 10-02 06:00] counts
        (1, "2025-10-01T00:00:00Z", "2025-10-02T06:00:00Z", "2025-10-01T00:05:00Z"),
    ]
    con = built(log)
    row = one(con, LIFECYCLE, 1)
    assert row["cycle_time_hours"] == 96
    assert row["blocked_hours"] == 27  # 6 h + [10-02 12:00, 10-03 09:00] = 21 h, not 12+12+6+6
    islands = rows(
        con,
        "SELECT blocked_from, blocked_until, sources FROM fct_blocked_intervals "
        "WHERE issue_id = 1 ORDER BY interval_index",
    )
    assert islands == [
        (utc("2025-10-02T00:00:00"), utc("2025-10-02T06:00:00"), "blocker"),
        (utc("2025-10-02T12:00:00"), utc("2025-10-03T09:00:00"), "blocker+status"),
    ]


def test_open_ended_blockers_end_at_done_or_as_of():
    log = (
        EventLog()
        .issue(1, "2025-10-01T00:00:00Z")
        .path(1, ("In Progress", "2025-10-20T00:00:00Z"))
        .issue(2, "2025-10-01T00:00:00Z")
        .path(2, ("In Progress", "2025-10-02T00:00:00Z"), ("Done", "2025-10-05T00:00:00Z"))
    )
    log.blockers += [
        (1, "2025-10-25T00:00:00Z", None, "2025-10-25T00:00:00Z"),
        (2, "2025-10-03T00:00:00Z", None, "2025-10-03T00:00:00Z"),
    ]
    con = built(log)
    assert one(con, LIFECYCLE, 1)["blocked_hours"] == 144  # until as_of 10-31
    assert one(con, LIFECYCLE, 2)["blocked_hours"] == 48  # until done_at 10-05
    wip = one(con, "SELECT * FROM fct_wip_current WHERE issue_id = 1")
    assert (wip["canonical_status"], wip["operational_state"]) == ("in_progress", "blocked")
    assert wip["age_hours"] == 11 * 24 and wip["time_in_current_status_hours"] == 11 * 24


def test_offsets_across_a_dst_change_are_exact_hours():
    # Europe/Oslo leaves summer time on 2025-10-26: +02:00 before, +01:00 after.
    log = (
        EventLog()
        .issue(1, "2025-10-24T09:00:00+02:00")
        .path(1, ("In Progress", "2025-10-25T10:00:00+02:00"), ("Done", "2025-10-27T10:00:00+01:00"))
    )
    row = one(built(log), LIFECYCLE, 1)
    assert row["cycle_time_hours"] == 49
    assert row["lead_time_hours"] == 74
    assert row["done_at"] == utc("2025-10-27T09:00:00")


def test_results_do_not_depend_on_the_machine_time_zone(tmp_path):
    import subprocess
    import sys

    script = (
        "from tests.eventlog import EventLog\n"
        "log = EventLog().issue(1, '2025-10-24T23:30:00Z').path(1, ('In Progress', '2025-10-25T23:30:00Z'), "
        "('Done', '2025-10-26T23:30:00Z'))\n"
        "con, _ = log.build()\n"
        "print(con.execute('SELECT day, issues_done FROM fct_throughput_daily WHERE issues_done > 0').fetchall(),"
        " con.execute('SELECT cycle_time_hours FROM fct_issue_lifecycle').fetchall())\n"
    )
    outputs = set()
    for zone in ("UTC", "America/Los_Angeles", "Asia/Tokyo"):
        result = subprocess.run(
            [sys.executable, "-c", script],
            capture_output=True,
            text=True,
            env={**__import__("os").environ, "TZ": zone},
            check=True,
        )
        outputs.add(result.stdout)
    assert len(outputs) == 1
    assert "datetime.date(2025, 10, 26), 1" in outputs.pop()


def test_a_status_nothing_maps_is_unknown_never_todo():
    log = (
        EventLog()
        .issue(1, "2025-10-01T00:00:00Z")
        .path(1, ("In Progress", "2025-10-02T00:00:00Z"), ("Limbo", "2025-10-03T00:00:00Z"))
    )
    con, results = log.build()
    assert failures(results) == []
    assert failures(results, "warn") == ["unmapped_status(stg_status_map)"]
    row = one(con, LIFECYCLE, 1)
    assert row["current_status"] == "unknown" and row["has_unknown_status"] and not row["is_active"]
    assert one(con, "SELECT operational_state FROM fct_wip_current")["operational_state"] == "unknown"
    assert one(con, "SELECT wip_count FROM fct_wip_daily WHERE day = DATE '2025-10-10'")["wip_count"] == 0
    assert (
        one(
            con,
            "SELECT issue_count FROM fct_daily_state_counts WHERE day = DATE '2025-10-10' "
            "AND canonical_status = 'unknown'",
        )["issue_count"]
        == 1
    )


def test_drifted_status_names_map_to_their_state():
    log = (
        EventLog()
        .issue(1, "2025-10-01T00:00:00Z")
        .path(
            1,
            ("Custom:In Progress", "2025-10-02T00:00:00Z"),
            ("In Review*", "2025-10-03T00:00:00Z"),
            ("  in   progress ", "2025-10-04T00:00:00Z"),
            ("QA (legacy)", "2025-10-05T00:00:00Z"),
            ("Custom: Done*", "2025-10-06T00:00:00Z"),
        )
    )
    con = built(log)
    mapped = dict(rows(con, "SELECT raw_status, canonical_status FROM stg_status_map WHERE is_drifted"))
    assert mapped == {
        "Custom:In Progress": "in_progress",
        "In Review*": "review",
        "  in   progress ": "in_progress",
        "QA (legacy)": "review",
        "Custom: Done*": "done",
    }
    assert one(con, LIFECYCLE, 1)["cycle_time_hours"] == 96


def test_team_map_beats_keywords_and_keywords_catch_the_rest():
    log = (
        EventLog()
        .issue(1, "2025-10-01T00:00:00Z", team="TYR")
        .path(
            1,
            ("Dev", "2025-10-02T00:00:00Z"),
            ("Test", "2025-10-03T00:00:00Z"),
            ("Complete", "2025-10-04T00:00:00Z"),
            start="Ready",
        )
        .issue(2, "2025-10-01T00:00:00Z", team="NEW")
        .path(
            2,
            ("Ready for Review", "2025-10-02T00:00:00Z"),
            ("Waiting for vendor", "2025-10-03T00:00:00Z"),
            ("Released", "2025-10-04T00:00:00Z"),
            start="Open",
        )
    )
    con = built(log)
    mapped = {
        (t, s): (c, how)
        for t, s, c, how in rows(con, "SELECT team, raw_status, canonical_status, mapped_by FROM stg_status_map")
    }
    assert mapped[("TYR", "Test")] == ("review", "team map")
    assert mapped[("TYR", "Complete")] == ("done", "team map")
    assert mapped[("NEW", "Ready for Review")] == ("review", "keyword")
    assert mapped[("NEW", "Waiting for vendor")] == ("unknown", "unmapped")  # a queue, not a blocker
    assert mapped[("NEW", "Released")] == ("done", "keyword")
    assert mapped[("NEW", "Open")] == ("todo", "global map")


def test_a_workflow_file_overrides_the_map():
    log = (
        EventLog(workflow='[teams.AEGIR]\n"Limbo" = "review"\n')
        .issue(1, "2025-10-01T00:00:00Z")
        .path(1, ("In Progress", "2025-10-02T00:00:00Z"), ("Limbo", "2025-10-03T00:00:00Z"))
    )
    con, results = log.build()
    assert failures(results, "warn") == []
    assert one(con, LIFECYCLE, 1)["current_status"] == "review"


def test_exact_duplicate_transitions_count_once():
    log = (
        EventLog()
        .issue(1, "2025-10-01T00:00:00Z")
        .path(1, ("In Progress", "2025-10-02T00:00:00Z"), ("Done", "2025-10-04T00:00:00Z"))
    )
    log.move(1, "In Progress", "Done", "2025-10-04T00:00:00Z")  # exported twice
    con = built(log)
    row = one(con, LIFECYCLE, 1)
    assert row["transition_count"] == 2 and row["cycle_time_hours"] == 48
    assert one(con, "SELECT count(*) AS n FROM fct_status_periods")["n"] == 3


def test_sprint_commitment_additions_removals_completion_and_spillover():
    log = EventLog()
    log.sprints += [
        (1, "AEGIR", "2025-10-06T00:00:00Z", "2025-10-20T00:00:00Z"),
        (2, "AEGIR", "2025-10-20T00:00:00Z", "2025-11-03T00:00:00Z"),
    ]
    # A: committed, done inside the sprint
    log.issue(1, "2025-10-01T00:00:00Z").path(
        1, ("In Progress", "2025-10-07T00:00:00Z"), ("Done", "2025-10-10T00:00:00Z")
    )
    # B: added mid-sprint, done inside
    log.issue(2, "2025-10-07T00:00:00Z").path(
        2, ("In Progress", "2025-10-08T00:00:00Z"), ("Done", "2025-10-15T00:00:00Z")
    )
    # C: committed, removed before it was done
    log.issue(3, "2025-10-01T00:00:00Z").path(
        3, ("In Progress", "2025-10-07T00:00:00Z"), ("Done", "2025-10-13T00:00:00Z")
    )
    # D: committed, not done at the end: spills into sprint 2
    log.issue(4, "2025-10-01T00:00:00Z").path(4, ("In Progress", "2025-10-10T00:00:00Z"))
    # E: committed, done inside, reopened before the end: completed and spilled
    log.issue(5, "2025-10-01T00:00:00Z").path(
        5,
        ("In Progress", "2025-10-07T00:00:00Z"),
        ("Done", "2025-10-09T00:00:00Z"),
        ("In Progress", "2025-10-11T00:00:00Z"),
        ("Done", "2025-10-22T00:00:00Z"),
    )
    log.memberships += [
        (1, 1, "2025-10-05T00:00:00Z", None),
        (2, 1, "2025-10-08T00:00:00Z", None),
        (3, 1, "2025-10-05T00:00:00Z", "2025-10-12T00:00:00Z"),
        (4, 1, "2025-10-05T00:00:00Z", None),
        (5, 1, "2025-10-05T00:00:00Z", None),
        (4, 2, "2025-10-20T00:00:00Z", None),
    ]
    con = built(log)
    s1 = one(con, "SELECT * FROM fct_sprint_performance WHERE sprint_id = 1")
    assert (s1["committed"], s1["added"], s1["removed"], s1["completed"], s1["spillover"]) == (4, 1, 1, 3, 2)
    assert s1["say_do"] == 0.75 and s1["state"] == "closed"
    s2 = one(con, "SELECT * FROM fct_sprint_performance WHERE sprint_id = 2")
    assert (s2["committed"], s2["completed"], s2["spillover"], s2["state"]) == (1, 0, None, "active")


def test_an_issue_put_back_into_a_sprint_and_done_in_it_is_completed_once():
    log = EventLog()
    log.sprints += [(1, "AEGIR", "2025-10-06T00:00:00Z", "2025-10-20T00:00:00Z")]
    log.issue(1, "2025-10-01T00:00:00Z").path(
        1, ("In Progress", "2025-10-07T00:00:00Z"), ("Done", "2025-10-18T00:00:00Z")
    )
    # committed, taken out, put back: two memberships; done at the end, so it does not spill
    log.memberships += [(1, 1, "2025-10-05T00:00:00Z", "2025-10-09T00:00:00Z"), (1, 1, "2025-10-12T00:00:00Z", None)]
    con = built(log)
    s1 = one(con, "SELECT * FROM fct_sprint_performance WHERE sprint_id = 1")
    # one issue committed and completed (say/do 100%, not 200%); its removal and re-adding are one each
    assert (s1["committed"], s1["added"], s1["removed"], s1["completed"], s1["spillover"]) == (1, 1, 1, 1, 0)
    assert s1["say_do"] == 1.0


def test_daily_throughput_wip_and_flow_at_day_ends():
    log = EventLog(as_of="2025-10-06T12:00:00Z")
    log.issue(1, "2025-10-01T08:00:00Z").path(
        1, ("In Progress", "2025-10-02T10:00:00Z"), ("Done", "2025-10-04T15:00:00Z")
    )
    # exactly-midnight events: active at the end of 10-02, no longer at the end of 10-04
    log.issue(2, "2025-10-01T09:00:00Z").path(
        2, ("In Progress", "2025-10-03T00:00:00Z"), ("Done", "2025-10-05T00:00:00Z")
    )
    con = built(log)
    wip = rows(con, "SELECT day, wip_count FROM fct_wip_daily ORDER BY day")
    assert wip == [(date(2025, 10, d), n) for d, n in ((1, 0), (2, 2), (3, 2), (4, 0), (5, 0), (6, 0))]
    done = rows(con, "SELECT day, issues_done FROM fct_throughput_daily WHERE issues_done > 0 ORDER BY day")
    assert done == [(date(2025, 10, 4), 1), (date(2025, 10, 5), 1)]
    # at the end of 10-04 (= 10-05 00:00) issue 2 is already done, though its throughput day is 10-05
    cfd = rows(con, "SELECT day, issue_count FROM fct_daily_state_counts WHERE canonical_status = 'done' ORDER BY day")
    assert [n for _, n in cfd] == [0, 0, 0, 2, 2, 2]
    todo = rows(con, "SELECT issue_count FROM fct_daily_state_counts WHERE canonical_status = 'todo' ORDER BY day")
    assert [n for (n,) in todo] == [2, 0, 0, 0, 0, 0]


def test_a_todo_issue_has_no_age_and_counts_as_todo():
    log = EventLog().issue(1, "2025-10-30T00:00:00Z")
    con = built(log)
    wip = one(con, "SELECT * FROM fct_wip_current")
    assert (wip["operational_state"], wip["age_hours"], wip["time_in_current_status_hours"]) == ("todo", None, 24)
    assert one(con, LIFECYCLE, 1)["current_status"] == "todo"


def test_milestones_count_created_done_and_open_by_month():
    log = EventLog(as_of="2025-11-15T00:00:00Z")
    log.issue(1, "2025-10-01T00:00:00Z").path(
        1, ("In Progress", "2025-10-02T00:00:00Z"), ("Done", "2025-11-02T00:00:00Z")
    )
    log.issue(2, "2025-10-05T00:00:00Z")
    log.issue(3, "2025-11-01T00:00:00Z").path(3, ("Done", "2025-11-03T00:00:00Z"))
    con = built(log)
    got = rows(con, "SELECT milestone_key, issues_created, issues_done, open_at_end FROM dim_milestone ORDER BY 1")
    assert got == [("VALHALLA-2025-10", 2, 0, 2), ("VALHALLA-2025-11", 1, 2, 1)]


@pytest.mark.parametrize(
    "column, value, test",
    [
        ("cycle_time_hours", -5, "cycle_time_non_negative(fct_issue_lifecycle)"),
        ("blocked_hours", 10_000, "blocked_within_cycle(fct_issue_lifecycle)"),
        ("done_at", None, "done_has_done_at(fct_issue_lifecycle)"),
    ],
)
def test_data_tests_catch_a_tampered_fact(column, value, test):
    log = (
        EventLog()
        .issue(1, "2025-10-01T00:00:00Z")
        .path(1, ("In Progress", "2025-10-02T00:00:00Z"), ("Done", "2025-10-04T00:00:00Z"))
    )
    con, results = log.build()
    assert failures(results) == []
    from warehouse.engine.build import run_tests

    con.execute(f"UPDATE fct_issue_lifecycle SET {column} = ?", [value])
    assert test in failures(run_tests(con))
