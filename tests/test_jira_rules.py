"""What counts on real Jira data: status ids and categories, resolutions, sub-tasks,
migrations, incomplete changelogs, duplicates, several sites, bad records, --as-of.
Hand-built cases with hand-worked answers, and the genuine samples against Jira's categories."""

import json
from datetime import UTC, datetime

import duckdb
import pytest

from tests.test_jira import SAMPLES, STATUSES, history, issue, lifecycle, status
from warehouse import metrics
from warehouse.semantics.workflow import Workflow

DONE = {"category": "done", "resolutiondate": "2025-10-05T00:00:00.000+0000"}


def done_issue(iid, key, resolution="Done", **fields):
    return issue(
        iid,
        key,
        "2025-10-01T00:00:00.000+0000",
        "Done",
        history(iid * 10, "2025-10-02T00:00:00.000+0000", status("To Do", "In Progress")),
        history(iid * 10 + 1, "2025-10-05T00:00:00.000+0000", status("In Progress", "Done")),
        resolution={"name": resolution} if resolution else None,
        **{**DONE, **fields},
    )


def ingest(run, tmp_path, *docs, args=(), name="export"):
    folder = tmp_path / name
    folder.mkdir(exist_ok=True)
    for i, doc in enumerate(docs):
        (folder / f"doc-{i:02d}.json").write_text(json.dumps(doc))
    (folder / "statuses.json").write_text(json.dumps(STATUSES))
    db = tmp_path / "w.duckdb"
    return run("ingest", folder, "--db", db, "--force", *args), db


WEEK = (datetime(2025, 10, 1, tzinfo=UTC), datetime(2025, 10, 8, tzinfo=UTC))


@pytest.mark.parametrize(
    "name, category, state",
    [
        ("Ready for Dev", None, "todo"),
        ("Ready for Development", None, "todo"),
        ("Awaiting Code", "indeterminate", "in_progress"),
        ("Waiting for customer", "indeterminate", "in_progress"),
        ("Awaiting Code", None, "unknown"),
        ("Under review", "new", "todo"),
        ("Pull Request Sent", None, "review"),
        ("In PR", None, "review"),
        ("Code Review", None, "review"),
        ("In Progress", "indeterminate", "in_progress"),
        ("Blocked - waiting QA", None, "blocked"),
        ("Dev Done", "indeterminate", "in_progress"),
    ],
)
def test_names_real_workflows_use(name, category, state):
    assert Workflow().resolve("T", name, category)[1] == state


def test_a_status_maps_by_its_id_so_renamed_and_retired_names_still_map(run, tmp_path):
    renamed = issue(
        1,
        "R-1",
        "2025-10-01T00:00:00.000+0000",
        "In Progress",
        # the changelog keeps the name the status had then; its id is the current one's
        history(1, "2025-10-02T00:00:00.000+0000", {**status("To Do", "In Progress"), "toString": "Doing (old name)"}),
    )
    result, db = ingest(run, tmp_path, renamed)
    assert result.code == 0, result
    con, issues = lifecycle(db)
    assert issues["R-1"]["current_status"] == "in_progress"
    assert con.execute("SELECT mapped_by FROM stg_status_map WHERE raw_status = 'Doing (old name)'").fetchone() == (
        "status category",
    )


