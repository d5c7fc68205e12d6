"""Jira REST output -> the raw contract, set-based in DuckDB's JSON functions.

A file holds search pages (`{"issues": [...]}` from /search or /search/jql with
expand=changelog), single issues (/issue/{key}?expand=changelog), newline-delimited issues,
the status list (/rest/api/2/status) or an agile board configuration; a folder holds any of
these. Python only lists files; every issue, history and item is handled in SQL.

Mapping:
- issues by their numeric id (a Key change, an issue moved between projects, stays one issue);
  the same issue in several files keeps the copy with the latest `fields.updated`; ids of
  several Jira sites in one warehouse are qualified by the site of their `self` URL;
- team = `team_field` (components, labels or a custom field) else the project key;
- resolution, the hierarchy (issuetype.subtask / hierarchyLevel: -1 sub-task, 0 standard,
  1 epic) and the parent;
- transitions from changelog `status` items with their status ids, ordered by time then
  history id, whatever order Jira returned them in; one in the same history as a `Workflow`
  change is an admin scheme migration. An issue with no status change gets its current status
  at creation. When the changelog is incomplete (`changelog.total` above the histories
  present) or ends in another status than `fields.status`, the current status is taken from
  `fields.status` and the issue carries a data-quality note;
- status ids -> Jira's status categories from every status object in the files (the status
  list, `fields.status`, parents, sub-tasks, linked issues) into `raw_statuses`;
- blocker windows from the Flagged field (set = a value, cleared = empty; a flag never cleared
  stays open, so it runs to done or as_of);
- sprints from the Sprint field's current value (Cloud objects or legacy greenhopper strings)
  and membership from its changelog (ids in from/to); a sprint present only from the start
  counts from the issue's creation.

With an explicit as_of, what happened after it is left out (and counted in the notes).
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import duckdb

from warehouse.errors import HeimdallError
from warehouse.sources import Options
from warehouse.sources.contract import (
    EARLIEST,
    TOLERANCE,
    Loader,
    check_as_of,
    insert_raw,
    latest_event,
    latest_plausible,
    write_meta,
)

SUFFIXES = (".json", ".ndjson", ".jsonl")
# A site's ids are shifted by this much times its number when several sites share a warehouse.
SITE_STRIDE = 10**12


class BadRecords(HeimdallError):
    """Issue records that cannot be read; `rows` are dicts with file, record, key, reason."""

    def __init__(self, rows: list[dict]):
        self.rows = rows
        super().__init__(
            f"{len(rows)} Jira record(s) cannot be read; nothing was changed "
            f"(fix them, or pass --skip-bad-rows to load the rest and list them in meta)"
        )


def describe_record(row: dict) -> str:
    """`file: record N (KEY): reason` - records count from 1 within their file."""
    return f"{row['file']}: record {row['record']}" + (f" ({row['key']})" if row["key"] else "") + f": {row['reason']}"


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


def _list(paths: list[Path]) -> str:
    return "[" + ", ".join("'" + str(p).replace("'", "''") + "'" for p in paths) + "]"


# The largest document read: a Jira response is a few MB (a search page of 100 issues with
# their changelogs, or one issue with its full history). DuckDB reserves a buffer of twice
# this per reading thread, so 1 GB here made a build under a 3 GB memory limit fail on 2 threads.
MAX_DOCUMENT_BYTES = 128 * 2**20
READER = f"read_json_objects({{files}}, filename = true, format = 'auto', maximum_object_size = {MAX_DOCUMENT_BYTES})"
# DuckDB's JSON functions parse a whole vector (2,048 rows) at once: 1,000 search pages of 100
# issues would be 1.5 GB of parse trees. Documents are therefore parsed in batches of about this size.
BATCH_BYTES = 8 * 2**20
# What a document is, first match wins; a page's n is its issue count, anything else's 1.
KIND = """CASE WHEN json_type(doc, '$.issues') = 'ARRAY' THEN 'page'
                WHEN json_type(doc, '$.fields') = 'OBJECT' THEN 'issue'
                WHEN json_type(doc, '$.statusCategory') = 'OBJECT' THEN 'status'
                WHEN json_type(doc, '$.columnConfig') = 'OBJECT' THEN 'board' END"""


def _read_documents(con: duckdb.DuckDBPyConnection, files: list[Path]) -> None:
    """Every document into j_docs with the batch it is parsed in, and what it is into j_kinds."""
    try:
        con.execute(f"""CREATE TEMP TABLE j_docs AS
                        SELECT *, sum(strlen(doc)) OVER (ORDER BY ordinal) // {BATCH_BYTES} AS batch
                        FROM (SELECT json AS doc, filename, row_number() OVER () AS ordinal
                              FROM {READER.format(files=_list(files))})""")
    except duckdb.Error:
        _name_unreadable(files)
        raise
    con.execute("CREATE TEMP TABLE j_kinds (ordinal BIGINT, filename VARCHAR, kind VARCHAR, n BIGINT)")
    _by_batch(
        con,
        f"""INSERT INTO j_kinds
            SELECT ordinal, filename, kind, CASE WHEN kind = 'page' THEN json_array_length(doc, '$.issues') ELSE 1 END
            FROM (SELECT ordinal, filename, doc, {KIND} AS kind FROM j_docs WHERE batch = $batch)""",
    )
    stray = con.execute("SELECT filename FROM j_kinds WHERE kind IS NULL ORDER BY ordinal LIMIT 1").fetchall()
    if stray:
        raise HeimdallError(
            f"{stray[0][0]}: not a Jira response (expected an issue, a search page, "
            f"the status list or a board configuration)"
        )


def _by_batch(con: duckdb.DuckDBPyConnection, sql: str) -> None:
    """Run `sql` once per batch of j_docs (bound as $batch)."""
    for (batch,) in con.execute("SELECT DISTINCT batch FROM j_docs ORDER BY batch").fetchall():
        con.execute(sql, {"batch": batch})


def _name_unreadable(files: list[Path]) -> None:
    """Find the file that broke the read, on a fresh connection: the build's transaction
    is aborted and would blame every file."""
    with duckdb.connect() as probe:
        for f in files:
            try:
                probe.execute(f"SELECT count(*) FROM {READER.format(files=_list([f]))}").fetchall()
            except duckdb.Error as exc:
                raise HeimdallError(f"{f}: not valid JSON ({str(exc).splitlines()[0][:120]})") from None


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


def _site(url: str) -> str:
    return f"coalesce(lower(regexp_extract({url}, '^[a-zA-Z]+://([^/]+)', 1)), '')"


def _issue_id(site_no: str, raw_id: str) -> str:
    return f"({site_no} * {SITE_STRIDE} + try_cast({raw_id} AS BIGINT))"


class JiraFiles:
    name = "jira"

    def recognises(self, paths: list[Path]) -> bool:
        return True  # the catch-all: anything that is not the raw contract is read as Jira JSON

    def loader(self, paths: list[Path], options: Options) -> Loader:
        """Validate the files up front and return a loader for `warehouse.engine.pipeline.materialise`."""
        files = find_files(paths)
        as_of = options.as_of
        if as_of is not None and as_of.tzinfo is None:
            as_of = as_of.replace(tzinfo=UTC)

        def load(con: duckdb.DuckDBPyConnection) -> None:
            _read_documents(con, files)
            notes = _records(con, options.skip_bad_rows, paths)
            skipped = notes.pop("skipped")
            _sites(con)
            _statuses(con)
            _board_columns(con)
            # the raw pages are the largest thing held: free them early
            con.execute("DROP TABLE j_docs; DROP TABLE j_kinds")
            _issues(con, options)
            _items(con)
            _transitions(con)
            _blockers(con)
            _sprints(con)
            con.execute("DROP TABLE j_issues")
            notes["incomplete"] = con.execute("SELECT count(data_quality) FROM j_raw_issues").fetchall()[0][0]
            notes["after_as_of"] = _cut(con, as_of) if as_of is not None else 0
            for table, relation in (
                ("raw_issues", "j_raw_issues"),
                ("raw_transitions", "j_transitions"),
                ("raw_sprints", "j_sprints"),
                ("raw_issue_sprint", "j_issue_sprint"),
                ("raw_blockers", "j_blockers"),
                ("raw_statuses", "j_statuses"),
                ("raw_board_columns", "j_board_columns"),
            ):
                insert_raw(con, table, relation)
            write_meta(
                con,
                source="jira",
                as_of=_as_of(con, as_of),
                workflow=options.workflow,
                skipped_rows=skipped,
                notes=_describe(notes),
            )

        return load


SOURCE = JiraFiles()


def _describe(counts: dict[str, int]) -> list[str]:
    text = {
        "duplicates": "{n:,} issue(s) found in several files: the copy with the latest fields.updated was kept",
        "after_as_of": "{n:,} event(s) after --as-of were left out",
        "incomplete": "{n:,} issue(s) with an incomplete changelog: their current status comes from fields.status",
    }
    return [text[k].format(n=n) for k, n in counts.items() if n]


def _records(con: duckdb.DuckDBPyConnection, skip_bad_rows: bool, paths: list[Path]) -> dict:
    """Every issue record with its file and position, checked; the good ones, one per issue
    (the latest `fields.updated` wins), into j_issues. Numbering, checks and the choice
    between copies run on narrow columns: a sort or window over whole issue documents would
    hold them all in memory."""
    con.execute("""
        CREATE TEMP TABLE j_offsets AS
        SELECT ordinal, kind = 'page' AS is_page,
               sum(n) OVER (PARTITION BY filename ORDER BY ordinal) - n AS first_record
        FROM j_kinds WHERE kind IN ('page', 'issue')
    """)
    con.execute("CREATE TEMP TABLE j_records (j JSON, filename VARCHAR, record BIGINT)")
    _by_batch(
        con,
        f"""
        INSERT INTO j_records
        SELECT doc, filename, first_record + 1 FROM j_docs JOIN j_offsets USING (ordinal)
        WHERE NOT is_page AND batch = $batch
        UNION ALL
        SELECT unnest(json_extract(doc, '$.issues[*]')), filename, first_record + {_positions("doc, '$.issues'")}
        FROM j_docs JOIN j_offsets USING (ordinal) WHERE is_page AND batch = $batch
    """,
    )
    con.execute(
        f"""
        CREATE TEMP TABLE j_checks AS
        WITH v AS (
            SELECT filename, record,
                   json_extract_string(j, ['$.id', '$.key', '$.fields.created', '$.fields.updated', '$.self',
                                           '$.fields.project.key']) AS f,
                   json_type(j, '$.key') AS key_type,
                   json_type(j, '$.changelog.histories') AS histories,
                   json_array_length(j, '$.changelog.histories') AS n,
                   json_extract_string(j, '$.changelog.histories[*].created') AS dates,
                   json_type(j, '$.changelog.histories[*].items') AS items
            FROM j_records
        )
        SELECT filename, record, CASE WHEN key_type = 'VARCHAR' THEN f[2] END AS key, f[1] AS raw_id,
               {_site("f[5]")} AS site,
               try_cast(f[4] AS TIMESTAMPTZ) AS updated, nullif(concat_ws('; ',
               CASE WHEN try_cast(f[1] AS BIGINT) IS NULL THEN 'no numeric id' END,
               CASE WHEN key_type IS DISTINCT FROM 'VARCHAR' OR nullif(trim(f[2]), '') IS NULL THEN 'no key'
                    WHEN nullif(trim(f[6]), '') IS NULL AND NOT regexp_matches(f[2], '^.+-[0-9]+$')
                    THEN 'no project (fields.project.key, or a key like ABC-123)' END,
               CASE WHEN try_cast(f[3] AS TIMESTAMPTZ) IS NULL THEN 'fields.created is missing or not a date'
                    WHEN NOT try_cast(f[3] AS TIMESTAMPTZ) BETWEEN $earliest AND $latest
                    THEN 'fields.created ' || f[3] || ' is before 1970 or in the future' END,
               CASE WHEN histories NOT IN ('ARRAY', 'NULL') THEN 'changelog.histories is not a list'
                    WHEN histories = 'ARRAY' AND (
                         len(dates) < n OR len(items) < n
                         OR list_bool_or(list_transform(dates, lambda d: try_cast(d AS TIMESTAMPTZ) IS NULL))
                         OR list_bool_or(list_transform(items, lambda t: t <> 'ARRAY')))
                    THEN 'a changelog history without a date or items'
                    WHEN list_bool_or(list_transform(dates, lambda d: CAST(d AS TIMESTAMPTZ) > $latest))
                    THEN 'a changelog history dated in the future'
                    WHEN list_bool_or(list_transform(dates, lambda d: CAST(d AS TIMESTAMPTZ)
                                                     < try_cast(f[3] AS TIMESTAMPTZ) - $tolerance))
                    THEN 'a changelog history dated before the issue was created' END), '') AS reason
        FROM v
    """,
        {"earliest": EARLIEST, "latest": latest_plausible(), "tolerance": TOLERANCE},
    )
    bad = [
        {"file": f, "record": r, "key": k, "reason": why}
        for f, r, k, why in con.execute(
            "SELECT filename, record, key, reason FROM j_checks WHERE reason IS NOT NULL ORDER BY filename, record"
        ).fetchall()
    ]
    if bad and not skip_bad_rows:
        raise BadRecords(bad)
    con.execute("""
        CREATE TEMP TABLE j_keep AS
        SELECT filename, record, site FROM j_checks WHERE reason IS NULL
        QUALIFY row_number() OVER (PARTITION BY site, raw_id ORDER BY updated DESC NULLS LAST,
                                                                 filename DESC, record DESC) = 1
    """)
    con.execute(
        "CREATE TEMP TABLE j_issues AS SELECT r.j, k.site FROM j_records r JOIN j_keep k USING (filename, record)"
    )
    good, kept = con.execute(
        "SELECT (SELECT count(*) FROM j_checks WHERE reason IS NULL), (SELECT count(*) FROM j_keep)"
    ).fetchall()[0]
    if not kept:
        raise HeimdallError(f"no Jira issues in {', '.join(map(str, paths))}")
    con.execute("DROP TABLE j_records; DROP TABLE j_checks; DROP TABLE j_keep; DROP TABLE j_offsets")
    return {"skipped": bad, "duplicates": good - kept}


def _sites(con: duckdb.DuckDBPyConnection) -> None:
    """Number the Jira sites: 0 for all when there is one, else 1.. in name order."""
    con.execute("""
        CREATE TEMP TABLE j_sites AS
        WITH s AS (SELECT DISTINCT site FROM j_issues)
        SELECT site, CASE WHEN (SELECT count(*) FROM s WHERE site <> '') > 1
                          THEN row_number() OVER (ORDER BY site) ELSE 0 END AS site_no
        FROM s
    """)
    clash = con.execute("""
        SELECT j->>'key', list_sort(list(DISTINCT site)) FROM j_issues
        GROUP BY 1 HAVING count(DISTINCT site) > 1 LIMIT 1""").fetchall()
    if clash:
        key, sites = clash[0]
        raise HeimdallError(
            f"issue key {key} comes from several Jira sites ({', '.join(sites)}); "
            f"import each site into its own warehouse"
        )


def _status_key(site: str, status_id: str) -> str:
    """A status id, qualified by its site when several sites share the warehouse."""
    return (
        f"CASE WHEN ({status_id}) IS NULL THEN NULL "
        f"WHEN (SELECT max(site_no) FROM j_sites) > 0 THEN ({site}) || '/' || ({status_id}) ELSE ({status_id}) END"
    )


def _statuses(con: duckdb.DuckDBPyConnection) -> None:
    """Status id -> name and category from every status object in the files."""
    con.execute(f"""
        CREATE TEMP TABLE j_status_objects AS
        SELECT doc AS s, {_site("doc->>'self'")} AS site, 0 AS rank FROM j_docs JOIN j_kinds USING (ordinal)
        WHERE kind = 'status'
        UNION ALL
        SELECT s, site, 1 FROM (
            SELECT unnest([j->'$.fields.status', j->'$.fields.parent.fields.status']) AS s, site FROM j_issues
            UNION ALL
            SELECT unnest([o->'fields'->'status', o->'inwardIssue'->'fields'->'status',
                           o->'outwardIssue'->'fields'->'status']), site
            FROM j_issues, unnest(from_json(coalesce(j->'fields'->'subtasks', '[]'), '["JSON"]')
                                  || from_json(coalesce(j->'fields'->'issuelinks', '[]'), '["JSON"]')) AS t(o)
        ) WHERE json_type(s) = 'OBJECT'
    """)
    con.execute(f"""
        CREATE TEMP TABLE j_statuses AS
        SELECT {_status_key("site", "s->>'id'")} AS status_id,
               arg_min(s->>'name', rank) AS status_name,
               arg_min(s->'statusCategory'->>'key', rank) FILTER (
                   WHERE s->'statusCategory'->>'key' IN ('new', 'indeterminate', 'done')) AS category
        FROM j_status_objects WHERE s->>'id' IS NOT NULL
        GROUP BY ALL
    """)
    con.execute("DROP TABLE j_status_objects")


def _board_columns(con: duckdb.DuckDBPyConnection) -> None:
    """Each board configuration's columns in order, one row per status id a column holds."""
    con.execute(f"""
        CREATE TEMP TABLE j_board_columns AS
        WITH boards AS (
            SELECT try_cast(doc->>'id' AS BIGINT) AS board_id, {_site("doc->>'self'")} AS site,
                   from_json(coalesce(doc->'columnConfig'->'columns', '[]'), '["JSON"]') AS columns
            FROM j_docs JOIN j_kinds USING (ordinal) WHERE kind = 'board'
        ),
        columns AS (
            SELECT board_id, site, unnest(list_transform(columns, lambda c, i: {{'c': c, 'i': i - 1}})) AS col
            FROM boards
        )
        SELECT row_number() OVER (ORDER BY board_id, col.i, s->>'id') AS id,
               board_id, CAST(col.i AS INTEGER) AS column_index, col.c->>'name' AS column_name,
               {_status_key("site", "s->>'id'")} AS status_id
        FROM columns, unnest(from_json(coalesce(col.c->'statuses', '[]'), '["JSON"]')) AS t(s)
    """)


