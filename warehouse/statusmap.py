"""Canonical status mapping: raw Jira status names -> todo / in_progress / review / blocked / done.

Order of resolution for one (team, raw status):
1. normalise drift decorations (case, whitespace, a `Custom:` prefix, trailing `*`,
   a `(legacy)` suffix);
2. the team's explicit workflow map, then the global explicit map;
3. keyword rules, first match wins;
4. otherwise `unknown` - reported by `heimdall-tui check`, never silently `todo`.

A TOML workflow file overrides any of it::

    [statuses]                  # global explicit names
    "Selected for Development" = "todo"
    [teams.AEGIR]               # one team's names, checked before the global ones
    "Ready for QA" = "review"
    [keywords]                  # replaces the default keyword rules (checked in this order)
    blocked = ["block", "imped"]
    done = ["done", "closed"]
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from warehouse.errors import HeimdallError

CANONICAL_STATES = ("todo", "in_progress", "review", "blocked", "done")
UNKNOWN = "unknown"
ACTIVE_STATES = ("in_progress", "review", "blocked")

DEFAULT_TEAM_MAPS: dict[str, dict[str, str]] = {
    "AEGIR": {"To Do": "todo", "In Progress": "in_progress", "In Review": "review", "QA": "review",
              "Done": "done", "Blocked": "blocked"},
    "FREYA": {"Backlog": "todo", "Doing": "in_progress", "Review": "review", "Shipped": "done",
              "Impeded": "blocked"},
    "TYR": {"Ready": "todo", "Dev": "in_progress", "Test": "review", "Complete": "done",
            "Blocked": "blocked"},
}

DEFAULT_GLOBAL_MAP: dict[str, str] = {
    "To Do": "todo", "Open": "todo", "Backlog": "todo", "New": "todo", "Selected for Development": "todo",
    "Reopened": "todo", "In Progress": "in_progress", "In Development": "in_progress",
    "In Review": "review", "Code Review": "review", "QA": "review", "Testing": "review",
    "Done": "done", "Closed": "done", "Resolved": "done", "Blocked": "blocked", "On Hold": "blocked",
}

# Checked in this order, so "Ready for review" is review and "Blocked - waiting QA" is blocked.
DEFAULT_KEYWORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("blocked", ("block", "imped", "on hold", "waiting", "stuck")),
    ("done", ("done", "complete", "closed", "resolved", "shipped", "released", "deployed", "won't", "cancel")),
    ("review", ("review", "qa", "test", "verif", "approv", "accept")),
    ("in_progress", ("progress", "doing", "dev", "implement", "working", "started", "active", "build")),
    ("todo", ("to do", "todo", "backlog", "ready", "open", "new", "selected", "triage", "reopen")),
)

_DECORATION = re.compile(r"^\s*custom\s*:\s*|\s*\*+\s*$|\s*\(\s*legacy\s*\)\s*$", re.IGNORECASE)


def clean_status(raw: str) -> str:
    """The status name without drift decorations, whitespace collapsed, case kept."""
    text = " ".join(raw.split())
    while True:
        stripped = _DECORATION.sub("", text).strip()
        if stripped == text:
            return text
        text = stripped


def normalise(raw: str) -> str:
    return clean_status(raw).casefold()


@dataclass(frozen=True)
class Workflow:
    team_maps: dict[str, dict[str, str]] = field(default_factory=lambda: DEFAULT_TEAM_MAPS)
    global_map: dict[str, str] = field(default_factory=lambda: DEFAULT_GLOBAL_MAP)
    keywords: tuple[tuple[str, tuple[str, ...]], ...] = DEFAULT_KEYWORDS

    def resolve(self, team: str | None, raw: str) -> tuple[str, str, str, bool]:
        """(clean name, canonical state, how it was mapped, whether the raw name drifted)."""
        clean = clean_status(raw)
        key = clean.casefold()
        for how, table in (("team map", self.team_maps.get(team or "", {})), ("global map", self.global_map)):
            for name, state in table.items():
                if name.casefold() == key:
                    return name, state, how, raw != name
        for state, words in self.keywords:
            if any(w in key for w in words):
                return clean, state, "keyword", raw != clean
        return clean, UNKNOWN, "unmapped", raw != clean


def _check_state(source: str, where: str, state: object) -> str:
    if state not in CANONICAL_STATES:
        raise HeimdallError(
            f"workflow {source}: {where} maps to {state!r}; expected one of {', '.join(CANONICAL_STATES)}"
        )
    return state


def parse_workflow(text: str, source: str = "file") -> Workflow:
    """A Workflow from TOML text layered over the defaults; errors name the bad key."""
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise HeimdallError(f"workflow {source}: invalid TOML: {exc}") from None
    unknown = set(doc) - {"statuses", "teams", "keywords"}
    if unknown:
        raise HeimdallError(f"workflow {source}: unknown key {sorted(unknown)[0]!r} (expected statuses, teams, keywords)")
    global_map = dict(DEFAULT_GLOBAL_MAP)
    for name, state in doc.get("statuses", {}).items():
        global_map[name] = _check_state(source, f"statuses.{name!r}", state)
    team_maps = {team: dict(m) for team, m in DEFAULT_TEAM_MAPS.items()}
    teams = doc.get("teams", {})
    if not isinstance(teams, dict):
        raise HeimdallError(f"workflow {source}: 'teams' must be a table of team tables")
    for team, names in teams.items():
        if not isinstance(names, dict):
            raise HeimdallError(f"workflow {source}: teams.{team} must be a table of status = state")
        for name, state in names.items():
            team_maps.setdefault(team, {})[name] = _check_state(source, f"teams.{team}.{name!r}", state)
    keywords = DEFAULT_KEYWORDS
    if "keywords" in doc:
        rules = []
        for state, words in doc["keywords"].items():
            _check_state(source, f"keywords.{state}", state)
            if not isinstance(words, list) or not all(isinstance(w, str) for w in words):
                raise HeimdallError(f"workflow {source}: keywords.{state} must be a list of strings")
            rules.append((state, tuple(w.casefold() for w in words)))
        keywords = tuple(rules)
    return Workflow(team_maps, global_map, keywords)


def load_workflow(path: Path) -> tuple[Workflow, str]:
    """Parse a workflow file; returns it with its text (stored in meta for rebuilds)."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise HeimdallError(f"cannot read workflow file {path}: {exc.strerror}") from None
    return parse_workflow(text, str(path)), text
