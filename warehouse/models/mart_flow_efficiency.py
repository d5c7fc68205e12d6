from warehouse.engine.checks import expect, not_null, unique
from warehouse.engine.registry import Model
from warehouse.models._sql import ISSUE_GROUPS
from warehouse.semantics.rules import EFFICIENCY, utc_day

DELIVERED = EFFICIENCY.format(
    where="l.delivered_at IS NOT NULL AND l.is_flow_item", periods="fct_status_periods", blocked="fct_blocked_intervals"
)

MODELS = (
    Model(
        name="mart_flow_efficiency",
        depends_on=("fct_issue_lifecycle", "fct_status_periods", "fct_blocked_intervals", "dim_stage", "stg_issues"),
        description=(
            "Delivered flow items with a cycle time, counted (items) with their cycle, wait and work "
            "hours (see flow efficiency) summed per UTC day of delivery, team, project and issue type. "
            "Flow efficiency reads it for windows from a midnight to a midnight or to after the last "
            "delivery."
        ),
        build=f"""
            WITH {ISSUE_GROUPS}, {DELIVERED},
            summed AS (
                SELECT {utc_day("e.delivered_at")} AS delivered_day, ig.g, count(*) AS items,
                       sum(e.cycle_hours) AS cycle_hours, sum(e.wait_hours) AS wait_hours,
                       sum(e.work_hours) AS work_hours
                FROM efficiency e JOIN issue_group ig USING (issue_id)
                GROUP BY ALL
            )
            SELECT s.delivered_day, g.team, g.project_key, g.issue_type, s.items, s.cycle_hours, s.wait_hours,
                   s.work_hours
            FROM summed s JOIN groups g USING (g)
        """,
        order_by="delivered_day, team, project_key, issue_type",
        tests=(
            *not_null("mart_flow_efficiency", "delivered_day", "items", "cycle_hours", "wait_hours", "work_hours"),
            unique("mart_flow_efficiency", "delivered_day", "team", "project_key", "issue_type"),
            # waits are clipped to the cycle: more would make the efficiency negative
            expect("mart_flow_efficiency", "wait_within_cycle", "wait_hours <= cycle_hours * (1 + 1e-9) + 1e-6"),
        ),
    ),
)
