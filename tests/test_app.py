"""The Textual app: tabs, pages, filters, reload, help and the palette through Textual's Pilot."""

from collections import Counter
from datetime import timedelta

import pytest
from textual.widgets import Select
from textual.widgets.select import InvalidSelectValueError

from heimdall_tui import keymap, views
from heimdall_tui.app import TAB_KEYS, HeimdallApp
from heimdall_tui.pages import PAGES
from heimdall_tui.screens import FilterDialog, HelpScreen
from heimdall_tui.widgets import IssueTable, KpiCard
from tests.conftest import settle
from warehouse import metrics, risks
from warehouse.errors import HeimdallError
from warehouse.metrics import Filters


async def test_opens_on_valskjalf_with_real_numbers(app, con):
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert app.active_tab == "valskjalf"
        card = app.query_one("#kpi-0", KpiCard)
        end = metrics.period_end(con)
        expected = metrics.throughput(con, end - timedelta(days=7), end)
        assert f"{expected} delivered" in str(card.render())
        assert "as of 2026-01-29" in app.sub_title and "all work" in app.sub_title
        assert app.errors == []


@pytest.mark.parametrize("key, tab", [(str(n), page.page_id) for n, page in enumerate(PAGES, 1)])
async def test_number_keys_switch_tabs_load_them_and_focus_them(app, key, tab):
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press(key)
        page = app.page(tab)
        assert app.active_tab == tab and page in app.focused.ancestors_with_self  # at once, loading or not
        await settle(pilot)
        assert not page.busy and app.loaded[tab][0] == page.request(app.state)


async def test_a_page_is_laid_out_when_first_shown_and_once(app):
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert [page.page_id for page in PAGES if app.page(page.page_id).built] == [PAGES[0].page_id]
        assert not app.query("#triage-table")
        await pilot.press("6", "1", "6")
        await settle(pilot)
        assert len(app.query("#triage-table")) == 1
        table = app.query_one("#triage-table", IssueTable)
        assert table.row_count > 0 and app.focused is table
        teams = app.query_one("#triage-team", Select)
        for team in metrics.dimensions(app.link.con)["team"]:
            teams.value = team  # each team is a choice (an unknown value raises)
        with pytest.raises(InvalidSelectValueError):
            teams.value = "NOT A TEAM"


async def test_switching_back_does_not_query_again(app, monkeypatch):
    calls = Counter()
    for page in PAGES:

        def counted(con, request, _id=page.page_id, _loader=page.loader):
            calls[_id] += 1
            return _loader(con, request)

        monkeypatch.setattr(page, "loader", staticmethod(counted))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("2")
        await settle(pilot)
        await pilot.press("1", "2", "1")
        await settle(pilot)
        assert calls == {"valskjalf": 1, "huginn": 1}


async def test_the_aging_table_lists_current_wip_oldest_first(app, con):
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("2")
        await settle(pilot)
        table = app.query_one("#aging", IssueTable)
        assert table.row_count == metrics.current_wip(con)["wip"]
        oldest = metrics.work_item_age(con, limit=1)
        assert str(table.get_row_at(0)[0]).strip() == oldest["issue_key"][0]
        # the columns a user needs come first, and fit at 80 columns
        assert [label for _, label, _ in table.spec][:4] == ["Issue", "Age d", "SLE d", "In status d"]
        assert table.get_row_at(0)[1].plain.strip() == f"{oldest['age_hours'][0] / 24:,.1f}"


async def test_huginn_labels_both_blocked_counts(app, con):
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("2")
        await settle(pilot)
        blocked_now = int(metrics.work_item_age(con)["is_blocked"].sum())
        text = str(app.query_one("#ops-wip").render())
        assert "blocked (status)" in text and f"{blocked_now} blocked now" in text


