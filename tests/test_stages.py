"""Stages (board columns): from the workflow file, a genuine Jira board configuration, or the
canonical states; the periods carry them; bad [stages] and [sle] tables are one-line errors."""

import duckdb
import pytest

from tests.conftest import SHARED
from tests.eventlog import EventLog
from tests.test_models import built, rows
from warehouse.errors import HeimdallError
from warehouse.semantics.workflow import parse_workflow

SAMPLES = SHARED / "fixtures" / "jira-cloud-sample"

STAGES = """
[stages]
"Ready" = ["To Do"]
"Doing" = ["In Progress", "Blocked"]
"Waiting for QA" = ["Ready for QA"]
"QA" = ["QA"]
"Done" = ["Done"]
"""


def test_stages_from_the_workflow_file_order_the_periods_and_mark_waiting():
    log = EventLog(workflow=STAGES + 'wait = ["Waiting for QA"]\n')
    log.issue(1, "2025-10-01T00:00:00Z").path(
        1,
        ("In Progress", "2025-10-02T00:00:00Z"),
        ("Ready for QA", "2025-10-03T00:00:00Z"),
        ("QA", "2025-10-05T00:00:00Z"),
        ("Limbo", "2025-10-06T00:00:00Z"),  # in no stage
    )
    log.issue(2, "2025-10-01T00:00:00Z")  # never moved: in the first stage holding to-do work
    con = built(log)
    assert rows(con, "SELECT stage_index, stage, is_wait, is_active, source FROM dim_stage ORDER BY 1") == [
        (0, "Ready", False, False, "workflow file"),
        (1, "Doing", False, True, "workflow file"),
        (2, "Waiting for QA", True, True, "workflow file"),
        (3, "QA", False, True, "workflow file"),
        (4, "Done", False, False, "workflow file"),
    ]
    assert rows(
        con, "SELECT period_index, stage, stage_index FROM fct_status_periods WHERE issue_id = 1 ORDER BY 1"
    ) == [
        (0, "Ready", 0),
        (1, "Doing", 1),
        (2, "Waiting for QA", 2),
        (3, "QA", 3),
        (4, None, None),
    ]
    assert rows(con, "SELECT stage FROM fct_status_periods WHERE issue_id = 2") == [("Ready",)]


def test_without_stages_the_canonical_states_are_the_stages_and_blocked_sits_in_progress():
    log = EventLog().issue(1, "2025-10-01T00:00:00Z")
    log.path(1, ("In Progress", "2025-10-02T00:00:00Z"), ("Blocked", "2025-10-03T00:00:00Z"))
    con = built(log)
    assert rows(con, "SELECT stage, is_wait FROM dim_stage ORDER BY stage_index") == [
        ("To Do", False),
        ("In Progress", False),
        ("Review", False),
        ("Done", False),
    ]
    assert rows(con, "SELECT stage FROM fct_status_periods ORDER BY period_index") == [
        ("To Do",),
        ("In Progress",),
        ("In Progress",),
    ]


def test_by_default_a_stage_named_waiting_or_ready_for_is_a_wait_stage():
    workflow = parse_workflow(STAGES)
    _, stages = workflow.stage_list([])
    assert [s.name for s in stages if s.is_wait] == ["Waiting for QA"]


@pytest.mark.skipif(not SAMPLES.exists(), reason="../shared/fixtures/jira-cloud-sample is not present")
def test_a_genuine_board_configuration_gives_the_stages_by_status_id(run, tmp_path):
    db = tmp_path / "j.duckdb"
    assert run("ingest", SAMPLES, "--db", db).code == 0
    con = duckdb.connect(str(db), read_only=True)
    # board 1's columns, as the configuration lists them
    assert rows(con, "SELECT stage, source FROM dim_stage ORDER BY stage_index") == [
        ("Backlog", "board"),
        ("Ready", "board"),
        ("In Progress", "board"),
        ("Review", "board"),
        ("Done", "board"),
    ]
    # "Selected for Development" (id 10001) is on the board's Ready column, whatever its name says
    assert rows(con, "SELECT DISTINCT stage FROM stg_status_map WHERE status_id = '10001'") == [("Ready",)]
    assert rows(con, "SELECT count(*) FROM fct_status_periods WHERE stage IS NULL") == [(0,)]


@pytest.mark.parametrize(
    "toml, message",
    [
        ('[stages]\nA = ["Done"]\nB = ["done"]\n', "status 'done' is in two stages ('A' and 'B')"),
        ('[stages]\nA = ["Done"]\nwait = ["B"]\n', "stages.wait names 'B', which is not a stage"),
        ('[stages]\nA = "Done"\n', "stages.'A' must be a list of raw status names"),
        ("[stages]\n", "[stages] lists no stage"),
        ("[sle]\nAEGIR = 10\n", "sle.AEGIR must be a table like"),
        ("[sle]\nAEGIR = { percentile = 120, days = 10 }\n", "percentile must be in (0, 100)"),
        ("[sle]\nAEGIR = { percentile = 85 }\n", "sle.AEGIR must be a table like"),
    ],
)
def test_bad_stage_and_sle_tables_are_one_line_errors(toml, message):
    with pytest.raises(HeimdallError) as error:
        parse_workflow(toml, "wf.toml")
    assert message in str(error.value) and "\n" not in str(error.value)
