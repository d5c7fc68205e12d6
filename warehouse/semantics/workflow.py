"""Canonical status mapping: raw status names -> todo / in_progress / review / blocked / done.

Order of resolution for one (team, raw status, status id):
1. normalise drift decorations (case, whitespace, a `Custom:` prefix, trailing `*`,
   a `(legacy)` suffix);
2. the workflow file's names: the team's, then the global ones;
3. Jira's status category, found by the status id (so renamed and retired statuses map):
   new -> todo, done -> done, indeterminate -> blocked/review by keyword, else in_progress;
4. the default team and global maps (the synthetic teams' workflows, common Jira names);
5. keyword rules, first match wins (a keyword matches at the start of a word);
6. otherwise `unknown` - reported by `heimdall-tui check`, never silently `todo`.

A TOML workflow file overrides any of it::

    [statuses]                  # global explicit names
    "Selected for Development" = "todo"
    [teams.AEGIR]               # one team's names, checked before the global ones
    "Ready for QA" = "review"
    [keywords]                  # replaces the default keyword rules (checked in this order)
    blocked = ["block", "imped"]
    done = ["done", "closed"]
    [resolutions]               # resolutions that mean discarded, not delivered
    discarded = ["Won't Do", "Duplicate"]
    [flow_items]                # count sub-tasks / epics as flow items (default: no)
    subtasks = true
    [stages]                    # board columns in order: stage = its raw statuses
    "Ready" = ["Ready", "Selected for Development"]
    "Doing" = ["In Progress"]
    "Waiting for QA" = ["Ready for QA"]
    "QA" = ["QA"]
    "Done" = ["Done", "Closed"]
    wait = ["Ready", "Waiting for QA"]   # waiting stages (default: names with "wait" or "ready for")
    [sle]                       # a team's service level expectation (default: its P85 of 12 weeks)
    AEGIR = { percentile = 85, days = 10 }

Stages come from the workflow file's `[stages]`, else from an imported Jira board
configuration (its columns and their status ids), else the canonical states in order (To Do,
In Progress - which holds blocked statuses -, Review, Done). A status no stage lists has none.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from warehouse import tomlfile
from warehouse.errors import HeimdallError

CANONICAL_STATES = ("todo", "in_progress", "review", "blocked", "done")
UNKNOWN = "unknown"
ACTIVE_STATES = ("in_progress", "review", "blocked")

DEFAULT_TEAM_MAPS: dict[str, dict[str, str]] = {
    "AEGIR": {
        "To Do": "todo",
        "In Progress": "in_progress",
        "In Review": "review",
        "QA": "review",
        "Done": "done",
        "Blocked": "blocked",
    },
    "FREYA": {"Backlog": "todo", "Doing": "in_progress", "Review": "review", "Shipped": "done", "Impeded": "blocked"},
    "TYR": {"Ready": "todo", "Dev": "in_progress", "Test": "review", "Complete": "done", "Blocked": "blocked"},
}

DEFAULT_GLOBAL_MAP: dict[str, str] = {
    "To Do": "todo",
    "Open": "todo",
    "Backlog": "todo",
    "New": "todo",
    "Selected for Development": "todo",
    "Reopened": "todo",
    "In Progress": "in_progress",
    "In Development": "in_progress",
    "In Review": "review",
    "Code Review": "review",
    "QA": "review",
    "Testing": "review",
    "Done": "done",
    "Closed": "done",
    "Resolved": "done",
    "Blocked": "blocked",
    "On Hold": "blocked",
}

# Checked in this order; a keyword matches at the start of a word ("dev" matches "In Dev" and
# "Development"; "Ready for Dev" is to-do because the to-do phrases come first). "Awaiting ..." and
# "Waiting for ..." are queues, not blockers: nothing here makes them blocked.
DEFAULT_KEYWORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("todo", ("ready for dev", "ready to dev", "ready for work", "ready to start", "selected for dev")),
    ("blocked", ("block", "imped", "on hold", "stuck")),
    ("done", ("done", "complete", "closed", "resolved", "shipped", "released", "deployed", "won't", "cancel")),
    ("review", ("review", "qa", "test", "verif", "approv", "accept", "pull request", "pr", "merge request", "mr")),
    ("in_progress", ("progress", "doing", "dev", "implement", "working", "started", "active", "build", "coding")),
    ("todo", ("to do", "todo", "backlog", "ready", "open", "new", "selected", "triage", "reopen")),
)

# Resolutions that close an item without delivering it (compared case-insensitively).
DEFAULT_DISCARDED = (
    "won't do",
    "won't fix",
    "duplicate",
    "cannot reproduce",
    "rejected",
    "out of date",
    "obsolete",
    "invalid",
    "incomplete",
    "declined",
)


def matches(key: str, word: str) -> bool:
    """Whether the keyword `word` starts a word of the casefolded status name `key`; a keyword
    of one or two letters ("pr", "qa") must be the whole word ("In PR", not "In Progress")."""
    end = r"(?![0-9a-z])" if len(word) <= 2 else ""
    return re.search(r"(?<![0-9a-z])" + re.escape(word) + end, key) is not None


_DECORATION = re.compile(r"^\s*custom\s*:\s*|\s*\*+\s*$|\s*\(\s*legacy\s*\)\s*$", re.IGNORECASE)


def clean_status(raw: str) -> str:
    """The status name without drift decorations, whitespace collapsed, case kept."""
    text = " ".join(raw.split())
    while True:
        stripped = _DECORATION.sub("", text).strip()
        if stripped == text:
            return text
        text = stripped


CATEGORY_STATES = {"new": "todo", "done": "done"}  # Jira's `indeterminate` is active work

# The stages when neither the workflow file nor a board configuration gives any.
DEFAULT_STAGES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("To Do", ("todo",)),
    ("In Progress", ("in_progress", "blocked")),
    ("Review", ("review",)),
    ("Done", ("done",)),
)
WAIT_WORDS = ("wait", "ready for", "block", "queue")  # a stage named so is waiting, unless the file says


@dataclass(frozen=True)
class Stage:
    index: int
    name: str
    is_wait: bool


@dataclass(frozen=True)
class Sle:
    """A service level expectation: `percentile`% of items finish within `days` days."""

    percentile: float
    days: float


@dataclass(frozen=True)
class Workflow:
    team_maps: dict[str, dict[str, str]] = field(default_factory=lambda: DEFAULT_TEAM_MAPS)
    global_map: dict[str, str] = field(default_factory=lambda: DEFAULT_GLOBAL_MAP)
    keywords: tuple[tuple[str, tuple[str, ...]], ...] = DEFAULT_KEYWORDS
    # names a workflow file set: they outrank a Jira status category, the defaults do not
    file_team_maps: dict[str, dict[str, str]] = field(default_factory=dict)
    file_global_map: dict[str, str] = field(default_factory=dict)
    discarded: tuple[str, ...] = DEFAULT_DISCARDED
    # sub-tasks and epics are not flow items unless the workflow file says so
    include_subtasks: bool = False
    include_epics: bool = False
    # [stages]: stage -> raw status names, in board order; None = not given
    stages: tuple[tuple[str, tuple[str, ...]], ...] | None = None
    wait_stages: tuple[str, ...] | None = None  # None = by name (WAIT_WORDS)
    sle: dict[str, Sle] = field(default_factory=dict)

    def stage_list(self, board: list[tuple[str, list[str]]]) -> tuple[str, list[Stage]]:
        """(where the stages come from, the stages in order): the workflow file's, else the
        board's columns (name, status ids), else the default ones."""
        if self.stages is not None:
            source, names = "workflow file", [name for name, _ in self.stages]
        elif board:
            source, names = "board", [name for name, _ in board]
        else:
            source, names = "default", [name for name, _ in DEFAULT_STAGES]
        return source, [Stage(i, name, self._is_wait(name)) for i, name in enumerate(names)]

    def _is_wait(self, stage: str) -> bool:
        if self.wait_stages is not None:
            return stage.casefold() in {w.casefold() for w in self.wait_stages}
        return any(matches(stage.casefold(), word) for word in WAIT_WORDS)

    def stage_of(self, clean: str, status_id: str | None, state: str, board: list[tuple[str, list[str]]]) -> str | None:
        """The stage a status belongs to (None when the stages in use list it nowhere): by
        name in the workflow file's stages, else by status id on the board, else by state."""
        if self.stages is not None:
            key = clean.casefold()
            return next((name for name, raws in self.stages if key in {r.casefold() for r in raws}), None)
        if board:
            return next((name for name, ids in board if status_id in ids), None)
        return next((name for name, states in DEFAULT_STAGES if state in states), None)

    @staticmethod
    def _lookup(key: str, tables) -> tuple[str, str, str] | None:
        for how, table in tables:
            for name, state in table.items():
                if name.casefold() == key:
                    return name, state, how
        return None

    def resolve(self, team: str | None, raw: str, category: str | None = None) -> tuple[str, str, str, bool]:
        """(clean name, canonical state, how it was mapped, whether the raw name drifted).

        Order: the workflow file, then the Jira status category if known (a status called
        "Dev Done" in the `indeterminate` category is work in progress, not done), then the
        default team and global maps, then keywords; else unknown."""
        clean = clean_status(raw)
        key = clean.casefold()
        found = self._lookup(
            key, (("workflow file", self.file_team_maps.get(team or "", {})), ("workflow file", self.file_global_map))
        )
        if found is None and category in CATEGORY_STATES:
            found = clean, CATEGORY_STATES[category], "status category"
        elif found is None and category == "indeterminate":
            active = [(state, words) for state, words in self.keywords if state in ("blocked", "review")]
            state = next((st for st, words in active if any(matches(key, w) for w in words)), "in_progress")
            found = clean, state, "status category"
        if found is None:
            found = self._lookup(
                key, (("team map", self.team_maps.get(team or "", {})), ("global map", self.global_map))
            )
        if found is None:
            keyword = next((st for st, words in self.keywords if any(matches(key, w) for w in words)), None)
            found = (clean, keyword, "keyword") if keyword else (clean, UNKNOWN, "unmapped")
        name, state, how = found
        return name, state, how, raw != name