def test_resolutions_that_discard_are_counted_apart(run, tmp_path):
    result, db = ingest(
        run,
        tmp_path,
        {
            "issues": [
                done_issue(1, "D-1"),
                done_issue(2, "D-2", "Won't Do"),
                done_issue(3, "D-3", "duplicate"),
                done_issue(4, "D-4", None),
            ]
        },
    )
    assert result.code == 0, result
    con, issues = lifecycle(db)
    assert {k: (v["outcome"], v["resolution"]) for k, v in issues.items()} == {
        "D-1": ("delivered", "Done"),
        "D-2": ("discarded", "Won't Do"),
        "D-3": ("discarded", "duplicate"),
        "D-4": ("delivered", None),
    }  # done without a resolution: delivered
    assert metrics.throughput(con, *WEEK) == 2
    assert metrics.cycle_time_percentiles(con, *WEEK)["n"] == 2
    assert metrics.discarded(con, *WEEK) == {"done": 4, "discarded": 2, "rate_pct": 50.0}
    wf = tmp_path / "wf.toml"
    wf.write_text('[resolutions]\ndiscarded = ["Duplicate"]\n')
    assert run("build", "--db", db, "--workflow", wf).code == 0
    con.close()
    con, _ = lifecycle(db)
    assert metrics.throughput(con, *WEEK) == 3


def test_sub_tasks_are_not_flow_items_unless_the_workflow_says_so(run, tmp_path):
    parent = done_issue(1, "P-1")
    sub = done_issue(
        2,
        "P-2",
        issuetype={"name": "Sub-task", "subtask": True, "hierarchyLevel": -1},
        parent={"id": "1", "key": "P-1"},
    )
    epic = done_issue(3, "P-3", issuetype={"name": "Epic", "subtask": False, "hierarchyLevel": 1})
    working = issue(
        4,
        "P-4",
        "2025-10-01T00:00:00.000+0000",
        "In Progress",
        history(40, "2025-10-02T00:00:00.000+0000", status("To Do", "In Progress")),
        issuetype={"name": "Sub-task", "subtask": True},
        parent={"id": "1", "key": "P-1"},
    )
    result, db = ingest(run, tmp_path, {"issues": [parent, sub, epic, working]})
    assert result.code == 0, result
    con, issues = lifecycle(db)
    assert {k: (v["is_subtask"], v["is_flow_item"], v["parent_issue_id"]) for k, v in issues.items()} == {
        "P-1": (False, True, None),
        "P-2": (True, False, 1),
        "P-3": (False, False, None),
        "P-4": (True, False, 1),
    }
    assert metrics.throughput(con, *WEEK) == 1 and metrics.current_wip(con)["wip"] == 0
    assert metrics.triage(con)[1] == 0
    relations = metrics.issue_relations(con, "P-1")
    assert relations.select("relation", "issue_key").rows() == [("sub-task", "P-2"), ("sub-task", "P-4")]
    assert metrics.issue_relations(con, "P-2").select("relation", "issue_key").rows() == [("parent", "P-1")]
    con.close()
    wf = tmp_path / "wf.toml"
    wf.write_text("[flow_items]\nsubtasks = true\n")
    assert run("build", "--db", db, "--workflow", wf).code == 0
    con, _ = lifecycle(db)
    assert metrics.throughput(con, *WEEK) == 2 and metrics.current_wip(con)["wip"] == 1


def test_a_workflow_migration_is_not_a_reopen(run, tmp_path):
    migration = {
        "field": "Workflow",
        "fieldtype": "jira",
        "from": "1",
        "fromString": "Old workflow",
        "to": "2",
        "toString": "New workflow",
    }
    migrated = issue(
        1,
        "M-1",
        "2025-10-01T00:00:00.000+0000",
        "Done",
        history(10, "2025-10-02T00:00:00.000+0000", status("To Do", "In Progress")),
        history(11, "2025-10-03T00:00:00.000+0000", status("In Progress", "Done")),
        history(12, "2025-10-04T00:00:00.000+0000", migration, status("Done", "To Do")),
        history(13, "2025-10-04T00:00:01.000+0000", status("To Do", "Done")),
        **DONE,
    )
    reopened = issue(
        2,
        "M-2",
        "2025-10-01T00:00:00.000+0000",
        "Done",
        history(20, "2025-10-02T00:00:00.000+0000", status("To Do", "In Progress")),
        history(21, "2025-10-03T00:00:00.000+0000", status("In Progress", "Done")),
        history(22, "2025-10-04T00:00:00.000+0000", status("Done", "In Progress")),
        history(23, "2025-10-05T00:00:00.000+0000", status("In Progress", "Done")),
        **DONE,
    )
    result, db = ingest(run, tmp_path, {"issues": [migrated, reopened]})
    assert result.code == 0, result
    con, issues = lifecycle(db)
    assert (issues["M-1"]["reopen_count"], issues["M-2"]["reopen_count"]) == (0, 1)
    assert metrics.rework_rate(con, *WEEK)["reopened"] == 1


