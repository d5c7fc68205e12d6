"""`heimdall-tui serve`: the app itself in a real browser (Debian's Chromium driven by
Playwright), one app process per tab, files delivered as downloads, never written on the server."""

import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from heimdall_tui.web import is_loopback

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")

# textual.js keeps its xterm.js terminal to itself; this records the session object the moment
# it gets its first addon (after `this.terminal` is set), so the test can read the screen buffer.
CAPTURE_SESSION = """Object.defineProperty(Object.prototype, 'fitAddon', {configurable: true, set(v) {
  window.__session = this;
  Object.defineProperty(this, 'fitAddon', {value: v, writable: true, configurable: true, enumerable: true});
}});"""
SCREEN_TEXT = """(() => { const s = window.__session; if (!s) return '';
  const b = s.terminal.buffer.active, lines = [];
  for (let i = 0; i < s.terminal.rows; i++) { const l = b.getLine(i); lines.push(l ? l.translateToString(true) : ''); }
  return lines.join('\\n'); })()"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_serve(db: Path, cwd: Path, *args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", "from heimdall_tui.cli import main; main()", "serve", "--db", str(db), *args],
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_listening(proc: subprocess.Popen, port: int) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"serve did not listen on {port}")


def stop(proc: subprocess.Popen) -> str:
    proc.terminate()
    try:
        _, err = proc.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        _, err = proc.communicate()
    return err


def test_only_loopback_addresses_count_as_private():
    assert is_loopback("127.0.0.1") and is_loopback("localhost") and is_loopback("::1") and is_loopback("127.8.0.1")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.4") and not is_loopback("example.org")


def test_a_missing_warehouse_is_one_line_and_exit_2(run, tmp_path):
    result = run("serve", "--db", tmp_path / "none.duckdb", "--port", free_port())
    assert result.code == 2
    assert result.err.strip().splitlines() == [
        f"heimdall-tui: error: no warehouse at {tmp_path / 'none.duckdb'}"
        " (run `heimdall-tui generate` or `heimdall-tui ingest DIR` first)"
    ]


def test_a_port_in_use_or_an_unknown_host_is_one_line_and_exit_2(run, demo_db):
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        result = run("serve", "--db", demo_db, "--port", port)
    assert result.code == 2
    assert result.err.strip() == (
        f"heimdall-tui: error: cannot serve on 127.0.0.1:{port}: the port is in use (choose another with --port)"
    )
    for args, says in (
        (("--host", "no-such-host.invalid"), "cannot serve on host 'no-such-host.invalid'"),
        (("--port", "70000"), "--port must be between 1 and 65535, not 70000"),
    ):
        result = run("serve", "--db", demo_db, *args)
        assert result.code == 2 and len(result.err.strip().splitlines()) == 1 and says in result.err, result


def test_another_address_is_served_only_with_a_warning(demo_db, tmp_path):
    port = free_port()
    proc = start_serve(demo_db, tmp_path, "--host", "0.0.0.0", "--port", str(port))
    wait_listening(proc, port)
    err = stop(proc)
    assert "warning: serving on 0.0.0.0:" in err and "anyone who can reach this port can read demo.duckdb" in err


@pytest.mark.skipif(CHROMIUM is None, reason="no Chromium on this machine (Debian: apt-get install chromium)")
def test_the_app_works_in_a_real_browser(demo_db, tmp_path):
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is in the test extras")
    port = free_port()
    proc = start_serve(demo_db, tmp_path, "--port", str(port))
    try:
        wait_listening(proc, port)
        with sync_api.sync_playwright() as p:
            browser = p.chromium.launch(
                executable_path=CHROMIUM,
                # as root, and on a machine with no internet: no sandbox, no background fetches
                args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"],
            )
            page = browser.new_page(viewport={"width": 1200, "height": 800}, accept_downloads=True)
            page.add_init_script(CAPTURE_SESSION)
            offline = []
            page.on("request", lambda r: offline.append(r.url) if f"127.0.0.1:{port}" not in r.url else None)
            page.goto(f"http://127.0.0.1:{port}/")

            def shows(*texts: str, timeout: float = 60_000) -> str:
                wanted = " && ".join(f"screen.includes({t!r})" for t in texts)
                page.wait_for_function(
                    f"(() => {{ const screen = {SCREEN_TEXT}; return {wanted}; }})()", timeout=timeout
                )
                return page.evaluate(SCREEN_TEXT)

            executive = shows("Delivery is", "Throughput", "delivered", "Rework rate")
            assert "Loading" not in executive and "Traceback" not in executive
            page.screenshot(path=str(tmp_path / "executive.png"))
            page.locator("#terminal").click()  # the terminal takes the keys

            page.keyboard.press("2")
            shows("Done 7 days", "Current WIP by team and workflow state")

            page.keyboard.press("/")
            page.keyboard.type("valhalla-12")
            page.keyboard.press("Enter")
            issue = shows("VALHALLA-12 ", "cycle time", "lead time")
            assert "esc back" in issue

            page.keyboard.press("6")
            shows("Risk", "Age d")
            with page.expect_download() as download:
                page.keyboard.press("e")
            assert download.value.suggested_filename.startswith("heimdall-triage-")
            csv = Path(download.value.path()).read_text(encoding="utf-8")
            assert csv.startswith("# heimdall-tui WIP triage of demo.duckdb") and "\nIssue,Risk,Marks," in csv
            shows("Sent ", "rows to your browser")

            # a second browser tab is a second app: it opens on the executive while the first stays on triage
            first, page = page, browser.new_page(viewport={"width": 1200, "height": 800})
            page.add_init_script(CAPTURE_SESSION)
            page.goto(f"http://127.0.0.1:{port}/")
            shows("Delivery is", "Rework rate")
            assert "Age d" in first.evaluate(SCREEN_TEXT)
            browser.close()
        assert offline == [], "the page fetched from elsewhere than the server"
        assert list(tmp_path.glob("*.csv")) == [], "a served export wrote a file on the server"
    finally:
        stop(proc)
