from warehouse.engine.checks import expect, not_null, relationships, unique
from warehouse.engine.registry import Model
from warehouse.semantics.rules import LATE_LOG_HOURS

MODELS = (
    Model(
        name="stg_blockers",
        depends_on=("raw_blockers",),
        description=(
            "Blocker windows. blocked_end NULL means still open; is_late_logged when logged more "
            f"than {LATE_LOG_HOURS} h after it started; windows ending before they start are kept "
            "but marked invalid and ignored by blocked time."
        ),
        materialized="view",
        build=f"""
            SELECT blocker_id, issue_id, coalesce(nullif(trim(reason), ''), 'Unspecified') AS reason,
                   blocked_start, blocked_end, logged_at,
                   blocked_end IS NULL AS is_open,
                   coalesce(logged_at > blocked_start + INTERVAL {LATE_LOG_HOURS} HOUR, false) AS is_late_logged,
                   blocked_end IS NULL OR blocked_end >= blocked_start AS is_valid
            FROM raw_blockers
        """,
        tests=(
            *not_null("stg_blockers", "blocker_id", "issue_id", "blocked_start"),
            unique("stg_blockers", "blocker_id"),
            relationships("raw_blockers", "issue_id", "raw_issues", "issue_id"),
            expect("stg_blockers", "window_not_inverted", "is_valid", severity="warn"),
        ),
    ),
)
