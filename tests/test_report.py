"""The weekly report: hand-worked headline numbers, golden Markdown, the JSON contract, errors."""

import json
from pathlib import Path

import duckdb
import pytest

from heimdall_tui.report import to_json, to_markdown
from tests.eventlog import EventLog, failures
from warehouse.metrics import Filters
from warehouse.report import build_report

GOLDEN = Path(__file__).parent / "golden"
HEADLINE_KEYS = {
    "throughput",
    "median_cycle_time_hours",
    "p75_cycle_time_hours",
    "current_wip",
    "blocked_share_pct",
    "rework_rate_pct",
}


def small_log():
    """Two weeks of work: [10-01, 10-08) and [10-08, 10-15), as_of 10-15."""
    log = EventLog(as_of="2025-10-15T00:00:00Z")
    log.issue(1, "2025-10-01T00:00:00Z").path(
        1, ("In Progress", "2025-10-02T00:00:00Z"), ("Done", "2025-10-04T00:00:00Z")
    )
    log.issue(2, "2025-10-01T00:00:00Z").path(
        2, ("In Progress", "2025-10-03T00:00:00Z"), ("Done", "2025-10-04T00:00:00Z")
    )
    log.issue(3, "2025-10-01T00:00:00Z", team="TYR").path(
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
    return log


@pytest.fixture(scope="module")
def small():
    con, results = small_log().build()
    assert failures(results) == []
    return con


def test_headline_numbers_are_hand_worked(small):
    h = build_report(small)["headline"]
    assert h["throughput"] | {} == {"this_week": 2, "last_week": 2, "delta": 0, "note": h["throughput"]["note"]}
    assert (h["median_cycle_time_hours"]["this_week"], h["median_cycle_time_hours"]["last_week"]) == (72.0, 36.0)
    assert h["median_cycle_time_hours"]["delta"] == 36.0
    assert (h["p75_cycle_time_hours"]["this_week"], h["p75_cycle_time_hours"]["last_week"]) == (84.0, 42.0)
    # P85 of (48, 96) = 48 + 0.85 x 48; of (24, 48) = 24 + 0.85 x 24
    assert (h["p85_cycle_time_hours"]["this_week"], h["p85_cycle_time_hours"]["last_week"]) == (88.8, 44.4)
    assert (h["current_wip"]["this_week"], h["current_wip"]["last_week"], h["current_wip"]["delta"]) == (2, 2, 0)
    assert (h["blocked_share_pct"]["this_week"], h["blocked_share_pct"]["last_week"]) == (16.67, 25.0)
    assert h["blocked_share_pct"]["delta"] == -8.33
    assert (h["rework_rate_pct"]["this_week"], h["rework_rate_pct"]["last_week"], h["rework_rate_pct"]["delta"]) == (
        50.0,
        0.0,
        50.0,
    )
    assert h["rework_rate_pct"]["note"] == "1 of 2 reopened before done"


def test_the_week_is_half_open_and_ends_at_as_of_or_midnight_after_the_date(small):
    report = build_report(small)
    assert report["week"] == {"start": "2025-10-08T00:00:00Z", "end": "2025-10-15T00:00:00Z", "ending": "2025-10-14"}
    earlier = build_report(small, "2025-10-07")
    assert earlier["week"]["start"] == "2025-10-01T00:00:00Z" and earlier["week"]["end"] == "2025-10-08T00:00:00Z"
    assert earlier["headline"]["throughput"]["this_week"] == 2


def test_an_empty_week_reports_zero_and_nothing_else(small):
    report = build_report(small, "2025-10-01")  # [09-25, 10-02): nothing finished
    h = report["headline"]
    assert h["throughput"]["this_week"] == 0
    for key in ("median_cycle_time_hours", "p75_cycle_time_hours", "blocked_share_pct", "rework_rate_pct"):
        assert h[key] == {"this_week": None, "last_week": None, "delta": None, "note": h[key]["note"]}
    assert report["summary"]["confidence"] == "low"
    text = to_markdown(report)
    assert "| Median cycle time (hours) | — | — | — |" in text


def test_a_single_item(small):
    report = build_report(small, "2025-10-14", Filters(team="TYR"))
    assert report["headline"]["throughput"]["this_week"] == 1
    assert report["headline"]["median_cycle_time_hours"]["this_week"] == 48.0
    assert [t["team"] for t in report["teams"]] == ["TYR"]


def test_filters_that_select_nothing(small):
    report = build_report(small, None, Filters(team="TYR", issue_type="Bug"))
    assert report["headline"]["throughput"]["this_week"] == 0
    assert report["teams"] == [] and report["oldest_items"] == []
    assert report["scope"] == "team TYR, type Bug"
    assert "Nothing was in progress at the end of the week." in to_markdown(report)


def test_json_carries_the_contract(small):
    data = json.loads(to_json(build_report(small)))
    assert set(HEADLINE_KEYS) <= set(data["headline"])
    for key in HEADLINE_KEYS:
        assert {"this_week", "last_week", "delta"} <= set(data["headline"][key])
    for key in ("as_of", "week", "filters", "teams", "risks", "summary", "oldest_items"):
        assert key in data
    assert data["as_of"] == "2025-10-15T00:00:00Z"
    assert set(data["week"]) >= {"start", "end"}
    assert data["filters"] == {"team": None, "project": None, "issue_type": None}
    assert set(data["summary"]) >= {
        "verdict",
        "reason",
        "primary_risk",
        "recommended_action",
        "confidence",
        "confidence_reason",
        "metric_to_watch",
    }
    assert data["summary"]["verdict"] in ("improving", "stable", "regressing")
    assert data["oldest_items"][0] == {
        "issue_key": "VAL-6",
        "team": "AEGIR",
        "state": "in_progress",
        "raw_status": "In Progress",
        "blocked": False,
        "age_days": 10.0,
        "days_in_status": 10.0,
        "assignee": "astrid.holm",
    }


def test_summary_sentences_follow_the_numbers(small):
    s = build_report(small)["summary"]
    # throughput 2 against 2 / 4 weeks = 0.5 a week; median 72 h against 36 h
    assert s["verdict"] == "regressing"
    assert (
        s["reason"]
        == "Median cycle time rose to 72 h from 36 h (+100%) and throughput rose to 2 from a trailing 4-week "
        "average of 0.5 (+300%)."
    )


@pytest.mark.parametrize(
    "name, week_ending, filters",
    [
        ("report_seed42.md", None, Filters()),
        ("report_seed42_team_week.md", "2026-01-18", Filters(team="AEGIR")),
    ],
)
def test_golden_markdown_for_the_demo(demo_db, name, week_ending, filters):
    from warehouse.engine.db import open_warehouse

    con, _ = open_warehouse(demo_db)
    assert to_markdown(build_report(con, week_ending, filters)) == (GOLDEN / name).read_text()


def test_the_demo_report_names_the_degradation(demo_db):
    from warehouse.engine.db import open_warehouse

    con, _ = open_warehouse(demo_db)
    report = build_report(con)
    assert report["summary"]["verdict"] == "regressing"
    assert report["summary"]["primary_risk"].startswith("Throughput collapse (FREYA, critical)")


def one_line_error(result, fragment):
    assert result.code == 2, result
    lines = result.err.strip().splitlines()
    assert len(lines) == 1 and fragment in lines[0] and "Traceback" not in result.err, result.err


def test_cli_report_to_stdout_and_to_a_file(run, demo_db, tmp_path):
    result = run("--export", "report", "--db", demo_db)
    assert result.code == 0 and result.out == (GOLDEN / "report_seed42.md").read_text()
    out = tmp_path / "week.json"
    result = run("--export", "report", "--format", "json", "--out", out, "--db", demo_db, "--team", "FREYA")
    assert result.code == 0 and result.out == ""
    assert json.loads(out.read_text())["filters"]["team"] == "FREYA"
    assert [p.name for p in tmp_path.iterdir()] == ["week.json"]  # no temp file left


@pytest.mark.parametrize(
    "args, fragment",
    [
        (["--week-ending", "2026-02-30"], "is not a date"),
        (["--week-ending", "last friday"], "is not a date"),
        (["--week-ending", "2026-02-01"], "is after the data's as_of"),
        (["--week-ending", "2025-09-01"], "is before the data starts"),
        (["--team", "LOKI"], "unknown team 'LOKI'"),
        (["--project", "ASGARD"], "unknown project 'ASGARD'"),
        (["--format", "pdf"], "--format"),
    ],
)
def test_cli_report_errors(run, demo_db, tmp_path, args, fragment):
    out = tmp_path / "r.md"
    one_line_error(run("--export", "report", "--db", demo_db, "--out", out, *args), fragment)
    assert not out.exists()


def test_cli_report_on_a_missing_or_foreign_warehouse(run, tmp_path):
    one_line_error(run("--export", "report", "--db", tmp_path / "nope.duckdb"), "no warehouse at")
    assert not (tmp_path / "nope.duckdb").exists()
    foreign = tmp_path / "f.duckdb"
    duckdb.connect(str(foreign)).close()
    one_line_error(run("--export", "report", "--db", foreign), "not a heimdall warehouse")


def test_cli_report_seeds_only_the_default_location(run, tmp_path):
    result = run("--export", "report")
    assert result.code == 0 and result.out.startswith("# HEIMDALL weekly delivery report")


def test_report_options_need_export(run, demo_db):
    one_line_error(run("--db", demo_db, "--team", "FREYA"), "--team needs --export report")
    one_line_error(run("--export", "report", "check"), "drop `check`")


def test_glossary_prints_the_docstrings(run):
    from warehouse import metrics

    result = run("glossary")
    assert result.code == 0
    for name, definition in metrics.glossary():
        assert f"{name}\n    {definition}" in result.out