def _check_state(source: str, where: str, state: object) -> str:
    if state not in CANONICAL_STATES:
        raise HeimdallError(
            f"workflow {source}: {where} maps to {state!r}; expected one of {', '.join(CANONICAL_STATES)}"
        )
    return state


def parse_workflow(text: str, source: str = "file") -> Workflow:
    """A Workflow from TOML text layered over the defaults; errors name the bad key."""
    doc = tomlfile.parse(text, "workflow", source)
    known = ("statuses", "teams", "keywords", "resolutions", "flow_items", "stages", "sle")
    unknown = set(doc) - set(known)
    if unknown:
        raise HeimdallError(f"workflow {source}: unknown key {sorted(unknown)[0]!r} (expected {', '.join(known)})")
    file_global = {
        name: _check_state(source, f"statuses.{name!r}", state)
        for name, state in tomlfile.table(doc, "statuses", "workflow", source).items()
    }
    file_teams: dict[str, dict[str, str]] = {}
    teams = tomlfile.table(doc, "teams", "workflow", source)
    for team, names in teams.items():
        if not isinstance(names, dict):
            raise HeimdallError(f"workflow {source}: teams.{team} must be a table of status = state")
        for name, state in names.items():
            file_teams.setdefault(team, {})[name] = _check_state(source, f"teams.{team}.{name!r}", state)
    keywords = DEFAULT_KEYWORDS
    if "keywords" in doc:
        rules = []
        for state, words in tomlfile.table(doc, "keywords", "workflow", source).items():
            _check_state(source, f"keywords.{state}", state)
            if not isinstance(words, list) or not all(isinstance(w, str) for w in words):
                raise HeimdallError(f"workflow {source}: keywords.{state} must be a list of strings")
            rules.append((state, tuple(w.casefold() for w in words)))
        keywords = tuple(rules)
    resolutions = _settings(doc, "resolutions", source, {"discarded": list})
    discarded = resolutions.get("discarded", list(DEFAULT_DISCARDED))
    if not all(isinstance(r, str) for r in discarded):
        raise HeimdallError(f"workflow {source}: resolutions.discarded must be a list of strings")
    flow = _settings(doc, "flow_items", source, {"subtasks": bool, "epics": bool})
    stages, wait = _stages(doc, source)
    return Workflow(
        keywords=keywords,
        file_team_maps=file_teams,
        file_global_map=file_global,
        discarded=tuple(r.casefold() for r in discarded),
        include_subtasks=flow.get("subtasks", False),
        include_epics=flow.get("epics", False),
        stages=stages,
        wait_stages=wait,
        sle=_sle(doc, source),
    )


