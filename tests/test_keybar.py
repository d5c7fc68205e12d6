"""The key bar lists the keys that work where the focus is (their descriptions from the keymap),
follows the focus from page to page, and a click on a key presses it."""

from textual.geometry import Region

from heimdall_tui import keymap
from heimdall_tui.screens import FilterDialog
from heimdall_tui.widgets import KeyBar
from tests.conftest import settle


def descriptions(bindings) -> set[str]:
    return {b.description for b in bindings if b.show}


def painted(app) -> str:
    bar = app.query_one(KeyBar)
    return bar.render_lines(Region(0, 0, bar.size.width, 1))[0].text


async def test_the_key_bar_follows_the_focus_and_a_click_presses_a_key(app):
    async with app.run_test(size=(160, 30)) as pilot:
        await settle(pilot)
        line = painted(app)
        assert all(d in line for d in descriptions(keymap.APP))
        assert not any(d in line for d in descriptions(keymap.TRIAGE) | descriptions(keymap.INVESTIGATOR))
        await pilot.press("6")  # triage: its table takes the focus
        await settle(pilot)
        line = painted(app)
        assert all(d in line for d in descriptions(keymap.TRIAGE) | {keymap.OPEN_ISSUE.description})
        await pilot.press("enter")  # the Investigator on the first row
        await settle(pilot)
        line = painted(app)
        assert all(d in line for d in descriptions(keymap.INVESTIGATOR))
        assert keymap.OPEN_ISSUE.description not in line and "esc Back" in line
        await pilot.press("escape")
        await settle(pilot)
        assert keymap.OPEN_ISSUE.description in painted(app)
        filter_at = painted(app).index(" Filter")
        await pilot.click(KeyBar, offset=(filter_at, 0))
        await settle(pilot)
        assert isinstance(app.screen, FilterDialog)
        assert app.is_running and app.errors == []
