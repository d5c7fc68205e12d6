"""Handlers whose errors are reported, not fatal.

An exception escaping a Textual message handler stops that widget's message loop and ends
the app with a traceback. The app's own handlers, its actions, and the pages', tables' and
dialogs' handlers go through `Guarded`, so an unexpected error becomes a notification with
its one-line reason (and is kept in `app.errors` for tests) while the app runs on.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.message import Message
from textual.message_pump import MessagePump

# For the type checker the mixin is the message pump it is mixed into.
if TYPE_CHECKING:
    _Base = MessagePump
else:
    _Base = object


class Guarded(_Base):
    """Mixin for a widget, screen or app (listed before the Textual class)."""

    async def _on_message(self, message: Message) -> None:
        try:
            await super()._on_message(message)
        except Exception as exc:
            self.app.report_error(exc)  # type: ignore[attr-defined]  # the app is always a HeimdallApp
