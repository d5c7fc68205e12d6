"""A progress bar on stderr for long work on a terminal; silent when piped."""

from __future__ import annotations

import contextlib
import sys
import time

SHOW_AFTER_SECONDS = 1.0


@contextlib.contextmanager
def progress_bar(enabled: bool | None = None):
    """Yield a `progress(label, done, total)` callback. The bar appears only once the work
    has run for a second, so quick commands print nothing extra."""
    if enabled is None:
        enabled = sys.stderr.isatty()
    if not enabled:
        yield lambda label, done, total: None
        return
    from rich.console import Console
    from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    bar = Progress(SpinnerColumn(), TextColumn("{task.description:<40}"), BarColumn(), TimeElapsedColumn(),
                   console=Console(stderr=True), transient=True)
    task = bar.add_task("starting", total=None)
    started = time.monotonic()
    shown = False

    def update(label: str, done: int, total: int) -> None:
        nonlocal shown
        if not shown and time.monotonic() - started >= SHOW_AFTER_SECONDS:
            bar.start()
            shown = True
        bar.update(task, description=label, completed=done, total=total or None)

    try:
        yield update
    finally:
        if shown:
            bar.stop()
