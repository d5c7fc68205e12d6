"""A progress bar on stderr for long work on a terminal; silent when piped."""

from __future__ import annotations

import contextlib
import sys
import threading

SHOW_AFTER_SECONDS = 1.0


@contextlib.contextmanager
def progress_bar(enabled: bool | None = None):
    """Yield a `progress(label, done, total)` callback. The bar appears once the work has run
    for a second - by a timer, so a long step that reports nothing still shows it - and quick
    commands print nothing extra."""
    if enabled is None:
        enabled = sys.stderr.isatty()
    if not enabled:
        yield lambda label, done, total: None
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        Progress,
        SpinnerColumn,
        TextColumn,
        TimeElapsedColumn,
    )

    bar = Progress(
        SpinnerColumn(),
        TextColumn("{task.description:<40}"),
        BarColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=True,
    )
    task = bar.add_task("starting", total=None)
    lock = threading.Lock()
    state = {"shown": False, "done": False}

    def show() -> None:
        with lock:
            if not state["done"]:
                bar.start()
                state["shown"] = True

    timer = threading.Timer(SHOW_AFTER_SECONDS, show)
    timer.daemon = True
    timer.start()

    def update(label: str, done: int, total: int) -> None:
        bar.update(task, description=label, completed=done, total=total or None)

    try:
        yield update
    finally:
        timer.cancel()
        with lock:
            state["done"] = True
            if state["shown"]:
                bar.stop()
