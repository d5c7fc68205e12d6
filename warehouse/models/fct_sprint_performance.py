from warehouse.engine.checks import expect, not_null, unique
from warehouse.engine.registry import AS_OF, Model
from warehouse.semantics.rules import enters_done, holds_at, within

MODELS = (
    Model(
        name="fct_sprint_performance",
        depends_on=("stg_sprints", "stg_issue_sprint", "fct_status_periods", "meta"),
        description=(
            "Per sprint: committed = issues that are members at sprint start; added = joins after "
            "the start; removed = departures before the end (an issue taken out and put back is one "
            "of each); completed = issues that entered done inside the sprint window (up to as_of) "
            "while a member; spillover = issues that are members at the end and not done then (NULL "
            "until the sprint has ended); say_do = completed / committed."
        ),
        build=f"""
            WITH m AS (
                SELECT s.sprint_id, s.start_at, s.end_at, least(s.end_at, {AS_OF}) AS horizon,
                       x.issue_id, x.added_at, x.removed_at
                FROM stg_sprints s JOIN stg_issue_sprint x USING (sprint_id)
            ),
            done_entries AS (
                SELECT issue_id, entered_at FROM fct_status_periods
                WHERE {enters_done()}
            ),
            completed AS (
                SELECT DISTINCT m.sprint_id, m.issue_id
                FROM m JOIN done_entries d ON d.issue_id = m.issue_id
                WHERE {within("d.entered_at", "m.start_at", "m.horizon")}
                  AND {holds_at("m.added_at", "m.removed_at", "d.entered_at")}
            ),
            -- done at the end: a done period holds then (an issue is in one period at a time, so
            -- no other state does); only done periods are joined, a fifth of them all. DISTINCT:
            -- an issue added to a sprint twice is done at its end once.
            done_at_end AS (
                SELECT DISTINCT m.sprint_id, m.issue_id
                FROM m JOIN fct_status_periods p ON p.issue_id = m.issue_id
                WHERE p.canonical_status = 'done' AND m.end_at <= {AS_OF}
                  AND {holds_at("p.entered_at", "p.exited_at", "m.end_at")}
            ),
            flags AS (
                SELECT m.sprint_id, m.issue_id,
                       {holds_at("m.added_at", "m.removed_at", "m.start_at")} AS committed,
                       m.added_at > m.start_at AND m.added_at < m.end_at AS added,
                       m.removed_at > m.start_at AND m.removed_at < m.end_at AS removed,
                       c.issue_id IS NOT NULL AS completed,
                       CASE WHEN m.end_at <= {AS_OF} THEN
                           m.added_at < m.end_at AND (m.removed_at IS NULL OR m.removed_at >= m.end_at)
                           AND e.issue_id IS NULL END AS spilled
                FROM m
                LEFT JOIN completed c USING (sprint_id, issue_id)
                LEFT JOIN done_at_end e USING (sprint_id, issue_id)
            ),
            -- committed, completed and spillover count issues (a flag is on every membership row of
            -- an issue put back into the sprint); added and removed count the moves themselves
            agg AS (
                SELECT sprint_id,
                       count(DISTINCT issue_id) FILTER (WHERE committed) AS committed,
                       count(*) FILTER (WHERE added) AS added,
                       count(*) FILTER (WHERE removed) AS removed,
                       count(DISTINCT issue_id) FILTER (WHERE completed) AS completed,
                       count(DISTINCT issue_id) FILTER (WHERE spilled) AS spillover
                FROM flags GROUP BY sprint_id
            )
            SELECT s.sprint_id, s.team, s.sprint_name, s.start_at, s.end_at, s.state,
                   coalesce(a.committed, 0) AS committed, coalesce(a.added, 0) AS added,
                   coalesce(a.removed, 0) AS removed, coalesce(a.completed, 0) AS completed,
                   CASE WHEN s.end_at <= {AS_OF} THEN coalesce(a.spillover, 0) END AS spillover,
                   coalesce(a.completed, 0) / nullif(a.committed, 0) AS say_do
            FROM stg_sprints s LEFT JOIN agg a USING (sprint_id)
            ORDER BY s.team, s.start_at
        """,
        tests=(
            *not_null("fct_sprint_performance", "sprint_id", "committed", "added", "removed", "completed"),
            unique("fct_sprint_performance", "sprint_id"),
            expect("fct_sprint_performance", "completed_within_scope", "completed <= committed + added"),
            expect("fct_sprint_performance", "say_do_non_negative", "say_do >= 0"),
        ),
    ),
)
