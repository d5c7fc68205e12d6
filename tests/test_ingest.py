"""`heimdall-tui ingest`: the raw contract from CSV or Parquet, bad rows reported by file and line."""

import hashlib
import json

import duckdb
import pytest

from warehouse.sources.contract import OPTIONAL_COLUMNS, RAW_TABLES

# the original HEIMDALL contract: the optional columns are left out, as an old export has them
HEADERS = {t: ",".join(c for c, _ in cols if c not in OPTIONAL_COLUMNS.get(t, ())) for t, cols in RAW_TABLES.items()}


def digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def export(db, folder, fmt: str = "csv"):
    """What `\\copy raw_x to 'raw_x.csv' csv header` from the original Postgres produces."""
    folder.mkdir(exist_ok=True)
    con = duckdb.connect(str(db), read_only=True)
    con.execute("SET TimeZone = 'UTC'")
    for table in RAW_TABLES:
        option = "(HEADER, FORMAT csv)" if fmt == "csv" else "(FORMAT parquet)"
        con.execute(f"COPY {table} TO '{folder / (table + '.' + fmt)}' {option}")
    con.close()
    return folder


def write(folder, table: str, *lines: str):
    folder.mkdir(exist_ok=True)
    (folder / f"{table}.csv").write_text("\n".join([HEADERS[table], *lines]) + "\n")


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_an_export_of_a_warehouse_ingests_to_the_same_facts(run, tmp_path, demo_db, fmt):
    folder = export(demo_db, tmp_path / "export", fmt)
    db = tmp_path / "ingested.duckdb"
    result = run("ingest", folder, "--db", db, "--as-of", "2026-01-29")
    assert result.code == 0, result
    query = (
        "SELECT issue_id, done_at, cycle_time_hours, lead_time_hours, blocked_hours, reopen_count, current_status "
        "FROM fct_issue_lifecycle ORDER BY issue_id"
    )
    a, b = duckdb.connect(str(demo_db), read_only=True), duckdb.connect(str(db), read_only=True)
    assert a.execute(query).fetchall() == b.execute(query).fetchall()
    assert (
        a.execute("SELECT * FROM raw_transitions ORDER BY 1").fetchall()
        == b.execute("SELECT * FROM raw_transitions ORDER BY 1").fetchall()
    )  # source_hash kept as given
    assert b.execute("SELECT source, skipped_rows FROM meta").fetchone() == ("ingest", 0)


def test_as_of_defaults_to_the_latest_event(run, tmp_path):
    folder = tmp_path / "in"
    write(folder, "raw_issues", "1,VAL-1,VALHALLA,AEGIR,Story,P2,2025-10-01T00:00:00Z,,ann,bob,3,Fix it,")
    write(folder, "raw_transitions", "1,1,To Do,In Progress,2025-10-02 09:30:00+00,ann,")
    write(folder, "raw_sprints", "1,AEGIR,S1,2025-10-01T00:00:00Z,2025-10-15T00:00:00Z,goal,")  # a planned end
    db = tmp_path / "w.duckdb"
    assert run("ingest", folder, "--db", db).code == 0
    con = duckdb.connect(str(db), read_only=True)
    con.execute("SET TimeZone = 'UTC'")
    assert str(con.execute("SELECT as_of FROM meta").fetchone()[0]) == "2025-10-02 09:30:00+00:00"
    assert con.execute("SELECT count(*) FROM raw_blockers").fetchone() == (0,)  # optional file absent


def test_offsets_across_dst_in_a_csv(run, tmp_path):
    folder = tmp_path / "in"
    write(folder, "raw_issues", "1,VAL-1,VALHALLA,AEGIR,Story,P2,2025-10-24T09:00:00+02:00,,ann,bob,,x,")
    write(
        folder,
        "raw_transitions",
        "1,1,To Do,In Progress,2025-10-25T10:00:00+02:00,ann,",
        "2,1,In Progress,Done,2025-10-27T10:00:00+01:00,ann,",
    )
    db = tmp_path / "w.duckdb"
    assert run("ingest", folder, "--db", db, "--as-of", "2025-11-01").code == 0
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("SELECT cycle_time_hours, lead_time_hours FROM fct_issue_lifecycle").fetchone() == (49, 74)


def bad_folder(tmp_path):
    folder = tmp_path / "bad"
    write(
        folder,
        "raw_issues",
        "1,VAL-1,VALHALLA,AEGIR,Story,P2,2025-10-01T00:00:00Z,,ann,bob,3,ok,",
        ",VAL-2,VALHALLA,AEGIR,Story,P2,2025-10-01T00:00:00Z,,ann,bob,3,no key,",
        "3,VAL-3,VALHALLA,AEGIR,Story,P2,yesterday,,ann,bob,3,bad time,",
        "4,VAL-4,VALHALLA,AEGIR,Story,P2,2025-10-01T00:00:00Z,,ann,bob,lots,bad estimate,",
    )
    write(
        folder,
        "raw_transitions",
        "1,1,To Do,In Progress,2025-10-02T00:00:00Z,ann,",
        "2,99,To Do,In Progress,2025-10-02T00:00:00Z,ann,",
        "3,3,To Do,In Progress,2025-10-02T00:00:00Z,ann,",
        "1,1,In Progress,Done,2025-10-03T00:00:00Z,ann,",
    )
    return folder


