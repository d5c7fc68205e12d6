"""The model registry: frozen Model records, discovered from `warehouse.models` and ordered
by graphlib; each carries its data tests (`warehouse.engine.checks`)."""

from __future__ import annotations

import graphlib
import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass

import duckdb

from warehouse.engine.checks import DataTest
from warehouse.sources.contract import RAW_TABLES

SOURCES = frozenset(RAW_TABLES) | {"meta"}


@dataclass(frozen=True)
class ByIssue:
    """A SELECT in which an issue's rows come only from that issue's source rows (a window
    PARTITION BY issue_id, say). It is built a range of issue ids at a time, so memory holds
    one range, not the whole history: `select` is given the predicate on `issue_id` that
    picks the range and applies it to every source it reads."""

    select: Callable[[str], str]
    # The SELECT yields its rows in the model's order_by already (it sorted them for its own
    # windows), so the build does not sort them again.
    in_order: bool = False


@dataclass(frozen=True)
class SortedInParts:
    """A SELECT whose rows, sorted by the model's order_by, are too wide to sort at once within
    the memory limit (10M lifecycle rows of 39 columns spilled 2.5 GB; in four parts the build
    of that table took 17.3 s against 20.8 s). It is built a range of its sort key at a time,
    each range sorted apart and appended in order. `key` is the order_by's leading columns as
    expressions over the rows of `source`, the table the SELECT takes them from; `select` is
    given the predicate on `source` that picks a part and applies it where it reads `source`,
    so that a part reads and joins only its own rows."""

    select: Callable[[str], str]
    source: str
    key: tuple[str, ...]


Build = str | ByIssue | SortedInParts | Callable[[duckdb.DuckDBPyConnection], None]

AS_OF = "(SELECT as_of FROM meta)"


@dataclass(frozen=True)
class Model:
    """A warehouse table: `build` is a SELECT (materialised as the table), a ByIssue SELECT,
    or a function that creates the table itself on the connection it is given."""

    name: str
    depends_on: tuple[str, ...]
    build: Build
    description: str
    tests: tuple[DataTest, ...] = ()
    materialized: str = "table"  # or "view", for cheap renaming/casting staging models
    # Physical row order of the table. DuckDB keeps min/max per row group, so a query whose
    # filter follows this order reads only the row groups that can match: a screen's window
    # costs the same whatever the history.
    order_by: str = ""
    # Columns looked up one value at a time (an issue key): an ART index makes that a probe.
    indexes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        # ranges are appended in issue order: any other order would be lost between them
        if isinstance(self.build, ByIssue) and not self.order_by.startswith("issue_id"):
            raise ValueError(f"model {self.name!r} is built by issue ranges: its order_by must start with issue_id")
        if isinstance(self.build, SortedInParts):
            # ranges compare the key as one struct: ascending, its NULL fields last
            leading = [term.split()[1:] for term in self.order_by.split(",")[: len(self.build.key)]]
            if len(leading) < len(self.build.key) or any(
                " ".join(t).upper() not in ("", "ASC", "NULLS LAST", "ASC NULLS LAST") for t in leading
            ):
                raise ValueError(
                    f"model {self.name!r} is sorted in parts: its order_by must start with its "
                    f"{len(self.build.key)} key columns, ascending with NULLs last"
                )


def discover() -> list[Model]:
    """Every MODEL declared by a module of `warehouse.models`."""
    import warehouse.models as package

    models: list[Model] = []
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
