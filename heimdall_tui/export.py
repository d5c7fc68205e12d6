"""Files the app writes on the user's request (the triage CSV): never over an existing file."""

from __future__ import annotations

import csv
from pathlib import Path


def write_csv(directory: Path, stem: str, header: list[str], rows: list[tuple], about: list[str]) -> Path:
    """Write `rows` under `header` to `directory/stem.csv` (or stem-2.csv, -3... if taken),
    after `# ` lines saying what the rows are. Raises OSError when the directory is not
    writable; returns the path written."""
    n = 1
    while True:
        path = directory / (f"{stem}.csv" if n == 1 else f"{stem}-{n}.csv")
        try:
            out = path.open("x", newline="", encoding="utf-8")  # "x": never replaces a file
        except FileExistsError:
            n += 1
            continue
        with out:
            for line in about:
                out.write(f"# {line}\n")
            writer = csv.writer(out)
            writer.writerow(header)
            writer.writerows(rows)
        return path
