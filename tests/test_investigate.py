"""Issue Investigator and WIP Triage: drill-down, jump, triage filters, export, numbers."""

import csv
import threading

from heimdall_tui.pages.investigator import ISSUE_PARTS
from heimdall_tui.widgets import IssueTable, KeyBar
from tests.conftest import keys_delivered, settle
from warehouse import metrics


async def test_triage_ranks_by_risk_and_enter_investigates_the_riskiest(app, con):
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("6")
        await settle(pilot)
        table = app.query_one("#triage-table", IssueTable)
        assert app.focused is table and table.cursor_row == 0
        page, total = metrics.triage(con, limit=100)
        assert table.row_count == total == metrics.current_wip(con)["wip"]
        assert table.keys == page["issue_key"].to_list()
        assert page["risk"].to_list() == sorted(page["risk"].to_list(), reverse=True)
        await pilot.press("enter")
        await settle(pilot)
        assert app.active_tab == "investigator" and app.issue_key == page["issue_key"][0]
        await pilot.press("escape")
        await settle(pilot)
        assert app.active_tab == "triage" and app.focused is table and table.cursor_row == 0


async def test_the_investigator_shows_the_metrics_for_the_issue(app, con):
    key = "VALHALLA-335"
    async with app.run_test(size=(80, 24)) as pilot:
        app.open_issue([key], 0)
        await settle(pilot)
        facts = metrics.issue_snapshot(con, key)
        summary = str(app.query_one("#inv-summary").render())
        assert key in summary and f"{facts['age_hours'] / 24:.1f} d" in summary
        assert f"{facts['reopen_count']}x" in summary
        timeline = metrics.issue_timeline(con, key)
        assert app.query_one("#inv-transitions", IssueTable).row_count == timeline.height
        blockers = app.query_one("#inv-blockers", IssueTable)
        assert blockers.row_count == metrics.issue_blockers(con, key).height
        assert blockers.row_at(0)[0] == "Environment outage" and blockers.row_at(0)[2] == "open"
        quality = str(app.query_one("#inv-quality").render())
        for note in metrics.issue_data_quality(con, key):
            assert note in quality


async def test_the_last_issue_is_hidden_while_the_next_one_loads(app, monkeypatch):
    from heimdall_tui.pages import InvestigatorPage

    arrived = threading.Event()
    loader = InvestigatorPage.loader

    def slow(con, key):
        if key == "VALHALLA-336":
            arrived.wait(10)
        return loader(con, key)

    monkeypatch.setattr(InvestigatorPage, "loader", staticmethod(slow))
    async with app.run_test(size=(80, 24)) as pilot:
        app.open_issue(["VALHALLA-335", "VALHALLA-336"], 0)
        await settle(pilot)
        summary = app.query_one("#inv-summary")
        assert summary.display and "VALHALLA-335" in str(summary.render())
        await pilot.press("n")
        await pilot.pause()
        assert app.page("investigator").busy and not summary.display  # no VALHALLA-335 under 336's key
        assert not any(app.query_one(f"#{part}").display for part in ISSUE_PARTS)
        arrived.set()
        await settle(pilot)
        assert summary.display and "VALHALLA-336" in str(summary.render())


async def test_the_page_takes_the_focus_and_scrolls(app):
    async with app.run_test(size=(80, 24)) as pilot:
        app.open_issue(["VALHALLA-335"], 0)
        await settle(pilot)
        body = app.query_one("#investigator-body")
        assert app.focused is body
        await pilot.press("j", "j", "j")
        assert body.scroll_y == 3


async def test_n_and_p_step_through_the_list_it_was_opened_from(app):
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("2")
        await settle(pilot)
        await pilot.press("n")  # focus the aging table
        await pilot.press("enter")
        await settle(pilot)
        keys = app.query_one("#aging", IssueTable).keys
        assert app.issue_key == keys[0]
        await pilot.press("n")
        await settle(pilot)
        assert app.issue_key == keys[1]
        await pilot.press("p", "p")
        await settle(pilot)
        assert app.issue_key == keys[-1]
        await pilot.press("escape")
        assert app.active_tab == "huginn"


async def test_slash_jumps_with_completion_and_reports_unknown_keys(app):
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("slash")
        await keys_delivered(pilot)
        assert app.active_tab == "valskjalf" and app.focused.id == "jump"
        await pilot.press(*"nope-1", "enter")
        await settle(pilot)
        error = app.query_one("#jump-error")
        assert "No issue NOPE-1" in str(error.render())
        assert error.region.height and error.region.bottom <= app.query_one(KeyBar).region.y  # above the key bar
        assert app.focused.id == "jump"  # the box stays open
        jump = app.query_one("#jump")
        await pilot.press(*["backspace"] * 6, *"valhalla-33")
        await keys_delivered(pilot)
        assert str(error.render()) == ""  # editing answers the complaint
        for _ in range(100):  # the suggester queries in a thread: right accepts it once it is there
            await pilot.press("right")
            await keys_delivered(pilot)
            if jump.value != "valhalla-33":
                break
            await pilot.pause(0.05)
        assert jump.value == "VALHALLA-33"  # completed to the key as stored
        await pilot.press("enter")
        await settle(pilot)
        assert app.issue_key == "VALHALLA-33" and "VALHALLA-33" in str(app.query_one("#inv-summary").render())
        await pilot.press("escape")
        await keys_delivered(pilot)
        assert app.active_tab == "valskjalf"


