"""Data quality: what in the raw data needed interpreting, per issue and per status name."""

from __future__ import annotations

import duckdb

from warehouse.metrics.filters import issue_id as find_id
from warehouse.semantics.rules import LATE_LOG_HOURS


def issue_data_quality(con: duckdb.DuckDBPyConnection, issue_key: str) -> list[str]:
    """Issue data quality: what in this issue's raw data needed interpreting - drifted or
    unmapped status names, done without ever being active, a missing assignee or estimate,
    blocker windows logged late or ending before they start, transitions dropped as exact
    duplicates, and what the source noted (an incomplete Jira changelog)."""
    # a constant issue id lets DuckDB push the filter into the de-duplicating staging view
    issue_id = find_id(con, issue_key)
    if issue_id is None:
        return []
    facts = con.execute(
        """
        SELECT l.data_quality, l.assignee IS NULL, i.estimate_points IS NULL, l.done_without_in_progress,
               l.late_logged_blockers,
               (SELECT count(*) FROM raw_transitions WHERE issue_id = $id)
                 - (SELECT count(*) FROM stg_transitions WHERE issue_id = $id),
               (SELECT count(*) FROM stg_blockers WHERE issue_id = $id AND NOT is_valid)
        FROM fct_issue_lifecycle l JOIN stg_issues i USING (issue_id) WHERE l.issue_id = $id""",
        {"id": issue_id},
    ).fetchall()
    source_note, no_assignee, no_estimate, skipped_progress, late, duplicates, inverted = facts[0]
    names = con.execute(
        """
        SELECT DISTINCT m.raw_status, m.clean_status, m.canonical_status, m.is_drifted
        FROM fct_status_periods p
        JOIN stg_status_map m ON m.team = p.team AND m.raw_status = p.raw_status
             AND m.status_id IS NOT DISTINCT FROM p.raw_status_id
        WHERE p.issue_id = $id AND (m.is_drifted OR m.canonical_status = 'unknown') ORDER BY 1""",
        {"id": issue_id},
    ).fetchall()
    notes = [
        f"status name {raw!r} is unmapped: counted as unknown, not as work"
        if state == "unknown"
        else f"status name {raw!r} drifted; read as {clean!r} ({state.replace('_', ' ')})"
        for raw, clean, state, _ in names
    ]
    notes += [
        text
        for flag, text in (
            (source_note, source_note),
            (skipped_progress, "done without ever being in an active state: it has a lead time but no cycle time"),
            (no_assignee, "no assignee"),
            (no_estimate, "no estimate"),
            (late, f"{late} blocker window(s) logged more than {LATE_LOG_HOURS} h after they started"),
            (inverted, f"{inverted} blocker window(s) end before they start: ignored"),
            (duplicates, f"{duplicates} transition row(s) were exact duplicates: counted once"),
        )
        if flag
    ]
    return notes


def unmapped_statuses(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str, int]]:
    """Unmapped statuses: (team, raw status name, issues that were ever in it) for every
    status nothing maps - no workflow-file entry, no Jira category, no default name, no
    keyword - most used first. Time in them counts as neither work nor waiting."""
    return con.execute("""
        SELECT m.team, m.raw_status, count(DISTINCT p.issue_id) AS issues
        FROM stg_status_map m
        LEFT JOIN fct_status_periods p ON p.team = m.team AND p.raw_status = m.raw_status
             AND p.raw_status_id IS NOT DISTINCT FROM m.status_id
        WHERE m.canonical_status = 'unknown'
        GROUP BY 1, 2 ORDER BY issues DESC, 1, 2""").fetchall()


def rejected_rows(con: duckdb.DuckDBPyConnection) -> int:
    """Rejected rows: source rows or records the import rejected as bad (each listed, with
    why, in meta.skipped_detail); nothing else about them is counted anywhere."""
    return con.execute("SELECT coalesce(skipped_rows, 0) FROM meta").fetchall()[0][0]
