"""Each tab at 80x24 and 120x40 on the seed-42 demo (fixed as_of): what a person sees."""

from importlib.metadata import version

import pytest

from heimdall_tui.app import HeimdallApp
from tests.conftest import settle

# An SVG snapshot is exact to the byte, and Textual's minor releases change the SVG of the
# same screen (seen: 8.0.0 against 8.2.8, same text and colours). Snapshots are compared on
# the Textual they were recorded with; on other versions the Pilot tests cover behaviour.
RECORDED_WITH = "8.2.8"
pytestmark = pytest.mark.skipif(
    version("textual") != RECORDED_WITH,
    reason=f"snapshots were recorded with Textual {RECORDED_WITH}, this is {version('textual')}",
)

TABS = {"1": "valskjalf", "2": "huginn", "3": "muninn", "4": "gjallarhorn", "7": "volva"}


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
@pytest.mark.parametrize("key", list(TABS), ids=list(TABS.values()))
def test_tab(snap_compare, demo_db, key, size):
    async def open_tab(pilot):
        await pilot.press(key)
        await settle(pilot)

    assert snap_compare(HeimdallApp(demo_db), terminal_size=size, run_before=open_tab)


def test_triage(snap_compare, demo_db):
    async def open_tab(pilot):
        await pilot.press("6")
        await settle(pilot)

    assert snap_compare(HeimdallApp(demo_db), terminal_size=(80, 24), run_before=open_tab)


def test_investigator(snap_compare, demo_db):
    async def drill_down(pilot):
        await pilot.press("6")
        await settle(pilot)
        await pilot.press("j", "j", "j", "j", "enter")  # the fifth riskiest: a FREYA item in the outage
        await settle(pilot)

    assert snap_compare(HeimdallApp(demo_db), terminal_size=(80, 24), run_before=drill_down)
