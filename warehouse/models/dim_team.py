from warehouse.engine.checks import not_null, unique
from warehouse.engine.registry import Model

MODELS = (
    Model(
        name="dim_team",
        depends_on=("stg_issues", "stg_sprints", "stg_status_map"),
        description="Teams: issue and sprint counts, the raw status names their workflow uses, unmapped names.",
        build="""
            WITH statuses AS (
                SELECT team, string_agg(DISTINCT clean_status, ', ' ORDER BY clean_status) AS statuses,
                       count(DISTINCT raw_status) FILTER (WHERE canonical_status = 'unknown') AS unmapped_statuses
                FROM stg_status_map GROUP BY team
            ),
            sprints AS (SELECT team, count(*) AS sprints FROM stg_sprints GROUP BY team)
            SELECT i.team, count(*) AS issues, count(DISTINCT i.project_key) AS projects,
                   coalesce(any_value(sp.sprints), 0) AS sprints, min(i.created_at) AS first_created_at,
                   any_value(st.statuses) AS statuses, coalesce(any_value(st.unmapped_statuses), 0) AS unmapped_statuses
            FROM stg_issues i LEFT JOIN statuses st USING (team) LEFT JOIN sprints sp USING (team)
            GROUP BY i.team ORDER BY i.team
        """,
        tests=(*not_null("dim_team", "team"), unique("dim_team", "team")),
    ),
)
