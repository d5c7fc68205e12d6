"""SQL shared by several models that is not a flow rule (those are in `warehouse.semantics.rules`)."""

from warehouse.semantics.workflow import Workflow, parse_workflow

# The grid of days charts and daily facts use: first created day up to the as_of day - but
# never more than a year past the last event, so a far-off as_of cannot stretch it.
DAY_GRID = """
    SELECT CAST(d AS DATE) AS day
    FROM range(
        (SELECT CAST(min(created_at) AS DATE) FROM stg_issues),
        least(CAST((SELECT as_of FROM meta) AS DATE),
              CAST((SELECT greatest(max(created_at), (SELECT max(changed_at) FROM raw_transitions))
                    FROM stg_issues) AS DATE) + 366) + 1,
        INTERVAL 1 DAY
    ) t(d)
"""

# Each issue's (team, project, issue type) as a group number g: tens of millions of periods
# carry g, not three names, through a join and a sum, and the names join the few sums (the
# daily state counts of 10M issues: 25 s -> 10 s).
ISSUE_GROUPS = """
    groups AS (
        SELECT team, project_key, issue_type, row_number() OVER () AS g
        FROM (SELECT DISTINCT team, project_key, issue_type FROM stg_issues)
    ),
    issue_group AS (
        SELECT i.issue_id, g.g FROM stg_issues i JOIN groups g ON g.team IS NOT DISTINCT FROM i.team
             AND g.project_key IS NOT DISTINCT FROM i.project_key
             AND g.issue_type IS NOT DISTINCT FROM i.issue_type
    )"""


def stored_workflow(con) -> Workflow:
    """The workflow rules the warehouse was built with (meta.workflow), else the defaults."""
    stored = con.execute("SELECT workflow FROM meta").fetchall()[0][0]
    return parse_workflow(stored, "stored in meta") if stored else Workflow()


def board_columns(con) -> list[tuple[str, list[str]]]:
    """The imported board configuration's columns in order, each with its status ids (the
    board with the lowest id when several were imported; empty when none was)."""
    return [
        (name, ids)
        for _, name, ids in con.execute(
            """
            SELECT column_index, any_value(column_name), list(status_id ORDER BY status_id)
            FROM raw_board_columns WHERE board_id = (SELECT min(board_id) FROM raw_board_columns)
            GROUP BY column_index ORDER BY column_index"""
        ).fetchall()
    ]


def literal(text: str) -> str:
    """A SQL string literal (for values from the user's own workflow file in view definitions)."""
    return "'" + text.replace("'", "''") + "'"