def _strings(value: object) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


def _stages(doc: dict, source: str) -> tuple[tuple[tuple[str, tuple[str, ...]], ...] | None, tuple[str, ...] | None]:
    """[stages]: stage = [raw status, ...] in board order, and `wait = [stage, ...]`."""
    if "stages" not in doc:
        return None, None
    table = dict(tomlfile.table(doc, "stages", "workflow", source))
    wait = table.pop("wait", None)
    if wait is not None and not _strings(wait):
        raise HeimdallError(f"workflow {source}: stages.wait must be a list of stage names")
    stages = []
    owner: dict[str, str] = {}
    for name, raws in table.items():
        if not _strings(raws):
            raise HeimdallError(f"workflow {source}: stages.{name!r} must be a list of raw status names")
        for raw in raws:
            if raw.casefold() in owner:
                raise HeimdallError(
                    f"workflow {source}: status {raw!r} is in two stages ({owner[raw.casefold()]!r} and {name!r})"
                )
            owner[raw.casefold()] = name
        stages.append((name, tuple(raws)))
    if not stages:
        raise HeimdallError(f"workflow {source}: [stages] lists no stage")
    for name in wait or []:
        if name.casefold() not in {s.casefold() for s, _ in stages}:
            raise HeimdallError(f"workflow {source}: stages.wait names {name!r}, which is not a stage")
    return tuple(stages), tuple(wait) if wait is not None else None


