from warehouse.engine.checks import expect, not_null, unique
from warehouse.engine.registry import Model

MODELS = (
    Model(
        name="fct_wip_daily",
        depends_on=("fct_wip_daily_team",),
        description="WIP across all teams at the end of each day.",
        build="SELECT day, sum(wip_count) AS wip_count FROM fct_wip_daily_team GROUP BY day ORDER BY day",
        tests=(
            *not_null("fct_wip_daily", "day", "wip_count"),
            unique("fct_wip_daily", "day"),
            expect("fct_wip_daily", "wip_non_negative", "wip_count >= 0"),
        ),
    ),
)
