"""One browser tab's app: `python -m heimdall_tui.web DB`, started by `heimdall-tui serve`
with textual's web driver (the terminal app's tty check does not apply: its streams are pipes)."""

import sys
from pathlib import Path

from heimdall_tui.app import HeimdallApp
from warehouse.errors import HeimdallError

if __name__ == "__main__":
    try:
        app = HeimdallApp(Path(sys.argv[1]))
    except HeimdallError as exc:  # the warehouse went away after serve checked it: the server logs this line
        sys.exit(f"heimdall-tui serve: error: {exc}")
    app.run()
