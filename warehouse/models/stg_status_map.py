import duckdb

from warehouse.registry import Model, accepted_values, expect, unique
from warehouse.models._sql import STATES
from warehouse.db import has_table
from warehouse.statusmap import UNKNOWN, Workflow, clean_status, parse_workflow


def build(con: duckdb.DuckDBPyConnection) -> None:
    # Resolution runs over the few distinct (team, status) names only; the per-row work
    # (joining it onto millions of transitions) stays in SQL.
    stored = con.execute("SELECT workflow FROM meta").fetchall()[0][0]
    workflow = parse_workflow(stored, "stored in meta") if stored else Workflow()
    pairs = con.execute(
        """
        SELECT DISTINCT i.team, s.status
        FROM (SELECT issue_id, to_status AS status FROM raw_transitions
              UNION ALL SELECT issue_id, from_status FROM raw_transitions) s
        JOIN raw_issues i USING (issue_id)
        WHERE s.status IS NOT NULL
        ORDER BY 1, 2
        """
    ).fetchall()
    con.execute(
        """
        CREATE TABLE stg_status_map (team VARCHAR, raw_status VARCHAR, clean_status VARCHAR,
                                     canonical_status VARCHAR, mapped_by VARCHAR, is_drifted BOOLEAN)
        """
    )
    categories = {}
    if has_table(con, "jira_status_categories"):  # written by the Jira importer
        categories = {name.casefold(): cat for name, cat in
                      con.execute("SELECT status_name, category FROM jira_status_categories").fetchall()}
    rows = [(team, raw, *workflow.resolve(team, raw, categories.get(clean_status(raw).casefold())))
            for team, raw in pairs]
    if rows:
        placeholders = ", ".join(["(?, ?, ?, ?, ?, ?)"] * len(rows))
        con.execute(f"INSERT INTO stg_status_map VALUES {placeholders}", [v for row in rows for v in row])


MODELS = (
    Model(
        name="stg_status_map",
        depends_on=("raw_transitions", "raw_issues", "meta"),
        description="Every raw status name seen, per team, with its canonical state and how it was mapped.",
        build=build,
        tests=(
            unique("stg_status_map", "team", "raw_status"),
            accepted_values("stg_status_map", "canonical_status", STATES),
            expect("stg_status_map", "unmapped_status", f"canonical_status <> '{UNKNOWN}'", severity="warn"),
        ),
    ),
)
