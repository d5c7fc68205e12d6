"""The generator's scenario: defaults reproducing the original HEIMDALL, TOML overrides.

Every key of DEFAULTS may be overridden by a TOML file. Tables merge key by key, except
`teams` and `projects`, which replace the defaults wholesale when given (a team needs its
whole workflow). An unknown key or a value of the wrong type is an error naming the key.
"""

from __future__ import annotations

import copy
from datetime import date
from pathlib import Path

from warehouse import tomlfile
from warehouse.errors import HeimdallError

DEFAULTS: dict = {
    "seed": 42,
    "issues": 1200,
    "window": {"start": "2025-10-01", "days": 120},
    "sprint_days": 14,
    "teams": {
        # capacity: relative share of the arriving work (people on the team);
        # speed: multiplier on every dwell time (higher = slower flow).
        "AEGIR": {
            "capacity": 5,
            "speed": 1.0,
            "statuses": {
                "todo": "To Do",
                "in_progress": "In Progress",
                "review": ["In Review", "QA"],
                "done": "Done",
                "blocked": "Blocked",
            },
            "members": ["astrid.holm", "bjorn.eriksen", "dagny.lund", "einar.voss", "frida.nyberg"],
        },
        "FREYA": {
            "capacity": 4,
            "speed": 1.15,
            "statuses": {
                "todo": "Backlog",
                "in_progress": "Doing",
                "review": ["Review"],
                "done": "Shipped",
                "blocked": "Impeded",
            },
            "members": ["gudrun.berg", "halvar.strand", "ingrid.dahl", "jarl.sund"],
        },
        "TYR": {
            "capacity": 3,
            "speed": 0.9,
            "statuses": {
                "todo": "Ready",
                "in_progress": "Dev",
                "review": ["Test"],
                "done": "Complete",
                "blocked": "Blocked",
            },
            "members": ["kari.fjell", "leif.aas", "maren.vik"],
        },
    },
    "projects": ["VALHALLA", "MIDGARD-OPS", "BIFROST-LABS"],
    "issue_types": {"Story": 0.45, "Bug": 0.30, "Task": 0.20, "Spike": 0.05},
    "priorities": {"P0": 0.05, "P1": 0.20, "P2": 0.50, "P3": 0.25},
    "flow": {
        # median dwell, hours, per state entered (log-normal with `spread` as sigma)
        "in_progress_hours": 30.0,
        "review_hours": 10.0,
        "qa_hours": 8.0,
        "blocked_hours": 20.0,
        "done_before_reopen_hours": 50.0,
        "spread": 0.8,
        # sprint-planned work is picked up within this many hours of the sprint start;
        # mid-sprint additions start after an exponential wait with this mean
        "pickup_hours": 336.0,
        "mid_sprint_start_hours": 24.0,
        "churn": 0.35,  # share of started issues bounced review -> in progress at least once
    },
    "rates": {
        "missing_assignee": 0.18,
        "missing_estimate": 0.35,
        "reopen": 0.10,
        "duplicates": 0.03,
        "late_blocker_logging": 0.12,
        "done_without_in_progress": 0.06,
        "mid_sprint_add": 0.20,
        "status_drift": 0.25,
        "sprint_removal": 0.05,
        "blocked_status": 0.08,
        "blocker_window": 0.12,
        "overlapping_blocker": 0.20,
        "abandoned": 0.01,
    },
    "degradation": {
        "enabled": True,
        "team": "FREYA",
        "reason": "Environment outage",
        # the outage starts this many days before the window's end and lasts outage_days
        # (still open at as_of when it reaches the end)
        "outage_start_days_before_end": 12,
        "outage_days": 12,
        # every team slows down by this factor for work started in the last slowdown days
        "slowdown_days_before_end": 21,
        "slowdown_factor": 1.5,
    },
}

STATES = ("todo", "in_progress", "review", "done", "blocked")
_REPLACED_WHOLE = {"teams", "projects"}
_TEAM_KEYS = {"capacity": (int, float), "speed": (int, float), "statuses": dict, "members": list}


def _type_name(t) -> str:
    if isinstance(t, tuple):
        return "a number"
    return {
        int: "an integer",
        float: "a number",
        str: "a string",
        bool: "true or false",
        dict: "a table",
        list: "a list",
    }[t]


def _check_type(key: str, value, expected) -> None:
    types = expected if isinstance(expected, tuple) else (expected,)
    if float in types:
        types = types + (int,)
    if isinstance(value, bool) and bool not in types:
        raise HeimdallError(f"config: '{key}' must be {_type_name(expected)}")
    if not isinstance(value, types):
        raise HeimdallError(f"config: '{key}' must be {_type_name(expected)}")


def _merge(base: dict, override: dict, prefix: str) -> dict:
    out = copy.deepcopy(base)
    for key, value in override.items():
        path = f"{prefix}{key}"
        if key not in base:
            raise HeimdallError(f"config: unknown key '{path}'")
        if key in _REPLACED_WHOLE:
            out[key] = value
        elif isinstance(base[key], dict):
            _check_type(path, value, dict)
            out[key] = _merge(base[key], value, f"{path}.")
        else:
            _check_type(path, value, type(base[key]) if not isinstance(base[key], float) else float)
            out[key] = value
    return out


