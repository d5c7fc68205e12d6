"""Vectorised simulation of a Jira-style delivery process.

Every issue follows a path of up to len(SLOTS) status changes (start, review churn, a
blocked episode, review, QA, done, reopen and done again); each issue switches slots on
or off, and dwell times are drawn for all slots at once, so event times are one masked
cumulative sum over an (issues x slots) matrix. No Python loop touches an issue.

Flow: issues arrive uniformly over the window, split across teams by capacity; most
are planned into the next sprint and picked up soon after it starts, the rest are added
mid-sprint. Dwell times are team-specific log-normals, so WIP settles near
arrival rate x cycle time (Little's law) instead of piling up. Nothing happens after
as_of (the window's end): later events are cut, leaving work open. A configurable
late-window degradation pauses one team (an outage, logged as blockers) and slows all.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np
import polars as pl

HOUR = 3600
DAY = 24 * HOUR

TODO, IP, REV, QA, DONE, BLK = range(6)
ROLE_STATE = ("todo", "in_progress", "review", "review", "done", "blocked")
#                 start churn......... blocked.. review qa  done reopen..........
SLOTS = np.array([IP, REV, IP, REV, IP, BLK, IP, REV, QA, DONE, IP, REV, DONE])
S_START, S_CHURN1, S_CHURN2, S_BLOCK, S_REVIEW, S_QA, S_DONE, S_REOPEN = 0, 1, 3, 5, 7, 8, 9, 10

DRIFT_FORMS = ("{}", "Custom:{}", "{}*", "{} (legacy)")

BLOCKER_REASONS = (
    "Waiting on dependency",
    "Environment unavailable",
    "Awaiting code review",
    "Unclear requirements",
    "External vendor",
    "Test data missing",
    "Waiting on security sign-off",
)
SPRINT_GOALS = (
    "Stabilise the release pipeline",
    "Ship the onboarding flow",
    "Pay down flaky tests",
    "Deliver the reporting MVP",
    "Harden authentication",
    "Cut p95 latency",
)
VERBS = ("Fix", "Add", "Refactor", "Investigate", "Migrate", "Document", "Harden", "Remove", "Speed up", "Validate")
OBJECTS = (
    "login redirect",
    "billing export",
    "search indexer",
    "audit log",
    "feature flags",
    "retry policy",
    "CSV importer",
    "alert routing",
    "session cache",
    "payment webhook",
    "release notes",
    "rate limiter",
    "user settings page",
    "data retention job",
    "SSO callback",
    "metrics endpoint",
)
ESTIMATES = np.array([1, 2, 3, 5, 8, 13])
ESTIMATE_P = np.array([0.12, 0.22, 0.28, 0.22, 0.11, 0.05])


@dataclass(frozen=True)
class Raw:
    """The five raw tables (content columns; source_hash is derived on insert) and as_of."""

    issues: pl.DataFrame
    transitions: pl.DataFrame
    sprints: pl.DataFrame
    issue_sprint: pl.DataFrame
    blockers: pl.DataFrame
    as_of: datetime

    def tables(self) -> dict[str, pl.DataFrame]:
        return {
            "raw_issues": self.issues,
            "raw_transitions": self.transitions,
            "raw_sprints": self.sprints,
            "raw_issue_sprint": self.issue_sprint,
            "raw_blockers": self.blockers,
        }


def _weights(table: dict) -> tuple[list[str], np.ndarray]:
    names = list(table)
    w = np.array([table[k] for k in names], dtype=float)
    return names, w / w.sum()


def _ts(base: int, seconds: np.ndarray, valid: np.ndarray | None = None) -> pl.Series:
    """UTC datetimes (second precision) from window-relative seconds; invalid -> null."""
    s = pl.Series(base + seconds.astype(np.int64))
    if valid is not None:
        s = pl.select(pl.when(pl.Series(valid)).then(s)).to_series()
    return pl.from_epoch(s, time_unit="s").dt.replace_time_zone("UTC")


def _lognormal(rng, median, spread: float, size) -> np.ndarray:
    # float32 halves the memory and time of the (issues x slots) draws; seconds stay exact
    # enough (24 bits of mantissa on values of at most weeks).
    z = rng.standard_normal(size, dtype=np.float32)
    z *= np.float32(spread)
    np.exp(z, out=z)
    z *= np.asarray(median, dtype=np.float32)
    return z


CHUNK = 250_000  # issues per chunk: bounds the (issues x slots) matrices to about 100 MB


def _fork(rng: np.random.Generator) -> np.random.Generator:
    """An independent generator at the same point of the same stream."""
    bit = type(rng.bit_generator)()
    bit.state = rng.bit_generator.state
    return np.random.Generator(bit)


def _skip_doubles(rng: np.random.Generator, count: int) -> None:
    """Move past `count` uniform doubles (one 64-bit draw each) without drawing them. advance()
    clears the buffered half of a 64-bit draw that 32-bit draws use; doubles never touch it."""
    bit = rng.bit_generator
    assert isinstance(bit, np.random.PCG64)  # default_rng's: it can jump ahead
    before = bit.state
    bit.advance(count)
    bit.state = {**bit.state, "has_uint32": before["has_uint32"], "uinteger": before["uinteger"]}


def _skip(rng: np.random.Generator, draw, total: int, step: int) -> None:
    """Move past `total` draws whose consumption varies (ziggurat, bounded integers) by drawing
    them in steps: numpy draws element by element, so steps consume what one call would."""
    for done in range(0, total, step):
        draw(rng, min(step, total - done))


def simulate(cfg: dict, chunk: int = CHUNK) -> Raw:
    """Every raw table in memory: `stream` with its pieces put together."""
    as_of, frames = stream(cfg, chunk)
    parts: dict[str, list[pl.DataFrame]] = {}
    for table, frame in frames:
        parts.setdefault(table, []).append(frame)
    whole = {table: pl.concat(frames) for table, frames in parts.items()}
    return Raw(
        whole["raw_issues"],
        whole["raw_transitions"],
        whole["raw_sprints"],
        whole["raw_issue_sprint"],
        whole["raw_blockers"],
        as_of=as_of,
    )


def stream(cfg: dict, chunk: int = CHUNK) -> tuple[datetime, Iterator[tuple[str, pl.DataFrame]]]:
    """as_of and the raw tables as (table, frame) pieces, each table's pieces in row order.

    Memory is bounded by `chunk` issues, except for a few values per issue: the (issues x
    slots) matrices and the events are made one chunk of issues at a time, twice (once to count
    the events, once to emit them). The output does not depend on `chunk`: every draw of the
    one random stream is taken in the order a single pass over all issues takes it, each
    chunked draw from its own generator placed where that draw starts in the stream."""
    window = cfg["window"]["days"] * DAY
    start_dt = datetime.fromisoformat(cfg["window"]["start"]).replace(tzinfo=UTC)
    base = int(start_dt.timestamp())
    return datetime.fromtimestamp(base + window, tz=UTC), _frames(cfg, max(1, chunk), window, base)


def _frames(cfg: dict, chunk: int, window: int, base: int) -> Iterator[tuple[str, pl.DataFrame]]:
    rng = np.random.default_rng(cfg["seed"])
    n = cfg["issues"]
    flow, rates, deg = cfg["flow"], cfg["rates"], cfg["degradation"]
    sprint_len = cfg["sprint_days"] * DAY

    team_names = list(cfg["teams"])
    teams = [cfg["teams"][t] for t in team_names]
    n_teams = len(teams)
    capacity = np.array([t["capacity"] for t in teams], dtype=float)
    team = rng.choice(n_teams, n, p=capacity / capacity.sum())
    speed = np.array([t["speed"] for t in teams])[team]
    has_qa = np.array([len(t["statuses"]["review"]) > 1 for t in teams])[team]

    # --- arrivals and pick-up -------------------------------------------------------
    created = np.sort(rng.uniform(0, window, n)).astype(np.int64)
    mid_sprint = rng.random(n) < rates["mid_sprint_add"]
    next_sprint = (created // sprint_len + 1) * sprint_len
    start = np.where(
        mid_sprint,
        created + rng.exponential(flow["mid_sprint_start_hours"] * HOUR, n),
        next_sprint + rng.uniform(0, flow["pickup_hours"] * HOUR, n),
    )

    # --- which slots each issue passes through ---------------------------------------
    n_slots = len(SLOTS)
    cols = np.arange(n_slots)
    churned = rng.random(n) < flow["churn"]
    churn = np.where(churned, np.where(rng.random(n) < 0.4, 2, 1), 0)
    skip_ip = rng.random(n) < rates["done_without_in_progress"]
    blocked_status = rng.random(n) < rates["blocked_status"]
    reopened = rng.random(n) < rates["reopen"]
    abandoned = rng.random(n) < rates["abandoned"]
    abandon_after = rng.integers(S_START, S_QA + 1, n)

    # --- dwell times: one (issues x slots) draw, taken a chunk at a time --------------------
    medians = (
        np.array(
            [
                0.0,
                flow["in_progress_hours"],
                flow["review_hours"],
                flow["qa_hours"],
                flow["done_before_reopen_hours"],
                flow["blocked_hours"],
            ]
        )[SLOTS]
        * HOUR
    )
    slow_from = window - deg["slowdown_days_before_end"] * DAY
    dwell_at = _fork(rng)
    _skip(rng, lambda g, k: g.standard_normal(k, dtype=np.float32), n * n_slots, chunk * n_slots)

    # --- the outage: one team's work pauses, logged as a blocker and a Blocked status ---
    outage = deg["enabled"] and deg["outage_days"] > 0
    if outage:
        o_start = window - deg["outage_start_days_before_end"] * DAY
        o_end = o_start + deg["outage_days"] * DAY
        in_team = team == team_names.index(deg["team"])
        block_at = o_start + rng.uniform(0, 4 * HOUR, n).astype(np.int64)
        resume_at = o_end + rng.uniform(0, 4 * HOUR, n).astype(np.int64)

    def slots(dwell_rng: np.random.Generator, lo: int, hi: int):
        """Issues lo..hi-1: the slots each passes (mask), their event times, and for the outage
        whether the issue was hit and the role it resumes in."""
        rows = slice(lo, hi)
        mask = np.ones((hi - lo, n_slots), dtype=bool)
        mask[:, S_CHURN1 : S_CHURN1 + 2] &= (churn[rows] >= 1)[:, None]
        mask[:, S_CHURN2 : S_CHURN2 + 2] &= (churn[rows] >= 2)[:, None]
        mask[:, S_BLOCK : S_BLOCK + 2] &= blocked_status[rows, None]
        mask[:, S_QA] &= has_qa[rows]
        mask[:, S_REOPEN:] &= reopened[rows, None]
        mask[:, :S_REVIEW] &= ~skip_ip[rows, None]
        mask &= ~(abandoned[rows, None] & (cols[None, :] > abandon_after[rows, None]))
        dwell = _lognormal(dwell_rng, medians[None, :], flow["spread"], (hi - lo, n_slots)) * speed[rows, None]
        if deg["enabled"]:
            dwell *= np.where(start[rows] >= slow_from, deg["slowdown_factor"], 1.0)[:, None]
        np.maximum(dwell, 60.0, out=dwell)
        dwell[~mask] = 0.0
        offsets = np.cumsum(dwell, axis=1, dtype=np.float64)
        offsets -= dwell
        times = (start[rows, None] + offsets).astype(np.int64)
        del dwell, offsets
        hit = role_then = None
        if outage:
            before = mask & (times < o_start)
            started = before.any(axis=1)
            last_slot = n_slots - 1 - np.argmax(before[:, ::-1], axis=1)
            role_then = np.where(started, SLOTS[last_slot], TODO)
            hit = in_team[rows] & started & np.isin(role_then, (IP, REV, QA))
            paused = in_team[rows, None] & (times >= o_start)
            times += paused * (resume_at[rows] - o_start)[:, None]
        return mask, times, hit, role_then

    def extras(lo: int, hit, role_then):
        """The outage's two status changes (Blocked, then back) of each issue it hit."""
        idx = lo + np.flatnonzero(hit)
        return (
            np.concatenate([idx, idx]),
            np.concatenate([block_at[idx], resume_at[idx]]),
            np.concatenate([np.full(idx.size, BLK), role_then[idx - lo]]),
        )

    # --- first pass: per-issue figures and how many events there are ------------------------
    first_done = np.empty(n, dtype=np.int64)
    done_slot = np.empty(n, dtype=bool)
    block_from = np.empty(n, dtype=np.int64)
    block_to = np.empty(n, dtype=np.int64)
    block_slot = np.empty(n, dtype=bool)
    any_slot = np.empty(n, dtype=bool)
    first_active = np.empty(n, dtype=np.int64)
    last_event = np.empty(n, dtype=np.int64)
    hit_all = np.zeros(n, dtype=bool)
    n_events = 0
    pass_rng = _fork(dwell_at)
    for lo in range(0, n, chunk):
        hi = min(n, lo + chunk)
        mask, times, hit, role_then = slots(pass_rng, lo, hi)
        rows, local = slice(lo, hi), np.arange(hi - lo)
        first_done[rows], done_slot[rows] = times[:, S_DONE], mask[:, S_DONE]
        block_from[rows], block_to[rows], block_slot[rows] = times[:, S_BLOCK], times[:, S_BLOCK + 1], mask[:, S_BLOCK]
        any_slot[rows] = mask.any(axis=1)
        first_active[rows] = np.where(any_slot[rows], times[local, np.argmax(mask, axis=1)], np.iinfo(np.int64).max)
        last_event[rows] = np.where(any_slot[rows], times[local, n_slots - 1 - np.argmax(mask[:, ::-1], axis=1)], -1)
        n_events += int(np.count_nonzero(mask & (times <= window)))
        if outage:
            hit_all[rows] = hit
            n_events += int(np.count_nonzero(extras(lo, hit, role_then)[1] <= window))
        del mask, times

    # --- raw status names: team palettes, with drift decorations ---------------------
    names: list[str] = []
    for t in teams:
        st = t["statuses"]
        palette = (st["todo"], st["in_progress"], st["review"][0], st["review"][-1], st["done"], st["blocked"])
        names.extend(form.format(name) for name in palette for form in DRIFT_FORMS)
    vocab = pl.Series(names)
    n_forms = len(DRIFT_FORMS)
    drifts_at = _fork(rng)
    _skip_doubles(rng, n_events)
    drift_forms_at = _fork(rng)
    _skip(rng, lambda g, k: g.integers(1, n_forms, k), n_events, chunk * n_slots)

    # --- issues ---------------------------------------------------------------------------
    projects = cfg["projects"]
    project = rng.integers(0, len(projects), n)
    type_names, type_p = _weights(cfg["issue_types"])
    prio_names, prio_p = _weights(cfg["priorities"])
    members = [m for t in teams for m in t["members"]]
    offsets = np.cumsum([0] + [len(t["members"]) for t in teams])
    sizes = np.diff(offsets)
    assignee_idx = offsets[team] + (rng.random(n) * sizes[team]).astype(np.int64)
    has_assignee = rng.random(n) >= rates["missing_assignee"]
    reporter_idx = rng.integers(0, len(members), n)
    has_estimate = rng.random(n) >= rates["missing_estimate"]
    estimate = rng.choice(ESTIMATES, n, p=ESTIMATE_P)
    summary_idx = rng.integers(0, len(VERBS) * len(OBJECTS), n)
    issue_type = rng.choice(len(type_names), n, p=type_p)
    priority = rng.choice(len(prio_names), n, p=prio_p)
    summaries = pl.Series([f"{v} {o}" for v in VERBS for o in OBJECTS])
    resolved = done_slot & (first_done <= window)
    members_s = pl.Series(members)
    actor_idx = np.where(has_assignee, assignee_idx, reporter_idx)
    # the issue's number within its project, in issue order (VALHALLA-1, VALHALLA-2, ...)
    in_project = np.argsort(project, kind="stable")
    per_project = np.bincount(project, minlength=len(projects))
    key_number = np.empty(n, dtype=np.int64)
    key_number[in_project] = np.arange(n) - np.repeat(np.cumsum(per_project) - per_project, per_project) + 1

    def issue_frame(lo: int, hi: int) -> pl.DataFrame:
        rows = slice(lo, hi)
        project_s = pl.Series("project_key", projects).gather(project[rows])
        assignee = members_s.gather(assignee_idx[rows])
        return pl.DataFrame(
            {
                "issue_id": np.arange(lo + 1, hi + 1, dtype=np.int64),
                "issue_key": project_s + "-" + pl.Series(key_number[rows]).cast(pl.String),
                "project_key": project_s,
                "team": pl.Series(team_names).gather(team[rows]),
                "issue_type": pl.Series(type_names).gather(issue_type[rows]),
                "priority": pl.Series(prio_names).gather(priority[rows]),
                "created_at": _ts(base, created[rows]),
                "resolved_at": _ts(base, first_done[rows], resolved[rows]),
                "assignee": pl.select(pl.when(pl.Series(has_assignee[rows])).then(assignee)).to_series(),
                "reporter": members_s.gather(reporter_idx[rows]),
                "estimate_points": pl.select(
                    pl.when(pl.Series(has_estimate[rows])).then(pl.Series(estimate[rows]))
                ).to_series(),
                "summary": summaries.gather(summary_idx[rows]),
            }
        )

    # --- transitions' duplicated rows, as exports have ----------------------------------
    duplicates_at = _fork(rng)
    _skip_doubles(rng, n_events)

    # --- blockers -----------------------------------------------------------------------
    blocker_parts = []  # (issue index, start, end, reason code); reason -1 = the outage
    ep = np.flatnonzero(block_slot & (rng.random(n) < 0.7))
    blocker_parts.append(
        (
            ep,
            block_from[ep] + rng.integers(-2 * HOUR, 2 * HOUR, ep.size),
            block_to[ep] + rng.integers(0, 3 * HOUR, ep.size),
            rng.integers(0, len(BLOCKER_REASONS), ep.size),
        )
    )
    span_end = np.minimum(last_event, window)
    flagged = np.flatnonzero((rng.random(n) < rates["blocker_window"]) & (first_active < span_end))
    f_start = first_active[flagged] + (rng.random(flagged.size) * (span_end - first_active)[flagged]).astype(np.int64)
    f_len = _lognormal(rng, flow["blocked_hours"] * HOUR, flow["spread"], flagged.size).astype(np.int64)
    blocker_parts.append((flagged, f_start, f_start + f_len, rng.integers(0, len(BLOCKER_REASONS), flagged.size)))
    again = rng.random(flagged.size) < rates["overlapping_blocker"]
    o2_start = f_start[again] + (rng.random(again.sum()) * f_len[again]).astype(np.int64)
    o2_len = _lognormal(rng, flow["blocked_hours"] * HOUR, flow["spread"], again.sum()).astype(np.int64)
    blocker_parts.append(
        (flagged[again], o2_start, o2_start + o2_len, rng.integers(0, len(BLOCKER_REASONS), again.sum()))
    )
    if outage:
        idx = np.flatnonzero(hit_all)
        blocker_parts.append((idx, block_at[idx], resume_at[idx], np.full(idx.size, -1)))
    b_issue, b_start, b_end, b_reason = (np.concatenate(p) for p in zip(*blocker_parts))
    late = rng.random(b_issue.size) < rates["late_blocker_logging"]
    logged = b_start + np.where(
        late, rng.uniform(25 * HOUR, 120 * HOUR, b_issue.size), rng.uniform(0, 2 * HOUR, b_issue.size)
    ).astype(np.int64)
    keep = (b_start <= window) & (logged <= window)  # not yet logged at as_of = not in the data
    b_issue, b_start, b_end, b_reason, logged = (a[keep] for a in (b_issue, b_start, b_end, b_reason, logged))
    b_order = np.lexsort((b_start, b_issue))
    b_issue, b_start, b_end, b_reason, logged = (a[b_order] for a in (b_issue, b_start, b_end, b_reason, logged))
    reasons = pl.Series(list(BLOCKER_REASONS) + [deg["reason"]])
    yield (
        "raw_blockers",
        pl.DataFrame(
            {
                "blocker_id": np.arange(1, b_issue.size + 1),
                "issue_id": b_issue + 1,
                "reason": reasons.gather(np.where(b_reason < 0, len(BLOCKER_REASONS), b_reason)),
                "blocked_start": _ts(base, b_start),
                "blocked_end": _ts(base, b_end, b_end <= window),
                "logged_at": _ts(base, logged),
            }
        ),
    )
    del b_issue, b_start, b_end, b_reason, logged, blocker_parts

    # --- sprints and membership -----------------------------------------------------------
    n_sprints = -(-window // sprint_len)
    k = np.tile(np.arange(n_sprints), n_teams)
    s_team = np.repeat(np.arange(n_teams), n_sprints)
    yield (
        "raw_sprints",
        pl.DataFrame(
            {
                "sprint_id": s_team * n_sprints + k + 1,
                "team": pl.Series(team_names).gather(s_team),
                "sprint_name": pl.Series(team_names).gather(s_team) + " Sprint " + pl.Series(k + 1).cast(pl.String),
                "start_at": _ts(base, k * sprint_len),
                "end_at": _ts(base, (k + 1) * sprint_len),
                "goal": pl.Series(SPRINT_GOALS).gather(rng.integers(0, len(SPRINT_GOALS), k.size)),
            }
        ),
    )
    in_sprints = np.flatnonzero(first_active <= window)
    finish = np.where(last_event <= window, last_event, window)[in_sprints]
    first_sprint = first_active[in_sprints] // sprint_len
    last_sprint = np.minimum(finish // sprint_len, n_sprints - 1)
    count = last_sprint - first_sprint + 1
    m_row = np.repeat(np.arange(in_sprints.size), count)
    m_pos = np.arange(m_row.size) - np.repeat(np.cumsum(count) - count, count)
    m_issue = in_sprints[m_row]
    m_sprint = first_sprint[m_row] + m_pos
    m_start = m_sprint * sprint_len
    planned_add = np.maximum(created[m_issue], m_start - rng.uniform(0, 48 * HOUR, m_row.size).astype(np.int64))
    mid_from = np.maximum(created[m_issue], m_start)
    mid_add = mid_from + (rng.random(m_row.size) * (first_active[m_issue] - mid_from)).astype(np.int64)
    carried = m_start - rng.uniform(0, 2 * HOUR, m_row.size).astype(np.int64)
    added = np.where(m_pos > 0, carried, np.where(mid_sprint[m_issue], np.maximum(mid_add, m_start + 1), planned_add))
    descoped = (m_pos < count[m_row] - 1) & (rng.random(m_row.size) < rates["sprint_removal"])
    removed = added + (rng.random(m_row.size) * (m_start + sprint_len - added)).astype(np.int64)
    yield (
        "raw_issue_sprint",
        pl.DataFrame(
            {
                "id": np.arange(1, m_row.size + 1),
                "issue_id": m_issue + 1,
                "sprint_id": team[m_issue] * n_sprints + m_sprint + 1,
                "added_at": _ts(base, added),
                "removed_at": _ts(base, removed, descoped & (removed <= window)),
            }
        ),
    )
    del m_row, m_pos, m_issue, m_sprint, m_start, planned_add, mid_from, mid_add, carried, added, descoped, removed

    # --- second pass: issues and their events, a chunk at a time ------------------------------
    duplicated: list[pl.DataFrame] = []
    emitted = 0
    for lo in range(0, n, chunk):
        hi = min(n, lo + chunk)
        yield "raw_issues", issue_frame(lo, hi)
        mask, times, hit, role_then = slots(dwell_at, lo, hi)
        ev_issue, ev_slot = np.nonzero(mask)
        ev_time = times[ev_issue, ev_slot]
        ev_role = SLOTS[ev_slot]
        ev_issue += lo
        del mask, times, ev_slot
        if outage:
            extra_issue, extra_time, extra_role = extras(lo, hit, role_then)
            ev_issue = np.concatenate([ev_issue, extra_issue])
            ev_time = np.concatenate([ev_time, extra_time])
            ev_role = np.concatenate([ev_role, extra_role])
        keep = ev_time <= window
        ev_issue, ev_time, ev_role = ev_issue[keep], ev_time[keep], ev_role[keep]
        # Slot events are already in (issue, time) order and the outage's are appended: a stable
        # sort of one combined key merges the two runs in linear time.
        order = np.argsort(ev_issue.astype(np.int64) << 34 | ev_time, kind="stable")
        ev_issue, ev_time, ev_role = ev_issue[order], ev_time[order], ev_role[order]
        drifted = drifts_at.random(ev_issue.size) < rates["status_drift"]
        drift = np.where(drifted, drift_forms_at.integers(1, n_forms, ev_issue.size), 0)
        to_code = (team[ev_issue] * 6 + ev_role) * n_forms + drift
        # chunks start at an issue's first event, so no event's previous status is in another chunk
        first_of_issue = np.ones(ev_issue.size, dtype=bool)
        first_of_issue[1:] = ev_issue[1:] != ev_issue[:-1]
        from_code = np.where(first_of_issue, team[ev_issue] * 6 * n_forms + TODO, np.concatenate([[0], to_code[:-1]]))
        transitions = pl.DataFrame(
            {
                "transition_id": np.arange(emitted + 1, emitted + ev_issue.size + 1),
                "issue_id": ev_issue + 1,
                "from_status": vocab.gather(from_code),
                "to_status": vocab.gather(to_code),
                "changed_at": _ts(base, ev_time),
                "actor": members_s.gather(actor_idx[ev_issue]),
            }
        )
        emitted += ev_issue.size
        duplicated.append(transitions[np.flatnonzero(duplicates_at.random(ev_issue.size) < rates["duplicates"])])
        yield "raw_transitions", transitions
    copies = pl.concat(duplicated)
    yield "raw_transitions", copies.with_columns(transition_id=np.arange(emitted + 1, emitted + copies.height + 1))
