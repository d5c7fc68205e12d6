"""Stopping a build on Ctrl-C, SIGTERM (`timeout`, systemd) or SIGHUP (an SSH session
dropping): promptly, with one line, the old warehouse intact, exit 128 + the signal.

Python runs its signal handlers only between bytecodes, and a DuckDB query holds the main
thread in C for as long as it runs (the client checks for Ctrl-C only now and then: 6 to 50 s
were measured). So the C-level handler also writes the signal to a wake-up socket, and a
thread reading it interrupts the running build queries at once.
"""

from __future__ import annotations

import contextlib
import signal
import socket
import threading

from warehouse.engine.writer import interrupt_all

SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


class Interrupted(Exception):
    """The work was stopped by a signal; `signum` says which."""

    def __init__(self, signum: int):
        self.signum = signum
        super().__init__(signal.Signals(signum).name)


@contextlib.contextmanager
def interruptible():
    """Within the block, SIGINT, SIGTERM and SIGHUP stop the work and surface as Interrupted."""
    received: list[int] = []

    def handler(signum, frame):
        received.append(signum)
        if len(received) == 1:  # the first stops Python code; later ones must not cut short the cleanup
            raise KeyboardInterrupt

    reader, writer = socket.socketpair()
    writer.setblocking(False)
    previous = {s: signal.signal(s, handler) for s in SIGNALS}
    previous_fd = signal.set_wakeup_fd(writer.fileno(), warn_on_full_buffer=False)

    def watch() -> None:
        while data := reader.recv(64):
            if any(b in SIGNALS for b in data):
                interrupt_all()

    watcher = threading.Thread(target=watch, name="signal-watch", daemon=True)
    watcher.start()
    try:
        yield
    except BaseException:
        if received:
            raise Interrupted(received[0]) from None
        raise
    finally:
        signal.set_wakeup_fd(previous_fd)
        if not received:  # else keep recording: a late signal must not kill the cleanup or the exit
            for s, h in previous.items():
                signal.signal(s, h)
        writer.close()
        watcher.join(timeout=1)
        reader.close()