def test_an_incomplete_changelog_takes_the_current_status_from_the_fields(run, tmp_path):
    capped = issue(
        1,
        "C-1",
        "2025-10-01T00:00:00.000+0000",
        "Done",
        history(1, "2025-10-02T00:00:00.000+0000", status("To Do", "In Progress")),
        statuscategorychangedate="2025-10-06T00:00:00.000+0000",
        **DONE,
    )
    capped["changelog"]["total"] = 140  # Jira embedded 1 of 140 histories
    result, db = ingest(run, tmp_path, capped)
    assert result.code == 0, result
    con, issues = lifecycle(db)
    row = issues["C-1"]
    assert row["current_status"] == "done" and row["cycle_time_hours"] == 96  # 10-02 -> 10-06
    assert "the current status comes from fields.status" in row["data_quality"]
    assert "incomplete changelog" in result.err
    assert any("changelog ends in In Progress" in note for note in metrics.issue_data_quality(con, "C-1"))
    con.close()
    check = run("check", "--db", db)
    assert check.code == 0 and "WARN  changelog_complete(fct_issue_lifecycle): 1 row(s)" in check.out


def test_the_latest_copy_of_an_issue_wins_whatever_the_file_names(run, tmp_path):
    old = issue(
        1, "U-1", "2025-10-01T00:00:00.000+0000", "To Do", updated="2025-10-02T00:00:00.000+0000", category="new"
    )
    new = done_issue(1, "U-1", updated="2025-10-09T00:00:00.000+0000")
    for folder, doc in (("new", new), ("old", old)):  # "old/" sorts after "new/"
        (tmp_path / "export" / folder).mkdir(parents=True)
        (tmp_path / "export" / folder / "U-1.json").write_text(json.dumps(doc))
    result, db = ingest(run, tmp_path)
    assert result.code == 0, result
    _, issues = lifecycle(db)
    assert issues["U-1"]["current_status"] == "done"
    assert "1 issue(s) found in several files" in result.err


def test_two_sites_sharing_an_id_keep_both_issues(run, tmp_path):
    a = {**done_issue(10006, "A-1"), "self": "https://a.atlassian.net/rest/api/2/issue/10006"}
    b = {**done_issue(10006, "B-1"), "self": "https://b.example.com/jira/rest/api/2/issue/10006"}
    result, db = ingest(run, tmp_path, a, b)
    assert result.code == 0, result
    _, issues = lifecycle(db)
    assert set(issues) == {"A-1", "B-1"} and issues["A-1"]["issue_id"] != issues["B-1"]["issue_id"]
    assert issues["A-1"]["cycle_time_hours"] == issues["B-1"]["cycle_time_hours"] == 72


def test_a_bad_record_is_named_and_can_be_skipped(run, tmp_path, demo_db):
    bad = issue(2, "B-2", "yesterday", "To Do", category="new")
    docs = ({"issues": [done_issue(1, "B-1"), bad]},)
    result, db = ingest(run, tmp_path, *docs)
    assert result.code == 2 and "doc-00.json: record 2 (B-2): fields.created is missing or not a date" in result.err
    assert "Traceback" not in result.err and not db.exists()
    result, db = ingest(run, tmp_path, *docs, args=("--skip-bad-rows",))
    assert result.code == 0, result
    con, issues = lifecycle(db)
    assert set(issues) == {"B-1"}
    detail = json.loads(con.execute("SELECT skipped_detail FROM meta").fetchone()[0])
    assert [(d["record"], d["key"]) for d in detail] == [(2, "B-2")]


