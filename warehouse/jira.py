"""Jira REST output -> the raw contract, set-based in DuckDB's JSON functions.

A source is a search page (`{"issues": [...]}` from /search with expand=changelog), a single
issue (/issue/{key}?expand=changelog), a newline-delimited file of issues, the status list
(/rest/api/2/status, for status categories), an agile board configuration, or a directory of
these. Python only lists and classifies files; every issue, history and item is handled in SQL.

Mapping:
- issues by their numeric id (a Key change, an issue moved between projects, stays one issue);
  team = `team_field` (components, labels or a custom field) else the project key;
- transitions from changelog `status` items, ordered by time then history id, whatever order
  Jira returned them in; an issue with no status change gets its current status at creation;
- blocker windows from the Flagged field (set = a value, cleared = empty; a flag never cleared
  stays open, so it runs to done or as_of);
- sprints from the Sprint field's current value (Cloud objects or legacy greenhopper strings)
  and membership from its changelog (ids in from/to); a sprint present only from the start
  counts from the issue's creation;
- status categories (new / indeterminate / done) from the status list and every issue's
  current status, stored in `jira_status_categories` for the status map.
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import duckdb

from warehouse.errors import HeimdallError
from warehouse.raw import insert_raw, latest_event, write_meta

SUFFIXES = (".json", ".ndjson", ".jsonl")
LEGACY_SPRINT = r"com\.atlassian\.greenhopper"


def find_files(sources: list[Path]) -> list[Path]:
    files = []
    for source in map(Path, sources):
        if source.is_dir():
            files.extend(sorted(p for p in source.rglob("*") if p.suffix.lower() in SUFFIXES and p.is_file()))
        elif source.is_file():
            files.append(source)
        else:
            raise HeimdallError(f"{source} does not exist")
    if not files:
        raise HeimdallError(f"no Jira JSON files in {', '.join(map(str, sources))}")
    return files


def is_jira_source(sources: list[Path]) -> bool:
    """A folder of raw_*.csv/parquet is the raw contract; anything else is read as Jira JSON."""
    return not (len(sources) == 1 and Path(sources[0]).is_dir()
                and any((Path(sources[0]) / f"raw_issues{ext}").exists() for ext in (".csv", ".parquet")))


def _list(paths: list[Path]) -> str:
    return "[" + ", ".join("'" + str(p).replace("'", "''") + "'" for p in paths) + "]"


def _read_documents(con: duckdb.DuckDBPyConnection, files: list[Path]) -> None:
    reader = "read_json_objects({files}, filename = true, format = 'auto', maximum_object_size = 1073741824)"
    try:
        con.execute(f"CREATE TEMP TABLE j_docs AS SELECT json AS doc, filename FROM {reader.format(files=_list(files))}")
    except duckdb.Error:
        for f in files:  # name the file that broke it
            try:
                con.execute(f"SELECT count(*) FROM {reader.format(files=_list([f]))}").fetchall()
            except duckdb.Error as exc:
                raise HeimdallError(f"{f}: not valid JSON ({str(exc).splitlines()[0][:120]})") from None
        raise
    stray = con.execute("""
        SELECT filename FROM j_docs
        WHERE NOT coalesce(json_type(doc->'issues') = 'ARRAY'
                           OR (doc->>'key' IS NOT NULL AND json_type(doc->'fields') = 'OBJECT')
                           OR json_type(doc->'statusCategory') = 'OBJECT'
                           OR json_type(doc->'columnConfig') = 'OBJECT', false)
        LIMIT 1""").fetchall()
    if stray:
        raise HeimdallError(f"{stray[0][0]}: not a Jira response (expected an issue, a search page, "
                            f"the status list or a board configuration)")


def _team(field: str | None) -> str:
    project = "j->'fields'->'project'->>'key'"
    if field in (None, "project"):
        return project
    if field == "components":
        return f"coalesce(j->'fields'->'components'->0->>'name', {project})"
    if field == "labels":
        return f"coalesce(j->'fields'->'labels'->>0, {project})"
    safe = field.replace("'", "")
    return f"coalesce(j->'fields'->'{safe}'->>'value', j->'fields'->>'{safe}', {project})"


def load_jira(sources: list[Path], *, team_field: str | None = None, points_field: str | None = None,
              as_of: datetime | None = None, workflow: str | None = None):
    """Validate the files up front and return a loader for `warehouse.pipeline.materialise`."""
    files = find_files(sources)
    if as_of is not None and as_of.tzinfo is None:
        as_of = as_of.replace(tzinfo=timezone.utc)

    def load(con: duckdb.DuckDBPyConnection) -> None:
        _read_documents(con, files)
        con.execute("""
            CREATE TEMP TABLE j_issues AS
            SELECT j FROM (
                SELECT doc AS j, filename FROM j_docs WHERE doc->>'key' IS NOT NULL AND json_type(doc->'fields') = 'OBJECT'
                UNION ALL
                SELECT unnest(from_json(doc->'issues', '["JSON"]')) AS j, filename FROM j_docs
                WHERE json_type(doc->'issues') = 'ARRAY'
            )
            -- the same issue on two pages: keep one
            QUALIFY row_number() OVER (PARTITION BY j->>'id' ORDER BY filename DESC) = 1
        """)
        if not con.execute("SELECT count(*) FROM j_issues").fetchall()[0][0]:
            raise HeimdallError(f"no Jira issues in {', '.join(map(str, sources))}")
        con.execute("""CREATE TEMP TABLE j_status_list AS
                       SELECT doc->>'name' AS status_name, doc->'statusCategory'->>'key' AS category
                       FROM j_docs WHERE json_type(doc->'statusCategory') = 'OBJECT'""")
        con.execute("DROP TABLE j_docs")  # the raw pages are the largest thing held: free them early
        points = (f"try_cast(try_cast(j->'fields'->>'{points_field.replace(chr(39), '')}' AS DOUBLE) AS INTEGER)"
                  if points_field else "CAST(NULL AS INTEGER)")
        con.execute(f"""
            CREATE TEMP TABLE j_raw_issues AS
            SELECT try_cast(j->>'id' AS BIGINT) AS issue_id, j->>'key' AS issue_key,
                   j->'fields'->'project'->>'key' AS project_key, {_team(team_field)} AS team,
                   j->'fields'->'issuetype'->>'name' AS issue_type, j->'fields'->'priority'->>'name' AS priority,
                   j->'fields'->>'created' AS created_at, j->'fields'->>'resolutiondate' AS resolved_at,
                   j->'fields'->'assignee'->>'displayName' AS assignee,
                   j->'fields'->'reporter'->>'displayName' AS reporter, {points} AS estimate_points,
                   j->'fields'->>'summary' AS summary,
                   j->'fields'->'status'->>'name' AS current_status,
                   j->'fields'->'status'->'statusCategory'->>'key' AS current_category
            FROM j_issues
        """)
        con.execute("""
            CREATE TEMP TABLE j_items AS
            SELECT i.issue_id, try_cast(h.h->>'id' AS BIGINT) AS history_id,
                   CAST(h.h->>'created' AS TIMESTAMPTZ) AS changed_at, h.h->'author'->>'displayName' AS actor,
                   it.idx, lower(coalesce(it.item->>'field', '')) AS field, it.item->>'fieldId' AS field_id,
                   it.item->>'from' AS from_value, it.item->>'fromString' AS from_string,
                   it.item->>'to' AS to_value, it.item->>'toString' AS to_string
            FROM (SELECT try_cast(j->>'id' AS BIGINT) AS issue_id, j FROM j_issues) i,
                 unnest(from_json(i.j->'changelog'->'histories', '["JSON"]')) AS h(h),
                 unnest(from_json(h.h->'items', '["JSON"]')) WITH ORDINALITY AS it(item, idx)
        """)
        # transitions: every status item, plus the current status at creation when there is none
        con.execute("""
            CREATE TEMP TABLE j_transitions AS
            SELECT history_id * 100 + idx AS transition_id, issue_id, from_string AS from_status,
                   to_string AS to_status, changed_at, actor
            FROM j_items WHERE field = 'status' OR field_id = 'status'
            UNION ALL
            SELECT -issue_id, issue_id, NULL, current_status, CAST(created_at AS TIMESTAMPTZ), reporter
            FROM j_raw_issues i
            WHERE current_status IS NOT NULL AND NOT EXISTS (
                SELECT 1 FROM j_items t WHERE t.issue_id = i.issue_id AND (t.field = 'status' OR t.field_id = 'status'))
        """)
        # Flagged: a window from each set to the next clear (open when never cleared)
        con.execute("""
            CREATE TEMP TABLE j_blockers AS
            WITH flags AS (
                SELECT issue_id, changed_at, history_id, coalesce(to_string, '') <> '' AS is_set,
                       coalesce(to_string, '') AS reason
                FROM j_items WHERE field = 'flagged'
            ),
            windows AS (
                SELECT *, min(CASE WHEN NOT is_set THEN changed_at END) OVER (
                           PARTITION BY issue_id ORDER BY changed_at, history_id
                           ROWS BETWEEN 1 FOLLOWING AND UNBOUNDED FOLLOWING) AS cleared_at,
                       lag(is_set) OVER (PARTITION BY issue_id ORDER BY changed_at, history_id) AS was_set
                FROM flags
            )
            SELECT row_number() OVER (ORDER BY issue_id, changed_at) AS blocker_id, issue_id,
                   'Flagged: ' || reason AS reason, changed_at AS blocked_start, cleared_at AS blocked_end,
                   changed_at AS logged_at
            FROM windows WHERE is_set AND NOT coalesce(was_set, false)
        """)
        _sprints(con)
        con.execute("DROP TABLE j_issues")
        _categories(con)
        for table, relation in (("raw_issues", "j_raw_issues"), ("raw_transitions", "j_transitions"),
                                ("raw_sprints", "j_sprints"), ("raw_issue_sprint", "j_issue_sprint"),
                                ("raw_blockers", "j_blockers")):
            insert_raw(con, table, relation)
        write_meta(con, source="jira", as_of=as_of or latest_event(con), workflow=workflow)

    return load


def _sprints(con: duckdb.DuckDBPyConnection) -> None:
    """Sprints from the Sprint field's current values; membership from its changelog."""
    field = con.execute("SELECT any_value(field_id) FROM j_items WHERE field = 'sprint'").fetchall()[0][0]
    field = (field or "customfield_10020").replace("'", "")
    con.execute(f"""
        CREATE TEMP TABLE j_sprint_values AS
        SELECT i.issue_id, i.team, CAST(i.created_at AS TIMESTAMPTZ) AS created_at, s.v
        FROM (SELECT try_cast(j->>'id' AS BIGINT) AS issue_id, j->'fields'->'{field}' AS sprints FROM j_issues) f
        JOIN j_raw_issues i USING (issue_id),
             unnest(from_json(coalesce(f.sprints, '[]'), '["JSON"]')) AS s(v)
    """)
    con.execute("""
        CREATE TEMP TABLE j_sprint_objects AS
        SELECT issue_id, team, created_at,
               coalesce(try_cast(v->>'id' AS BIGINT), try_cast(regexp_extract(v->>'$', 'id=(\\d+)', 1) AS BIGINT)) AS sprint_id,
               coalesce(v->>'name', nullif(regexp_extract(v->>'$', 'name=([^,\\]]*)', 1), '')) AS sprint_name,
               coalesce(v->>'startDate', nullif(regexp_extract(v->>'$', 'startDate=([^,\\]]*)', 1), '<null>')) AS start_at,
               coalesce(v->>'endDate', nullif(regexp_extract(v->>'$', 'endDate=([^,\\]]*)', 1), '<null>')) AS end_at,
               coalesce(v->>'goal', nullif(regexp_extract(v->>'$', 'goal=([^,\\]]*)', 1), '<null>')) AS goal
        FROM j_sprint_values
    """)
    con.execute("""
        CREATE TEMP TABLE j_sprints AS
        SELECT sprint_id, mode(team) AS team, any_value(sprint_name) AS sprint_name,
               any_value(start_at) AS start_at, any_value(end_at) AS end_at, any_value(goal) AS goal
        FROM j_sprint_objects
        WHERE sprint_id IS NOT NULL AND try_cast(start_at AS TIMESTAMPTZ) IS NOT NULL
          AND try_cast(end_at AS TIMESTAMPTZ) IS NOT NULL
        GROUP BY sprint_id
    """)
    con.execute("""
        CREATE TEMP TABLE j_issue_sprint AS
        WITH moves AS (
            SELECT issue_id, changed_at, history_id,
                   list_filter(string_split(replace(coalesce(from_value, ''), ' ', ''), ','), lambda x: x <> '') AS before,
                   list_filter(string_split(replace(coalesce(to_value, ''), ' ', ''), ','), lambda x: x <> '') AS after
            FROM j_items WHERE field = 'sprint'
        ),
        events AS (
            SELECT issue_id, changed_at, history_id, CAST(s AS BIGINT) AS sprint_id, true AS added
            FROM moves, unnest(list_filter(after, lambda x: NOT list_contains(before, x))) AS t(s)
            UNION ALL
            SELECT issue_id, changed_at, history_id, CAST(s AS BIGINT), false
            FROM moves, unnest(list_filter(before, lambda x: NOT list_contains(after, x))) AS t(s)
            UNION ALL  -- in a sprint from creation: no changelog item added it
            SELECT o.issue_id, o.created_at, -1, o.sprint_id, true FROM j_sprint_objects o
            WHERE NOT EXISTS (SELECT 1 FROM moves m WHERE m.issue_id = o.issue_id
                              AND list_contains(m.after, CAST(o.sprint_id AS VARCHAR)))
        ),
        spans AS (
            SELECT *, min(CASE WHEN NOT added THEN changed_at END) OVER (
                       PARTITION BY issue_id, sprint_id ORDER BY changed_at, history_id
                       ROWS BETWEEN 1 FOLLOWING AND UNBOUNDED FOLLOWING) AS removed_at
            FROM events
        )
        SELECT row_number() OVER (ORDER BY issue_id, sprint_id, changed_at) AS id, issue_id, sprint_id,
               changed_at AS added_at, removed_at
        FROM spans WHERE added AND sprint_id IN (SELECT sprint_id FROM j_sprints)
    """)


def _categories(con: duckdb.DuckDBPyConnection) -> None:
    """Status categories from the status list and every issue's current status."""
    con.execute("""
        CREATE TABLE jira_status_categories AS
        SELECT status_name, any_value(category) AS category FROM (
            SELECT status_name, category FROM j_status_list
            UNION ALL
            SELECT current_status, current_category FROM j_raw_issues
        ) WHERE status_name IS NOT NULL AND category IN ('new', 'indeterminate', 'done')
        GROUP BY status_name
    """)
