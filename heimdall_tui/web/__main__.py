"""One browser tab's app: `python -m heimdall_tui.web DB`, started by `heimdall-tui serve`
with textual's web driver (the terminal app's tty check does not apply: its streams are pipes)."""

import sys
from pathlib import Path

from heimdall_tui.app import HeimdallApp

if __name__ == "__main__":
    HeimdallApp(Path(sys.argv[1])).run()
