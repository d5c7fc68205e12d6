from warehouse.engine.checks import expect, not_null, unique
from warehouse.engine.registry import AS_OF, Model
from warehouse.semantics.rules import hours

MODELS = (
    Model(
        name="fct_blocked_intervals",
        depends_on=("int_lifecycle", "stg_blockers", "fct_status_periods", "stg_issues", "meta"),
        description=(
            "Blocked time as disjoint intervals per issue: the union of blocker windows and "
            "blocked-status periods, clipped to [cycle start, done_at or as_of]; open windows "
            "end at done_at or as_of. Overlaps are merged, never double-counted. The issue's team, "
            "project, type and is_flow_item come along, for filtering without a join."
        ),
        build=f"""
            WITH bounds AS (
                SELECT issue_id, first_in_progress_at AS lo, coalesce(done_at, {AS_OF}) AS hi
                FROM int_lifecycle WHERE first_in_progress_at IS NOT NULL
            ),
            windows AS (
                SELECT issue_id, blocked_start AS s, coalesce(blocked_end, {AS_OF}) AS e, 'blocker' AS source,
                       blocker_id AS source_id
                FROM stg_blockers WHERE is_valid
                UNION ALL
                SELECT issue_id, entered_at, coalesce(exited_at, {AS_OF}), 'status', period_index
                FROM fct_status_periods WHERE canonical_status = 'blocked'
            ),
            clipped AS (
                SELECT w.issue_id, greatest(w.s, b.lo) AS s, least(w.e, b.hi) AS e, w.source, w.source_id
                FROM windows w JOIN bounds b USING (issue_id)
                WHERE least(w.e, b.hi) > greatest(w.s, b.lo)
            ),
            marked AS (
                SELECT *, CASE WHEN s <= max(e) OVER (PARTITION BY issue_id ORDER BY s, e, source, source_id
                                   ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)
                          THEN 0 ELSE 1 END AS starts_island
                FROM clipped
            ),
            islands AS (
                -- the same total order as above: with ties, two passes could disagree
                SELECT *, sum(starts_island) OVER (PARTITION BY issue_id ORDER BY s, e, source, source_id
                                                   ROWS UNBOUNDED PRECEDING) AS island
                FROM marked
            )
            SELECT x.*, i.team, i.project_key, i.issue_type, i.is_flow_item
            FROM (
                SELECT issue_id, CAST(island AS INTEGER) AS interval_index, min(s) AS blocked_from,
                       max(e) AS blocked_until, {hours("max(e)", "min(s)")} AS hours,
                       string_agg(DISTINCT source, '+' ORDER BY source) AS sources
                FROM islands GROUP BY issue_id, island
            ) x JOIN stg_issues i USING (issue_id)
        """,
        # in order of start: the blocks started in a window are in its row groups
        order_by="blocked_from, issue_id, interval_index",
        tests=(
            *not_null("fct_blocked_intervals", "issue_id", "blocked_from", "blocked_until"),
            unique("fct_blocked_intervals", "issue_id", "interval_index"),
            expect("fct_blocked_intervals", "positive_length", "hours > 0"),
        ),
    ),
)
