"""Sources: everything that can fill the raw contract (DESIGN.md §2) from what a user has.

A source says whether it recognises the paths it was given and returns a loader for
`warehouse.engine.pipeline.materialise`, which runs it inside the build transaction. Adding a source
is one module here and one line in `SOURCES`; `detect` picks the first that recognises the
paths, so the order goes from the most specific to the catch-all.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Protocol

from warehouse.sources.contract import Loader


@dataclass(frozen=True)
class Options:
    """What the user asked for, for any source (a source ignores what does not apply)."""

    as_of: datetime | None = None
    workflow: str | None = None
    skip_bad_rows: bool = False
    team_field: str | None = None
    points_field: str | None = None


class Source(Protocol):
    name: str

    def recognises(self, paths: list[Path]) -> bool: ...

    def loader(self, paths: list[Path], options: Options) -> Loader:
        """Validate what can be validated before a build starts and return the loader."""


def detect(paths: list[Path]) -> Source:
    """The first source that recognises `paths`."""
    from warehouse.sources import files
    from warehouse.sources.jira import parse

    sources: tuple[Source, ...] = (files.SOURCE, parse.SOURCE)
    return next(s for s in sources if s.recognises(paths))
