"""Data tests, dbt's way: a query returning the offending rows; zero rows is a pass.

A model declares its tests with these constructors; `warehouse.engine.build.run_tests` runs
them (row-level tests of one table in one scan).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DataTest:
    name: str
    sql: str
    severity: str = "error"  # "warn" is reported but does not fail a build or `check`
    # Row-level tests also name their table and the predicate a failing row matches, so the
    # runner can evaluate all of a table's row tests in one scan.
    table: str | None = None
    failing_when: str | None = None
    # A cheaper query whose count of rows is 0 only when the test passes; when it counts some,
    # the runner runs `sql` (which names the offending rows).
    passes_if_none: str | None = None


def row_test(name: str, table: str, failing_when: str, severity: str = "error") -> DataTest:
    return DataTest(name, f"SELECT * FROM {table} WHERE {failing_when}", severity, table, failing_when)


def not_null(table: str, *columns: str) -> tuple[DataTest, ...]:
    return tuple(row_test(f"not_null({table}.{c})", table, f"{c} IS NULL") for c in columns)


def unique(table: str, *columns: str, adjacent_in: str | None = None) -> DataTest:
    """No two rows share a value of `columns` (NULL counts as a value). A single column stored
    in strictly increasing order (raw tables come in id order) passes on one streaming pass,
    where counting the values takes a hash of every row (40M transitions: 4.6 s against 0.1 s).
    `adjacent_in` names a table holding that column of each of `table`'s rows (as many rows),
    stored so that equal values lie together (sorted by a key the value determines): one
    streaming pass over it passes the test too (10M issue keys: 3.6 s against 0.3 s)."""
    cols = ", ".join(columns)
    in_order = None
    if len(columns) == 1 and adjacent_in:
        in_order = f"""SELECT 1 FROM (SELECT {cols} AS _v, lag({cols}) OVER () AS _before, row_number() OVER () AS _n
                                      FROM {adjacent_in})
                       WHERE _n > 1 AND _v IS NOT DISTINCT FROM _before
                       UNION ALL
                       SELECT 1 WHERE (SELECT count(*) FROM {adjacent_in}) <> (SELECT count(*) FROM {table})"""
    elif len(columns) == 1:
        # every value greater than the one stored before it, none NULL (a row after a NULL need
        # not be: the NULL counts): all differ
        in_order = f"""SELECT 1 FROM (SELECT {cols} AS _v, lag({cols}) OVER () AS _before FROM {table})
                       WHERE NOT coalesce(_v > _before, _v IS NOT NULL)"""
    return DataTest(
        f"unique({table}.{'+'.join(columns)})",
        f"SELECT {cols}, count(*) AS n FROM {table} GROUP BY {cols} HAVING count(*) > 1",
        passes_if_none=in_order,
    )


def stored_in_order(table: str, first: str, then: str) -> DataTest:
    """Rows stored in strictly increasing (first, then) order: the pair is unique, and the table
    is laid out as a lookup by `first` expects (one key's rows together). One streaming pass,
    where counting the pairs takes a hash of every row (50M periods: 5.9 s against 0.3 s)."""
    return DataTest(
        f"stored_in_order({table}.{first}+{then})",
        f"""SELECT * EXCLUDE (_before, _before_then) FROM (
                SELECT *, lag({first}) OVER () AS _before, lag({then}) OVER () AS _before_then FROM {table})
            WHERE {first} < _before OR ({first} = _before AND {then} <= _before_then)""",
    )


def relationships(table: str, column: str, to_table: str, to_column: str) -> DataTest:
    return DataTest(
        f"relationships({table}.{column} -> {to_table}.{to_column})",
        # An anti join, not NOT EXISTS: DuckDB decorrelates that through a copy of every column
        # of the table (40M transitions: 20 s against 1.5 s).
        f"SELECT t.* FROM {table} t ANTI JOIN {to_table} p ON p.{to_column} = t.{column} WHERE t.{column} IS NOT NULL",
    )


def accepted_values(table: str, column: str, values: tuple[str, ...]) -> DataTest:
    listed = ", ".join(f"'{v}'" for v in values)
    return row_test(f"accepted_values({table}.{column})", table, f"{column} IS NOT NULL AND {column} NOT IN ({listed})")


def expect(table: str, name: str, condition: str, severity: str = "error") -> DataTest:
    """A domain rule every row must satisfy (NULL counts as satisfied)."""
    return row_test(f"{name}({table})", table, f"NOT coalesce({condition}, true)", severity)
