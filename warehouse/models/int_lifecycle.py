from warehouse.engine.checks import unique
from warehouse.engine.registry import Model
from warehouse.semantics.rules import ACTIVE, enters_done

MODELS = (
    Model(
        name="int_lifecycle",
        depends_on=("fct_status_periods",),
        description=(
            "Per issue: cycle start (first entry into an active state), done_at (last entry into "
            "done, only while the issue is still done), reopen count and current state."
        ),
        build=f"""
            WITH agg AS (
                SELECT issue_id,
                       min(entered_at) FILTER (WHERE canonical_status IN {ACTIVE}) AS first_in_progress_at,
                       min(entered_at) FILTER (WHERE {enters_done()}) AS first_done_at,
                       max(entered_at) FILTER (WHERE {enters_done()}) AS last_done_entry_at,
                       count(*) FILTER (WHERE is_reopen) AS reopen_count,
                       arg_max(canonical_status, period_index) AS current_status,
                       arg_max_null(raw_status, period_index) AS current_raw_status,
                       max(period_index) AS transition_count,
                       max(entered_at) FILTER (WHERE period_index > 0) AS last_status_change_at,
                       bool_or(canonical_status = 'unknown') AS has_unknown_status
                FROM fct_status_periods
                GROUP BY issue_id
            )
            SELECT * EXCLUDE (last_done_entry_at),
                   CASE WHEN current_status = 'done' THEN last_done_entry_at END AS done_at
            FROM agg
        """,
        tests=(unique("int_lifecycle", "issue_id"),),
    ),
)