async def test_y_copies_the_key(app):
    async with app.run_test(size=(80, 24)) as pilot:
        app.open_issue(["VALHALLA-335"], 0)
        await settle(pilot)
        await pilot.press("y")
        assert app.clipboard == "VALHALLA-335"


async def test_the_investigator_with_no_issue_lists_recent_ones(app, con):
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("5")
        await settle(pilot)
        recent = app.query_one("#recent", IssueTable)
        assert recent.display and recent.keys == metrics.recent_issues(con)["issue_key"].to_list()
        assert app.focused is recent  # the list takes the keys: enter opens its row at once
        await pilot.press("j", "enter")
        await settle(pilot)
        assert app.issue_key == recent.keys[1] and not recent.display
        await pilot.press("n")
        await settle(pilot)
        assert app.issue_key == recent.keys[2]
        await pilot.press("escape")  # back to the list it was opened from
        await settle(pilot)
        assert app.active_tab == "investigator" and recent.display and app.focused is recent
        assert app.issue_key is None
        await pilot.press("enter")
        await settle(pilot)
        assert app.issue_key == recent.keys[0]


async def test_an_unknown_key_lists_recent_issues_ready_to_open(app, con):
    async with app.run_test(size=(80, 24)) as pilot:
        app.open_issue(["NOPE-1"], 0)
        await settle(pilot)
        recent = app.query_one("#recent", IssueTable)
        assert recent.display and app.focused is recent
        await pilot.press("enter")
        await settle(pilot)
        assert app.issue_key == recent.keys[0] == metrics.recent_issues(con)["issue_key"][0]


async def test_triage_filters_sort_and_page(app, con):
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("6")
        await settle(pilot)
        tab = app.query_one("#triage-body")
        tab.query_one("#triage-team").value = "FREYA"
        await settle(pilot)
        table = app.query_one("#triage-table", IssueTable)
        freya = metrics.current_wip(con, metrics.Filters(team="FREYA"))["wip"]
        assert table.row_count == freya and {table.row_at(i)[3] for i in range(freya)} == {"FREYA"}
        tab.query_one("#triage-team").clear()
        tab.query_one("#triage-limit").value = 50
        await settle(pilot)
        assert table.row_count == 50 and "1–50 of" in table.border_title
        await pilot.press("right_square_bracket")
        await settle(pilot)
        assert table.border_title.startswith("WIP triage: 51–") and app.state.triage.page == 1
        await pilot.press("s", "s")  # from Risk past the marks to Team: sorted in the warehouse, over every row
        await settle(pilot)
        assert app.state.triage.order == "team" and app.state.triage.page == 0
        teams = [table.row_at(i)[3] for i in range(table.row_count)]
        assert teams == sorted(teams)


async def test_export_writes_exactly_the_rows_shown(app, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("6")
        await settle(pilot)
        app.query_one("#triage-body").query_one("#triage-limit").value = 50
        await settle(pilot)
        table = app.query_one("#triage-table", IssueTable)
        await pilot.press("e")
        await pilot.press("e")
        files = sorted(tmp_path.glob("heimdall-triage-*.csv"))
        assert [f.name for f in files] == ["heimdall-triage-20260129-2.csv", "heimdall-triage-20260129.csv"]
        lines = files[1].read_text().splitlines()
        about = [line for line in lines if line.startswith("# ")]
        assert "as of 2026-01-29T00:00Z" in about[0] and "filters: none" in about[1]
        rows = list(csv.reader(line for line in lines if not line.startswith("# ")))
        assert rows[0][:3] == ["Issue", "Risk", "Marks"] and len(rows) == 51
        assert [r[0] for r in rows[1:]] == [table.row_at(i)[0] for i in range(table.row_count)]
        assert all(float(r[1]) >= 0 and r[2] in ("", "!", "!!") for r in rows[1:])  # risk is a number
        assert "Wrote 50 rows" in app.notices[-1]


async def test_export_to_a_directory_it_cannot_write_says_so(app, tmp_path, monkeypatch):
    """A read-only or deleted working directory (root may write anywhere, so: deleted)."""
    from pathlib import Path

    monkeypatch.setattr(Path, "cwd", staticmethod(lambda: tmp_path / "gone"))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("6")
        await settle(pilot)
        await pilot.press("e")
        await keys_delivered(pilot)
        assert "Could not export" in app.notices[-1] and app.errors == []
        assert app.is_running
