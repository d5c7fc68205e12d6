"""One bad value never means unbounded work, and every bad input is one line and exit 2."""

import json

import duckdb
import pytest

from tests.test_ingest import write
from tests.test_jira_rules import done_issue
from tests.test_jira_rules import ingest as ingest_jira

ISSUE = "1,VAL-1,VALHALLA,AEGIR,Story,P2,2025-10-01T00:00:00Z,,ann,bob,3,Fix it,"


def one_line(result, fragment):
    assert result.code == 2, result
    lines = result.err.strip().splitlines()
    assert len(lines) == 1 and fragment in lines[0] and "Traceback" not in result.err, result.err


@pytest.mark.parametrize(
    "transition, reason",
    [
        ("2,1,To Do,Done,9999-12-31T00:00:00Z,ann,", "changed_at 9999-12-31T00:00:00Z is in the future"),
        ("2,1,To Do,Done,0001-01-01T00:00:00Z,ann,", "changed_at 0001-01-01T00:00:00Z is before 1970"),
        (
            "2,1,To Do,Done,2025-09-01T00:00:00Z,ann,",
            "changed_at 2025-09-01T00:00:00Z is before its issue was created (2025-10-01 00:00:00+00)",
        ),
    ],
)
def test_an_implausible_event_time_is_a_bad_row(run, tmp_path, transition, reason):
    folder = tmp_path / "in"
    write(folder, "raw_issues", ISSUE)
    write(folder, "raw_transitions", "1,1,To Do,In Progress,2025-10-02T00:00:00Z,ann,", transition)
    result = run("ingest", folder, "--db", tmp_path / "w.duckdb")
    assert result.code == 2 and f"raw_transitions.csv:3: {reason}" in result.err, result
    result = run("ingest", folder, "--db", tmp_path / "w.duckdb", "--skip-bad-rows")
    assert result.code == 0, result
    con = duckdb.connect(str(tmp_path / "w.duckdb"), read_only=True)
    con.execute("SET TimeZone = 'UTC'")
    # as_of is the last plausible event, and the day grid spans the real data only
    assert str(con.execute("SELECT as_of FROM meta").fetchone()[0]) == "2025-10-02 00:00:00+00:00"
    assert con.execute("SELECT count(DISTINCT day) FROM fct_daily_state_counts").fetchone() == (2,)


def test_an_issue_created_before_1970_is_a_bad_row(run, tmp_path):
    folder = tmp_path / "in"
    write(folder, "raw_issues", ISSUE, "2,VAL-2,VALHALLA,AEGIR,Story,P2,0001-01-01T00:00:00Z,,ann,bob,3,x,")
    write(folder, "raw_transitions", "1,1,To Do,In Progress,2025-10-02T00:00:00Z,ann,")
    result = run("ingest", folder, "--db", tmp_path / "w.duckdb")
    assert result.code == 2 and "raw_issues.csv:3: created_at 0001-01-01T00:00:00Z is before 1970" in result.err


def test_an_as_of_in_the_future_needs_force_and_stretches_nothing(run, tmp_path):
    folder = tmp_path / "in"
    write(folder, "raw_issues", ISSUE)
    write(folder, "raw_transitions", "1,1,To Do,In Progress,2025-10-02T00:00:00Z,ann,")
    db = tmp_path / "w.duckdb"
    one_line(run("ingest", folder, "--db", db, "--as-of", "9999-01-01"), "--as-of 9999-01-01 is in the future")
    assert not db.exists()
    assert run("ingest", folder, "--db", db, "--as-of", "9999-01-01", "--force").code == 0
    con = duckdb.connect(str(db), read_only=True)
    # the day grid stops a year after the last event, not at as_of
    assert con.execute("SELECT count(DISTINCT day) FROM fct_daily_state_counts").fetchone() == (368,)


