"""Jira REST JSON -> warehouse: hand-built issues with hand-worked answers, the genuine samples."""

import hashlib
import json
import shutil

import duckdb
import pytest

from tests.conftest import SHARED

SAMPLES = SHARED / "fixtures" / "jira-cloud-sample"


def history(hid, at, *items, author="Ann"):
    return {"id": str(hid), "created": at, "author": {"displayName": author}, "items": list(items)}


# status ids as a Jira site numbers them (changelog items carry both the id and the name)
STATUS_IDS = {"To Do": "1", "In Progress": "3", "Dev Done": "10010", "Done": "10002"}


def status(frm, to):
    return {
        "field": "status",
        "fieldtype": "jira",
        "fieldId": "status",
        "from": STATUS_IDS.get(frm),
        "fromString": frm,
        "to": STATUS_IDS.get(to),
        "toString": to,
    }


def issue(iid, key, created, current, *histories, category="indeterminate", **fields):
    return {
        "id": str(iid),
        "key": key,
        "fields": {
            "project": {"key": key.split("-")[0]},
            "issuetype": {"name": "Story"},
            "priority": {"name": "Medium"},
            "created": created,
            "resolutiondate": None,
            "assignee": {"displayName": "Ann"},
            "reporter": {"displayName": "Bob"},
            "summary": f"issue {key}",
            "status": {"id": STATUS_IDS.get(current), "name": current, "statusCategory": {"key": category}},
            **fields,
        },
        "changelog": {
            "startAt": 0,
            "maxResults": len(histories),
            "total": len(histories),
            "histories": list(histories),
        },
    }


STATUSES = [
    {"id": STATUS_IDS[n], "name": n, "statusCategory": {"key": c}}
    for n, c in (("To Do", "new"), ("In Progress", "indeterminate"), ("Dev Done", "indeterminate"), ("Done", "done"))
]


@pytest.fixture
def export(tmp_path):
    """A search page (oldest-first changelog) and a single issue (newest-first), plus statuses."""
    folder = tmp_path / "jira"
    folder.mkdir()
    page = {
        "startAt": 0,
        "maxResults": 50,
        "total": 2,
        "issues": [
            # reopened: to do -> in progress -> done -> in progress -> done; offsets across the DST change
            issue(
                101,
                "ABC-1",
                "2025-10-24T09:00:00.000+0200",
                "Done",
                history(1, "2025-10-25T10:00:00.000+0200", status("To Do", "In Progress")),
                history(2, "2025-10-27T10:00:00.000+0100", status("In Progress", "Done")),
                history(3, "2025-10-28T10:00:00.000+0100", status("Done", "In Progress")),
                history(4, "2025-10-29T10:00:00.000+0100", status("In Progress", "Done")),
                category="done",
            ),
            # "Dev Done" is work in progress by its category, whatever its name says
            issue(
                102,
                "ABC-2",
                "2025-10-20T00:00:00.000+0000",
                "Dev Done",
                history(5, "2025-10-21T00:00:00.000+0000", status("To Do", "In Progress")),
                history(6, "2025-10-22T00:00:00.000+0000", status("In Progress", "Dev Done")),
            ),
        ],
    }
    (folder / "page-1.json").write_text(json.dumps(page))
    flagged = {"field": "Flagged", "fieldId": "customfield_10021"}
    moved = issue(
        103,
        "XYZ-9",
        "2025-10-20T00:00:00.000+0000",
        "In Progress",
        # newest first, as Jira Cloud returns them
        history(12, "2025-10-26T00:00:00.000+0000", {**flagged, "toString": "Impediment", "to": "[10019]"}),
        history(
            11, "2025-10-24T00:00:00.000+0000", {**flagged, "toString": "", "to": None, "fromString": "Impediment"}
        ),
        history(10, "2025-10-23T00:00:00.000+0000", {**flagged, "toString": "Impediment", "to": "[10019]"}),
        history(
            9,
            "2025-10-22T12:00:00.000+0000",
            {"field": "Key", "fieldId": "issuekey", "fromString": "ABC-3", "toString": "XYZ-9"},
            {"field": "Sprint", "fieldId": "customfield_10020", "from": "1", "to": "2"},
        ),
        history(8, "2025-10-22T00:00:00.000+0000", status("To Do", "In Progress")),
        customfield_10020=[
            {
                "id": 2,
                "name": "Sprint 2",
                "state": "active",
                "startDate": "2025-10-20T00:00:00.000Z",
                "endDate": "2025-11-03T00:00:00.000Z",
            },
            {
                "id": 1,
                "name": "Sprint 1",
                "state": "closed",
                "startDate": "2025-10-06T00:00:00.000Z",
                "endDate": "2025-10-20T00:00:00.000Z",
            },
        ],
    )
    (folder / "XYZ-9.json").write_text(json.dumps(moved))
    (folder / "statuses.json").write_text(json.dumps(STATUSES))
    return folder


