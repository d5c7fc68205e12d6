"""Tiny hand-built raw tables -> a built warehouse, for tests with hand-worked answers.

Rows are written as the raw contract's text (timestamps as ISO strings, offsets allowed),
so tests read like the export they stand for.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import polars as pl

from warehouse.engine.build import build_models, run_tests
from warehouse.engine.db import connect
from warehouse.sources.contract import (
    RAW_TABLES,
    content_columns,
    insert_frame,
    write_meta,
)


@dataclass
class EventLog:
    as_of: str = "2025-10-31T00:00:00Z"
    issues: list[dict] = field(default_factory=list)
    transitions: list[tuple] = field(default_factory=list)  # (issue_id, from, to, at)
    blockers: list[tuple] = field(default_factory=list)  # (issue_id, start, end, logged_at[, reason])
    sprints: list[tuple] = field(default_factory=list)  # (sprint_id, team, start, end)
    memberships: list[tuple] = field(default_factory=list)  # (issue_id, sprint_id, added, removed)
    workflow: str | None = None

    def issue(self, issue_id: int, created_at: str, team: str = "AEGIR", **extra) -> EventLog:
        row = {
            "issue_id": issue_id,
            "issue_key": f"VAL-{issue_id}",
            "project_key": "VALHALLA",
            "team": team,
            "issue_type": "Story",
            "priority": "P2",
            "created_at": created_at,
            "resolved_at": None,
            "assignee": "astrid.holm",
            "reporter": "bjorn.eriksen",
            "estimate_points": 3,
            "summary": "x",
        }
        row.update(extra)
        self.issues.append(row)
        return self

    def move(self, issue_id: int, from_status: str | None, to_status: str, at: str) -> EventLog:
        self.transitions.append((issue_id, from_status, to_status, at))
        return self

    def path(self, issue_id: int, *steps: tuple[str, str], start: str = "To Do") -> EventLog:
        """Consecutive moves: path(1, ("In Progress", t1), ("Done", t2)) from To Do."""
        previous = start
        for status, at in steps:
            self.move(issue_id, previous, status, at)
            previous = status
        return self

    def frames(self) -> dict[str, pl.DataFrame]:
        def frame(table: str, rows: list[dict]) -> pl.DataFrame:
            cols = content_columns(table)
            return pl.DataFrame(
                {c: [r.get(c) for r in rows] for c in cols},
                schema={
                    c: (pl.Int64 if t in ("BIGINT", "INTEGER") else pl.String)
                    for c, t in RAW_TABLES[table]
                    if c in cols
                },
            )

        return {
            "raw_issues": frame("raw_issues", self.issues),
            "raw_transitions": frame(
                "raw_transitions",
                [
                    {
                        "transition_id": i,
                        "issue_id": t[0],
                        "from_status": t[1],
                        "to_status": t[2],
                        "changed_at": t[3],
                        "actor": "astrid.holm",
                    }
                    for i, t in enumerate(self.transitions, 1)
                ],
            ),
            "raw_sprints": frame(
                "raw_sprints",
                [
                    {
                        "sprint_id": s[0],
                        "team": s[1],
                        "sprint_name": f"S{s[0]}",
                        "start_at": s[2],
                        "end_at": s[3],
                        "goal": None,
                    }
                    for s in self.sprints
                ],
            ),
            "raw_issue_sprint": frame(
                "raw_issue_sprint",
                [
                    {"id": i, "issue_id": m[0], "sprint_id": m[1], "added_at": m[2], "removed_at": m[3]}
                    for i, m in enumerate(self.memberships, 1)
                ],
            ),
            "raw_blockers": frame(
                "raw_blockers",
                [
                    {
                        "blocker_id": i,
                        "issue_id": b[0],
                        "blocked_start": b[1],
                        "blocked_end": b[2],
                        "logged_at": b[3],
                        "reason": b[4] if len(b) > 4 else "Waiting on dependency",
                    }
                    for i, b in enumerate(self.blockers, 1)
                ],
            ),
        }

    def build(self, path=None):
        """Build the warehouse (in memory unless a path is given); returns (connection, test results)."""
        con = connect(path)
        for table, df in self.frames().items():
            insert_frame(con, table, df)
        write_meta(
            con, source="test", as_of=datetime.fromisoformat(self.as_of.replace("Z", "+00:00")), workflow=self.workflow
        )
        build_models(con)
        return con, run_tests(con)


def failures(results, severity: str = "error") -> list[str]:
    return [r.test.name for r in results if not r.passed and r.test.severity == severity]


def one(con, sql: str, *params):
    cur = con.execute(sql, list(params))
    cols = [d[0] for d in cur.description]
    rows = cur.fetchall()
    assert len(rows) == 1, rows
    return dict(zip(cols, rows[0]))


def rows(con, sql: str, *params) -> list[tuple]:
    return con.execute(sql, list(params)).fetchall()
