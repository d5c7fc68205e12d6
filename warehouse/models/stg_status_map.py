import duckdb

from warehouse.engine.checks import accepted_values, expect, unique
from warehouse.engine.registry import Model
from warehouse.models._sql import board_columns, stored_workflow
from warehouse.semantics.rules import STATES
from warehouse.semantics.workflow import UNKNOWN


def build(con: duckdb.DuckDBPyConnection) -> None:
    # Resolution runs over the few distinct (team, status name, status id) triples only; the
    # per-row work (joining it onto millions of transitions) stays in SQL.
    workflow = stored_workflow(con)
    board = board_columns(con)
    _, stages = workflow.stage_list(board)
    index = {stage.name: stage.index for stage in stages}
    triples = con.execute(
        """
        WITH seen AS (
            SELECT DISTINCT i.team, s.status, s.status_id
            FROM (SELECT issue_id, to_status AS status, to_status_id AS status_id FROM raw_transitions
                  UNION ALL SELECT issue_id, from_status, from_status_id FROM raw_transitions) s
            JOIN raw_issues i USING (issue_id)
            WHERE s.status IS NOT NULL
        ),
        -- a status without an id takes the category its name has, when that is unambiguous
        by_name AS (
            SELECT lower(status_name) AS name, any_value(category) AS category FROM raw_statuses
            WHERE category IS NOT NULL GROUP BY 1 HAVING count(DISTINCT category) = 1
        )
        SELECT seen.team, seen.status, seen.status_id, coalesce(by_id.category, by_name.category)
        FROM seen
        LEFT JOIN raw_statuses by_id ON by_id.status_id = seen.status_id
        LEFT JOIN by_name ON seen.status_id IS NULL AND by_name.name = lower(seen.status)
        ORDER BY 1, 2, 3
        """
    ).fetchall()
    con.execute(
        """
        CREATE TABLE stg_status_map (team VARCHAR, raw_status VARCHAR, status_id VARCHAR, category VARCHAR,
                                     clean_status VARCHAR, canonical_status VARCHAR, mapped_by VARCHAR,
                                     is_drifted BOOLEAN, stage VARCHAR, stage_index INTEGER)
        """
    )
    rows = []
    for team, raw, status_id, category in triples:
        clean, state, how, drifted = workflow.resolve(team, raw, category)
        stage = workflow.stage_of(clean, status_id, state, board)
        rows.append((team, raw, status_id, category, clean, state, how, drifted, stage, index.get(stage or "")))
    if rows:
        placeholders = ", ".join(["(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"] * len(rows))
        con.execute(f"INSERT INTO stg_status_map VALUES {placeholders}", [v for row in rows for v in row])


MODELS = (
    Model(
        name="stg_status_map",
        depends_on=("raw_transitions", "raw_issues", "raw_statuses", "raw_board_columns", "meta"),
        description=(
            "Every raw status seen, per team, name and status id, with Jira's status category "
            "(by id; by name for statuses without one), its canonical state and how it was mapped, "
            "and its stage (see dim_stage; NULL when no stage lists it)."
        ),
        build=build,
        tests=(
            unique("stg_status_map", "team", "raw_status", "status_id"),
            accepted_values("stg_status_map", "canonical_status", STATES),
            expect("stg_status_map", "unmapped_status", f"canonical_status <> '{UNKNOWN}'", severity="warn"),
        ),
    ),
)