def _sle(doc: dict, source: str) -> dict[str, Sle]:
    """[sle]: TEAM = { percentile = 85, days = 10 }."""
    out = {}
    for team, given in tomlfile.table(doc, "sle", "workflow", source).items():
        where = f"workflow {source}: sle.{team}"
        if not isinstance(given, dict) or set(given) - {"percentile", "days"} or "days" not in given:
            raise HeimdallError(f"{where} must be a table like {{ percentile = 85, days = 10 }}")
        percentile, days = given.get("percentile", 85), given["days"]
        numbers = all(isinstance(v, int | float) and not isinstance(v, bool) for v in (percentile, days))
        if not numbers or not 0 < percentile < 100 or not 0 < days <= 3_650:
            raise HeimdallError(f"{where}: percentile must be in (0, 100) and days in (0, 3650]")
        out[team] = Sle(float(percentile), float(days))
    return out


def _settings(doc: dict, name: str, source: str, keys: dict[str, type]) -> dict:
    """A small settings table: only the known keys, each of its type."""
    table = tomlfile.table(doc, name, "workflow", source)
    for key, value in table.items():
        if key not in keys:
            raise HeimdallError(f"workflow {source}: unknown key {name}.{key} (expected {', '.join(keys)})")
        if not isinstance(value, keys[key]):
            raise HeimdallError(f"workflow {source}: {name}.{key} must be a {keys[key].__name__}")
    return table


def load_workflow(path: Path) -> tuple[Workflow, str]:
    """Parse a workflow file; returns it with its text (stored in meta for rebuilds)."""
    text = tomlfile.read_text(path, "workflow")
    return parse_workflow(text, str(path)), text
