"""Keyboard use as a person types: every bound key in every focus context, the crash
regressions, keys typed fast or while data loads, and a seeded key storm."""

import random
import shutil

import pytest
from textual import events
from textual.widgets import Button, Input, Select

from heimdall_tui.app import HeimdallApp
from heimdall_tui.pages import PAGES
from heimdall_tui.screens import FilterDialog, HelpScreen
from heimdall_tui.widgets import IssueTable
from tests.conftest import keys_delivered, settle, watched_app
from tests.eventlog import EventLog
from warehouse import metrics


def running_cleanly(app) -> bool:
    return app.is_running and app.errors == []


async def type_fast(pilot, *keys: str) -> None:
    """Queue keys as a terminal delivers fast typing: all at once, no waiting between them."""
    names = {"-": "minus", "/": "slash"}
    characters = {"slash": "/", "minus": "-", "enter": "\r", "escape": "\x1b"}
    for key in keys:
        key = names.get(key, key)
        pilot.app.post_message(events.Key(key, key if len(key) == 1 else characters.get(key)))
    await pilot.pause()
    await keys_delivered(pilot)


# -- every bound key, in every focus context ------------------------------------------------


def bound_keys(app) -> dict[str, str]:
    """key -> binding id of what the focused widget and its page or dialog bind (not the app's)."""
    found = {}
    for key, active in app.screen.active_bindings.items():
        if active.node is not app and active.node is not app.screen_stack[0]:
            found[key] = active.binding.id or active.binding.action
    return found


async def test_page_keys_scroll_and_move_between_panels_on_every_tab(app):
    async with app.run_test(size=(80, 24)) as pilot:
        for n, page_cls in enumerate(PAGES, 1):
            await pilot.press(str(n))
            await settle(pilot)
            page = app.page(page_cls.page_id)
            app.screen.set_focus(page)
            keys = bound_keys(app)
            assert {"j", "k", "g", "G"} <= set(keys), page_cls.page_id
            if page.max_scroll_y:
                await pilot.press("G")
                assert page.scroll_y == page.max_scroll_y
                await pilot.press("k")
                assert page.scroll_y < page.max_scroll_y
                await pilot.press("g")
                assert page.scroll_y == 0
                await pilot.press("j")
                assert page.scroll_y == 1
            if keys.get("n") == "panel.next":
                await pilot.press("n")
                assert app.focused is not page and page in app.focused.ancestors
                await pilot.press("p")
                assert app.focused is page
            await pilot.press("tab")  # tab moves between the panels of the page, never off it
            assert page in app.focused.ancestors_with_self and app.active_tab == page_cls.page_id
            await pilot.press("shift+tab")
            assert app.focused is page
        assert running_cleanly(app)


async def test_table_keys_on_every_table(app):
    async with app.run_test(size=(120, 40)) as pilot:
        for n, page_cls in enumerate(PAGES, 1):
            await pilot.press(str(n))
            await settle(pilot)
            for table in app.page(page_cls.page_id).query(IssueTable):
                if not table.display or table.row_count < 2:
                    continue
                app.screen.set_focus(table)
                assert {"j", "k", "g", "G", "s", "S", "enter"} <= set(bound_keys(app))
                await pilot.press("G")
                assert table.cursor_row == table.row_count - 1
                await pilot.press("g")
                assert table.cursor_row == 0
                await pilot.press("j", "k", "j")
                assert table.cursor_row == 1
                if table.sort_callback is None:
                    await pilot.press("s")
                    assert "sorted by" in table.border_subtitle and "▲" in table.border_subtitle
                    await pilot.press("S")
                    assert "▼" in table.border_subtitle
                    assert table.cursor_row == 1 or table.row_count > 0
                await settle(pilot)
                if table.names_issues and app.active_tab != "investigator":
                    await pilot.press("enter")
                    await settle(pilot)
                    assert app.active_tab == "investigator" and app.issue_key in table.keys
                    await pilot.press("escape")
                    assert app.focused is table
                    assert app.active_tab == page_cls.page_id
        assert running_cleanly(app)


