"""Keys handled in the order they were typed, each after everything the one before set off.

Textual forwards a key to the focused widget as soon as the app reads it, while most of
what a key does (its binding, the messages its action posts, a tab switch, a new focus)
happens a few message hops later. Typed fast - `/` then a key, `enter` then `esc`, a tab
number then `j` - the second key reached whatever had the focus *before* the first key
took effect, and was lost. Here a key waits until every message queue of the app is empty,
so it meets the screen the previous key left. Waiting is bounded: a key held longer than
HOLD_LIMIT is delivered anyway, so a busy screen never freezes the keyboard.
"""

from __future__ import annotations

import time
from collections import deque
from typing import TYPE_CHECKING

from textual import events
from textual.app import App

# For the type checker the mixin is the app it is mixed into.
if TYPE_CHECKING:
    _Base = App
else:
    _Base = object

HOLD_LIMIT = 10.0  # seconds a key may wait for the app to settle (a starved machine is slow, not wrong)
POLL = 0.003  # seconds between checks while keys wait


class KeysInOrder(_Base):
    """App mixin. Call `_keys_in_order_init()` from `__init__`."""

    def _keys_in_order_init(self) -> None:
        self._held: deque[events.Key] = deque()
        self._released: set[int] = set()
        self._held_since = 0.0
        self._waking = False

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.Key) and event.key == "ctrl+j" and not event.is_forwarded:
            # Enter typed before the terminal left cooked mode (as the app starts) arrives as a
            # newline (the tty's ICRNL): it was meant as Enter, and nothing binds ctrl+j
            event = events.Key("enter", "\r")
        if isinstance(event, events.Key) and not event.is_forwarded:
            if id(event) in self._released:
                self._released.discard(id(event))
            elif self._held or self._settling():
                if not self._held:
                    self._held_since = time.monotonic()
                self._held.append(event)
                self._wake()
                return
        await super().on_event(event)

    @property
    def keys_waiting(self) -> int:
        """How many typed keys are held back, waiting for the app to settle."""
        return len(self._held)

    def replay_first(self, keys: list[events.Key]) -> None:
        """Handle `keys` (typed earlier, held back by a page while it loaded) before any key
        still waiting here, which was typed after them."""
        if not self._held:
            self._held_since = time.monotonic()
        for key in reversed(keys):
            self._held.appendleft(events.Key(key.key, key.character))
        self._wake()

    def _settling(self) -> bool:
        """Is any message still queued anywhere in the app?"""
        if self.message_queue_size:
            return True
        return any(
            node.message_queue_size for screen in self.screen_stack for node in screen.walk_children(with_self=True)
        )

    def _wake(self) -> None:
        if not self._waking:
            self._waking = True
            self.set_timer(POLL, self._release)

    def _release(self) -> None:
        self._waking = False
        if not self._held:
            return
        if self._settling() and time.monotonic() - self._held_since < HOLD_LIMIT:
            self._wake()
            return
        event = self._held.popleft()
        self._released.add(id(event))
        self._held_since = time.monotonic()
        self.post_message(event)
        if self._held:
            self._wake()
