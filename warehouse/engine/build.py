"""Building the models of a warehouse and running its data tests."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import duckdb

from warehouse.engine.checks import DataTest
from warehouse.engine.registry import ByIssue, Model, SortedInParts, discover, order
from warehouse.engine.writer import register_build
from warehouse.sources.contract import ensure_raw_tables

SAMPLE_ROWS = 5


@dataclass(frozen=True)
class TestResult:
    test: DataTest
    failing: int
    columns: tuple[str, ...]
    sample: tuple[tuple, ...]

    @property
    def passed(self) -> bool:
        return self.failing == 0


Progress = Callable[[str, int, int], None]


def quiet(label: str, done: int, total: int) -> None:
    """A progress callback that reports nothing."""


def build_models(con: duckdb.DuckDBPyConnection, models: list[Model] | None = None, progress: Progress = quiet) -> None:
    """(Re)create every model, in dependency order, on an open read-write connection."""
    ordered = order(models if models is not None else discover())
    ensure_raw_tables(con)
    existing = dict(
        con.execute(
            "SELECT table_name, table_type FROM information_schema.tables WHERE table_schema = 'main'"
        ).fetchall()
    )
    for m in reversed(ordered):
        kind = existing.get(m.name)
        if kind:
            con.execute(f"DROP {'VIEW' if kind == 'VIEW' else 'TABLE'} {m.name}")
    for i, m in enumerate(ordered):
        progress(f"building {m.name}", i, len(ordered))
        if isinstance(m.build, ByIssue):
            build_by_issue(con, m)
        elif isinstance(m.build, SortedInParts):
            build_sorted_in_parts(con, m)
        elif callable(m.build):
            m.build(con)
        else:
            select = f"SELECT * FROM ({m.build}) ORDER BY {m.order_by}" if m.order_by else m.build
            con.execute(f"CREATE {'VIEW' if m.materialized == 'view' else 'TABLE'} {m.name} AS {select}")
    progress("built", len(ordered), len(ordered))


def create_indexes(con: duckdb.DuckDBPyConnection, models: list[Model] | None = None) -> None:
    """The models' indexes, on tables already committed: an index created in the transaction
    that created its table is built at COMMIT from the transaction's rows, twice as slowly
    (10M issues: 11.8 s against 5.1 s)."""
    for m in models if models is not None else discover():
        for column in m.indexes:
            con.execute(f"CREATE INDEX {m.name}_{column} ON {m.name} ({column})")


# Issues per range of a ByIssue model: half a million (about 2.5M periods) bound what one range
# holds (two in flight at 10M issues: the build peaks at 4.3 GB in all) and give a 1M-issue
# warehouse two ranges to build at once (6.1 s -> 4.0 s).
ISSUES_PER_RANGE = 500_000


# Ranges built at once, each on its own cursor. One range's windows run on one thread (DuckDB
# streams OVER () in input order), so a second range keeps the other core busy (1M issues in
# four ranges: 6.3 s -> 4.0 s).
RANGES_AT_ONCE = 2


def build_by_issue(con: duckdb.DuckDBPyConnection, m: Model) -> None:
    """Create a ByIssue model's table range by range, RANGES_AT_ONCE ranges at a time, each in
    its own transaction. They commit in range order, so the table keeps the model's order."""
    assert isinstance(m.build, ByIssue)
    build = m.build

    def select(where: str) -> str:
        query = build.select(where)
        return query if build.in_order else f"SELECT * FROM ({query}) ORDER BY {m.order_by}"

    ranges = issue_ranges(con)
    con.execute(f"CREATE TABLE {m.name} AS {select('false')} WITH NO DATA")
    # the cursors see only what is committed: end the caller's transaction, and reopen it after
    try:
        con.execute("COMMIT")
        reopen = True
    except duckdb.TransactionException:
        reopen = False
    committed = [threading.Event() for _ in ranges]
    failed = threading.Event()
    cursors: set[duckdb.DuckDBPyConnection] = set()

    def insert(i: int, where: str) -> None:
        cur = register_build(con.cursor())
        cursors.add(cur)
        try:
            if failed.is_set():
                return
            cur.execute("BEGIN")
            cur.execute(f"INSERT INTO {m.name} {select(where)}")
            if i:
                committed[i - 1].wait()
            if not failed.is_set():  # else closing the cursor rolls the range back
                cur.execute("COMMIT")
        except BaseException:
            failed.set()
            for other in list(cursors):
                other.interrupt()  # a failed range fails the model: the others need not finish
            raise
        finally:
            committed[i].set()
            cursors.discard(cur)
            cur.close()

    pool = ThreadPoolExecutor(RANGES_AT_ONCE, thread_name_prefix=f"build-{m.name}")
    try:
        futures = [pool.submit(insert, i, where) for i, where in enumerate(ranges)]
        errors = [e for e in (f.exception() for f in futures) if e is not None]
    except BaseException:  # Ctrl-C while waiting: the signal's watcher interrupts the cursors
        failed.set()
        raise
    finally:
        pool.shutdown(wait=True)
        if reopen:
            con.execute("BEGIN")
    if errors:
        # the first range that failed, not one another range's failure interrupted
        raise next((e for e in errors if not isinstance(e, duckdb.InterruptException)), errors[0])


