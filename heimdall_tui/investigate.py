"""The Issue Investigator (tab 5) and WIP Triage (tab 6)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.message import Message
from textual.suggester import Suggester
from textual.widgets import Input, Label, Select, Static

from heimdall_tui import keymap, views
from heimdall_tui.tabs import STATE_LABELS, Tab
from heimdall_tui.widgets import Chart, IssueTable

TRIAGE_LIMITS = (50, 100, 200, 500, 1000)


def _when(t: datetime | None) -> str:
    return "—" if t is None else f"{t:%Y-%m-%d %H:%M}"


def _days(hours: float | None) -> str:
    return "—" if hours is None else f"{hours / 24:.1f} d" if hours >= 48 else f"{hours:.1f} h"


class KeySuggester(Suggester):
    """Completes issue keys case-insensitively by prefix, from the warehouse."""

    def __init__(self, lookup):
        super().__init__(use_cache=True, case_sensitive=False)
        self.lookup = lookup

    async def get_suggestion(self, value: str) -> str | None:
        if len(value) < 2:
            return None
        matches = await self.lookup(value)
        return matches[0] if matches else None


class InvestigatorTab(Tab):
    """Everything about one issue, in sections; on no issue, the jump box and recent issues."""

    BINDINGS = keymap.INVESTIGATOR

    class Jump(Message):
        def __init__(self, key: str) -> None:
            super().__init__()
            self.key = key

    def compose(self) -> ComposeResult:
        with Horizontal(id="jump-row"):
            yield Label("Issue / ")
            yield Input(placeholder="type an issue key, enter opens it", compact=True, id="jump",
                        suggester=KeySuggester(lambda prefix: self.app.issue_keys(prefix)))
        yield Static(id="jump-error")
        yield Static(id="inv-summary", classes="section")
        yield IssueTable([("key", "Issue"), ("team", "Team"), ("state", "State"), ("touched", "Last change"),
                          ("summary", "Summary")], id="recent")
        yield IssueTable([("at", "When"), ("from", "From"), ("to", "To"), ("state", "State"), ("time", "Time there"),
                          ("mark", "")], names_issues=False, id="inv-transitions")
        yield Chart("Time in status (hours, to as_of)", id="inv-time")
        yield IssueTable([("reason", "Reason"), ("from", "From"), ("to", "To"), ("time", "Duration"),
                          ("flags", "")], names_issues=False, id="inv-blockers")
        yield IssueTable([("sprint", "Sprint"), ("state", "State"), ("added", "Added"), ("removed", "Removed"),
                          ("flags", "")], names_issues=False, id="inv-sprints")
        yield Static(id="inv-quality", classes="section")

    unknown_key = False  # the last jump named no issue: the box stays focused for another try

    def initial_focus(self):
        if self.app.jump_pending or self.unknown_key:
            self.app.jump_pending = False
            return self.query_one("#jump", Input)
        return self

    def action_back(self) -> None:
        self.app.go_back()

    def action_step(self, step: int) -> None:
        self.app.step_issue(step)

    def action_copy_key(self) -> None:
        self.app.copy_issue_key()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        key = event.value.strip().upper()
        if key:
            self.post_message(self.Jump(key))

    def show(self, view: views.Investigation) -> None:
        self.query_one("#jump-error", Static).update("")
        self.unknown_key = view.key is not None and view.facts is None
        found = view.facts is not None
        for widget_id in ("inv-summary", "inv-transitions", "inv-time", "inv-blockers", "inv-sprints", "inv-quality"):
            self.query_one(f"#{widget_id}").display = found
        self.query_one("#recent").display = not found
        if not found:
            recent = self.query_one("#recent", IssueTable)
            recent.border_title = "Recently touched issues (enter opens one)"
            rows = [(r["issue_key"], r["team"], STATE_LABELS.get(r["current_status"], r["current_status"]),
                     _when(r["touched_at"]), r["summary"] or "") for r in view.recent.iter_rows(named=True)]
            recent.show(rows, [r[0] for r in rows])
            if self.unknown_key:
                self.query_one("#jump-error", Static).update(
                    Text(f"No issue {view.key} in this warehouse.", style="bold red"))
            return
        self._summary(view.facts)
        self._timeline(view.timeline)
        tis = view.time_in_status

        def bars(plt):
            if tis.height:
                plt.bar([STATE_LABELS.get(s, s) for s in tis["canonical_status"]], tis["hours"].to_list(),
                        orientation="horizontal", color="cyan")
            plt.xlabel("hours")

        self.query_one("#inv-time", Chart).draw(bars)
        blockers = self.query_one("#inv-blockers", IssueTable)
        blockers.border_title = f"Blockers ({view.blockers.height})"
        blockers.show([(r["reason"], _when(r["blocked_start"]), "open" if r["is_open"] else _when(r["blocked_end"]),
                        _days(r["hours"]), ", ".join(f for f, on in (("logged late", r["is_late_logged"]),
                                                                    ("inverted: ignored", not r["is_valid"])) if on))
                       for r in view.blockers.iter_rows(named=True)])
        sprints = self.query_one("#inv-sprints", IssueTable)
        sprints.border_title = f"Sprints ({view.sprints.height})"
        sprints.show([(r["sprint_name"], r["state"], _when(r["added_at"]), _when(r["removed_at"]),
                       ", ".join(f for f, on in (("added mid-sprint", r["added_mid_sprint"]),
                                                 ("removed", r["removed"])) if on))
                      for r in view.sprints.iter_rows(named=True)])
        quality = Text("Data quality\n", style="bold")
        for note in view.quality or ("nothing unusual in this issue's raw data",):
            quality.append(f"  • {note}\n")
        self.query_one("#inv-quality", Static).update(quality)
        self.scroll_home(animate=False)

    def _summary(self, f: dict) -> None:
        text = Text()
        text.append(f"{f['issue_key']}", style="bold")
        text.append(f"  {f['summary'] or ''}\n")
        pairs = [("type", f["issue_type"]), ("priority", f["priority"]), ("team", f["team"]),
                 ("project", f["project_key"]), ("assignee", f["assignee"] or "unassigned"),
                 ("state", f"{STATE_LABELS.get(f['current_status'], f['current_status'])} ({f['current_raw_status'] or 'created'})"),
                 ("created", _when(f["created_at"])), ("cycle start", _when(f["first_in_progress_at"])),
                 ("done", _when(f["done_at"])), ("cycle time", _days(f["cycle_time_hours"])),
                 ("lead time", _days(f["lead_time_hours"])), ("age", _days(f["age_hours"])),
                 ("blocked", _days(f["blocked_hours"])), ("reopened", f"{f['reopen_count']}x")]
        for i, (label, value) in enumerate(pairs):
            text.append(f"{label:>11} ", style="dim")
            text.append(f"{str(value):<22}" + ("\n" if i % 2 else ""))
        self.query_one("#inv-summary", Static).update(text)

    def _timeline(self, timeline) -> None:
        table = self.query_one("#inv-transitions", IssueTable)
        table.border_title = f"Transitions ({max(timeline.height - 1, 0)})"
        rows = []
        for r in timeline.iter_rows(named=True):
            marks = [m for m, on in (("reopened", r["is_reopen"]), ("backward", r["is_backward"]),
                                     ("drifted name", r["is_drifted"]),
                                     ("unmapped", r["canonical_status"] == "unknown")) if on]
            rows.append((_when(r["entered_at"]), r["from_status"] or ("(created)" if r["period_index"] else ""),
                         r["to_status"] or "(created)", STATE_LABELS.get(r["canonical_status"], r["canonical_status"]),
                         _days(r["hours"]), ", ".join(marks)))
        table.show(rows)


class TriageTab(Tab):
    """Active items ranked by risk; its own selects; sorting and paging run in the warehouse."""

    BINDINGS = keymap.TRIAGE

    class Changed(Message):
        def __init__(self, query: views.TriageQuery) -> None:
            super().__init__()
            self.query = query

    query: views.TriageQuery = views.TriageQuery()
    total: int = 0
    rows_shown: list = []

    def compose(self) -> ComposeResult:
        with Horizontal(id="triage-filters"):
            yield Select([], prompt="team: all", compact=True, id="triage-team")
            yield Select([], prompt="project: all", compact=True, id="triage-project")
            yield Select([(STATE_LABELS[s], s) for s in ("in_progress", "review", "blocked")], prompt="state: all",
                         compact=True, id="triage-state")
            yield Select([(f"{n} rows", n) for n in TRIAGE_LIMITS], value=views.TriageQuery().limit,
                         allow_blank=False, compact=True, id="triage-limit")
        yield Static(id="triage-rule", classes="dim")
        yield IssueTable([(c, label) for c, label in (
            ("issue_key", "Issue"), ("risk", "Risk"), ("team", "Team"), ("canonical_status", "State"),
            ("age_days", "Age d"), ("days_in_status", "In status d"), ("blocked_hours", "Blocked h"),
            ("assignee", "Assignee"), ("project_key", "Project"), ("raw_status", "Raw status"))],
            id="triage-table", sort_callback=self._sorted)

    def set_dimensions(self, dimensions: dict[str, list[str]]) -> None:
        self.query_one("#triage-team", Select).set_options([(t, t) for t in dimensions["team"]])
        self.query_one("#triage-project", Select).set_options([(p, p) for p in dimensions["project_key"]])

    def on_select_changed(self, event: Select.Changed) -> None:
        def value(widget_id):
            v = self.query_one(widget_id, Select).value
            return None if v == Select.NULL else v

        query = views.TriageQuery(value("#triage-team"), value("#triage-project"), value("#triage-state"),
                                  value("#triage-limit") or self.query.limit, self.query.order, self.query.descending)
        if query != self.query:
            self.post_message(self.Changed(query))
        event.stop()

    def _sorted(self, column: str, reverse: bool) -> None:
        self.post_message(self.Changed(replace(self.query, order=column, descending=reverse, page=0)))

    def action_page(self, step: int) -> None:
        pages = max(1, -(-self.total // self.query.limit))
        page = min(max(self.query.page + step, 0), pages - 1)
        if page != self.query.page:
            self.post_message(self.Changed(replace(self.query, page=page)))

    def show(self, view: views.Triage) -> None:
        self.query = view.query
        self.total = view.total
        q = view.query
        start = q.page * q.limit
        self.query_one("#triage-rule", Static).update(
            f"{view.rule}.  ! past SLE or blocked, !! both.  [ ] page")
        table = self.query_one("#triage-table", IssueTable)
        table.border_title = (f"WIP triage: {start + 1:,}–{start + view.rows.height:,} of {view.total:,} active"
                              if view.rows.height else "WIP triage: nothing active matches")
        rows = []
        for r in view.rows.iter_rows(named=True):
            mark = "!!" if r["past_sle"] and r["blocked_now"] else "!" if r["past_sle"] or r["blocked_now"] else ""
            rows.append((r["issue_key"], f"{r['risk']:5.2f} {mark}".rstrip(), r["team"],
                         STATE_LABELS[r["canonical_status"]], r["age_days"], r["days_in_status"], r["blocked_hours"],
                         r["assignee"], r["project_key"], r["raw_status"]))
        table.show(rows, [r[0] for r in rows], sorted_by=(q.order, q.descending))
        self.rows_shown = rows

    def initial_focus(self):
        table = self.query_one("#triage-table", IssueTable)
        table.move_cursor(row=0)
        return table

    def action_export(self) -> None:
        self.app.export_triage()
