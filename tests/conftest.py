import faulthandler
import signal
import sys
from pathlib import Path

import pytest

from heimdall_tui import cli

SHARED = Path(__file__).resolve().parents[2] / "shared"

# The slowest test takes about a minute on a busy 2-core machine; one still running after this
# is hung, and fails with every thread's stack instead of stalling the run until CI's limit.
HUNG_AFTER_S = 300


@pytest.fixture(autouse=True)
def fail_when_hung():
    def hung(signum, frame):
        faulthandler.dump_traceback(file=sys.__stderr__, all_threads=True)
        signal.alarm(60)  # if the exception is swallowed, the next alarm ends the run
        signal.signal(signal.SIGALRM, signal.SIG_DFL)
        raise TimeoutError(f"the test was still running after {HUNG_AFTER_S} s (stacks above)")

    previous = signal.signal(signal.SIGALRM, hung)
    signal.alarm(HUNG_AFTER_S)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, previous)


class Run:
    def __init__(self, code: int, out: str, err: str):
        self.code, self.out, self.err = code, out, err

    def __repr__(self) -> str:
        return f"Run(code={self.code}, out={self.out[-500:]!r}, err={self.err[-500:]!r})"


@pytest.fixture
def run(capsys, monkeypatch, tmp_path):
    """Run the real console entry point; returns exit code, stdout and stderr."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv("HEIMDALL_DB", raising=False)

    def invoke(*args: str) -> Run:
        capsys.readouterr()
        monkeypatch.setattr(sys, "argv", ["heimdall-tui", *map(str, args)])
        with pytest.raises(SystemExit) as exit_info:
            cli.main()
        captured = capsys.readouterr()
        return Run(exit_info.value.code or 0, captured.out, captured.err)

    return invoke


@pytest.fixture(scope="session")
def demo_db(tmp_path_factory):
    """The default demo warehouse (seed 42, 1,200 issues), built once per session."""
    from generator import config
    from generator.run import generate_warehouse

    path = tmp_path_factory.mktemp("demo") / "demo.duckdb"
    generate_warehouse(path, config.resolve())
    return path


async def keys_delivered(pilot):
    """Wait until every key the app holds back (keys are handled in typed order, each once the
    app has settled from the one before) has been handled; on a busy machine that takes a while."""
    for _ in range(1500):  # up to 15 s: keys.HOLD_LIMIT is 10 s
        if not pilot.app.keys_waiting:
            break
        await pilot.pause(0.01)
    await pilot.pause()


async def settle(pilot):
    """Wait until the app's workers are done and it has processed what they posted, including
    what it scheduled for after the next refresh (the page's focus)."""
    await keys_delivered(pilot)
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    await pilot.pause(0.05)
    await pilot.app.workers.wait_for_complete()  # work the shown data set off (a jump, a page)
    await pilot.pause()
    from textual.widgets import DataTable

    for _ in range(50):  # tables size their columns on their next idle: wait for it, so screens are final
        shown = pilot.app.page(pilot.app.active_tab).query(DataTable)
        if not any(t._require_update_dimensions for t in shown if t.display):
            break
        await pilot.pause(0.02)


def watched_app(db):
    """The app, recording every notification it shows (what the user reads in the toasts)."""
    from heimdall_tui.app import HeimdallApp

    class WatchedApp(HeimdallApp):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.notices: list[str] = []

        def notify(self, message, *args, **kwargs):
            self.notices.append(str(message))
            super().notify(message, *args, **kwargs)

    return WatchedApp(db)


@pytest.fixture
def app(demo_db):
    return watched_app(demo_db)


@pytest.fixture
def con(demo_db):
    """A read-only connection to the demo warehouse, in UTC, for expected numbers."""
    from warehouse.engine.db import open_warehouse

    connection, _ = open_warehouse(demo_db)
    connection.execute("SET TimeZone = 'UTC'")
    yield connection
    connection.close()


@pytest.fixture(autouse=True)
def presses_wait_for_held_keys(monkeypatch):
    """Pilot's press waits for the app to go idle, but not for keys the app still holds back
    to keep them in typed order: wait for those too, so a test reads the screen a key left."""
    from textual.pilot import Pilot

    original = Pilot.press

    async def press(self, *keys: str) -> None:
        await original(self, *keys)
        await keys_delivered(self)

    monkeypatch.setattr(Pilot, "press", press)