def lifecycle(db):
    con = duckdb.connect(str(db), read_only=True)
    con.execute("SET TimeZone = 'UTC'")
    cur = con.execute("SELECT * FROM fct_issue_lifecycle ORDER BY issue_id")
    cols = [d[0] for d in cur.description]
    return con, {row[1]: dict(zip(cols, row)) for row in cur.fetchall()}


def test_a_jira_export_builds_a_warehouse_with_hand_worked_metrics(run, export, tmp_path):
    db = tmp_path / "w.duckdb"
    result = run("ingest", export, "--db", db, "--as-of", "2025-10-31T00:00:00Z")
    assert result.code == 0, result
    con, issues = lifecycle(db)
    reopened = issues["ABC-1"]
    # cycle start 10-25 08:00Z (CEST), last done 10-29 09:00Z (CET): 97 h; created 10-24 07:00Z: lead 122 h
    assert (reopened["cycle_time_hours"], reopened["lead_time_hours"], reopened["reopen_count"]) == (97, 122, 1)
    dev_done = issues["ABC-2"]
    assert dev_done["current_status"] == "in_progress" and dev_done["done_at"] is None
    moved = issues["XYZ-9"]
    assert moved["project_key"] == "XYZ" and len(issues) == 3  # a key change stays one issue
    # flagged [10-23, 10-24] then again from 10-26, never cleared: to as_of 10-31 -> 24 h + 120 h
    assert moved["blocked_hours"] == 144
    windows = con.execute("SELECT blocked_start, blocked_end FROM raw_blockers ORDER BY 1").fetchall()
    assert len(windows) == 2 and windows[1][1] is None
    sprints = con.execute("SELECT sprint_id, added_at, removed_at FROM raw_issue_sprint ORDER BY added_at").fetchall()
    assert [(s, str(a), str(r)) for s, a, r in sprints] == [
        (1, "2025-10-20 00:00:00+00:00", "2025-10-22 12:00:00+00:00"),  # in sprint 1 from creation, moved out
        (2, "2025-10-22 12:00:00+00:00", "None"),
    ]
    mapping = dict(con.execute("SELECT raw_status, mapped_by FROM stg_status_map").fetchall())
    assert mapping["Dev Done"] == "status category"
    assert con.execute("SELECT source, CAST(as_of AS VARCHAR) FROM meta").fetchone() == (
        "jira",
        "2025-10-31 00:00:00+00",
    )


def test_as_of_defaults_to_the_latest_event(run, export, tmp_path):
    db = tmp_path / "w.duckdb"
    assert run("ingest", export, "--db", db).code == 0
    con, _ = lifecycle(db)
    assert str(con.execute("SELECT as_of FROM meta").fetchone()[0]) == "2025-10-29 09:00:00+00:00"


def test_a_workflow_file_outranks_the_category(run, export, tmp_path):
    wf = tmp_path / "wf.toml"
    wf.write_text('[statuses]\n"Dev Done" = "review"\n')
    db = tmp_path / "w.duckdb"
    assert run("ingest", export, "--db", db, "--workflow", wf).code == 0
    _, issues = lifecycle(db)
    assert issues["ABC-2"]["current_status"] == "review"


def test_newline_delimited_issues_and_the_team_field(run, export, tmp_path):
    lines = [json.dumps(i) for i in json.loads((export / "page-1.json").read_text())["issues"]]
    nd = tmp_path / "issues.ndjson"
    nd.write_text("\n".join(lines) + "\n")
    db = tmp_path / "w.duckdb"
    assert run("ingest", nd, "--db", db, "--team-field", "priority").code == 0
    con, issues = lifecycle(db)
    assert set(issues) == {"ABC-1", "ABC-2"}


@pytest.mark.parametrize(
    "content, fragment",
    [
        ('{"issues": [', "not valid JSON"),
        ('{"hello": "world"}', "not a Jira response"),
    ],
)
def test_bad_files_are_one_line_and_change_nothing(run, tmp_path, demo_db, content, fragment):
    db = tmp_path / "w.duckdb"
    shutil.copy(demo_db, db)
    before = hashlib.sha256(db.read_bytes()).hexdigest()
    bad = tmp_path / "bad.json"
    bad.write_text(content)
    result = run("ingest", bad, "--db", db, "--force")
    assert result.code == 2 and fragment in result.err and str(bad) in result.err
    assert len(result.err.strip().splitlines()) == 1
    assert hashlib.sha256(db.read_bytes()).hexdigest() == before


