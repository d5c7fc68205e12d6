from warehouse.engine.checks import expect, not_null, unique
from warehouse.engine.registry import Model
from warehouse.semantics.rules import ACTIVE, DAY_US

MODELS = (
    Model(
        name="mart_wip_days",
        depends_on=("fct_status_periods", "fct_issue_lifecycle", "meta"),
        description=(
            "Changes of WIP (flow items in an active state) per day counted back from the period "
            "end E (as_of + 1 microsecond): day d is (E - (d + 1) days, E - d days], per team, project "
            "and issue type. entries / exits: active periods that began / ended in it; "
            "net_seconds: the sum, over those changes, of +-(the day's end - the change's time). "
            "WIP at E - d days is the entries minus the exits of days d and before it back; the time "
            "spent active in a day is its WIP at the day's start times its length plus net_seconds."
        ),
        build=f"""
            WITH bounds AS (SELECT epoch_us(as_of) + 1 AS end_us FROM meta),
            active AS (
                SELECT epoch_us(p.entered_at) AS entered_us, epoch_us(p.exited_at) AS exited_us,
                       l.team, l.project_key, l.issue_type
                FROM fct_status_periods p JOIN fct_issue_lifecycle l USING (issue_id)
                WHERE p.canonical_status IN {ACTIVE} AND l.is_flow_item
            ),
            changes AS (
                SELECT team, project_key, issue_type, entered_us AS at_us, 1 AS delta FROM active
                UNION ALL
                SELECT team, project_key, issue_type, exited_us, -1 FROM active WHERE exited_us IS NOT NULL
            ),
            dated AS (
                SELECT c.*, (b.end_us - c.at_us) // {DAY_US} AS days_back, b.end_us FROM changes c, bounds b
            )
            SELECT CAST(days_back AS INTEGER) AS days_back, team, project_key, issue_type,
                   count(*) FILTER (WHERE delta = 1) AS entries, count(*) FILTER (WHERE delta = -1) AS exits,
                   sum(delta * (end_us - days_back * {DAY_US} - at_us)) / 1e6 AS net_seconds
            FROM dated GROUP BY ALL
        """,
        order_by="days_back, team, project_key, issue_type",
        tests=(
            *not_null("mart_wip_days", "days_back", "entries", "exits"),
            unique("mart_wip_days", "days_back", "team", "project_key", "issue_type"),
            expect("mart_wip_days", "changes_before_the_end", "days_back >= 0"),
        ),
    ),
)
