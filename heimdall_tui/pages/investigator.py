"""5 ISSUE: the Issue Investigator - everything about one issue, in sections."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.message import Message
from textual.widgets import Static

from heimdall_tui import keymap, views
from heimdall_tui.pages.base import Page
from heimdall_tui.widgets import BarList, IssueTable
from heimdall_tui.widgets.format import (
    DASH,
    duration,
    outcome_label,
    state_label,
    tone,
    when,
)

# what is shown of one issue (the hint line and the recent issues are not)
ISSUE_PARTS = (
    "inv-summary",
    "inv-transitions",
    "inv-time",
    "inv-relations",
    "inv-blockers",
    "inv-sprints",
    "inv-quality",
)


class InvestigatorPage(Page):
    """One issue's lifecycle; with none chosen, the recently touched issues."""

    page_id = "investigator"
    title = "ISSUE"
    about = "the Investigator: one issue's timeline, time in status, blockers, sprints, data quality"
    loader = staticmethod(views.investigate)
    BINDINGS = keymap.INVESTIGATOR

    class Back(Message):
        """esc: return to where the issue was opened from."""

    class Step(Message):
        """n/p: the next or previous issue of the list it was opened from."""

        def __init__(self, step: int) -> None:
            super().__init__()
            self.step = step

    class Copy(Message):
        """y: copy the issue key."""

    context_note = ""  # where the issue was opened from ("3 of 20 · "): see set_context
    can_step = False  # it was opened from a list of more than one issue

    @classmethod
    def request(cls, state):
        return state.issue

    def content(self) -> ComposeResult:
        yield Static(id="inv-hint", classes="section dim")
        yield Static(id="inv-summary", classes="section")
        yield IssueTable(
            [
                ("key", "Issue"),
                ("state", "State"),
                ("touched", "Last change"),
                ("team", "Team"),
                ("summary", "Summary"),
            ],
            id="recent",
        )
        yield IssueTable(
            [
                ("at", "When"),
                ("to", "To"),
                ("state", "State"),
                ("time", "Time there"),
                ("mark", "Marks"),
                ("from", "From"),
            ],
            names_issues=False,
            id="inv-transitions",
        )
        yield BarList("Time in each state (to as_of)", id="inv-time")
        yield IssueTable(
            [("key", "Issue"), ("relation", "Relation"), ("type", "Type"), ("state", "State"), ("summary", "Summary")],
            id="inv-relations",
        )
        yield IssueTable(
            [("reason", "Reason"), ("from", "From"), ("to", "To"), ("time", "Duration"), ("flags", "Marks")],
            names_issues=False,
            id="inv-blockers",
        )
        yield IssueTable(
            [("sprint", "Sprint"), ("state", "State"), ("added", "Added"), ("removed", "Removed"), ("flags", "Marks")],
            names_issues=False,
            id="inv-sprints",
        )
        yield Static(id="inv-quality", classes="section")

    @property
    def lists_recent(self) -> bool:
        """Whether it shows the recently touched issues (no issue, or one not found)."""
        return self.built and bool(self.query_one("#recent", IssueTable).display)

    def initial_focus(self):
        return self.query_one("#recent", IssueTable) if self.lists_recent else self

    def set_context(self, note: str, can_step: bool) -> None:
        """Where the issue about to be shown was opened from (the app sets it before asking for
        the issue). An issue already shown is not fetched again when it is reopened from
        another list, so its hint is brought up to date here too."""
        self.context_note, self.can_step = note, can_step
        if self.built and self.query_one("#inv-summary").display:  # an issue is shown, not loading
            self._issue_hint()

    def _issue_hint(self) -> None:
        self.query_one("#inv-hint", Static).update(
            f"{self.context_note}esc back · n/p next/previous in the list · y copy key · / jump"
        )

    def action_back(self) -> None:
        self.post_message(self.Back())

    def action_step(self, step: int) -> None:
        """The next or previous issue of the list it was opened from; with no such list,
        the next or previous panel."""
        if self.can_step:
            self.post_message(self.Step(step))
        elif step > 0:
            self.screen.focus_next()
        else:
            self.screen.focus_previous()

    def action_copy_key(self) -> None:
        self.post_message(self.Copy())

    def start_loading(self) -> None:
        # another issue's facts must not show under this one's key; hidden, they are also not
        # redrawn while the query runs (which the redrawing slowed down)
        super().start_loading()
        for widget_id in ISSUE_PARTS:
            self.query_one(f"#{widget_id}").display = False

    def show(self, view: views.Investigation) -> None:
        issue = view.issue
        found = issue is not None
        related = issue is not None and issue.relations.height > 0
        for widget_id in ISSUE_PARTS:
            self.query_one(f"#{widget_id}").display = related if widget_id == "inv-relations" else found
        recent = self.query_one("#recent", IssueTable)
        recent.display = not found
        if self.screen.focused in (self, recent):  # the keys go to what is shown: the list, or the issue
            (self if found else recent).focus()
        hint = self.query_one("#inv-hint", Static)
        if issue is None:
            hint.update(
                Text.assemble(
                    (f"✖ No issue {view.key} in this warehouse.", tone("bad", self.app.no_color)) if view.key else "",
                    ("  " if view.key else "", ""),
                    ("/ jumps to an issue by key; enter on a row opens it.", ""),
                )
            )
            recent.border_title = "Recently touched issues"
            rows = [
                (r["issue_key"], state_label(r["current_status"]), r["touched_at"], r["team"], r["summary"] or "")
                for r in view.recent.iter_rows(named=True)
            ]
            recent.show(rows, [r[0] for r in rows])
            return
        self._issue_hint()
        self._summary(issue.facts, issue.flow_efficiency)
        self._timeline(issue.timeline)
        tis = issue.time_in_status
        self.query_one("#inv-time", BarList).show(
            [(state_label(r["canonical_status"]), [r["hours"]]) for r in tis.iter_rows(named=True)],
            [("hours", "█", "cyan")],
            unit=" h",
            digits=1,
        )
        if issue.relations.height:
            relations = self.query_one("#inv-relations", IssueTable)
            relations.border_title = "Parent and sub-tasks"
            rows = [
                (
                    r["issue_key"],
                    r["relation"],
                    r["issue_type"] or "",
                    outcome_label(r["current_status"], r["outcome"]),
                    r["summary"] or ("not in this warehouse" if r["current_status"] is None else ""),
                )
                for r in issue.relations.iter_rows(named=True)
            ]
            relations.show(rows, [r[0] for r in rows])
        blockers = self.query_one("#inv-blockers", IssueTable)
        blockers.border_title = f"Blockers ({issue.blockers.height})"
        blockers.show(
            [
                (
                    r["reason"],
                    when(r["blocked_start"]),
                    "open" if r["is_open"] else when(r["blocked_end"]),
                    duration(r["hours"]),
                    ", ".join(
                        f
                        for f, on in (("logged late", r["is_late_logged"]), ("inverted: ignored", not r["is_valid"]))
                        if on
                    ),
                )
                for r in issue.blockers.iter_rows(named=True)
            ]
        )
        sprints = self.query_one("#inv-sprints", IssueTable)
        sprints.border_title = f"Sprints ({issue.sprints.height})"
        sprints.show(
            [
                (
                    r["sprint_name"],
                    r["state"],
                    when(r["added_at"]),
                    when(r["removed_at"]),
                    ", ".join(
                        f for f, on in (("added mid-sprint", r["added_mid_sprint"]), ("removed", r["removed"])) if on
                    ),
                )
                for r in issue.sprints.iter_rows(named=True)
            ]
        )
        focused = self.screen.focused
        if focused is not None and self in focused.ancestors:  # e.g. the list it was opened from, now hidden
            self.screen.set_focus(self, scroll_visible=False)
        quality = Text("Data quality\n", style="bold")
        for note in issue.quality or ("nothing unusual in this issue's raw data",):
            quality.append(f"  • {note}\n")
        self.query_one("#inv-quality", Static).update(quality)
        self.scroll_home(animate=False)

    def _summary(self, f: dict, efficiency: float | None) -> None:
        text = Text()
        text.append(f"{f['issue_key']}", style="bold")
        text.append(f"  {f['summary'] or ''}\n")
        pairs = [
            ("type", f["issue_type"]),
            ("priority", f["priority"]),
            ("team", f["team"]),
            ("project", f["project_key"]),
            ("assignee", f["assignee"] or "unassigned"),
            ("state", f"{outcome_label(f['current_status'], f['outcome'])} ({f['current_raw_status'] or 'created'})"),
            ("resolution", f["resolution"] or DASH),
            ("kind", "sub-task" if f["is_subtask"] else "epic" if f["is_epic"] else "standard issue"),
            ("created", when(f["created_at"])),
            ("cycle start", when(f["first_in_progress_at"])),
            ("done", when(f["done_at"])),
            ("cycle time", duration(f["cycle_time_hours"])),
            ("lead time", duration(f["lead_time_hours"])),
            ("age", duration(f["age_hours"])),
            ("blocked", duration(f["blocked_hours"])),
            ("reopened", f"{f['reopen_count']}x"),
            ("stage", f["stage"] or "(none)"),
            ("flow eff.", DASH if efficiency is None else f"{efficiency:.0f}% (work / cycle)"),
        ]
        for i, (label, value) in enumerate(pairs):
            text.append(f"{label:>11} ", style="dim")
            text.append(f"{str(value):<22}" + ("\n" if i % 2 else ""))
        self.query_one("#inv-summary", Static).update(text)

    def _timeline(self, timeline) -> None:
        table = self.query_one("#inv-transitions", IssueTable)
        table.border_title = f"Transitions ({max(timeline.height - 1, 0)})"
        rows = []
        for r in timeline.iter_rows(named=True):
            marks = [
                m
                for m, on in (
                    ("reopened", r["is_reopen"]),
                    ("backward", r["is_backward"]),
                    ("drifted name", r["is_drifted"]),
                    ("unmapped", r["canonical_status"] == "unknown"),
                )
                if on
            ]
            rows.append(
                (
                    when(r["entered_at"]),
                    r["to_status"] or "(created)",
                    state_label(r["canonical_status"]),
                    duration(r["hours"]),
                    ", ".join(marks),
                    r["from_status"] or ("(created)" if r["period_index"] else ""),
                )
            )
        table.show(rows)
