"""Modal screens: the filter dialog and the help screen."""

from heimdall_tui.screens.filter import FilterDialog
from heimdall_tui.screens.help import HelpScreen

__all__ = ["FilterDialog", "HelpScreen"]
