from warehouse.engine.checks import not_null, unique
from warehouse.engine.registry import Model
from warehouse.models._sql import ISSUE_GROUPS
from warehouse.semantics.rules import utc_day, within

MODELS = (
    Model(
        name="mart_stage_hours",
        depends_on=("fct_status_periods", "fct_issue_lifecycle", "stg_issues"),
        description=(
            "Hours delivered flow items' cycles spent in each stage (periods entered from cycle "
            "start to done; stage NULL for a status no stage lists), summed per UTC day of "
            "delivery, team, project, issue type and stage. Time in stage reads it for windows "
            "from a midnight to a midnight or to after the last delivery."
        ),
        build=f"""
            WITH {ISSUE_GROUPS},
            delivered AS (
                SELECT l.issue_id, {utc_day("l.delivered_at")} AS delivered_day, l.first_in_progress_at, l.done_at
                FROM fct_issue_lifecycle l WHERE l.delivered_at IS NOT NULL AND l.is_flow_item
            ),
            summed AS (
                SELECT d.delivered_day, ig.g, p.stage, p.stage_index, sum(p.hours) AS hours
                FROM fct_status_periods p JOIN delivered d USING (issue_id) JOIN issue_group ig USING (issue_id)
                WHERE {within("p.entered_at", "d.first_in_progress_at", "d.done_at")}
                GROUP BY ALL
            )
            SELECT s.delivered_day, g.team, g.project_key, g.issue_type, s.stage, s.stage_index, s.hours
            FROM summed s JOIN groups g USING (g)
        """,
        order_by="delivered_day, stage_index, team, project_key, issue_type",
        tests=(
            *not_null("mart_stage_hours", "delivered_day", "hours"),
            unique("mart_stage_hours", "delivered_day", "team", "project_key", "issue_type", "stage"),
        ),
    ),
)
