from warehouse.engine.checks import expect, not_null, relationships, unique
from warehouse.engine.registry import Model
from warehouse.semantics.rules import LATE_LOG_HOURS

MODELS = (
    Model(
        name="stg_blockers",
        depends_on=("raw_blockers", "stg_issues"),
        description=(
            "Blocker windows. blocked_end NULL means still open; is_late_logged when logged more "
            f"than {LATE_LOG_HOURS} h after it started; windows ending before they start are kept "
            "but marked invalid and ignored by blocked time. The issue's team, project, type and "
            "is_flow_item come along (NULL for an issue not in raw_issues), for filtering without a join."
        ),
        build=f"""
            SELECT b.blocker_id, b.issue_id, coalesce(nullif(trim(b.reason), ''), 'Unspecified') AS reason,
                   b.blocked_start, b.blocked_end, b.logged_at,
                   b.blocked_end IS NULL AS is_open,
                   coalesce(b.logged_at > b.blocked_start + INTERVAL {LATE_LOG_HOURS} HOUR, false) AS is_late_logged,
                   b.blocked_end IS NULL OR b.blocked_end >= b.blocked_start AS is_valid,
                   i.team, i.project_key, i.issue_type, i.is_flow_item
            FROM raw_blockers b LEFT JOIN stg_issues i USING (issue_id)
        """,
        # in order of start: the windows started in a period are in its row groups
        order_by="blocked_start, blocker_id",
        tests=(
            *not_null("stg_blockers", "blocker_id", "issue_id", "blocked_start"),
            unique("stg_blockers", "blocker_id"),
            relationships("raw_blockers", "issue_id", "raw_issues", "issue_id"),
            expect("stg_blockers", "window_not_inverted", "is_valid", severity="warn"),
        ),
    ),
)