def test_an_invalid_file_is_named_not_a_valid_one(run, tmp_path):
    folder = tmp_path / "export"
    folder.mkdir()
    (folder / "A-1.json").write_text(json.dumps(done_issue(1, "A-1")))
    (folder / "Z-9.json").write_text('{"key": "Z-9", "fields": ')
    result = run("ingest", folder, "--db", tmp_path / "w.duckdb")
    assert result.code == 2 and "Z-9.json: not valid JSON" in result.err and "A-1.json" not in result.err


def test_as_of_before_the_data_is_one_line_and_later_events_are_left_out(run, tmp_path):
    result, db = ingest(run, tmp_path, done_issue(1, "A-1"), args=("--as-of", "2025-09-01"))
    assert result.code == 2 and "is before the first issue was created" in result.err
    assert len(result.err.strip().splitlines()) == 1
    result, db = ingest(run, tmp_path, done_issue(1, "A-1"), args=("--as-of", "2025-10-03"))
    assert result.code == 0, result
    assert "1 event(s) after --as-of were left out" in result.err
    _, issues = lifecycle(db)
    assert issues["A-1"]["current_status"] == "in_progress" and issues["A-1"]["outcome"] is None


def test_check_lists_unmapped_statuses_with_a_workflow_to_finish(run, tmp_path):
    odd = issue(
        1,
        "O-1",
        "2025-10-01T00:00:00.000+0000",
        "Limbo",
        history(1, "2025-10-02T00:00:00.000+0000", {**status("To Do", "Limbo"), "to": "99"}),
    )
    odd["fields"]["status"] = {"id": "99", "name": "Limbo"}  # no category anywhere
    result, db = ingest(run, tmp_path, odd)
    assert result.code == 0, result
    check = run("check", "--db", db)
    assert "'Limbo' (1 issue(s))" in check.out
    stub = check.out[check.out.index("# workflow.toml") :]
    assert '[teams."O"]' in stub and '# "Limbo" = ""  # 1 issue(s)' in stub
    wf = tmp_path / "wf.toml"
    wf.write_text(stub.replace('# "Limbo" = ""', '"Limbo" = "blocked"'))
    assert run("build", "--db", db, "--workflow", wf).code == 0
    assert "UNMAPPED" not in run("check", "--db", db).out


@pytest.mark.skipif(not SAMPLES.is_dir(), reason="shared Jira samples absent")
def test_the_genuine_samples_agree_with_jiras_status_categories(run, tmp_path):
    db = tmp_path / "w.duckdb"
    assert run("ingest", SAMPLES, "--db", db).code == 0
    con = duckdb.connect(str(db), read_only=True)
    # every period in a status whose category Jira gives maps to the matching state
    disagree = con.execute("""
        SELECT p.raw_status, s.category, p.canonical_status FROM fct_status_periods p
        JOIN raw_statuses s ON s.status_id = p.raw_status_id
        WHERE NOT CASE s.category WHEN 'new' THEN p.canonical_status = 'todo'
                                  WHEN 'done' THEN p.canonical_status = 'done'
                                  ELSE p.canonical_status IN ('in_progress', 'review', 'blocked') END""").fetchall()
    assert disagree == []
    checked = con.execute("SELECT count(*) FROM fct_status_periods WHERE raw_status_id IS NOT NULL").fetchone()[0]
    assert checked >= 20


def test_records_count_across_the_pages_of_a_file(run, tmp_path):
    pages = [
        {"issues": [done_issue(1, "N-1"), done_issue(2, "N-2")]},
        {"issues": [done_issue(3, "N-3"), {**done_issue(4, "N-4"), "id": "four"}]},
    ]
    nd = tmp_path / "pages.ndjson"
    nd.write_text("\n".join(json.dumps(p) for p in pages) + "\n")
    result = run("ingest", nd, "--db", tmp_path / "w.duckdb")
    assert result.code == 2 and "pages.ndjson: record 4 (N-4): no numeric id" in result.err, result


