from warehouse.engine.checks import DataTest
from warehouse.engine.registry import Model

MODELS = (
    Model(
        name="meta_counts",
        depends_on=("raw_issues", "raw_transitions", "raw_sprints", "raw_issue_sprint", "raw_blockers", "meta"),
        description="Row counts of the raw tables, for the summary and the data-quality view.",
        build="""
            SELECT 'raw_issues' AS table_name, count(*) AS row_count FROM raw_issues
            UNION ALL SELECT 'raw_transitions', count(*) FROM raw_transitions
            UNION ALL SELECT 'raw_sprints', count(*) FROM raw_sprints
            UNION ALL SELECT 'raw_issue_sprint', count(*) FROM raw_issue_sprint
            UNION ALL SELECT 'raw_blockers', count(*) FROM raw_blockers
        """,
        tests=(
            DataTest("single_row(meta)", "SELECT count(*) AS rows FROM meta HAVING count(*) <> 1"),
            DataTest("as_of_set(meta)", "SELECT * FROM meta WHERE as_of IS NULL"),
        ),
    ),
)
