from warehouse.engine.checks import accepted_values, expect, not_null, unique
from warehouse.engine.registry import AS_OF, Model

MODELS = (
    Model(
        name="stg_sprints",
        depends_on=("raw_sprints", "meta"),
        description="Sprints with their state at as_of: closed (ended), active, or future.",
        materialized="view",
        build=f"""
            SELECT sprint_id, trim(team) AS team, sprint_name, start_at, end_at, goal,
                   CASE WHEN end_at <= {AS_OF} THEN 'closed'
                        WHEN start_at <= {AS_OF} THEN 'active' ELSE 'future' END AS state
            FROM raw_sprints
        """,
        tests=(
            *not_null("stg_sprints", "sprint_id", "team", "start_at", "end_at"),
            unique("stg_sprints", "sprint_id"),
            expect("stg_sprints", "ends_after_start", "end_at > start_at"),
            accepted_values("stg_sprints", "state", ("closed", "active", "future")),
        ),
    ),
)
