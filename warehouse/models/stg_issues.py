import duckdb

from warehouse.engine.checks import not_null, unique
from warehouse.engine.registry import Model
from warehouse.models._sql import literal, stored_workflow


def build(con: duckdb.DuckDBPyConnection) -> None:
    workflow = stored_workflow(con)
    discarded = ", ".join(literal(r) for r in workflow.discarded) or "NULL"
    level = "coalesce(hierarchy_level, 0)"
    con.execute(f"""
        CREATE VIEW stg_issues AS
        SELECT issue_id, trim(issue_key) AS issue_key, trim(project_key) AS project_key,
               trim(team) AS team, trim(issue_type) AS issue_type, trim(priority) AS priority,
               created_at, resolved_at, nullif(trim(assignee), '') AS assignee,
               nullif(trim(reporter), '') AS reporter, estimate_points, summary,
               nullif(trim(resolution), '') AS resolution,
               coalesce(replace(lower(trim(resolution)), '’', '''') IN ({discarded}), false) AS is_discard_resolution,
               {level} < 0 AS is_subtask, {level} > 0 AS is_epic,
               {level} = 0 OR ({level} < 0 AND {workflow.include_subtasks})
                           OR ({level} > 0 AND {workflow.include_epics}) AS is_flow_item,
               parent_issue_id, nullif(trim(parent_key), '') AS parent_key, data_quality
        FROM raw_issues
    """)


MODELS = (
    Model(
        name="stg_issues",
        depends_on=("raw_issues", "meta"),
        description=(
            "One row per issue: trimmed text, empty assignee as NULL; whether its resolution "
            "discards it, whether it is a sub-task or an epic, and whether it counts as a flow item "
            "(standard issues; sub-tasks and epics only when the workflow file includes them)."
        ),
        materialized="view",
        build=build,
        tests=(
            *not_null("stg_issues", "issue_id", "issue_key", "project_key", "team", "created_at"),
            unique("stg_issues", "issue_id"),
            # dim_issue_key holds every issue's key sorted by length and upper case: equal keys lie together
            unique("stg_issues", "issue_key", adjacent_in="dim_issue_key"),
        ),
    ),
)
