from warehouse.engine.checks import accepted_values, expect, not_null, unique
from warehouse.engine.registry import AS_OF, Model
from warehouse.semantics.rules import blocker_open_at, hours

OPERATIONAL_STATES = ("todo", "in_progress", "blocked", "done", "unknown")

MODELS = (
    Model(
        name="fct_wip_current",
        depends_on=("fct_issue_lifecycle", "stg_blockers", "meta"),
        description=(
            "Every issue's state at as_of. operational_state: done; blocked when in the blocked "
            "status or active with a blocker window open at as_of; in_progress for in_progress and "
            "review; todo; unknown for a status nothing maps. age_hours = as_of - cycle start for "
            "active issues."
        ),
        build=f"""
            WITH open_blockers AS (
                SELECT DISTINCT issue_id FROM stg_blockers
                WHERE {blocker_open_at(AS_OF)}
            )
            SELECT l.issue_id, l.issue_key, l.team, l.project_key, l.issue_type, l.priority, l.assignee, l.is_flow_item,
                   l.summary,
                   l.current_status AS canonical_status, l.current_raw_status AS raw_status,
                   coalesce(l.last_status_change_at, l.created_at) AS last_status_change_at,
                   CASE WHEN l.current_status = 'done' THEN 'done'
                        WHEN l.current_status = 'blocked' THEN 'blocked'
                        WHEN l.current_status IN ('in_progress', 'review')
                             THEN CASE WHEN o.issue_id IS NOT NULL THEN 'blocked' ELSE 'in_progress' END
                        WHEN l.current_status = 'todo' THEN 'todo'
                        ELSE 'unknown' END AS operational_state,
                   l.first_in_progress_at, l.age_hours,
                   {hours(AS_OF, "coalesce(l.last_status_change_at, l.created_at)")} AS time_in_current_status_hours,
                   l.blocked_hours, l.reopen_count
            FROM fct_issue_lifecycle l LEFT JOIN open_blockers o USING (issue_id)
        """,
        # By state, then by last change: the active states' rows, and the most recently
        # touched issues, lie in a few row groups.
        order_by="canonical_status, last_status_change_at, issue_id",
        tests=(
            *not_null("fct_wip_current", "issue_id", "operational_state", "time_in_current_status_hours"),
            unique("fct_wip_current", "issue_id"),
            accepted_values("fct_wip_current", "operational_state", OPERATIONAL_STATES),
            expect("fct_wip_current", "age_non_negative", "age_hours >= 0"),
        ),
    ),
)