# What an issue row reads, by JSON path: extracted in one pass over each document.
ISSUE_FIELDS = {
    "raw_id": "$.id",
    "issue_key": "$.key",
    "project_key": "$.fields.project.key",
    "issue_type": "$.fields.issuetype.name",
    "is_subtask": "$.fields.issuetype.subtask",
    "level": "$.fields.issuetype.hierarchyLevel",
    "priority": "$.fields.priority.name",
    "created_at": "$.fields.created",
    "resolved_at": "$.fields.resolutiondate",
    "assignee": "$.fields.assignee.displayName",
    "reporter": "$.fields.reporter.displayName",
    "summary": "$.fields.summary",
    "resolution": "$.fields.resolution.name",
    "parent_id": "$.fields.parent.id",
    "parent_key": "$.fields.parent.key",
    "current_status": "$.fields.status.name",
    "current_status_raw_id": "$.fields.status.id",
    "category_changed": "$.fields.statuscategorychangedate",
    "updated": "$.fields.updated",
    "changelog_total": "$.changelog.total",
}


def _issues(con: duckdb.DuckDBPyConnection, options: Options) -> None:
    field = options.points_field
    points = (
        f"try_cast(try_cast(j->'fields'->>'{field.replace(chr(39), '')}' AS DOUBLE) AS INTEGER)"
        if field
        else "CAST(NULL AS INTEGER)"
    )
    paths = ", ".join(f"'{path}'" for path in ISSUE_FIELDS.values())
    named = ", ".join(f"f[{i}] AS {name}" for i, name in enumerate(ISSUE_FIELDS, start=1))
    con.execute(f"""
        CREATE TEMP TABLE j_raw_issues AS
        WITH v AS (
            SELECT i.site, s.site_no, {_team(options.team_field)} AS team, {points} AS estimate_points,
                   json_array_length(j, '$.changelog.histories') AS changelog_present,
                   json_extract_string(j, [{paths}]) AS f
            FROM j_issues i JOIN j_sites s USING (site)
        ),
        named AS (SELECT * EXCLUDE (f), {named} FROM v)
        SELECT {_issue_id("site_no", "raw_id")} AS issue_id, issue_key, site,
               -- an export of chosen fields may leave the project out: the key names it
               coalesce(project_key, nullif(regexp_extract(issue_key, '^(.+)-[0-9]+$', 1), '')) AS project_key,
               coalesce(team, project_key, nullif(regexp_extract(issue_key, '^(.+)-[0-9]+$', 1), '')) AS team,
               issue_type,
               priority, created_at, resolved_at, assignee, reporter, estimate_points, summary, resolution,
               CASE WHEN try_cast(is_subtask AS BOOLEAN) THEN -1
                    ELSE coalesce(try_cast(level AS INTEGER), CASE WHEN lower(issue_type) = 'epic' THEN 1 ELSE 0 END)
               END AS hierarchy_level,
               {_issue_id("site_no", "parent_id")} AS parent_issue_id, parent_key, current_status,
               {_status_key("site", "current_status_raw_id")} AS current_status_id,
               coalesce(try_cast(category_changed AS TIMESTAMPTZ), try_cast(updated AS TIMESTAMPTZ)) AS status_since,
               try_cast(changelog_total AS BIGINT) AS changelog_total,
               coalesce(changelog_present, 0) AS changelog_present,
               CAST(NULL AS VARCHAR) AS data_quality
        FROM named
    """)