# Rows per part of a SortedInParts model: 2.5M lifecycle rows sort within the 3 GB cap (10M in
# one sort spilled 2.5 GB), and a 1M-issue warehouse sorts in one part, as before.
SORTED_ROWS_PER_PART = 2_500_000


def build_sorted_in_parts(con: duckdb.DuckDBPyConnection, m: Model) -> None:
    """Create a SortedInParts model's table a part at a time (sorted_parts), each sorted apart
    and appended in order: the same table, in the same order, as one sort."""
    assert isinstance(m.build, SortedInParts)
    build = m.build

    def select(where: str) -> str:
        return f"SELECT * FROM ({build.select(where)}) ORDER BY {m.order_by}"

    con.execute(f"CREATE TABLE {m.name} AS {select('false')} WITH NO DATA")
    for where, params in sorted_parts(con, m):
        con.execute(f"INSERT INTO {m.name} {select(where)}", params)


def sorted_parts(con: duckdb.DuckDBPyConnection, m: Model) -> list[tuple[str, dict]]:
    """Predicates (with their parameters) that split a SortedInParts model's rows into ranges
    of its key of about SORTED_ROWS_PER_PART rows each, in that order; a single part ("true")
    when there are no more rows than that. The key is compared as one struct, which orders a
    NULL field after every value, as the order_by does: the issues never done (done_at NULL) are
    cut by issue_id like the others."""
    assert isinstance(m.build, SortedInParts)
    key = "{" + ", ".join(f"'k{i}': {k}" for i, k in enumerate(m.build.key)) + "}"
    source = m.build.source
    (total,) = con.execute(f"SELECT count(*) FROM {source}").fetchall()[0]
    parts = -(-total // SORTED_ROWS_PER_PART)
    if parts <= 1:
        return [("true", {})]
    cuts = [i / parts for i in range(1, parts)]
    (bounds,) = con.execute(f"SELECT quantile_disc({key}, {cuts}) FROM {source}").fetchall()[0]
    edges = [b for i, b in enumerate(bounds) if i == 0 or b != bounds[i - 1]]  # ascending already
    return [
        (f"{key} < $hi", {"hi": edges[0]}),
        *((f"{key} >= $lo AND {key} < $hi", {"lo": lo, "hi": hi}) for lo, hi in zip(edges, edges[1:])),
        (f"{key} >= $lo", {"lo": edges[-1]}),
    ]


def issue_ranges(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Predicates on issue_id that split the issues into ranges of about ISSUES_PER_RANGE, in
    issue order, covering every id (a source row whose issue is not in raw_issues too)."""
    (count,) = con.execute("SELECT count(*) FROM raw_issues").fetchall()[0]
    parts = max(1, -(-count // ISSUES_PER_RANGE))
    if parts == 1:
        return ["true"]
    cuts = [i / parts for i in range(1, parts)]
    (bounds,) = con.execute(f"SELECT quantile_disc(issue_id, {cuts}) FROM raw_issues").fetchall()[0]
    edges = sorted(set(bounds))
    return [
        f"issue_id <= {edges[0]}",
        *(f"issue_id > {lo} AND issue_id <= {hi}" for lo, hi in zip(edges, edges[1:])),
        f"issue_id > {edges[-1]}",
    ]


def _sample(con: duckdb.DuckDBPyConnection, test: DataTest, failing: int) -> TestResult:
    cur = con.execute(f"SELECT * FROM ({test.sql}) LIMIT {SAMPLE_ROWS}")
    return TestResult(test, failing, tuple(d[0] for d in cur.description), tuple(cur.fetchall()))


def run_tests(
    con: duckdb.DuckDBPyConnection, models: list[Model] | None = None, progress: Progress = quiet
) -> list[TestResult]:
    """Run every model's data tests; a result per test, failures carrying a few sample rows.

    Row-level tests of one table are counted in a single scan of it."""
    tests = [t for m in order(models if models is not None else discover()) for t in m.tests]
    failing: dict[DataTest, int] = {}
    by_table: dict[str, list[DataTest]] = {}
    for t in tests:
        if t.failing_when is not None and t.table is not None:
            by_table.setdefault(t.table, []).append(t)
    for i, (table, row_tests) in enumerate(by_table.items()):
        progress(f"testing {table}", i, len(by_table))
        counts = ", ".join(f"count(*) FILTER (WHERE {t.failing_when})" for t in row_tests)
        for t, n in zip(row_tests, con.execute(f"SELECT {counts} FROM {table}").fetchall()[0]):
            failing[t] = n
    for t in tests:
        if t.failing_when is None:
            progress(f"testing {t.name}", 0, 1)
            proven = t.passes_if_none and not con.execute(f"{t.passes_if_none} LIMIT 1").fetchall()
            failing[t] = 0 if proven else con.execute(f"SELECT count(*) FROM ({t.sql})").fetchall()[0][0]
    return [_sample(con, t, failing[t]) if failing[t] else TestResult(t, 0, (), ()) for t in tests]


def stamp_built_at(con: duckdb.DuckDBPyConnection) -> None:
    # built_at is provenance only: no metric reads it (they all use meta.as_of).
    con.execute("UPDATE meta SET built_at = current_timestamp")
