"""The model engine: frozen Model records, ordered by graphlib, each with its data tests.

A data test is a query returning the offending rows; zero rows is a pass (dbt's rule).
"""

from __future__ import annotations

import graphlib
import importlib
import pkgutil
from dataclasses import dataclass
from typing import Callable, Union

import duckdb

from warehouse.raw import RAW_TABLES

SOURCES = frozenset(RAW_TABLES) | {"meta"}

Build = Union[str, Callable[[duckdb.DuckDBPyConnection], None]]

AS_OF = "(SELECT as_of FROM meta)"


@dataclass(frozen=True)
class DataTest:
    name: str
    sql: str
    severity: str = "error"  # "warn" is reported but does not fail a build or `check`
    # Row-level tests also name their table and the predicate a failing row matches, so the
    # runner can evaluate all of a table's row tests in one scan.
    table: str | None = None
    failing_when: str | None = None


@dataclass(frozen=True)
class Model:
    """A warehouse table: `build` is a SELECT (materialised as the table) or a function
    that creates the table itself on the connection it is given."""

    name: str
    depends_on: tuple[str, ...]
    build: Build
    description: str
    tests: tuple[DataTest, ...] = ()
    materialized: str = "table"  # or "view", for cheap renaming/casting staging models


def row_test(name: str, table: str, failing_when: str, severity: str = "error") -> DataTest:
    return DataTest(name, f"SELECT * FROM {table} WHERE {failing_when}", severity, table, failing_when)


def not_null(table: str, *columns: str) -> tuple[DataTest, ...]:
    return tuple(row_test(f"not_null({table}.{c})", table, f"{c} IS NULL") for c in columns)


def unique(table: str, *columns: str) -> DataTest:
    cols = ", ".join(columns)
    return DataTest(
        f"unique({table}.{'+'.join(columns)})",
        f"SELECT {cols}, count(*) AS n FROM {table} GROUP BY {cols} HAVING count(*) > 1",
    )


def relationships(table: str, column: str, to_table: str, to_column: str) -> DataTest:
    return DataTest(
        f"relationships({table}.{column} -> {to_table}.{to_column})",
        f"SELECT * FROM {table} t WHERE t.{column} IS NOT NULL AND NOT EXISTS "
        f"(SELECT 1 FROM {to_table} p WHERE p.{to_column} = t.{column})",
    )


def accepted_values(table: str, column: str, values: tuple[str, ...]) -> DataTest:
    listed = ", ".join(f"'{v}'" for v in values)
    return row_test(f"accepted_values({table}.{column})", table, f"{column} IS NOT NULL AND {column} NOT IN ({listed})")


def expect(table: str, name: str, condition: str, severity: str = "error") -> DataTest:
    """A domain rule every row must satisfy (NULL counts as satisfied)."""
    return row_test(f"{name}({table})", table, f"NOT coalesce({condition}, true)", severity)


def discover() -> list[Model]:
    """Every MODEL declared by a module of `warehouse.models`."""
    import warehouse.models as package

    models = []
    for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{package.__name__}.{info.name}")
        models.extend(getattr(module, "MODELS", ()))
    return models


def order(models: list[Model]) -> list[Model]:
    """Models in dependency order; an unknown dependency or a cycle is an error."""
    by_name = {}
    for m in models:
        if m.name in by_name:
            raise ValueError(f"model {m.name!r} is declared twice")
        by_name[m.name] = m
    for m in models:
        for dep in m.depends_on:
            if dep not in by_name and dep not in SOURCES:
                raise ValueError(f"model {m.name!r} depends on unknown table {dep!r}")
    sorter = graphlib.TopologicalSorter({m.name: [d for d in m.depends_on if d in by_name] for m in models})
    try:
        names = list(sorter.static_order())
    except graphlib.CycleError as exc:
        raise ValueError(f"model dependency cycle: {' -> '.join(exc.args[1])}") from None
    return [by_name[n] for n in names]
