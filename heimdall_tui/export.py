"""Files the app hands the user on request (the triage CSV): never over an existing file."""

from __future__ import annotations

import csv
import io
from pathlib import Path


def csv_text(header: list[str], rows: list[tuple], about: list[str]) -> str:
    """`rows` under `header` as CSV, after `# ` lines saying what the rows are."""
    out = io.StringIO(newline="")
    for line in about:
        out.write(f"# {line}\n")
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


def write_new(directory: Path, stem: str, text: str) -> Path:
    """Write `text` to `directory/stem.csv` (or stem-2.csv, -3... if taken). Raises OSError when
    the directory is not writable; returns the path written."""
    n = 1
    while True:
        path = directory / (f"{stem}.csv" if n == 1 else f"{stem}-{n}.csv")
        try:
            out = path.open("x", newline="", encoding="utf-8")  # "x": never replaces a file
        except FileExistsError:
            n += 1
            continue
        with out:
            out.write(text)
        return path