@pytest.mark.skipif(not SAMPLES.is_dir(), reason="shared Jira samples absent")
def test_the_genuine_jira_cloud_samples(run, tmp_path):
    db = tmp_path / "w.duckdb"
    result = run("ingest", SAMPLES, "--db", db)
    assert result.code == 0, result
    con, issues = lifecycle(db)
    assert set(issues) == {"SP-1", "SP-2", "SP-10", "SP-13", "SP-14", "SP-15"}
    # "Selected for Development" is in the indeterminate category on this instance: active work
    mapping = dict(con.execute("SELECT raw_status, canonical_status FROM stg_status_map").fetchall())
    assert mapping["Selected for Development"] == "in_progress" and mapping["Done"] == "done"
    # SP-1 was flagged and never cleared: still blocked at as_of
    assert con.execute("SELECT operational_state FROM fct_wip_current WHERE issue_key = 'SP-1'").fetchone() == (
        "blocked",
    )
    assert run("check", "--db", db).code == 0
    assert run("--export", "report", "--db", db).code == 0


def test_legacy_sprint_strings(run, tmp_path):
    legacy = (
        "com.atlassian.greenhopper.service.sprint.Sprint@5c1[id=7,rapidViewId=1,state=CLOSED,name=Sprint 7,"
        "startDate=2025-10-06T00:00:00.000Z,endDate=2025-10-20T00:00:00.000Z,completeDate=<null>,sequence=7]"
    )
    data = issue(
        301,
        "OLD-1",
        "2025-10-01T00:00:00.000+0000",
        "Done",
        history(1, "2025-10-07T00:00:00.000+0000", status("To Do", "In Progress")),
        history(2, "2025-10-10T00:00:00.000+0000", status("In Progress", "Done")),
        category="done",
        customfield_10020=[legacy],
    )
    src = tmp_path / "old.json"
    src.write_text(json.dumps(data))
    db = tmp_path / "w.duckdb"
    assert run("ingest", src, "--db", db, "--as-of", "2025-10-25").code == 0
    con = duckdb.connect(str(db), read_only=True)
    con.execute("SET TimeZone = 'UTC'")
    assert con.execute("SELECT sprint_id, sprint_name, CAST(start_at AS VARCHAR) FROM raw_sprints").fetchall() == [
        (7, "Sprint 7", "2025-10-06 00:00:00+00")
    ]
    # in the sprint from creation (before its start): committed, and completed inside it
    assert con.execute("SELECT committed, completed FROM fct_sprint_performance").fetchall() == [(1, 1)]


def test_documents_parsed_in_batches_give_the_same_warehouse(run, demo_db, tmp_path, monkeypatch):
    """Pages are parsed a few megabytes at a time to bound memory; a batch per document must load
    exactly what one batch for all of them does (12 pages of 100 issues, plus a status list)."""
    from benchmarks.run import JIRA_PAGES
    from warehouse.sources.jira import parse

    pages = tmp_path / "jira" / "pages.ndjson"
    pages.parent.mkdir()
    with duckdb.connect(str(demo_db), read_only=True) as con:
        con.execute(JIRA_PAGES.format(out=str(pages)))
    statuses = [{"id": str(i), "name": f"S{i}", "statusCategory": {"key": "done"}} for i in range(3)]
    (pages.parent / "status.json").write_text(json.dumps(statuses))
    tables = {}
    for batch_bytes in (parse.BATCH_BYTES, 1):
        monkeypatch.setattr(parse, "BATCH_BYTES", batch_bytes)
        db = tmp_path / f"batch-{batch_bytes}.duckdb"
        assert run("ingest", pages.parent, "--team-field", "components", "--db", db).code == 0
        with duckdb.connect(str(db), read_only=True) as con:
            tables[batch_bytes] = {
                t: sorted(con.execute(f"SELECT * FROM {t}").fetchall(), key=repr)
                for t in ("raw_issues", "raw_transitions", "raw_statuses", "raw_blockers", "raw_issue_sprint")
            }
    whole, per_document = tables.values()
    assert len(whole["raw_issues"]) == 1_200 and len(whole["raw_statuses"]) > 3
    assert whole == per_document


def test_a_jira_warehouse_is_not_replaced_without_force(run, export, tmp_path):
    db = tmp_path / "jira.duckdb"
    assert run("ingest", export, "--db", db).code == 0
    result = run("generate", "--db", db)
    assert result.code == 2
    assert result.err.strip() == f"heimdall-tui: error: {db} holds imported data (jira); pass --force to replace it"