async def test_sort_cycles_columns_and_reverses_on_raw_values(app):
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("2")
        await settle(pilot)
        await pilot.press("n")
        table = app.focused
        assert isinstance(table, IssueTable) and table.id == "aging"
        await pilot.press("s")
        keys = [table.row_at(i)[0] for i in range(table.row_count)]
        assert keys == sorted(keys, key=str.lower) and "Issue ▲" in table.border_subtitle
        await pilot.press("s")  # Age: numbers, not text ("9.5" > "10.2" as text)
        ages = [table.row_at(i)[1] for i in range(table.row_count)]
        assert ages == sorted(ages)
        await pilot.press("S")
        assert [table.row_at(i)[1] for i in range(table.row_count)] == sorted(ages, reverse=True)


def second_row_issue(con, table_id: str) -> str:
    """The issue the second row of a table names, from the metrics (the default 12 weeks)."""
    start, end = metrics.reporting_window(con, 12)
    if table_id == "aging":
        return metrics.work_item_age(con)["issue_key"][1]
    if table_id == "most-blocked":
        return metrics.most_blocked(con, start, end)["issue_key"][1]
    fired = [s for s in risks.evaluate(con, end) if s.fired]
    return (fired[1].evidence.get("worst") or fired[1].evidence.get("oldest"))[0]  # the evidence's first issue


@pytest.mark.parametrize("tab, table_id", [("2", "aging"), ("4", "most-blocked"), ("4", "signals")])
async def test_enter_on_an_issue_row_opens_the_investigator_and_esc_returns(app, con, tab, table_id):
    expected = second_row_issue(con, table_id)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press(tab)
        await settle(pilot)
        table = app.query_one(f"#{table_id}", IssueTable)
        app.screen.set_focus(table)
        await pilot.press("j", "enter")
        await settle(pilot)
        assert app.active_tab == "investigator" and app.issue_key == expected
        assert expected in str(app.query_one("#inv-summary").render())
        await pilot.press("escape")
        await settle(pilot)
        assert app.active_tab == PAGES[int(tab) - 1].page_id
        assert app.focused is table and table.cursor_row == 1


async def test_filter_dialog_applies_to_every_tab_and_triage(app):
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("f")
        dialog = app.screen
        assert isinstance(dialog, FilterDialog)
        dialog.query_one("#pick-team").value = "FREYA"
        dialog.query_one("#pick-window").value = "4"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.scope == views.Scope(Filters(team="FREYA"), 4)
        assert "team FREYA, 4 wk" in app.sub_title
        await pilot.press("4")
        await settle(pilot)
        scopes = {
            s.plain if hasattr(s, "plain") else s for s in app.query_one("#signals", IssueTable).get_column("scope")
        }
        assert scopes <= {"FREYA"}
        await pilot.press("6")
        await settle(pilot)
        table = app.query_one("#triage-table", IssueTable)
        assert table.row_count and {table.row_at(i)[3] for i in range(table.row_count)} == {"FREYA"}
        assert app.query_one("#triage-team").value == "FREYA"


async def test_one_definition_of_the_window_for_every_tab(app, con):
    """VALSKJALF's weekly throughput per team sums to MUNINN's throughput per team."""
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        executive = views.executive(con, app.scope)
        trends = views.trends(con, app.scope)
        assert {team: sum(v) for team, v in executive.throughput.items()} == dict(trends.throughput_by_team)
        assert executive.partial_last  # as_of is a Thursday: the last week runs only to as_of
        assert "01-26*" in str(app.query_one("#exec-throughput").render())


async def test_escape_cancels_the_filter_dialog(app):
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("f")
        await pilot.press("escape")
        assert not isinstance(app.screen, FilterDialog) and app.scope == views.Scope()


async def test_reload_reopens_the_file_and_refetches(app):
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("r")
        await settle(pilot)
        assert app.link.generation == 1
        assert app.loaded["valskjalf"] == (app.scope, 1)
        assert "Reloaded" in app.notices[-1]


async def test_help_lists_the_keys_that_work_where_the_focus_is(app):
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("2")
        await settle(pilot)
        await pilot.press("n")
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        titles = [title for title, _ in app.screen.sections]
        assert titles[0] == "This table" and "This page (HUGINN)" in titles and titles[-1] == "Everywhere"
        table_keys = dict(app.screen.sections[0][1])
        assert table_keys["enter"] == "Open issue" and table_keys["s"] == "Sort"
        await pilot.press("escape")
        assert not isinstance(app.screen, HelpScreen)


