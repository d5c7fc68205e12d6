from warehouse.engine.checks import expect, not_null, unique
from warehouse.engine.registry import AS_OF, Model

MODELS = (
    Model(
        name="dim_milestone",
        depends_on=("fct_issue_lifecycle", "dim_project", "meta"),
        description=(
            "Monthly milestones per project (calendar months, UTC, up to as_of): issues created "
            "and done in the month, and issues created by its end that were not done at its end."
        ),
        # open_at_end = created so far - done so far, as running sums over months.
        build=f"""
            WITH months AS (
                SELECT CAST(m AS TIMESTAMPTZ) AS month_start, CAST(m + INTERVAL 1 MONTH AS TIMESTAMPTZ) AS month_end
                FROM range(date_trunc('month', (SELECT min(created_at) FROM fct_issue_lifecycle)),
                           {AS_OF}, INTERVAL 1 MONTH) t(m)
            ),
            created AS (
                SELECT project_key, date_trunc('month', created_at) AS month_start, count(*) AS n
                FROM fct_issue_lifecycle GROUP BY ALL
            ),
            done AS (
                SELECT project_key, date_trunc('month', done_at) AS month_start, count(*) AS n
                FROM fct_issue_lifecycle WHERE done_at IS NOT NULL GROUP BY ALL
            ),
            grid AS (
                SELECT p.project_key, m.month_start, m.month_end,
                       coalesce(c.n, 0) AS issues_created, coalesce(d.n, 0) AS issues_done
                FROM dim_project p CROSS JOIN months m
                LEFT JOIN created c ON c.project_key = p.project_key AND c.month_start = m.month_start
                LEFT JOIN done d ON d.project_key = p.project_key AND d.month_start = m.month_start
            )
            SELECT project_key || '-' || strftime(month_start, '%Y-%m') AS milestone_key,
                   project_key, month_start, month_end, issues_created, issues_done,
                   CAST(sum(issues_created - issues_done) OVER (PARTITION BY project_key ORDER BY month_start)
                        AS BIGINT) AS open_at_end
            FROM grid ORDER BY project_key, month_start
        """,
        tests=(
            *not_null("dim_milestone", "milestone_key", "project_key", "month_start"),
            unique("dim_milestone", "milestone_key"),
            expect("dim_milestone", "counts_non_negative", "open_at_end >= 0"),
        ),
    ),
)
