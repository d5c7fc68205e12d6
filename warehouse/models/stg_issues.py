from warehouse.registry import Model, not_null, unique

MODELS = (
    Model(
        name="stg_issues",
        depends_on=("raw_issues",),
        description="One row per issue: trimmed text, empty assignee as NULL.",
        materialized="view",
        build="""
            SELECT issue_id, trim(issue_key) AS issue_key, trim(project_key) AS project_key,
                   trim(team) AS team, trim(issue_type) AS issue_type, trim(priority) AS priority,
                   created_at, resolved_at, nullif(trim(assignee), '') AS assignee,
                   nullif(trim(reporter), '') AS reporter, estimate_points, summary
            FROM raw_issues
        """,
        tests=(
            *not_null("stg_issues", "issue_id", "issue_key", "project_key", "team", "created_at"),
            unique("stg_issues", "issue_id"),
            unique("stg_issues", "issue_key"),
        ),
    ),
)