def test_bad_rows_are_reported_by_file_and_line_and_change_nothing(run, tmp_path, demo_db):
    db = tmp_path / "w.duckdb"
    import shutil

    shutil.copy(demo_db, db)
    before = digest(db)
    result = run("ingest", bad_folder(tmp_path), "--db", db)
    assert result.code == 2
    lines = result.err.strip().splitlines()
    assert lines[:-1] == [
        f"{tmp_path}/bad/raw_issues.csv:3: missing issue_id",
        f"{tmp_path}/bad/raw_issues.csv:4: unparseable created_at yesterday",
        f"{tmp_path}/bad/raw_issues.csv:5: estimate_points lots is not an integer",
        f"{tmp_path}/bad/raw_transitions.csv:3: refers to unknown issue 99",
        f"{tmp_path}/bad/raw_transitions.csv:4: refers to unknown issue 3",
        f"{tmp_path}/bad/raw_transitions.csv:5: duplicate transition_id 1",
    ]
    assert lines[-1].startswith("heimdall-tui: error: 6 row(s) break the raw contract; nothing was changed")
    assert digest(db) == before


def test_skip_bad_rows_loads_the_rest_and_lists_them_in_meta(run, tmp_path):
    db = tmp_path / "w.duckdb"
    result = run("ingest", bad_folder(tmp_path), "--db", db, "--skip-bad-rows")
    assert result.code == 0, result
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("SELECT issue_id FROM raw_issues").fetchall() == [(1,)]
    assert con.execute("SELECT transition_id FROM raw_transitions").fetchall() == [(1,)]
    skipped, detail = con.execute("SELECT skipped_rows, skipped_detail FROM meta").fetchone()
    assert skipped == 6
    assert {"file": "raw_transitions.csv", "line": 3, "reason": "refers to unknown issue 99"} in json.loads(detail)
    assert "skipped rows" in run("--db", db).out


def test_a_missing_column_or_file_is_one_line(run, tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "raw_issues.csv").write_text("issue_id,issue_key\n1,VAL-1\n")
    result = run("ingest", folder, "--db", tmp_path / "w.duckdb")
    assert result.code == 2 and "has no raw_transitions.csv or raw_transitions.parquet" in result.err
    write(folder, "raw_transitions", "1,1,To Do,Done,2025-10-02T00:00:00Z,ann,")
    result = run("ingest", folder, "--db", tmp_path / "w.duckdb")
    assert result.code == 2 and "raw_issues.csv: missing column 'project_key'" in result.err
    result = run("ingest", tmp_path / "absent", "--db", tmp_path / "w.duckdb")
    assert result.code == 2 and "absent does not exist" in result.err
    assert not (tmp_path / "w.duckdb").exists()


def test_events_after_an_explicit_as_of_are_bad_rows(run, tmp_path):
    folder = tmp_path / "in"
    write(folder, "raw_issues", "1,VAL-1,VALHALLA,AEGIR,Story,P2,2025-10-01T00:00:00Z,,ann,bob,3,x,")
    write(folder, "raw_transitions", "1,1,To Do,Done,2025-10-05T00:00:00Z,ann,")
    result = run("ingest", folder, "--db", tmp_path / "w.duckdb", "--as-of", "2025-10-03")
    assert result.code == 2 and "raw_transitions.csv:2: changed_at 2025-10-05T00:00:00Z is after --as-of" in result.err
    result = run("ingest", folder, "--db", tmp_path / "w.duckdb", "--as-of", "someday")
    assert result.code == 2 and "--as-of 'someday' is not a date" in result.err


def test_ingested_data_is_not_replaced_without_force(run, tmp_path, demo_db):
    folder = export(demo_db, tmp_path / "export")
    db = tmp_path / "w.duckdb"
    assert run("ingest", folder, "--db", db).code == 0
    before = digest(db)
    result = run("generate", "--db", db)
    assert result.code == 2 and "holds imported data (ingest); pass --force" in result.err
    assert digest(db) == before
    assert run("generate", "--db", db, "--force").code == 0


def test_an_as_of_before_the_data_is_one_line(run, tmp_path, demo_db):
    folder = export(demo_db, tmp_path / "in")
    result = run("ingest", folder, "--db", tmp_path / "w.duckdb", "--as-of", "2020-01-01")
    assert result.code == 2 and "is before the first issue was created" in result.err
    assert len(result.err.strip().splitlines()) == 1
