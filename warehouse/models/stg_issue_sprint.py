from warehouse.engine.checks import expect, not_null, relationships, unique
from warehouse.engine.registry import Model

MODELS = (
    Model(
        name="stg_issue_sprint",
        depends_on=("raw_issue_sprint",),
        description="Sprint membership: when an issue joined a sprint and, if it did, when it left.",
        materialized="view",
        build="SELECT id, issue_id, sprint_id, added_at, removed_at FROM raw_issue_sprint",
        tests=(
            *not_null("stg_issue_sprint", "id", "issue_id", "sprint_id", "added_at"),
            unique("stg_issue_sprint", "id"),
            relationships("raw_issue_sprint", "issue_id", "raw_issues", "issue_id"),
            relationships("raw_issue_sprint", "sprint_id", "raw_sprints", "sprint_id"),
            expect("stg_issue_sprint", "removed_after_added", "removed_at >= added_at", severity="warn"),
        ),
    ),
)