def test_a_category_seen_only_on_a_linked_issue_or_sub_task_still_maps(run, tmp_path):
    peer = {"id": "555", "name": "Peer Check", "statusCategory": {"key": "indeterminate"}}
    parked = {"id": "556", "name": "Parked", "statusCategory": {"key": "new"}}
    item = issue(
        1,
        "L-1",
        "2025-10-01T00:00:00.000+0000",
        "Parked",
        history(1, "2025-10-02T00:00:00.000+0000", {**status("To Do", "Peer Check"), "to": "555"}),
        history(2, "2025-10-03T00:00:00.000+0000", {**status("Peer Check", "Parked"), "from": "555", "to": "556"}),
        subtasks=[{"id": "2", "key": "L-2", "fields": {"status": peer}}],
        issuelinks=[{"outwardIssue": {"key": "L-9", "fields": {"status": parked}}}],
    )
    item["fields"]["status"] = {"id": "556", "name": "Parked"}
    result, db = ingest(run, tmp_path, item)
    assert result.code == 0, result
    con, issues = lifecycle(db)
    states = dict(con.execute("SELECT raw_status, canonical_status FROM stg_status_map").fetchall())
    assert states["Peer Check"] == "in_progress" and states["Parked"] == "todo"
    assert issues["L-1"]["cycle_time_hours"] is None and issues["L-1"]["current_status"] == "todo"


async def test_the_investigator_lists_sub_tasks_and_opens_them(run, tmp_path):
    from heimdall_tui.app import HeimdallApp
    from heimdall_tui.widgets import IssueTable
    from tests.conftest import settle

    sub = done_issue(2, "P-2", issuetype={"name": "Sub-task", "subtask": True}, parent={"id": "1", "key": "P-1"})
    result, db = ingest(run, tmp_path, {"issues": [done_issue(1, "P-1"), sub]})
    assert result.code == 0, result
    app = HeimdallApp(db)
    async with app.run_test(size=(80, 24)) as pilot:
        app.open_issue(["P-1"], 0)
        await settle(pilot)
        relations = app.query_one("#inv-relations", IssueTable)
        assert relations.display and relations.keys == ["P-2"]
        relations.focus()
        await pilot.press("enter")
        await settle(pilot)
        assert app.issue_key == "P-2" and "sub-task" in str(app.query_one("#inv-summary").render())
        assert app.query_one("#inv-relations", IssueTable).keys == ["P-1"]  # its parent
        assert app.errors == []


@pytest.mark.parametrize(
    "spoil, reason",
    [
        (lambda i: i["changelog"]["histories"][0].pop("items"), "a changelog history without a date or items"),
        (
            lambda i: i["changelog"]["histories"][1].update(created="soon"),
            "a changelog history without a date or items",
        ),
        (lambda i: i["changelog"].update(histories={"oops": 1}), "changelog.histories is not a list"),
        (lambda i: i.pop("key"), "no key"),
    ],
)
def test_each_kind_of_bad_record_is_named(run, tmp_path, spoil, reason):
    bad = done_issue(2, "B-2")
    spoil(bad)
    result, _ = ingest(run, tmp_path, {"issues": [done_issue(1, "B-1"), bad]})
    assert result.code == 2 and "doc-00.json: record 2" in result.err and reason in result.err, result


def test_an_export_without_the_project_field_takes_it_from_the_key(run, tmp_path):
    bare = done_issue(1, "ABC-7")
    del bare["fields"]["project"]
    result, db = ingest(run, tmp_path, bare)
    assert result.code == 0, result
    _, issues = lifecycle(db)
    assert (issues["ABC-7"]["project_key"], issues["ABC-7"]["team"]) == ("ABC", "ABC")
