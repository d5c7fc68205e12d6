from warehouse.engine.checks import expect, not_null, unique
from warehouse.engine.registry import Model
from warehouse.models._sql import DAY_GRID, ISSUE_GROUPS
from warehouse.semantics.rules import STATES, utc_day_ending_at

_STATES = ", ".join(f"('{s}')" for s in STATES)

MODELS = (
    Model(
        name="fct_daily_state_counts",
        depends_on=("fct_status_periods", "stg_issues", "meta"),
        description=(
            "Flow items in each canonical state at the end of each UTC day (the as_of instant on the "
            "last day), per team, project and issue type: the cumulative flow diagram's data. A "
            "period counts on day D when entered_at <= end of D < exited_at."
        ),
        # Set-based running sum of +1 (entry) / -1 (exit) events bucketed by the first day-end
        # at or after them, midnight included.
        build=f"""
            WITH days AS ({DAY_GRID}),
            {ISSUE_GROUPS},
            states AS (SELECT * FROM (VALUES {_STATES}) s(canonical_status)),
            periods AS (
                SELECT p.entered_at, p.exited_at, p.canonical_status, ig.g
                FROM fct_status_periods p JOIN issue_group ig USING (issue_id) WHERE p.is_flow_item
            ),
            deltas AS (
                SELECT {utc_day_ending_at("entered_at")} AS day, g, canonical_status, 1 AS delta
                FROM periods
                UNION ALL
                SELECT {utc_day_ending_at("exited_at")}, g, canonical_status, -1
                FROM periods WHERE exited_at IS NOT NULL
            ),
            bucketed AS (
                SELECT b.day, g.team, g.project_key, g.issue_type, b.canonical_status, b.delta
                FROM (SELECT greatest(day, (SELECT min(day) FROM days)) AS day, g, canonical_status,
                             sum(delta) AS delta
                      FROM deltas GROUP BY ALL) b
                JOIN groups g USING (g)
            )
            SELECT d.day, g.team, g.project_key, g.issue_type, s.canonical_status,
                   CAST(sum(coalesce(b.delta, 0)) OVER (
                       PARTITION BY g.team, g.project_key, g.issue_type, s.canonical_status ORDER BY d.day) AS BIGINT)
                       AS issue_count
            FROM days d CROSS JOIN groups g CROSS JOIN states s
            LEFT JOIN bucketed b ON b.day = d.day AND b.team IS NOT DISTINCT FROM g.team
                 AND b.project_key IS NOT DISTINCT FROM g.project_key AND b.issue_type IS NOT DISTINCT FROM g.issue_type
                 AND b.canonical_status = s.canonical_status
            ORDER BY d.day, g.team, g.project_key, g.issue_type, s.canonical_status
        """,
        tests=(
            *not_null("fct_daily_state_counts", "day", "team", "canonical_status", "issue_count"),
            unique("fct_daily_state_counts", "day", "team", "project_key", "issue_type", "canonical_status"),
            expect("fct_daily_state_counts", "non_negative", "issue_count >= 0"),
        ),
    ),
)