def _validate_team(name: str, team: dict) -> None:
    for key, value in team.items():
        if key not in _TEAM_KEYS:
            raise HeimdallError(f"config: unknown key 'teams.{name}.{key}'")
        _check_type(f"teams.{name}.{key}", value, _TEAM_KEYS[key])
    for key in ("statuses",):
        if key not in team:
            raise HeimdallError(f"config: 'teams.{name}.{key}' is required")
    statuses = team["statuses"]
    for state in STATES:
        if state not in statuses:
            raise HeimdallError(f"config: 'teams.{name}.statuses.{state}' is required")
    for state, value in statuses.items():
        where = f"teams.{name}.statuses.{state}"
        if state not in STATES:
            raise HeimdallError(f"config: unknown key '{where}' (states: {', '.join(STATES)})")
        if state == "review":
            if isinstance(value, str):
                statuses[state] = [value]
            elif not (isinstance(value, list) and 1 <= len(value) <= 2 and all(isinstance(v, str) for v in value)):
                raise HeimdallError(f"config: '{where}' must be one or two status names")
        elif not isinstance(value, str) or not value.strip():
            raise HeimdallError(f"config: '{where}' must be a status name")
    if team.setdefault("capacity", 1) <= 0:
        raise HeimdallError(f"config: 'teams.{name}.capacity' must be positive")
    if team.setdefault("speed", 1.0) <= 0:
        raise HeimdallError(f"config: 'teams.{name}.speed' must be positive")
    members = team.setdefault("members", [f"{name.lower()}.dev{i}" for i in range(1, 4)])
    if not members or not all(isinstance(m, str) for m in members):
        raise HeimdallError(f"config: 'teams.{name}.members' must be a non-empty list of names")


# Bounds that keep one typo from asking for centuries of days or billions of rows.
MAX_DAYS = 3660
MAX_ISSUES = 100_000_000


def _validate(cfg: dict) -> dict:
    if cfg["issues"] < 1:
        raise HeimdallError("config: 'issues' must be at least 1")
    if not 0 <= cfg["seed"] < 2**63:
        raise HeimdallError("config: 'seed' must be a whole number from 0")
    if cfg["issues"] > MAX_ISSUES:
        raise HeimdallError(f"config: 'issues' must be at most {MAX_ISSUES:,}")
    if not 1 <= cfg["window"]["days"] <= MAX_DAYS:
        raise HeimdallError(f"config: 'window.days' must be from 1 to {MAX_DAYS:,} (ten years)")
    if cfg["sprint_days"] < 1:
        raise HeimdallError("config: 'sprint_days' must be at least 1")
    try:
        start = date.fromisoformat(cfg["window"]["start"])
    except ValueError:
        raise HeimdallError("config: 'window.start' must be a date like 2025-10-01") from None
    if start.year < 1970:
        raise HeimdallError("config: 'window.start' must not be before 1970")
    _check_type("teams", cfg["teams"], dict)
    if not cfg["teams"]:
        raise HeimdallError("config: 'teams' must name at least one team")
    for name, team in cfg["teams"].items():
        _check_type(f"teams.{name}", team, dict)
        _validate_team(name, team)
    projects = cfg["projects"]
    if not (isinstance(projects, list) and projects and all(isinstance(p, str) and p for p in projects)):
        raise HeimdallError("config: 'projects' must be a non-empty list of project keys")
    for key in ("issue_types", "priorities"):
        weights = cfg[key]
        if (
            not weights
            or any(not isinstance(w, (int, float)) or isinstance(w, bool) or w < 0 for w in weights.values())
            or sum(weights.values()) <= 0
        ):
            raise HeimdallError(f"config: '{key}' must map names to non-negative weights")
    for key, value in cfg["rates"].items():
        if not 0 <= value <= 1:
            raise HeimdallError(f"config: 'rates.{key}' must be between 0 and 1")
    for key, value in cfg["flow"].items():
        if value <= 0 and key != "churn":
            raise HeimdallError(f"config: 'flow.{key}' must be positive")
    if not 0 <= cfg["flow"]["churn"] <= 1:
        raise HeimdallError("config: 'flow.churn' must be between 0 and 1")
    deg = cfg["degradation"]
    if deg["enabled"] and deg["team"] not in cfg["teams"]:
        raise HeimdallError(f"config: 'degradation.team' names {deg['team']!r}, which is not a team")
    for key in ("outage_start_days_before_end", "outage_days", "slowdown_days_before_end"):
        if deg[key] < 0:
            raise HeimdallError(f"config: 'degradation.{key}' must not be negative")
    if deg["slowdown_factor"] <= 0:
        raise HeimdallError("config: 'degradation.slowdown_factor' must be positive")
    return cfg


def _issue_types_merge(cfg: dict, override: dict) -> None:
    # Weight tables are open-ended: new names are allowed, unlike every other table.
    for key in ("issue_types", "priorities"):
        if key in override:
            _check_type(key, override[key], dict)
            cfg[key] = dict(override[key])


def resolve(override: dict | None = None, **cli) -> dict:
    """The full scenario: DEFAULTS, then a config file's values, then CLI flags."""
    override = dict(override or {})
    weights = {k: override.pop(k) for k in ("issue_types", "priorities") if k in override}
    cfg = _merge(DEFAULTS, override, "")
    _issue_types_merge(cfg, weights)
    for key, value in cli.items():
        if value is not None:
            cfg[key] = value
    return _validate(cfg)


def load(path: Path | None, **cli) -> dict:
    """Read a TOML config file (if any) and resolve the scenario."""
    override = tomlfile.load(path, "config") if path is not None else {}
    return resolve(override, **cli)
