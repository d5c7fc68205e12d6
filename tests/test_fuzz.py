"""Property-based fuzzing of the CSV and Jira loaders: whatever the rows hold, an import ends
with exit 0 and every row accounted for, or exit 2 with one line and the previous warehouse
byte-identical - never a traceback."""

import csv
import hashlib
import io
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from heimdall_tui import cli
from warehouse.sources.contract import OPTIONAL_COLUMNS, RAW_TABLES

# FUZZ_EXAMPLES=500 for a longer, randomised hunt; the suite runs a fixed, quick sample.
EXAMPLES = os.environ.get("FUZZ_EXAMPLES")
FUZZ = settings(
    max_examples=int(EXAMPLES or 30),
    deadline=None,
    derandomize=not EXAMPLES,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

TIMES = st.one_of(
    st.datetimes().map(lambda d: d.isoformat()),  # years 1 to 9999, no offset
    st.datetimes().map(lambda d: d.strftime("%Y-%m-%dT%H:%M:%S.000+0200")),
    st.sampled_from(["2025-10-02T00:00:00Z", "2025-10-26 02:30:00+02", "", "yesterday", "2025-13-40", "0", "NaT"]),
)
TEXT = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=12)
VALUES = st.one_of(TEXT, st.integers(-(2**70), 2**70).map(str), TIMES, st.sampled_from(["", "NULL", "1", "-1", "1e9"]))


def invoke(capsys, *args) -> tuple[int, str]:
    capsys.readouterr()
    argv = sys.argv
    sys.argv = ["heimdall-tui", *map(str, args)]
    try:
        with pytest.raises(SystemExit) as exit_info:
            cli.main()
    finally:
        sys.argv = argv
    return exit_info.value.code or 0, capsys.readouterr().err


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def import_rows(capsys, previous: Path, source: Path, skip: bool, tables: tuple[str, ...]) -> int | None:
    """Import `source` over a copy of `previous`: exit 0, or exit 2 with one line and the copy
    unchanged - never a traceback. Returns the rows loaded into `tables` plus those skipped
    (None when the import was refused)."""
    target = source.parent / "w.duckdb"
    shutil.copy(previous, target)
    before = digest(target)
    code, err = invoke(capsys, "ingest", source, "--db", target, "--force", *(["--skip-bad-rows"] if skip else []))
    assert "Traceback" not in err, err
    if code == 2:
        assert err.strip().splitlines()[-1].startswith("heimdall-tui: error: "), err
        assert digest(target) == before
        return None
    assert code == 0, err
    con = duckdb.connect(str(target), read_only=True)
    try:
        loaded = sum(con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in tables)
        return loaded + con.execute("SELECT skipped_rows FROM meta").fetchone()[0]
    finally:
        con.close()


def header(table: str) -> list[str]:
    return [c for c, _ in RAW_TABLES[table] if c != "source_hash" and c not in OPTIONAL_COLUMNS.get(table, ())]


def rows_for(table: str):
    columns = header(table)
    good = {
        "raw_issues": [
            "1",
            "VAL-1",
            "VALHALLA",
            "AEGIR",
            "Story",
            "P2",
            "2025-10-01T00:00:00Z",
            "",
            "ann",
            "bob",
            "3",
            "x",
        ],
        "raw_transitions": ["1", "1", "To Do", "In Progress", "2025-10-02T00:00:00Z", "ann"],
    }[table]
    # each row: a good row with some fields replaced by anything at all
    return st.lists(
        st.lists(st.tuples(st.integers(0, len(columns) - 1), VALUES), max_size=3).map(lambda edits: _edit(good, edits)),
        min_size=1,
        max_size=6,
    )


def _edit(row: list[str], edits) -> list[str]:
    row = list(row)
    for index, value in edits:
        row[index] = value
    return row


@FUZZ
@given(issues=rows_for("raw_issues"), transitions=rows_for("raw_transitions"), skip=st.booleans())
def test_the_csv_loader_never_breaks(capsys, demo_db, issues, transitions, skip):
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "in"
        folder.mkdir()
        for table, rows in (("raw_issues", issues), ("raw_transitions", transitions)):
            buffer = io.StringIO()
            writer = csv.writer(buffer)
            writer.writerow(header(table))
            writer.writerows(rows)
            (folder / f"{table}.csv").write_text(buffer.getvalue(), encoding="utf-8")
        accounted = import_rows(capsys, demo_db, folder, skip, ("raw_issues", "raw_transitions"))
        assert accounted in (None, len(issues) + len(transitions))  # every row loaded or listed


def _nested(inner):
    return st.one_of(st.lists(inner, max_size=3), st.dictionaries(TEXT, inner, max_size=3))


JSONISH = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-(2**40), 2**40), TEXT, TIMES), _nested, max_leaves=6
)


@st.composite
def jira_issue(draw, iid: int):
    history = st.fixed_dictionaries(
        {
            "id": st.one_of(st.integers(1, 10**6).map(str), JSONISH),
            "created": st.one_of(TIMES, JSONISH),
            "items": st.one_of(
                st.lists(
                    st.fixed_dictionaries(
                        {
                            "field": st.sampled_from(["status", "Flagged", "Sprint", "Workflow", "resolution"]),
                            "fieldId": st.sampled_from(["status", "customfield_10021", "customfield_10020", None]),
                            "from": st.one_of(st.none(), TEXT),
                            "fromString": st.one_of(st.none(), TEXT),
                            "to": st.one_of(st.none(), TEXT),
                            "toString": st.one_of(st.none(), TEXT),
                        }
                    ),
                    max_size=3,
                ),
                JSONISH,
            ),
        }
    )
    fields = draw(
        st.fixed_dictionaries(
            {
                "created": st.one_of(TIMES, JSONISH),
                "updated": st.one_of(TIMES, JSONISH),
                "status": st.one_of(
                    st.fixed_dictionaries(
                        {
                            "id": TEXT,
                            "name": TEXT,
                            "statusCategory": st.fixed_dictionaries(
                                {"key": st.sampled_from(["new", "indeterminate", "done", "undefined"])}
                            ),
                        }
                    ),
                    JSONISH,
                ),
                "issuetype": st.one_of(st.fixed_dictionaries({"name": TEXT, "subtask": st.booleans()}), JSONISH),
                "resolution": st.one_of(st.none(), st.fixed_dictionaries({"name": TEXT}), JSONISH),
                "project": st.one_of(st.fixed_dictionaries({"key": TEXT}), JSONISH),
                "customfield_10020": st.one_of(st.none(), JSONISH),
            }
        )
    )
    return {
        "id": draw(st.one_of(st.just(str(iid)), JSONISH)),
        "key": draw(st.one_of(st.just(f"F-{iid}"), JSONISH)),
        "fields": fields,
        "changelog": draw(
            st.one_of(
                st.fixed_dictionaries({"total": st.integers(0, 5), "histories": st.lists(history, max_size=3)}), JSONISH
            )
        ),
    }


@FUZZ
@given(data=st.data(), skip=st.booleans())
def test_the_jira_loader_never_breaks(capsys, demo_db, data, skip):
    issues = [data.draw(jira_issue(i)) for i in range(1, data.draw(st.integers(1, 5)) + 1)]
    with tempfile.TemporaryDirectory() as tmp:
        page = Path(tmp) / "page.json"
        page.write_text(json.dumps({"issues": issues}), encoding="utf-8")
        accounted = import_rows(capsys, demo_db, page, skip, ("raw_issues",))
        assert accounted in (None, len(issues))  # ids are distinct: every record loaded or listed
