from warehouse.engine.checks import expect, not_null, unique
from warehouse.engine.registry import Model
from warehouse.models._sql import ISSUE_GROUPS
from warehouse.semantics.rules import utc_day

MODELS = (
    Model(
        name="mart_stage_days",
        depends_on=("fct_status_periods", "stg_issues"),
        description=(
            "Flow items' periods in a stage (fct_status_periods with a stage), counted per UTC day "
            "entered, UTC day exited (NULL while open), team, project, issue type and stage; "
            "last_moved_at is the latest entry or exit among them. Cumulative flow reads it for "
            "windows that end at a midnight or after every move."
        ),
        build=f"""
            WITH {ISSUE_GROUPS},
            moved AS (
                SELECT {utc_day("p.entered_at")} AS entered_day, {utc_day("p.exited_at")} AS exited_day,
                       ig.g, p.stage, p.stage_index, count(*) AS periods,
                       max(greatest(p.entered_at, coalesce(p.exited_at, p.entered_at))) AS last_moved_at
                FROM fct_status_periods p JOIN issue_group ig USING (issue_id)
                WHERE p.is_flow_item AND p.stage IS NOT NULL
                GROUP BY ALL
            )
            SELECT m.entered_day, m.exited_day, g.team, g.project_key, g.issue_type, m.stage, m.stage_index,
                   m.periods, m.last_moved_at
            FROM moved m JOIN groups g USING (g)
        """,
        order_by="entered_day, exited_day, stage_index, team, project_key, issue_type",
        tests=(
            *not_null("mart_stage_days", "entered_day", "stage", "stage_index", "periods", "last_moved_at"),
            unique("mart_stage_days", "entered_day", "exited_day", "team", "project_key", "issue_type", "stage_index"),
            expect("mart_stage_days", "periods_positive", "periods > 0"),
        ),
    ),
)