def _positions(items: str) -> str:
    """1..n beside `unnest(items)` in the same SELECT (unnest zips them): WITH ORDINALITY
    would materialise every document it unnests."""
    return f"unnest(range(1, CAST(json_array_length({items}) AS BIGINT) + 1))"


def _items(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(f"""
        CREATE TEMP TABLE j_items AS
        WITH histories AS (
            SELECT issue_id, site, h, json_extract_string(h, ['$.id', '$.created', '$.author.displayName']) AS hf,
                   -- an admin moving issues to another workflow scheme changes status in the same history
                   list_contains(list_transform(json_extract_string(h, '$.items[*].field'), lambda f: lower(f)),
                                 'workflow') AS in_migration
            FROM (SELECT issue_id, site, unnest(json_extract(j, '$.changelog.histories[*]')) AS h
                  FROM (SELECT {_issue_id("s.site_no", "j->>'id'")} AS issue_id, i.site, j
                        FROM j_issues i JOIN j_sites s USING (site)))
        ),
        items AS (
            SELECT issue_id, site, hf, in_migration, {_positions("h, '$.items'")} AS idx,
                   json_extract_string(unnest(json_extract(h, '$.items[*]')),
                                       ['$.field', '$.fieldId', '$.from', '$.fromString', '$.to', '$.toString']) AS f
            FROM histories
        )
        SELECT issue_id, site, try_cast(hf[1] AS BIGINT) AS history_id, CAST(hf[2] AS TIMESTAMPTZ) AS changed_at,
               hf[3] AS actor, idx, lower(coalesce(f[1], '')) AS field, f[2] AS field_id, f[3] AS from_value,
               f[4] AS from_string, f[5] AS to_value, f[6] AS to_string, in_migration
        FROM items
    """)


def _transitions(con: duckdb.DuckDBPyConnection) -> None:
    """Status items; the current status at creation when there is none; the current status
    from fields.status when the changelog does not end there."""
    con.execute(f"""
        CREATE TEMP TABLE j_status_items AS
        SELECT issue_id, changed_at, history_id, idx, from_string AS from_status, to_string AS to_status,
               {_status_key("site", "from_value")} AS from_status_id,
               {_status_key("site", "to_value")} AS to_status_id, actor, in_migration AS is_migration
        FROM j_items WHERE field = 'status' OR field_id = 'status'
    """)
    con.execute("""
        CREATE TEMP TABLE j_ends AS
        SELECT i.issue_id, i.current_status, i.current_status_id, i.reporter, i.created_at, i.status_since,
               l.to_status AS last_status, l.to_status_id AS last_status_id, l.changed_at AS last_at,
               coalesce(i.changelog_total > i.changelog_present, false) AS capped
        FROM j_raw_issues i
        LEFT JOIN (SELECT * FROM j_status_items
                   QUALIFY row_number() OVER (PARTITION BY issue_id ORDER BY changed_at DESC, history_id DESC,
                                                                          idx DESC) = 1) l USING (issue_id)
    """)
    con.execute("""
        CREATE TEMP TABLE j_drift AS
        SELECT *, last_status IS NOT NULL AND i.current_status IS NOT NULL
                  AND CASE WHEN current_status_id IS NOT NULL AND last_status_id IS NOT NULL
                           THEN current_status_id <> last_status_id
                           ELSE current_status <> last_status END AS differs
        FROM j_ends i
    """)
    con.execute("""
        CREATE TEMP TABLE j_transitions AS
        SELECT row_number() OVER (ORDER BY issue_id, changed_at, history_id, idx) AS transition_id, * FROM (
            SELECT issue_id, from_status, to_status, changed_at, actor, from_status_id, to_status_id, is_migration,
                   history_id, idx
            FROM j_status_items
            UNION ALL  -- no status change at all: the current status since creation
            SELECT issue_id, NULL, current_status, CAST(created_at AS TIMESTAMPTZ), reporter, NULL,
                   current_status_id, false, -1, 0
            FROM j_drift WHERE last_status IS NULL AND current_status IS NOT NULL
            UNION ALL  -- the changelog stops short of the current status
            SELECT issue_id, last_status, current_status, greatest(last_at, coalesce(status_since, last_at)), NULL,
                   last_status_id, current_status_id, false, 9223372036854775807, 0
            FROM j_drift WHERE differs
        )
    """)
    con.execute("""
        UPDATE j_raw_issues i SET data_quality = d.note FROM (
            SELECT issue_id, CASE
                WHEN d.differs THEN 'changelog ends in ' || d.last_status || ' but the issue is in '
                                    || d.current_status || ': the current status comes from fields.status'
                ELSE 'changelog incomplete: ' || r.changelog_present || ' of ' || r.changelog_total
                     || ' histories' END AS note
            FROM j_drift d JOIN j_raw_issues r USING (issue_id) WHERE d.differs OR d.capped
        ) d WHERE d.issue_id = i.issue_id
    """)
    con.execute("DROP TABLE j_status_items; DROP TABLE j_ends; DROP TABLE j_drift")


def _blockers(con: duckdb.DuckDBPyConnection) -> None:
    """Flagged: a window from each set to the next clear (open when never cleared)."""
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


def _sprints(con: duckdb.DuckDBPyConnection) -> None:
    """Sprints from the Sprint field's current values; membership from its changelog."""
    field = con.execute("SELECT any_value(field_id) FROM j_items WHERE field = 'sprint'").fetchall()[0][0]
    field = (field or "customfield_10020").replace("'", "")
    con.execute(f"""
        CREATE TEMP TABLE j_sprint_values AS
        SELECT i.issue_id, i.team, s.site_no, CAST(i.created_at AS TIMESTAMPTZ) AS created_at, v.v
        FROM (SELECT j->>'id' AS raw_id, site, j->'fields'->'{field}' AS sprints FROM j_issues) f
        JOIN j_sites s USING (site)
        JOIN j_raw_issues i ON i.issue_id = {_issue_id("s.site_no", "f.raw_id")},
             unnest(from_json(coalesce(f.sprints, '[]'), '["JSON"]')) AS v(v)
    """)
    legacy_id = "coalesce(v->>'id', regexp_extract(v->>'$', 'id=(\\d+)', 1))"
    con.execute(f"""
        CREATE TEMP TABLE j_sprint_objects AS
        SELECT issue_id, team, created_at, {_issue_id("site_no", legacy_id)} AS sprint_id,
               coalesce(v->>'name', nullif(regexp_extract(v->>'$', 'name=([^,\\]]*)', 1), '')) AS sprint_name,
               coalesce(v->>'startDate',
                        nullif(regexp_extract(v->>'$', 'startDate=([^,\\]]*)', 1), '<null>')) AS start_at,
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
    con.execute(f"""
        CREATE TEMP TABLE j_issue_sprint AS
        WITH moves AS (
            SELECT m.issue_id, changed_at, history_id, s.site_no,
                   list_filter(string_split(replace(coalesce(from_value, ''), ' ', ''), ','),
                               lambda x: x <> '') AS before,
                   list_filter(string_split(replace(coalesce(to_value, ''), ' ', ''), ','), lambda x: x <> '') AS after
            FROM j_items m JOIN j_sites s USING (site) WHERE field = 'sprint'
        ),
        events AS (
            SELECT issue_id, changed_at, history_id, {_issue_id("site_no", "s")} AS sprint_id, true AS added
            FROM moves, unnest(list_filter(after, lambda x: NOT list_contains(before, x))) AS t(s)
            UNION ALL
            SELECT issue_id, changed_at, history_id, {_issue_id("site_no", "s")}, false
            FROM moves, unnest(list_filter(before, lambda x: NOT list_contains(after, x))) AS t(s)
            UNION ALL  -- in a sprint from creation: no changelog item added it
            SELECT o.issue_id, o.created_at, -1, o.sprint_id, true FROM j_sprint_objects o
            WHERE NOT EXISTS (SELECT 1 FROM moves m WHERE m.issue_id = o.issue_id
                              AND list_contains(list_transform(m.after, lambda x: {_issue_id("m.site_no", "x")}),
                                                o.sprint_id))
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
    con.execute("DROP TABLE j_sprint_values; DROP TABLE j_sprint_objects")


def _as_of(con: duckdb.DuckDBPyConnection, given: datetime | None) -> datetime:
    """The as_of asked for, else the latest event imported."""
    found = given or latest_event(con)
    if found is None:
        raise HeimdallError("the Jira files hold no issues")
    return found


def _cut(con: duckdb.DuckDBPyConnection, as_of: datetime) -> int:
    """Leave out what happened after as_of; returns how many events that was. An as_of
    before every issue's creation is an error, not an empty warehouse."""
    check_as_of(as_of, con.execute("SELECT min(CAST(created_at AS TIMESTAMPTZ)) FROM j_raw_issues").fetchall()[0][0])
    params = {"as_of": as_of}
    counted = 0
    for table, column in (
        ("j_raw_issues", "CAST(created_at AS TIMESTAMPTZ)"),
        ("j_transitions", "changed_at"),
        ("j_blockers", "blocked_start"),
        ("j_issue_sprint", "added_at"),
    ):
        counted += con.execute(f"SELECT count(*) FROM {table} WHERE {column} > $as_of", params).fetchall()[0][0]
        con.execute(f"DELETE FROM {table} WHERE {column} > $as_of", params)
    for table in ("j_transitions", "j_blockers", "j_issue_sprint"):
        con.execute(f"DELETE FROM {table} WHERE issue_id NOT IN (SELECT issue_id FROM j_raw_issues)")
    # what was still open at as_of stays open; a resolution after it had not happened yet
    con.execute("UPDATE j_blockers SET blocked_end = NULL WHERE blocked_end > $as_of", params)
    con.execute("UPDATE j_issue_sprint SET removed_at = NULL WHERE removed_at > $as_of", params)
    con.execute(
        "UPDATE j_raw_issues SET resolved_at = NULL, resolution = NULL "
        "WHERE try_cast(resolved_at AS TIMESTAMPTZ) > $as_of",
        params,
    )
    con.execute("DELETE FROM j_sprints WHERE CAST(start_at AS TIMESTAMPTZ) > $as_of", params)
    con.execute("DELETE FROM j_issue_sprint WHERE sprint_id NOT IN (SELECT sprint_id FROM j_sprints)")
    return counted