async def test_command_palette_offers_jump_export_and_help(app):
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        titles = [c.title for c in app.get_system_commands(app.screen)]
        for wanted in ("Jump to issue (/)", "Export triage CSV (e on TRIAGE)", "Help (?)", "Filter (f)"):
            assert wanted in titles
        await pilot.press("ctrl+p")
        from textual.command import CommandPalette

        assert isinstance(app.screen, CommandPalette)


async def test_q_quits(app):
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("q")
        await pilot.pause()
        assert not app.is_running and app.return_code == 0


async def test_layout_goes_side_by_side_when_wide(app):
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        first, second = app.query("#valskjalf-body Chart")
        assert first.region.y == second.region.y and first.region.x < second.region.x
        assert len({card.region.y for card in app.query_one("#kpis").children}) == 1  # six cards in a row
        await pilot.resize_terminal(80, 24)
        await settle(pilot)
        first, second = app.query("#valskjalf-body Chart")
        assert first.region.x == second.region.x and first.region.y < second.region.y
        await pilot.resize_terminal(130, 40)  # back again, on every page's grids
        await settle(pilot)
        await pilot.press("2")
        await settle(pilot)
        first, second = app.query("#huginn-body .charts > *")[:2]
        assert first.region.y == second.region.y


def test_opening_a_foreign_file_fails_before_the_screen(tmp_path):
    bogus = tmp_path / "x.duckdb"
    bogus.write_text("not a database")
    with pytest.raises(HeimdallError, match="is not a DuckDB database"):
        HeimdallApp(bogus)


def test_no_two_actions_share_a_key_in_one_context():
    contexts = {
        "app": TAB_KEYS + keymap.APP,
        "page": keymap.PAGE + keymap.PANELS,
        "investigator": keymap.PAGE + keymap.INVESTIGATOR,
        "triage": keymap.PAGE + keymap.PANELS + keymap.TRIAGE,
        "table": keymap.TABLE + [keymap.OPEN_ISSUE],
        "dialog": keymap.DIALOG,
        "jump": keymap.JUMP,
    }
    for name, group in contexts.items():
        keys = [k for b in group for k in b.key.split(",")]
        assert len(keys) == len(set(keys)), name
    # page and table keys never shadow a key that works everywhere
    everywhere = {b.key for b in contexts["app"]}
    for name in ("page", "investigator", "triage", "table"):
        assert not {b.key for b in contexts[name]} & everywhere, name
    ids = [b.id for group in contexts.values() for b in group]
    assert len([i for i in ids if i.startswith("page.")]) == 4 * 3  # PAGE appears in three contexts
    assert len(set(ids)) == len({b.id for group in contexts.values() for b in group})


def test_the_registry_drives_the_tabs():
    assert [b.key for b in TAB_KEYS] == [str(n) for n in range(1, len(PAGES) + 1)]
    assert len({p.page_id for p in PAGES}) == len(PAGES)
    for page in PAGES:
        assert page.title and page.about and callable(page.loader)


def test_risk_signals_are_evaluated_once_per_build_and_scope(demo_db, monkeypatch):
    from warehouse import risks
    from warehouse.engine.db import open_warehouse

    calls = []
    real = risks.evaluate
    monkeypatch.setattr(risks, "evaluate", lambda *a, **k: calls.append(a[1:]) or real(*a, **k))
    views._SIGNALS.clear()
    con, _ = open_warehouse(demo_db)
    views.executive(con, views.Scope())
    views.risk(con, views.Scope())
    assert len(calls) == 1
    views.risk(con, views.Scope(Filters(team="TYR")))
    assert len(calls) == 2


def test_page_text_is_not_dimmed_by_textuals_tab_style():
    """The page class once was named Tab, so Textual's own Tab CSS (dim) applied to every page."""
    from textual.widgets import Tab

    for page in PAGES:
        assert not issubclass(page, Tab) and "Tab" not in [c.__name__ for c in page.__mro__]
