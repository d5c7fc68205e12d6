"""The Textual app: every binding and tab through Textual's Pilot, and the no-re-query rule."""

from collections import Counter
from datetime import timedelta

import pytest

from tests.conftest import settle

from heimdall_tui import keymap, views
from heimdall_tui.app import HeimdallApp
from heimdall_tui.dialogs import FilterDialog, HelpScreen
from heimdall_tui.widgets import IssueTable, KpiCard
from warehouse import metrics
from warehouse.errors import HeimdallError
from warehouse.metrics import Filters




async def test_opens_on_valskjalf_with_real_numbers(app, demo_db):
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert app.active_tab == "valskjalf"
        card = app.query_one("#kpi-0", KpiCard)
        end = metrics.as_of(app.con)
        expected = metrics.throughput(app.con, end - timedelta(days=7), end)
        assert f"{expected} done" in str(card.render())
        assert "as of 2026-01-29" in app.sub_title and "all work" in app.sub_title


@pytest.mark.parametrize("key, tab", [("1", "valskjalf"), ("2", "huginn"), ("3", "muninn"), ("4", "gjallarhorn")])
async def test_number_keys_switch_tabs_and_load_them(app, key, tab):
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press(key)
        await settle(pilot)
        assert app.active_tab == tab
        assert not app.query_one(f"#{tab}-body").loading


async def test_tab_and_shift_tab_cycle(app):
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("tab")
        assert app.active_tab == "huginn"
        await pilot.press("shift+tab", "shift+tab")
        assert app.active_tab == "triage"


async def test_switching_back_does_not_query_again(app, monkeypatch):
    calls = Counter()
    for tab, loader in list(views.LOADERS.items()):
        def counted(con, scope, _tab=tab, _loader=loader):
            calls[_tab] += 1
            return _loader(con, scope)
        monkeypatch.setitem(views.LOADERS, tab, counted)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("2")
        await settle(pilot)
        await pilot.press("1", "2", "1")
        await settle(pilot)
        assert calls == {"valskjalf": 1, "huginn": 1}


async def test_the_aging_table_lists_current_wip(app):
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("2")
        await settle(pilot)
        table = app.query_one("#aging", IssueTable)
        assert table.row_count == metrics.current_wip(app.con)["wip"]
        oldest = metrics.work_item_age(app.con, limit=1)["issue_key"][0]
        assert table.issue_at(0) == oldest


async def test_sort_cycles_columns_and_reverses(app):
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("2")
        await settle(pilot)
        table = app.query_one("#aging", IssueTable)
        table.focus()
        await pilot.press("s")
        keys = [table.get_row_at(i)[0] for i in range(table.row_count)]
        assert keys == sorted(keys) and "Issue ▲" in table.border_subtitle
        await pilot.press("S")
        assert [table.get_row_at(i)[0] for i in range(table.row_count)] == sorted(keys, reverse=True)


@pytest.mark.parametrize("tab, table_id", [("2", "aging"), ("4", "most-blocked"), ("4", "signals")])
async def test_enter_on_an_issue_row_opens_the_investigator(app, tab, table_id):
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press(tab)
        await settle(pilot)
        table = app.query_one(f"#{table_id}", IssueTable)
        table.focus()
        await pilot.press("j", "enter")
        await settle(pilot)
        assert app.active_tab == "investigator" and app.issue_key == table.issue_at(1)
        await pilot.press("escape")
        await pilot.pause()
        assert app.focused is table and table.cursor_row == 1


async def test_filter_dialog_applies_to_every_tab(app):
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
        scopes = {s for s in app.query_one("#signals", IssueTable).get_column("scope")}
        assert scopes <= {"FREYA"}


async def test_escape_cancels_the_filter_dialog(app):
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f")
        await pilot.press("escape")
        assert not isinstance(app.screen, FilterDialog) and app.scope == views.Scope()


async def test_reload_reopens_the_file_and_refetches(app):
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("r")
        await settle(pilot)
        assert app.generation == 1
        assert app.loaded["valskjalf"] == (app.scope, 1)
        assert "Reloaded" in list(app._notifications)[-1].message


