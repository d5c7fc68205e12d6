from warehouse.engine.checks import expect, not_null, unique
from warehouse.engine.registry import Model
from warehouse.semantics.rules import ACTIVE

MODELS = (
    Model(
        name="fct_wip_daily_team",
        depends_on=("fct_daily_state_counts",),
        description="WIP per team at the end of each day: issues in in_progress, review or blocked.",
        build=f"""
            SELECT day, team, sum(issue_count) FILTER (WHERE canonical_status IN {ACTIVE}) AS wip_count
            FROM fct_daily_state_counts GROUP BY day, team ORDER BY day, team
        """,
        tests=(
            *not_null("fct_wip_daily_team", "day", "team", "wip_count"),
            unique("fct_wip_daily_team", "day", "team"),
            expect("fct_wip_daily_team", "wip_non_negative", "wip_count >= 0"),
        ),
    ),
)
