"""SQL fragments shared by several models, so each idea is written once."""

from warehouse.statusmap import ACTIVE_STATES, CANONICAL_STATES, UNKNOWN, Workflow, parse_workflow

ACTIVE = "(" + ", ".join(f"'{s}'" for s in ACTIVE_STATES) + ")"
STATES = CANONICAL_STATES + (UNKNOWN,)


def hours(later: str, earlier: str) -> str:
    return f"(epoch({later}) - epoch({earlier})) / 3600.0"


# Forward order of the flow; blocked and unknown are off the axis (neither forward nor back).
STATE_RANK = "CASE {col} WHEN 'todo' THEN 0 WHEN 'in_progress' THEN 1 WHEN 'review' THEN 2 WHEN 'done' THEN 3 END"

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


def stored_workflow(con) -> Workflow:
    """The workflow rules the warehouse was built with (meta.workflow), else the defaults."""
    stored = con.execute("SELECT workflow FROM meta").fetchall()[0][0]
    return parse_workflow(stored, "stored in meta") if stored else Workflow()


def literal(text: str) -> str:
    """A SQL string literal (for values from the user's own workflow file in view definitions)."""
    return "'" + text.replace("'", "''") + "'"
