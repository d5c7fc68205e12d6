from warehouse.engine.checks import DataTest, expect, not_null, unique
from warehouse.engine.registry import Model
from warehouse.models._sql import DAY_GRID
from warehouse.semantics.rules import utc_day

MODELS = (
    Model(
        name="fct_throughput_daily",
        depends_on=("fct_issue_lifecycle", "stg_issues", "meta"),
        description="Delivered flow items whose done_at falls on each UTC day, per team; zero days included.",
        build=f"""
            WITH days AS ({DAY_GRID}),
            teams AS (SELECT DISTINCT team FROM stg_issues),
            done AS (
                SELECT {utc_day("delivered_at")} AS day, team, count(*) AS n
                FROM fct_issue_lifecycle WHERE delivered_at IS NOT NULL AND is_flow_item GROUP BY ALL
            )
            SELECT d.day, t.team, coalesce(n, 0) AS issues_done
            FROM days d CROSS JOIN teams t LEFT JOIN done USING (day, team)
            ORDER BY d.day, t.team
        """,
        tests=(
            *not_null("fct_throughput_daily", "day", "team", "issues_done"),
            unique("fct_throughput_daily", "day", "team"),
            expect("fct_throughput_daily", "non_negative", "issues_done >= 0"),
            DataTest(
                "every_delivered_item_counted_once(fct_throughput_daily)",
                """
                SELECT (SELECT count(*) FROM fct_issue_lifecycle
                        WHERE delivered_at IS NOT NULL AND is_flow_item) AS done_issues,
                       (SELECT sum(issues_done) FROM fct_throughput_daily) AS counted
                WHERE done_issues <> counted
                """,
            ),
        ),
    ),
)
