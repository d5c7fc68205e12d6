from warehouse.engine.checks import accepted_values, expect, not_null, unique
from warehouse.engine.registry import AS_OF, Model
from warehouse.semantics.rules import ACTIVE, blocker_open_at, hours

OPERATIONAL_STATES = ("todo", "in_progress", "blocked", "done", "unknown")

MODELS = (
    Model(
        name="fct_wip_current",
        depends_on=("fct_issue_lifecycle", "fct_status_periods", "stg_blockers", "meta"),
        description=(
            "Every issue's state at as_of. operational_state: done; blocked when in the blocked "
            "status or active with a blocker window open at as_of; in_progress for in_progress and "
            "review; todo; unknown for a status nothing maps. age_hours = as_of - cycle start for "
            "active issues. For active issues, stage and stage_index of the current status, and "
            "in_stage_since: when the issue last moved into that stage from another (or none)."
        ),
        build=f"""
            WITH open_blockers AS (
                SELECT DISTINCT issue_id FROM stg_blockers
                WHERE {blocker_open_at(AS_OF)}
            ),
            periods AS (
                SELECT issue_id, period_index, entered_at, stage, stage_index,
                       -- a stage is entered when the issue moves into it from another (or none)
                       lag(stage_index) OVER (PARTITION BY issue_id ORDER BY period_index) AS before
                FROM fct_status_periods
                SEMI JOIN (SELECT issue_id FROM fct_issue_lifecycle WHERE current_status IN {ACTIVE}) USING (issue_id)
            ),
            stage_now AS (
                SELECT issue_id, arg_max(stage, period_index) AS stage,
                       arg_max(stage_index, period_index) AS stage_index
                FROM periods GROUP BY issue_id
            ),
            since AS (
                SELECT p.issue_id, max(p.entered_at) AS in_stage_since
                FROM periods p JOIN stage_now n USING (issue_id)
                WHERE p.stage_index IS NOT DISTINCT FROM n.stage_index AND p.before IS DISTINCT FROM p.stage_index
                GROUP BY p.issue_id
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
                   l.blocked_hours, l.reopen_count, n.stage, n.stage_index, s.in_stage_since
            FROM fct_issue_lifecycle l LEFT JOIN open_blockers o USING (issue_id)
            LEFT JOIN stage_now n USING (issue_id) LEFT JOIN since s USING (issue_id)
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
