"""`heimdall-tui serve`: the same app in a browser, one app process per browser tab.

textual-serve runs `python -m heimdall_tui.web DB` for each connection and relays its screen
and keys over a websocket. The page (heimdall_tui/web/app_index.html) loads only files this server
ships, so it works with no internet, and uses relative URLs, so it works through an SSH tunnel
on any local port. Each session opens the warehouse read-only, as the terminal app does.
"""

from __future__ import annotations

import errno
import ipaddress
import shlex
import socket
import sys
from pathlib import Path

from warehouse.errors import HeimdallError

TEMPLATES = Path(__file__).parent


def is_loopback(host: str) -> bool:
    """True when only this machine can reach `host` (the default: reach it through a tunnel)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:  # a host name other than localhost: it may resolve to anything
        return False


def check_port(host: str, port: int) -> None:
    """Fail with one line, before anything starts, when the address cannot be served."""
    if not 1 <= port <= 65535:
        raise HeimdallError(f"--port must be between 1 and 65535, not {port}")
    try:
        socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise HeimdallError(f"cannot serve on host {host!r}: {exc.strerror}") from None
    try:
        with socket.create_server((host, port)):
            pass
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            raise HeimdallError(
                f"cannot serve on {host}:{port}: the port is in use (choose another with --port)"
            ) from None
        if exc.errno == errno.EADDRNOTAVAIL:
            raise HeimdallError(f"cannot serve on {host}: not an address of this machine") from None
        raise HeimdallError(f"cannot serve on {host}:{port}: {exc.strerror or exc}") from None


def session_command(db: Path) -> str:
    """The shell command textual-serve runs for each browser tab."""
    return f"{shlex.quote(sys.executable)} -m heimdall_tui.web {shlex.quote(str(db.resolve()))}"


def serve(db: Path, host: str, port: int, echo) -> None:
    """Serve the app on db at host:port until interrupted (Ctrl+C)."""
    from textual_serve.server import Server

    class HeimdallServer(Server):
        def initialize_logging(self) -> None:  # textual-serve logs every request; errors are enough
            import logging

            logging.basicConfig(level=logging.WARNING, format="heimdall-tui serve: %(message)s")

        async def on_startup(self, app) -> None:
            echo(f"Serving HEIMDALL on {db} at http://{host}:{port}/ (one app per browser tab; Ctrl+C stops)")

    HeimdallServer(
        session_command(db), host=host, port=port, title=f"HEIMDALL · {db.name}", templates_path=TEMPLATES
    ).serve()
