"""One issue at a time: the Investigator's facts, timeline and history, and the lists that
lead to an issue."""

from __future__ import annotations

import duckdb
import polars as pl

from warehouse.metrics.filters import NO_FILTERS, Filters, frame, issue_id


def issue_snapshot(con: duckdb.DuckDBPyConnection, issue_key: str) -> dict | None:
    """Issue snapshot: one issue's lifecycle facts (state and stage, cycle start, done_at,
    cycle and lead time, age, blocked hours, reopen count, resolution and outcome, whether it
    is a sub-task, an epic, a flow item), as the other metrics define them."""
    cur = con.execute(
        "SELECT issue_key, team, project_key, issue_type, priority, summary, assignee, created_at, current_status, "
        "current_raw_status, first_in_progress_at, done_at, cycle_time_hours, lead_time_hours, age_hours, "
        "blocked_hours, reopen_count, resolution, outcome, is_subtask, is_epic, is_flow_item, "
        "(SELECT max_by(stage, period_index) FROM fct_status_periods p WHERE p.issue_id = $id) AS stage "
        "FROM fct_issue_lifecycle l WHERE issue_id = $id",
        {"id": issue_id(con, issue_key)},
    )
    rows = cur.fetchall()
    return dict(zip([d[0] for d in cur.description], rows[0])) if rows else None


def issue_timeline(con: duckdb.DuckDBPyConnection, issue_key: str) -> pl.DataFrame:
    """Issue timeline: the issue's periods in time order - when it entered each raw status,
    from which, its canonical state, the hours spent there (to as_of for the current one),
    and whether the move was a reopen or a backward move."""
    return frame(
        con,
        """
        SELECT p.period_index, p.entered_at, lag(p.raw_status) OVER (ORDER BY p.period_index) AS from_status,
               p.raw_status AS to_status, p.canonical_status, p.hours, p.is_reopen, p.is_backward,
               m.is_drifted, m.mapped_by
        FROM fct_status_periods p
        LEFT JOIN stg_status_map m ON m.team = p.team AND m.raw_status = p.raw_status
             AND m.status_id IS NOT DISTINCT FROM p.raw_status_id
        WHERE p.issue_id = $id ORDER BY p.period_index""",
        {"id": issue_id(con, issue_key)},
    )


def issue_time_in_status(con: duckdb.DuckDBPyConnection, issue_key: str) -> pl.DataFrame:
    """Issue time in status: the hours the issue has spent in each canonical state, from
    creation to as_of."""
    return frame(
        con,
        """
        SELECT p.canonical_status, sum(p.hours) AS hours
        FROM fct_status_periods p WHERE p.issue_id = $id GROUP BY 1 ORDER BY hours DESC""",
        {"id": issue_id(con, issue_key)},
    )


def issue_blockers(con: duckdb.DuckDBPyConnection, issue_key: str) -> pl.DataFrame:
    """Issue blockers: the issue's blocker windows with reason, duration (open ones to
    as_of), and whether they were logged late (over 24 h after they started)."""
    return frame(
        con,
        """
        SELECT b.reason, b.blocked_start, b.blocked_end, b.logged_at, b.is_open, b.is_late_logged, b.is_valid,
               (epoch(coalesce(b.blocked_end, m.as_of)) - epoch(b.blocked_start)) / 3600.0 AS hours
        FROM stg_blockers b, meta m WHERE b.issue_id = $id ORDER BY b.blocked_start""",
        {"id": issue_id(con, issue_key)},
    )


def issue_sprints(con: duckdb.DuckDBPyConnection, issue_key: str) -> pl.DataFrame:
    """Issue sprint history: each sprint the issue was in, when it joined and left, whether
    it joined after the sprint started (a mid-sprint addition) or was removed before it
    ended."""
    return frame(
        con,
        """
        SELECT s.sprint_name, s.start_at, s.end_at, s.state, x.added_at, x.removed_at,
               x.added_at > s.start_at AS added_mid_sprint,
               x.removed_at IS NOT NULL AND x.removed_at < s.end_at AS removed
        FROM stg_issue_sprint x JOIN stg_sprints s USING (sprint_id)
        WHERE x.issue_id = $id ORDER BY s.start_at""",
        {"id": issue_id(con, issue_key)},
    )


def issue_relations(con: duckdb.DuckDBPyConnection, issue_key: str) -> pl.DataFrame:
    """Issue relations: the issue's parent (an epic, or the story of a sub-task) and its
    children, each with its key, type, state and outcome; a parent not in the warehouse is
    listed by key with no state."""
    return frame(
        con,
        """
        WITH me AS (SELECT issue_id, parent_issue_id, parent_key FROM fct_issue_lifecycle WHERE issue_id = $id)
        SELECT 'parent' AS relation, coalesce(p.issue_key, me.parent_key) AS issue_key, p.issue_type,
               p.current_status, p.outcome, p.summary
        FROM me LEFT JOIN fct_issue_lifecycle p ON p.issue_id = me.parent_issue_id
        WHERE me.parent_issue_id IS NOT NULL OR me.parent_key IS NOT NULL
        UNION ALL
        SELECT CASE WHEN c.is_subtask THEN 'sub-task' ELSE 'child' END, c.issue_key, c.issue_type,
               c.current_status, c.outcome, c.summary
        FROM fct_issue_lifecycle c JOIN me ON c.parent_issue_id = me.issue_id
        ORDER BY relation DESC, issue_key""",
        {"id": issue_id(con, issue_key)},
    )


def recent_issues(con: duckdb.DuckDBPyConnection, filters: Filters = NO_FILTERS, limit: int = 20) -> pl.DataFrame:
    """Recently touched issues: the issues whose status changed most recently before as_of."""
    cond, params = filters.where()
    return frame(
        con,
        f"""
        SELECT issue_key, team, canonical_status AS current_status, last_status_change_at AS touched_at, summary
        FROM fct_wip_current WHERE {cond}
        ORDER BY touched_at DESC, issue_key LIMIT {int(limit)}""",
        params,
    )
