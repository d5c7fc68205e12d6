"""The key bar: Textual's footer, without its leak."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Footer


class KeyBar(Footer):
    """Textual's Footer recomposes on every focus change, and each new key data-binds itself
    to the footer's `compact`; the old keys' watchers are dropped only when `compact` changes,
    which it never does here. So every focus change kept ~15 dead keys alive for good, and each
    new key compared itself with all of them: a session left open for a day grew slower with
    every keystroke. Dropping the watchers of keys no longer shown keeps it as fast as new."""

    def compose(self) -> ComposeResult:
        # Textual keeps a node's watchers in its "__watchers" attribute (reactive._watch)
        watchers = getattr(self, "__watchers", {}).get("compact")
        if watchers:
            watchers[:] = [(node, callback) for node, callback in watchers if node.is_attached]
        yield from super().compose()
