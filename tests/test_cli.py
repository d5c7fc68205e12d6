"""The command line: happy paths, and bad input as one line with exit code 2."""

import hashlib
import shutil

import duckdb
import pytest

from warehouse.engine.db import SCHEMA_VERSION


def digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def one_line_error(result, *fragments):
    assert result.code == 2, result
    lines = result.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("heimdall-tui: error: "), result.err
    assert "Traceback" not in result.err
    for fragment in fragments:
        assert fragment in lines[0], lines[0]


def test_generate_builds_a_tested_warehouse(run, tmp_path):
    db = tmp_path / "w.duckdb"
    result = run("generate", "--issues", 300, "--seed", 5, "--db", db)
    assert result.code == 0, result
    assert "data tests passed" in result.err
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("SELECT count(*) FROM raw_issues").fetchone()[0] == 300
    assert con.execute("SELECT source, seed, schema_version FROM meta").fetchone() == ("generator", 5, SCHEMA_VERSION)
    con.close()
    assert run("check", "--db", db).code == 0


def test_bare_command_seeds_the_default_location_and_prints_a_summary(run, tmp_path):
    result = run()
    assert result.code == 0, result
    assert (tmp_path / "xdg" / "heimdall" / "heimdall.duckdb").exists()
    assert "current WIP" in result.out and "seed 42" in result.out
    assert "First run" in result.err
    again = run()
    assert again.code == 0 and "First run" not in again.err


def test_heimdall_db_environment_variable_selects_the_warehouse(run, tmp_path, monkeypatch, demo_db):
    monkeypatch.setenv("HEIMDALL_DB", str(demo_db))
    result = run("check")
    assert result.code == 0 and "PASS" in result.out


def test_global_db_option_before_the_command(run, demo_db):
    assert run("--db", demo_db, "check").code == 0


def test_an_explicit_missing_warehouse_is_an_error_not_a_new_demo(run, tmp_path):
    missing = tmp_path / "nope.duckdb"
    one_line_error(run("--db", missing), "no warehouse at", str(missing))
    assert not missing.exists()
    one_line_error(run("check", "--db", missing), "no warehouse at")
    one_line_error(run("build", "--db", missing), "no warehouse at")


def test_a_file_that_is_not_duckdb_is_refused_and_untouched(run, tmp_path):
    bogus = tmp_path / "notes.duckdb"
    bogus.write_text("my precious notes")
    one_line_error(run("--db", bogus), "is not a DuckDB database")
    one_line_error(run("generate", "--db", bogus), "refusing to overwrite")
    assert bogus.read_text() == "my precious notes"


def test_a_foreign_duckdb_file_is_refused_and_untouched(run, tmp_path):
    foreign = tmp_path / "other.duckdb"
    con = duckdb.connect(str(foreign))
    con.execute("CREATE TABLE sales AS SELECT 1 AS x")
    con.close()
    before = digest(foreign)
    one_line_error(run("check", "--db", foreign), "not a heimdall warehouse")
    one_line_error(run("generate", "--db", foreign), "refusing to overwrite", "not a heimdall warehouse")
    one_line_error(run("build", "--db", foreign), "not a heimdall warehouse")
    assert digest(foreign) == before


def test_a_newer_schema_version_is_refused(run, tmp_path, demo_db):
    newer = tmp_path / "newer.duckdb"
    shutil.copy(demo_db, newer)
    con = duckdb.connect(str(newer))
    con.execute("UPDATE meta SET schema_version = 99")
    con.close()
    before = digest(newer)
    one_line_error(run("--db", newer), "schema version 99", "upgrade heimdall-tui")
    one_line_error(run("build", "--db", newer), "schema version 99")
    assert digest(newer) == before


def test_a_read_only_location_is_refused_before_any_work(run):
    one_line_error(run("generate", "--db", "/proc/heimdall/w.duckdb"), "cannot write to")


def test_usage_errors_are_one_line(run):
    one_line_error(run("generate", "--issues", "abc"), "--issues")
    one_line_error(run("generate", "--issues", "0"), "--issues")
    one_line_error(run("frobnicate"), "No such command")


