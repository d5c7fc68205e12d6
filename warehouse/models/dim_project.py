from warehouse.engine.checks import not_null, unique
from warehouse.engine.registry import Model

MODELS = (
    Model(
        name="dim_project",
        depends_on=("stg_issues",),
        description="Projects: issue counts, the teams working in them, first and last issue created.",
        build="""
            SELECT project_key, count(*) AS issues,
                   string_agg(DISTINCT team, ', ' ORDER BY team) AS teams,
                   min(created_at) AS first_created_at, max(created_at) AS last_created_at
            FROM stg_issues GROUP BY project_key ORDER BY project_key
        """,
        tests=(*not_null("dim_project", "project_key"), unique("dim_project", "project_key")),
    ),
)
