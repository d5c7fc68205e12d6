"""heimdall-tui: the terminal application, the CLI and the report export."""

__version__ = "0.1.0"