async def test_help_lists_the_focused_widgets_keys(app):
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("2")
        await settle(pilot)
        app.query_one("#aging").focus()
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        assert [title for title, _ in app.screen.sections] == ["Table", "Everywhere"]
        assert "Open this issue in the Investigator" in [b.description for b in app.screen.sections[0][1]]
        await pilot.press("escape")
        assert not isinstance(app.screen, HelpScreen)


async def test_the_page_scrolls_and_n_p_move_between_panels(app):
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("4")
        await settle(pilot)
        body = app.query_one("#gjallarhorn-body")
        assert app.focused is body
        await pilot.press("j", "j", "pagedown")
        assert body.scroll_y > 0
        await pilot.press("n")
        assert app.focused.id == "signals"
        await pilot.press("n", "n", "n")
        assert app.focused is body
        await pilot.press("p")
        assert app.focused.id == "reasons"


async def test_command_palette_opens(app):
    from textual.command import CommandPalette

    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("ctrl+p")
        assert isinstance(app.screen, CommandPalette)


async def test_q_quits(app):
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("q")
        await pilot.pause()
        assert app._exit_renderables == [] and app.return_code == 0


async def test_layout_goes_side_by_side_when_wide(app):
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        assert app.has_class("-wide")
        first, second = app.query("#valskjalf-body Chart")
        assert first.region.y == second.region.y and first.region.x < second.region.x
    async with HeimdallApp(app.db).run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        first, second = pilot.app.query("#valskjalf-body Chart")
        assert first.region.x == second.region.x and first.region.y < second.region.y


def test_opening_a_foreign_file_fails_before_the_screen(tmp_path):
    bogus = tmp_path / "x.duckdb"
    bogus.write_text("not a database")
    with pytest.raises(HeimdallError, match="is not a DuckDB database"):
        HeimdallApp(bogus)


def test_no_two_actions_share_a_key():
    for group in (keymap.APP, keymap.PAGE, keymap.TABLE, keymap.DIALOG):
        keys = [k for b in group for k in b.key.split(",")]
        assert len(keys) == len(set(keys)), group
    table_keys = {b.key for b in keymap.TABLE}
    assert not table_keys & {b.key for b in keymap.APP}
    assert not {b.key for b in keymap.PAGE} & {b.key for b in keymap.APP}
    ids = [b.id for b in keymap.APP + keymap.PAGE + keymap.TABLE + keymap.DIALOG]
    assert len(ids) == len(set(ids))


async def test_page_and_table_movement_keys(app):
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("3")
        await settle(pilot)
        body = app.query_one("#muninn-body")
        await pilot.press("G")
        bottom = body.scroll_y
        assert bottom > 0
        await pilot.press("k")
        assert body.scroll_y < bottom
        await pilot.press("g")
        assert body.scroll_y == 0
        await pilot.press("2")
        await settle(pilot)
        await pilot.press("n")
        table = app.focused
        assert isinstance(table, IssueTable)
        await pilot.press("j", "j")
        assert table.cursor_row == 2
        await pilot.press("k")
        assert table.cursor_row == 1
        await pilot.press("G")
        assert table.cursor_row == table.row_count - 1
        await pilot.press("g")
        assert table.cursor_row == 0


def test_risk_signals_are_evaluated_once_per_build_and_scope(demo_db, monkeypatch):
    from heimdall_tui import views
    from warehouse import risks
    from warehouse.db import open_warehouse

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


async def test_a_late_focus_never_pulls_the_user_back_to_an_earlier_tab(app):
    """A page's focus lands after a refresh; switching tabs meanwhile must win."""
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        app._focus_page()  # schedules focus on VALSKJALF's page...
        app.action_show_tab("huginn")  # ...but the user moves on before it runs
        await settle(pilot)
        assert app.active_tab == "huginn"


async def test_a_late_focus_never_takes_the_focus_from_the_user(app):
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("2")
        await settle(pilot)
        app._focus_page()  # schedules focus on HUGINN's page...
        table = app.query_one("#aging", IssueTable)
        table.focus()  # ...but the user moves into the table first
        await settle(pilot)
        assert app.focused is table
