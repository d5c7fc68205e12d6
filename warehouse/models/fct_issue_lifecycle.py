from warehouse.engine.checks import accepted_values, expect, not_null, unique
from warehouse.engine.registry import AS_OF, Model, SortedInParts
from warehouse.semantics.rules import ACTIVE, STATES, hours

MODELS = (
    Model(
        name="fct_issue_lifecycle",
        depends_on=("stg_issues", "int_lifecycle", "fct_blocked_intervals", "stg_blockers", "meta"),
        description=(
            "One row per issue: cycle start (first_in_progress_at = first entry into an active "
            "state), done_at (last entry into done, only if currently done), cycle and lead time "
            "in hours, blocked hours (union of blocked windows inside the cycle), reopen count, "
            "current state and age. outcome: delivered or discarded (a discarding resolution such "
            "as Won't Do or Duplicate) once done, NULL before; delivered_at = done_at of delivered "
            "items. is_flow_item: a standard issue (sub-tasks and epics only when the workflow "
            "file includes them) - the items throughput, WIP, cycle time and triage count."
        ),
        build=SortedInParts(
            lambda part: (
                f"""
            WITH blocked AS (
                SELECT issue_id, sum(hours) AS blocked_hours FROM fct_blocked_intervals GROUP BY issue_id
            ),
            blockers AS (
                SELECT issue_id, count(*) AS blocker_count,
                       count(*) FILTER (WHERE is_late_logged) AS late_logged_blockers
                FROM stg_blockers GROUP BY issue_id
            )
            SELECT i.issue_id, i.issue_key, i.project_key, i.team, i.issue_type, i.priority,
                   i.assignee, i.reporter, i.estimate_points, i.summary,
                   i.created_at, i.resolved_at, l.first_in_progress_at, l.first_done_at, l.done_at,
                   i.resolution,
                   CASE WHEN l.done_at IS NULL THEN NULL WHEN i.is_discard_resolution THEN 'discarded'
                        ELSE 'delivered' END AS outcome,
                   CASE WHEN NOT i.is_discard_resolution THEN l.done_at END AS delivered_at,
                   i.is_subtask, i.is_epic, i.is_flow_item, i.parent_issue_id, i.parent_key, i.data_quality,
                   {hours("l.done_at", "l.first_in_progress_at")} AS cycle_time_hours,
                   {hours("l.done_at", "i.created_at")} AS lead_time_hours,
                   coalesce(b.blocked_hours, 0) AS blocked_hours,
                   l.reopen_count, l.current_status, l.current_raw_status, l.last_status_change_at,
                   l.transition_count,
                   l.current_status = 'done' AS is_done,
                   l.current_status IN {ACTIVE} AS is_active,
                   CASE WHEN l.current_status IN {ACTIVE}
                        THEN {hours(AS_OF, "l.first_in_progress_at")} END AS age_hours,
                   l.done_at IS NOT NULL AND l.first_in_progress_at IS NULL AS done_without_in_progress,
                   l.has_unknown_status,
                   coalesce(k.blocker_count, 0) AS blocker_count,
                   coalesce(k.late_logged_blockers, 0) AS late_logged_blockers
            FROM stg_issues i
            JOIN (SELECT * FROM int_lifecycle WHERE {part}) l USING (issue_id)
            LEFT JOIN blocked b USING (issue_id)
            LEFT JOIN blockers k USING (issue_id)
        """
            ),
            source="int_lifecycle",
            key=("done_at", "issue_id"),
        ),
        # Deliveries in done order: a window of them reads its own row groups only.
        order_by="done_at NULLS LAST, issue_id",
        indexes=("issue_id",),
        tests=(
            *not_null("fct_issue_lifecycle", "issue_id", "issue_key", "team", "current_status", "blocked_hours"),
            unique("fct_issue_lifecycle", "issue_id"),
            accepted_values("fct_issue_lifecycle", "current_status", STATES),
            expect("fct_issue_lifecycle", "cycle_time_non_negative", "cycle_time_hours >= 0"),
            expect("fct_issue_lifecycle", "lead_time_non_negative", "lead_time_hours >= 0", severity="warn"),
            expect(
                "fct_issue_lifecycle",
                "blocked_within_cycle",
                "blocked_hours <= coalesce(cycle_time_hours, age_hours, blocked_hours) + 1e-6",
            ),
            expect("fct_issue_lifecycle", "done_has_done_at", "current_status <> 'done' OR done_at IS NOT NULL"),
            expect("fct_issue_lifecycle", "done_at_not_after_as_of", f"done_at <= {AS_OF}"),
            expect("fct_issue_lifecycle", "reopen_count_non_negative", "reopen_count >= 0"),
            accepted_values("fct_issue_lifecycle", "outcome", ("delivered", "discarded")),
            expect("fct_issue_lifecycle", "outcome_once_done", "(outcome IS NULL) = (done_at IS NULL)"),
            expect("fct_issue_lifecycle", "changelog_complete", "data_quality IS NULL", severity="warn"),
        ),
    ),
)
