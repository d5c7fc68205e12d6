from warehouse.engine.checks import accepted_values, expect, not_null, stored_in_order
from warehouse.engine.registry import AS_OF, ByIssue, Model
from warehouse.semantics.rules import STATE_RANK, STATES, hours

MODELS = (
    Model(
        name="fct_status_periods",
        depends_on=("stg_issues", "stg_transitions", "stg_status_map", "meta"),
        description=(
            "Each issue's timeline as consecutive periods in one status. Period 0 runs from "
            "created_at in the first transition's from-status (todo when there is none); each "
            "transition, in (changed_at, transition_id) order, opens the next. exited_at NULL = "
            "current; hours are clipped at as_of. is_reopen marks a move out of done (not an admin "
            "workflow migration); is_backward a move back along todo < in_progress < review < done. "
            "stage is the status's stage (dim_stage), NULL for a status no stage lists. "
            "is_flow_item is the issue's (periods of sub-tasks and epics are kept for the Investigator)."
        ),
        # The creation row (is_creation) sorts first in its issue, and reads the first
        # transition's from-status with lead().
        build=ByIssue(
            lambda issues: (
                f"""
            WITH first_todo AS (
                SELECT stage, stage_index FROM stg_status_map
                WHERE canonical_status = 'todo' AND stage IS NOT NULL ORDER BY stage_index LIMIT 1
            ),
            rows AS (
                SELECT issue_id, team, is_flow_item, true AS is_creation, CAST(NULL AS BIGINT) AS transition_id,
                       CAST(NULL AS VARCHAR) AS from_status, CAST(NULL AS VARCHAR) AS from_canonical_status,
                       CAST(NULL AS VARCHAR) AS to_status, CAST(NULL AS VARCHAR) AS from_status_id,
                       CAST(NULL AS VARCHAR) AS to_status_id,
                       CAST(NULL AS VARCHAR) AS canonical_status, created_at AS entered_at, false AS is_migration,
                       CAST(NULL AS VARCHAR) AS stage, CAST(NULL AS INTEGER) AS stage_index,
                       CAST(NULL AS VARCHAR) AS from_stage, CAST(NULL AS INTEGER) AS from_stage_index
                FROM stg_issues WHERE {issues}
                UNION ALL
                SELECT issue_id, team, is_flow_item, false, transition_id, from_status, from_canonical_status,
                       to_status, from_status_id, to_status_id, canonical_status, changed_at, is_migration,
                       stage, stage_index, from_stage, from_stage_index
                FROM stg_transitions WHERE {issues}
            ),
            -- One sort in period order, then windows over the sorted stream (DuckDB streams
            -- OVER () in input order): a window PARTITION BY issue_id followed by the table's
            -- ORDER BY sorted these wide rows twice (1M issues: 7.6 s against 4.0 s).
            -- Every issue has its creation row first, so a row's predecessor is always its
            -- issue's, and its successor is when next_issue says so.
            stream AS (
                SELECT *,
                       row_number() OVER () AS rn,
                       lead(issue_id) OVER () AS next_issue,
                       lead(from_status) OVER () AS next_from_status,
                       lead(from_status_id) OVER () AS next_from_status_id,
                       lead(from_canonical_status) OVER () AS next_from_canonical_status,
                       lead(from_stage) OVER () AS next_from_stage,
                       lead(from_stage_index) OVER () AS next_from_stage_index,
                       lead(entered_at) OVER () AS next_entered_at,
                       lag(canonical_status) OVER () AS prior_canonical_status
                FROM (SELECT * FROM rows ORDER BY issue_id, is_creation DESC, entered_at, transition_id)
            ),
            periods AS (
                SELECT issue_id, team, is_flow_item,
                       CAST(rn - max(CASE WHEN is_creation THEN rn END) OVER (ROWS UNBOUNDED PRECEDING) AS INTEGER)
                           AS period_index,
                       transition_id, is_migration,
                       CASE WHEN NOT is_creation THEN to_status WHEN has_next THEN next_from_status END AS raw_status,
                       CASE WHEN NOT is_creation THEN to_status_id WHEN has_next THEN next_from_status_id END
                           AS raw_status_id,
                       CASE WHEN NOT is_creation THEN canonical_status
                            WHEN has_next THEN coalesce(next_from_canonical_status, 'todo') ELSE 'todo' END
                           AS canonical_status,
                       -- an issue with no transition is in the first stage that holds to-do work
                       CASE WHEN NOT is_creation THEN stage
                            WHEN NOT has_next OR next_from_status IS NULL THEN (SELECT stage FROM first_todo)
                            ELSE next_from_stage END AS stage,
                       CASE WHEN NOT is_creation THEN stage_index
                            WHEN NOT has_next OR next_from_status IS NULL THEN (SELECT stage_index FROM first_todo)
                            ELSE next_from_stage_index END AS stage_index,
                       CASE WHEN NOT is_creation
                            THEN coalesce(prior_canonical_status, from_canonical_status, 'todo') END
                           AS previous_status,
                       entered_at,
                       CASE WHEN has_next THEN next_entered_at END AS exited_at
                FROM (SELECT *, coalesce(next_issue = issue_id, false) AS has_next FROM stream)
            )
            SELECT *,
                   greatest(0, {hours(f"coalesce(exited_at, {AS_OF})", "entered_at")}) AS hours,
                   coalesce(previous_status = 'done' AND canonical_status NOT IN ('done', 'unknown')
                            AND NOT is_migration,
                            false) AS is_reopen,
                   coalesce(previous_status <> 'done'
                            AND {STATE_RANK.format(col="canonical_status")}
                                < {STATE_RANK.format(col="previous_status")},
                            false) AS is_backward
            FROM periods
        """
            ),
            in_order=True,
        ),
        # In issue order: one issue's periods (the Investigator) are in one row group, found by
        # its min/max; no question of a period's time reads them all (the marts answer those).
        order_by="issue_id, period_index",
        tests=(
            *not_null("fct_status_periods", "issue_id", "canonical_status", "entered_at", "hours"),
            stored_in_order("fct_status_periods", "issue_id", "period_index"),
            accepted_values("fct_status_periods", "canonical_status", STATES),
            expect("fct_status_periods", "hours_non_negative", "hours >= 0"),
            # the stream's windows count on the sort: a row read out of order breaks this
            expect("fct_status_periods", "period_0_is_creation", "(period_index = 0) = (transition_id IS NULL)"),
            expect("fct_status_periods", "no_event_after_as_of", f"entered_at <= {AS_OF} OR period_index = 0"),
        ),
    ),
)