@pytest.mark.parametrize(
    "spoil, reason",
    [
        (
            lambda i: i["changelog"]["histories"][1].update(created="9999-12-31T00:00:00.000+0000"),
            "a changelog history dated in the future",
        ),
        (
            lambda i: i["changelog"]["histories"][0].update(created="2025-09-01T00:00:00.000+0000"),
            "a changelog history dated before the issue was created",
        ),
        (
            lambda i: i["fields"].update(created="0001-01-01T00:00:00.000+0000"),
            "fields.created 0001-01-01T00:00:00.000+0000 is before 1970 or in the future",
        ),
    ],
)
def test_an_implausible_jira_date_is_a_bad_record(run, tmp_path, spoil, reason):
    bad = done_issue(2, "B-2")
    spoil(bad)
    result, db = ingest_jira(run, tmp_path, {"issues": [done_issue(1, "B-1"), bad]})
    assert result.code == 2 and f"doc-00.json: record 2 (B-2): {reason}" in result.err, result
    result, db = ingest_jira(run, tmp_path, {"issues": [done_issue(1, "B-1"), bad]}, args=("--skip-bad-rows",))
    assert result.code == 0, result
    con = duckdb.connect(str(db), read_only=True)
    con.execute("SET TimeZone = 'UTC'")
    assert str(con.execute("SELECT as_of FROM meta").fetchone()[0]) == "2025-10-05 00:00:00+00:00"


@pytest.mark.parametrize(
    "name, content, args, fragment",
    [
        ("c.toml", b"\xef\xbb\xbfseed = 1\n", ["generate", "--config"], "starts with a byte-order mark"),
        ("c.toml", b'seed = "\xff"\n', ["generate", "--config"], "is not UTF-8 text"),
        ("c.toml", b"seed = -1\n", ["generate", "--config"], "'seed' must be a whole number from 0"),
        ("c.toml", b"[window]\ndays = 100000000\n", ["generate", "--config"], "'window.days' must be from 1 to 3,660"),
        (
            "c.toml",
            b'[window]\nstart = "1900-01-01"\n',
            ["generate", "--config"],
            "'window.start' must not be before 1970",
        ),
        ("w.toml", b"statuses = 5\n", ["generate", "--workflow"], "'statuses' must be a table"),
        ("w.toml", b"keywords = 5\n", ["generate", "--workflow"], "'keywords' must be a table"),
        ("w.toml", b"\xef\xbb\xbf[statuses]\n", ["generate", "--workflow"], "starts with a byte-order mark"),
        ("t.toml", b"risk = 5\n", ["--export", "report", "--thresholds"], "'risk' must be a table"),
        (
            "t.toml",
            b"[risk]\nwip_overload_warning = nan\n",
            ["--export", "report", "--thresholds"],
            "must be a finite, non-negative number",
        ),
        (
            "t.toml",
            b"[risk]\nwip_overload_warning = inf\n",
            ["--export", "report", "--thresholds"],
            "must be a finite, non-negative number",
        ),
        ("t.toml", b"\xff\xfe[risk]\n", ["--export", "report", "--thresholds"], "is not UTF-8 text"),
    ],
)
def test_bad_files_are_one_line(run, tmp_path, demo_db, name, content, args, fragment):
    path = tmp_path / name
    path.write_bytes(content)
    target = demo_db if args[0] == "--export" else tmp_path / "w.duckdb"
    one_line(run(*args, path, "--db", target), fragment)


def test_bad_command_lines_are_one_line(run, tmp_path, monkeypatch):
    one_line(run("generate", "--seed", "-5", "--db", tmp_path / "w.duckdb"), "--seed")
    monkeypatch.setenv("JIRA_API_TOKEN", "x")
    one_line(
        run("ingest", "jira", "--url", "not a url", "--jql", "x", "--db", tmp_path / "w.duckdb"), "http:// or https://"
    )
    one_line(
        run("ingest", "jira", "--url", "ftp://jira.example.com", "--jql", "x", "--db", tmp_path / "w.duckdb"),
        "http:// or https://",
    )
    assert not (tmp_path / "w.duckdb").exists()


def test_a_folder_called_jira_does_not_hide_the_live_source(run, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "jira").mkdir()
    monkeypatch.setenv("JIRA_API_TOKEN", "x")
    one_line(
        run("ingest", "jira", "--url", "ftp://x", "--jql", "x", "--db", tmp_path / "w.duckdb"), "http:// or https://"
    )
    (tmp_path / "jira" / "a.json").write_text(json.dumps(done_issue(1, "A-1")))
    assert run("ingest", "jira", "--db", tmp_path / "w.duckdb").code == 0  # without --url it is the folder


def test_a_contract_folder_without_raw_issues_says_so(run, tmp_path):
    folder = tmp_path / "in"
    write(folder, "raw_transitions", "1,1,To Do,In Progress,2025-10-02T00:00:00Z,ann,")
    one_line(run("ingest", folder, "--db", tmp_path / "w.duckdb"), "has no raw_issues.csv or raw_issues.parquet")