async def test_investigator_keys(app):
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("2")
        await settle(pilot)
        await pilot.press("n", "enter")
        await settle(pilot)
        keys = app.query_one("#aging", IssueTable).keys
        assert {"escape", "n", "p", "y"} <= set(bound_keys(app))
        await pilot.press("n")
        await settle(pilot)
        assert app.issue_key == keys[1] and "2 of" in str(app.query_one("#inv-hint").render())
        await pilot.press("p", "p")
        await settle(pilot)
        assert app.issue_key == keys[-1]
        await pilot.press("y")
        assert app.clipboard == keys[-1]
        await pilot.press("escape")
        assert app.active_tab == "huginn"
        assert running_cleanly(app)


async def test_triage_keys_and_selects_by_keyboard_alone(app, con, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("6")
        await settle(pilot)
        table = app.query_one("#triage-table", IssueTable)
        assert app.focused is table and {"e", "[", "]"} <= {
            k.replace("right_square_bracket", "]").replace("left_square_bracket", "[") for k in bound_keys(app)
        }
        # n from the table cycles round to the page, then the selects; enter opens one, down + enter picks
        await pilot.press("n")
        assert app.focused is app.page("triage")
        await pilot.press("n")
        assert isinstance(app.focused, Select) and app.focused.id == "triage-team"
        await pilot.press("enter")
        await pilot.pause()
        await pilot.press("down", "enter")  # past "team: all" to the first team
        await settle(pilot)
        first_team = metrics.dimensions(con)["team"][0]
        assert app.state.triage.team == first_team
        assert {table.row_at(i)[3] for i in range(table.row_count)} == {first_team}
        await pilot.press("tab", "tab")  # project, state
        assert app.focused.id == "triage-state"
        await pilot.press("tab", "enter")
        await pilot.pause()
        await pilot.press("up", "enter")  # from 100 to the smallest page, 50 rows
        await settle(pilot)
        assert app.state.triage.limit == 50
        await pilot.press("tab")
        assert app.focused is table
        await pilot.press("right_square_bracket")
        await settle(pilot)
        pages = -(-table.row_count // 50)
        assert app.state.triage.page == min(1, pages - 1)
        await pilot.press("left_square_bracket")
        await settle(pilot)
        assert app.state.triage.page == 0
        await pilot.press("e")
        assert list(tmp_path.glob("heimdall-triage-*.csv"))
        assert running_cleanly(app)


async def test_filter_dialog_by_keyboard_alone(app, con):
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("f")
        dialog = app.screen
        assert isinstance(dialog, FilterDialog) and app.focused.id == "pick-team"
        assert {"escape", "ctrl+s"} <= set(bound_keys(app))
        await pilot.press("enter")  # opens the team select
        await pilot.pause()
        await pilot.press("down", "enter")  # past "all" to the first team
        await pilot.pause()
        first_team = metrics.dimensions(con)["team"][0]
        assert dialog.query_one("#pick-team", Select).value == first_team
        await pilot.press("tab", "tab", "tab")  # project, issue type, window: inside the dialog only
        assert app.focused.id == "pick-window" and app.active_tab == "valskjalf"
        await pilot.press("tab")
        assert isinstance(app.focused, Button) and app.focused.id == "apply"
        await pilot.press("shift+tab", "shift+tab", "shift+tab", "shift+tab")
        assert app.focused.id == "pick-team"
        for _ in range(4):
            await pilot.press("tab")
        await pilot.press("enter")  # Apply
        await settle(pilot)
        assert app.scope.filters.team == first_team and not isinstance(app.screen, FilterDialog)
        await pilot.press("f")
        await pilot.press("ctrl+s")  # applies as is
        assert not isinstance(app.screen, FilterDialog) and app.scope.filters.team == first_team
        await pilot.press("f", "escape")
        assert not isinstance(app.screen, FilterDialog)
        assert running_cleanly(app)


async def test_help_opens_everywhere_and_closes_with_its_keys(app):
    async with app.run_test(size=(80, 24)) as pilot:
        for n in range(1, len(PAGES) + 1):
            await pilot.press(str(n))
            await settle(pilot)
            for close in ("escape", "question_mark", "q"):
                await pilot.press("question_mark")
                assert isinstance(app.screen, HelpScreen)
                sections = dict(app.screen.sections)
                assert "Everywhere" in sections
                page = [title for title in sections if title.startswith("This page")]
                assert page, sections
                await pilot.press(close)
                assert not isinstance(app.screen, HelpScreen)
        await pilot.press("5")
        await settle(pilot)
        await pilot.press("question_mark")
        investigator = dict(dict(app.screen.sections)["This page (ISSUE)"])
        assert {"esc", "n", "p", "y"} <= set(investigator) and "n" not in dict(dict(app.screen.sections)).get(
            "Everywhere", {}
        )
        await pilot.press("escape", "6")
        await settle(pilot)
        await pilot.press("question_mark")
        assert {"e", "[", "]"} <= set(dict(dict(app.screen.sections)["This page (TRIAGE)"]))
        assert running_cleanly(app)


# -- crash regressions -------------------------------------------------------------------------


async def test_n_and_p_on_triage_do_not_crash(app):
    """Was: TypeError: 'TriageQuery' object is not callable (an attribute shadowed query())."""
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("6")
        await settle(pilot)
        await pilot.press("n", "p", "p", "n")
        assert running_cleanly(app)


@pytest.mark.parametrize("keys", [("s",), ("S",), ("s", "s", "S")])
async def test_sorting_the_risk_signals_does_not_crash(app, keys):
    """Was: TypeError: '<' not supported between instances of 'Text' and 'Text'."""
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("4")
        await settle(pilot)
        await pilot.press("n", *keys)
        table = app.query_one("#signals", IssueTable)
        assert app.focused is table and "sorted by" in table.border_subtitle
        assert running_cleanly(app)


async def test_clicking_the_severity_header_sorts_by_rank(app):
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("4")
        await settle(pilot)
        table = app.query_one("#signals", IssueTable)
        table.post_message(table.HeaderSelected(table, table.ordered_columns[0].key, 0, table.ordered_columns[0].label))
        await pilot.pause()
        ranks = [table.row_at(i)[0].value for i in range(table.row_count)]
        assert ranks == sorted(ranks) and running_cleanly(app)


async def test_the_signal_detail_follows_the_highlighted_row_after_sorting(app):
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("4")
        await settle(pilot)
        await pilot.press("n", "j", "j", "s", "s")  # sort by Signal with the third row highlighted
        table = app.query_one("#signals", IssueTable)
        for _ in range(3):
            row = table.row_at(table.cursor_row)
            detail = str(app.query_one("#signal-detail").render())
            assert detail.startswith(f"{row[1]} ({row[2]})")
            await pilot.press("j")


async def test_reload_while_a_page_loads_does_not_crash(app, monkeypatch):
    """Was: ResourceInUseException: connection is busy (a reload closed a connection in use)."""
    from heimdall_tui.pages.trends import TrendsPage

    real = TrendsPage.loader

    def slow(con, scope):
        con.execute("SELECT count(*) FROM range(3000000000)").fetchall()  # interrupted by the reload
        return real(con, scope)

    monkeypatch.setattr(TrendsPage, "loader", staticmethod(slow))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("3")
        await pilot.pause(0.2)
        await pilot.press("r", "1", "r")
        await settle(pilot)
        assert running_cleanly(app) and app.link.generation == 2


async def test_reload_after_the_file_was_deleted_or_unbuilt_reports_it(demo_db, tmp_path):
    from generator import config
    from generator.run import generate_warehouse

    path = tmp_path / "copy.duckdb"
    shutil.copy(demo_db, path)
    app = watched_app(path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        path.unlink()
        await pilot.press("r")
        await keys_delivered(pilot)
        assert "Could not reload copy.duckdb: no warehouse" in app.notices[-1]
        await pilot.press("2")
        await settle(pilot)
        assert "not open" in str(app.query_one("#huginn-status").render())
        generate_warehouse(path, config.resolve(), build=False)
        await pilot.press("r")
        await keys_delivered(pilot)
        assert "holds raw tables but no models" in app.notices[-1]
        shutil.copy(demo_db, path)
        await pilot.press("r")
        await settle(pilot)
        assert "Reloaded" in app.notices[-1] and not app.page("huginn").busy
        assert str(app.query_one("#huginn-status").render()) == ""
        assert running_cleanly(app)


@pytest.fixture(scope="module")
def odd_db(tmp_path_factory):
    """Names real imports have: a team with apostrophes, keys with _ and %."""
    log = EventLog(as_of="2025-10-15T00:00:00Z")
    for i, team in enumerate(["Ops'R'Us", "Ops'R'Us", "TYR", "TYR"], 1):
        log.issue(i, "2025-10-01T00:00:00Z", team=team, issue_key=f"OPS_{i}%")
        log.path(i, ("In Progress", "2025-10-02T00:00:00Z"), *([("Done", "2025-10-05T00:00:00Z")] if i % 2 else []))
    path = tmp_path_factory.mktemp("odd") / "odd.duckdb"
    con, _ = log.build(path)
    con.close()
    return path


async def test_a_team_name_with_apostrophes_works_everywhere(odd_db):
    """Was: team SLEs pasted into SQL text crashed Triage on Ops'R'Us."""
    app = HeimdallApp(odd_db)
    async with app.run_test(size=(120, 40)) as pilot:
        for n in range(1, len(PAGES) + 1):
            await pilot.press(str(n))
            await settle(pilot)
            assert not app.page(PAGES[n - 1].page_id).busy
            assert str(app.query_one(f"#{PAGES[n - 1].page_id}-status").render()) == ""
        table = app.query_one("#triage-table", IssueTable)
        assert {table.row_at(i)[3] for i in range(table.row_count)} == {"Ops'R'Us", "TYR"}
        assert running_cleanly(app)


def test_issue_key_completion_treats_underscore_and_percent_as_text(odd_db):
    from warehouse.engine.db import open_warehouse

    con, _ = open_warehouse(odd_db)
    assert metrics.issue_keys(con, "ops_1") == ["OPS_1%"]
    assert metrics.issue_keys(con, "OPS_3%") == ["OPS_3%"]
    assert metrics.issue_keys(con, "OPSX") == []
    assert metrics.find_issue(con, " ops_2% ") == "OPS_2%"


# -- fast typing, keys while loading ------------------------------------------------------------


@pytest.mark.parametrize("before", [(), ("6",), ("2", "n", "enter", "escape"), ("slash", "v", "a", "l", "escape")])
async def test_the_jump_box_takes_every_key_typed_after_slash(app, before):
    async with app.run_test(size=(80, 24)) as pilot:
        await type_fast(pilot, *before, "slash", *"tyr-12")
        jump = app.query_one("#jump", Input)
        assert jump.value == "tyr-12" and app.focused is jump
        await settle(pilot)
        assert running_cleanly(app)


async def test_a_second_jump_and_a_jump_from_the_investigator(app):
    async with app.run_test(size=(80, 24)) as pilot:
        await type_fast(pilot, "slash", *"valhalla-1", "enter")
        await settle(pilot)
        assert app.issue_key == "VALHALLA-1" and app.active_tab == "investigator"
        await type_fast(pilot, "slash", *"valhalla-2", "enter")
        await settle(pilot)
        assert app.issue_key == "VALHALLA-2"
        await type_fast(pilot, "escape")  # back to where the first jump started
        assert app.active_tab == "valskjalf" and running_cleanly(app)


async def test_fast_tab_switching_leaves_the_focus_on_the_visible_page(app):
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("6")
        await settle(pilot)
        await type_fast(pilot, "1", "6")
        table = app.query_one("#triage-table", IssueTable)
        assert app.focused is table
        await settle(pilot)
        await pilot.press("j")
        assert table.cursor_row == 1
        for keys in (("2", "3", "4"), ("1", "5", "6", "2"), ("4", "4", "1")):
            await type_fast(pilot, *keys)
            page = app.page(app.active_tab)
            assert page in app.focused.ancestors_with_self
        assert running_cleanly(app)


async def test_keys_typed_while_a_page_loads_are_queued_not_dropped(app):
    async with app.run_test(size=(80, 24)) as pilot:
        await type_fast(pilot, "6", "j", "enter")  # before the rows arrive
        await settle(pilot)
        await settle(pilot)
        triage = app.query_one("#triage-table", IssueTable)
        assert app.active_tab == "investigator" and app.issue_key == triage.keys[1]
        await type_fast(pilot, "2", "enter", "escape")  # esc right after enter
        await settle(pilot)
        assert app.active_tab == "huginn" and running_cleanly(app)


async def test_n_steps_past_a_key_listed_twice(app):
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        app.open_issue(["VALHALLA-1", "VALHALLA-2", "VALHALLA-1", "VALHALLA-3"], 0)
        await settle(pilot)
        seen = []
        for _ in range(4):
            await pilot.press("n")
            await settle(pilot)
            seen.append(app.issue_key)
        assert seen == ["VALHALLA-2", "VALHALLA-1", "VALHALLA-3", "VALHALLA-1"]


# -- the key storm --------------------------------------------------------------------------


def storm_keys(app, count: int, seed: int) -> list[str]:
    bound = {k.strip() for b in app.BINDINGS for k in b.key.split(",")}
    for cls in (*PAGES, IssueTable, FilterDialog, HelpScreen):
        bound |= {k.strip() for b in cls.BINDINGS for k in b.key.split(",")}
    bound -= {"q", "ctrl+q", "ctrl+c"}  # quitting ends the storm early
    pool = (
        sorted(bound)
        + list("abcdhijklmnoptuvwxz0123456789")
        + ["enter", "escape", "tab", "shift+tab", "up", "down", "pagedown", "space"]
    )
    rng = random.Random(seed)
    return [rng.choice(pool) for _ in range(count)]


@pytest.mark.parametrize("seed", [1, 2])
async def test_a_key_storm_leaves_the_app_running_and_q_still_quits(app, tmp_path, monkeypatch, seed):
    monkeypatch.chdir(tmp_path)  # e writes its CSV here
    async with app.run_test(size=(80, 24)) as pilot:
        keys = storm_keys(app, 300, seed)
        rng = random.Random(seed)
        i = 0
        while i < len(keys):
            burst = keys[i : i + rng.randint(1, 12)]
            i += len(burst)
            if rng.random() < 0.5:
                await type_fast(pilot, *burst)
            else:
                await pilot.press(*burst)
            if rng.random() < 0.2:
                await settle(pilot)
            assert running_cleanly(app), (seed, i, app.errors)
        await settle(pilot)
        for _ in range(5):  # close whatever dialog the storm left open
            if app.screen is app.screen_stack[0]:
                break
            await pilot.press("escape")
            await settle(pilot)
        assert app.screen is app.screen_stack[0], app.screen
        jump = app.query_one("#jump-bar")
        if jump.display:
            await pilot.press("escape")
        await pilot.press("q")
        await pilot.pause()
    assert app.return_code == 0 and app.errors == []


# -- the safety net -------------------------------------------------------------------------


async def test_a_failing_handler_becomes_a_notification_not_an_exit(app, monkeypatch):
    def broken(self):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(HeimdallApp, "action_filter", broken)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("f")
        await keys_delivered(pilot)
        assert app.is_running and app.errors == ["RuntimeError: disk on fire"]
        assert "disk on fire" in app.notices[-1]
        await pilot.press("2")
        await settle(pilot)
        assert app.active_tab == "huginn"


async def test_a_failing_loader_or_drawing_is_reported_on_its_page(app, monkeypatch):
    from heimdall_tui.pages.operations import OperationsPage
    from heimdall_tui.pages.trends import TrendsPage

    def no_data(con, scope):
        raise RuntimeError("Catalog Error: Table with name fct_wip_current does not exist")

    def bad_drawing(self, view):
        raise ValueError("cannot draw")

    monkeypatch.setattr(OperationsPage, "loader", staticmethod(no_data))
    monkeypatch.setattr(TrendsPage, "show", bad_drawing)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("2")
        await settle(pilot)
        assert "fct_wip_current does not exist" in str(app.query_one("#huginn-status").render())
        await pilot.press("3")
        await settle(pilot)
        assert "could not draw this page: ValueError: cannot draw" in str(app.query_one("#muninn-status").render())
        await pilot.press("j", "1")
        assert app.active_tab == "valskjalf" and app.errors == [] and app.is_running