def test_an_invalid_config_names_the_key(run, tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[rates]\nreopenn = 0.1\n")
    one_line_error(run("generate", "--config", bad, "--db", tmp_path / "w.duckdb"), "unknown key 'rates.reopenn'")
    assert not (tmp_path / "w.duckdb").exists()
    one_line_error(run("generate", "--config", tmp_path / "absent.toml"), "cannot read config file")


def test_an_invalid_workflow_file_names_the_key(run, tmp_path):
    bad = tmp_path / "wf.toml"
    bad.write_text('[teams.AEGIR]\n"Limbo" = "purgatory"\n')
    one_line_error(run("generate", "--workflow", bad, "--db", tmp_path / "w.duckdb"), "teams.AEGIR", "purgatory")


def test_check_fails_naming_the_test_and_rows_on_a_tampered_warehouse(run, tmp_path, demo_db):
    tampered = tmp_path / "tampered.duckdb"
    shutil.copy(demo_db, tampered)
    con = duckdb.connect(str(tampered))
    con.execute("UPDATE fct_issue_lifecycle SET cycle_time_hours = -1 WHERE issue_id = 7")
    con.execute("UPDATE fct_wip_daily SET wip_count = -3 WHERE day = DATE '2025-10-10'")
    con.close()
    result = run("check", "--db", tampered)
    assert result.code == 1
    assert "FAIL  cycle_time_non_negative(fct_issue_lifecycle): 1 row(s)" in result.out
    assert "issue_id=7" in result.out
    assert "FAIL  wip_non_negative(fct_wip_daily): 1 row(s)" in result.out


def test_rebuild_keeps_raw_data_and_applies_a_new_workflow(run, tmp_path, demo_db):
    db = tmp_path / "w.duckdb"
    shutil.copy(demo_db, db)
    wf = tmp_path / "wf.toml"
    wf.write_text('[teams.FREYA]\n"Review" = "in_progress"\n')
    result = run("build", "--db", db, "--workflow", wf)
    assert result.code == 0, result
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute(
        "SELECT canonical_status FROM stg_status_map WHERE team = 'FREYA' AND raw_status = 'Review'"
    ).fetchone() == ("in_progress",)
    assert con.execute("SELECT count(*) FROM raw_issues").fetchone() == (1200,)
    con.close()
    # the stored workflow is used again by a plain rebuild
    assert run("build", "--db", db).code == 0
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute(
        "SELECT canonical_status FROM stg_status_map WHERE team = 'FREYA' AND raw_status = 'Review'"
    ).fetchone() == ("in_progress",)
    con.close()


def test_no_build_writes_raw_tables_that_build_completes(run, tmp_path):
    db = tmp_path / "raw.duckdb"
    assert run("generate", "--issues", 100, "--no-build", "--db", db).code == 0
    one_line_error(run("--db", db), "no models yet")
    assert run("build", "--db", db).code == 0
    assert run("--db", db).code == 0


def test_quiet_when_piped(tmp_path):
    import subprocess
    import sys

    db = tmp_path / "w.duckdb"
    result = subprocess.run(
        [sys.executable, "-c", "from heimdall_tui.cli import main; main()", "generate", "--db", str(db)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"built {db} (") and lines[0].endswith("data tests passed)")
    assert "\x1b" not in result.stderr  # no progress bar escapes


def test_the_warehouse_and_generator_never_import_textual():
    import subprocess
    import sys

    code = (
        "import sys, generator.run, generator.simulate, warehouse.engine.pipeline, warehouse.sources.files; "
        "import warehouse.metrics, warehouse.risks, warehouse.report; "
        "import warehouse.engine.registry; warehouse.engine.registry.discover(); "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('textual', 'textual_plotext', 'heimdall_tui')))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def test_the_installed_package_carries_the_stylesheet():
    """Tests import from the source tree, so a file left out of the wheel would pass unseen;
    CI installs a real wheel, whose file list tells."""
    from importlib import metadata

    files = {str(f) for f in metadata.files("heimdall-tui") or ()}
    if "heimdall_tui/cli.py" not in files:
        pytest.skip("editable install: the package files are the source tree")
    assert "heimdall_tui/app.tcss" in files
