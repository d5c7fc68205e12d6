"""A long session stays as fast as a short one: the key bar does not keep every set of keys it
ever showed alive (Textual's footer data-binds each new key to itself and only forgets the old
ones when that binding's value changes, so each focus change would add ~15 for good)."""

import gc
import weakref

from heimdall_tui.widgets import KeyBar
from tests.conftest import settle


async def test_keys_the_footer_no_longer_shows_are_freed(app):
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        old = [weakref.ref(key) for key in app.query_one(KeyBar).children]
        assert old
        for tab in "2345612345":  # each tab switch moves the focus: the footer shows new keys
            await pilot.press(tab)
            await settle(pilot)
        gc.collect()
        assert [r for r in old if r() is not None] == []
        assert app.is_running and app.errors == []
