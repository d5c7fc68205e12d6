"""7 VÖLVA through Textual's Pilot: the forecast agrees with the command, a question asked from
the keyboard is answered, the tables open issues, a bad question is a notice."""

import json
from datetime import date

import pytest

from heimdall_tui.pages.flow import HISTOGRAM_ROWS, histogram, parse_ask
from heimdall_tui.report import forecast_lines
from heimdall_tui.views import Ask
from heimdall_tui.widgets import IssueTable
from tests.conftest import settle
from tests.test_keyboard import running_cleanly, type_fast
from warehouse import metrics


def shown_forecast(app) -> str:
    return str(app.query_one("#flow-forecast").render())


async def test_the_forecast_on_the_tab_is_the_commands(app, con, run, demo_db):
    work = metrics.open_work(con)
    items = work["todo"] + work["active"]
    command = json.loads(run("forecast", "--db", demo_db, "--days", "14", "--items", items, "--format", "json").out)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("7")
        await settle(pilot)
        assert app.active_tab == "volva" and running_cleanly(app)
        text = shown_forecast(app)
        for line in forecast_lines(command)[:-1]:
            assert line in text
        assert f"open work: {work['active']:,} in progress, {work['todo']:,} to do" in text


async def test_when_will_40_items_be_done_at_85_percent_from_the_keyboard(app, run, demo_db):
    answer = json.loads(run("forecast", "--db", demo_db, "--items", "40", "--days", "14", "--format", "json").out)
    async with app.run_test(size=(80, 24)) as pilot:
        await type_fast(pilot, "7", "a", "4", "0", "enter")
        await settle(pilot)
        text = shown_forecast(app)
        assert "When will 40 items be done:" in text
        assert f"85%  by {answer['when']['p85']}" in text
        assert app.focused is app.page("volva")  # the digit keys switch tabs again
        await type_fast(pilot, "a", "2", "1", "d", "enter")
        await settle(pilot)
        text = shown_forecast(app)
        assert "How many in 21 days" in text and "When will 40 items be done:" in text  # the items stay asked


async def test_enter_typed_as_the_app_starts_answers(app):
    # before the terminal is in raw mode, its line discipline turns Enter into a newline (ctrl+j)
    async with app.run_test(size=(80, 24)) as pilot:
        await type_fast(pilot, "7", "a", "4", "0", "ctrl+j")
        await settle(pilot)
        assert "When will 40 items be done:" in shown_forecast(app)


async def test_a_question_that_is_not_one_is_a_notice_and_escape_leaves_the_box(app):
    async with app.run_test(size=(80, 24)) as pilot:
        await type_fast(pilot, "7", "a", *"soon", "enter")
        await settle(pilot)
        assert "'soon': type a number of items (40)" in app.notices[-1]
        await type_fast(pilot, "escape")
        assert app.focused is app.page("volva") and app.query_one("#flow-ask").value == ""
        await type_fast(pilot, "2")
        assert app.active_tab == "huginn" and running_cleanly(app)


async def test_a_date_outside_the_horizon_is_explained_on_the_tab(app):
    async with app.run_test(size=(80, 24)) as pilot:
        await type_fast(pilot, "7", "a", *"2001-01-01", "enter")
        await settle(pilot)
        assert "2001-01-01 is not between" in shown_forecast(app)
        assert "How many in 14 days" in shown_forecast(app)


@pytest.mark.parametrize("table, expected", [("#flow-aging", "aging"), ("#flow-slow", "slowest")])
async def test_enter_on_the_aging_and_slowest_tables_opens_the_issue(app, con, table, expected):
    end = metrics.period_end(con)
    start = metrics.reporting_window(con, 12)[0]
    if expected == "aging":
        first = metrics.aging_wip(con)["issue_key"][0]
    else:
        p85 = metrics.cycle_time_scatter(con, start, end)["lines"][85]
        first = metrics.slowest_delivered(con, start, end, p85)["issue_key"][0]
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("7")
        await settle(pilot)
        app.screen.set_focus(app.query_one(table, IssueTable))
        await pilot.press("enter")
        await settle(pilot)
        assert app.active_tab == "investigator" and app.issue_key == first
        await pilot.press("escape")
        await settle(pilot)
        assert app.active_tab == "volva" and running_cleanly(app)


async def test_an_issue_reopened_from_another_list_says_which_list_it_is_in(app, con):
    """The same issue opened from VÖLVA's aging list, then from triage: its view is not fetched
    again, but the hint names the list and the place the second time, and n steps through it."""
    key = metrics.aging_wip(con)["issue_key"][0]
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("7")
        await settle(pilot)
        app.screen.set_focus(app.query_one("#flow-aging", IssueTable))
        await pilot.press("enter")
        await settle(pilot)
        hint = app.query_one("#inv-hint")
        assert app.issue_key == key and "from VÖLVA" in str(hint.render())
        await pilot.press("escape", "6")
        await settle(pilot)
        triage = app.query_one("#triage-table", IssueTable)
        row = triage.keys.index(key)
        app.screen.set_focus(triage)
        triage.move_cursor(row=row)
        await pilot.press("enter")
        await settle(pilot)
        assert app.issue_key == key
        assert f"{row + 1} of {len(triage.keys)} from TRIAGE" in str(hint.render())
        await pilot.press("n")
        await settle(pilot)
        assert app.issue_key == triage.keys[(row + 1) % len(triage.keys)] and running_cleanly(app)


@pytest.mark.parametrize(
    "text, asked",
    [
        ("40", Ask(14, 40)),
        (" 7 items ", Ask(14, 7)),
        ("21d", Ask(21, None)),
        ("30 days", Ask(30, None)),
        ("2026-03-01", Ask(14, None, date(2026, 3, 1))),
    ],
)
def test_what_the_ask_box_understands(text, asked):
    assert parse_ask(text, Ask()) == asked


@pytest.mark.parametrize("text", ["0", "0d", "9999d", "tomorrow", ""])
def test_what_the_ask_box_refuses(text):
    assert isinstance(parse_ask(text, Ask()), str)


def test_the_throughput_histogram_bins_counts_when_a_row_each_would_not_fit():
    # a small team: a row per count, the quiet days too
    assert histogram([0, 2, 2, 3]) == [("0 a day", [1.0]), ("1 a day", [0.0]), ("2 a day", [2.0]), ("3 a day", [1.0])]
    # a large site: 48,000 items on the busiest day would be 48,001 rows; 20 ranges of 2,401
    rows = histogram([100, 2_400, 2_401, 48_000])
    assert len(rows) == HISTOGRAM_ROWS
    assert rows[0] == ("0-2,400", [2.0]) and rows[1] == ("2,401-4,801", [1.0]) and rows[-1][1] == [1.0]
    assert sum(days for _, (days,) in rows) == 4
