"""Reading the user's TOML files (scenario, workflow, thresholds): one line for every way
one can be wrong, naming the file."""

from __future__ import annotations

import tomllib
from pathlib import Path

from warehouse.errors import HeimdallError

BOM = b"\xef\xbb\xbf"


def read_text(path: Path, what: str) -> str:
    """The file's text, which must be UTF-8 without a byte-order mark (as TOML requires)."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise HeimdallError(f"cannot read {what} file {path}: {exc.strerror or exc}") from None
    if data.startswith(BOM):
        raise HeimdallError(f"{what} {path} starts with a byte-order mark; save it as UTF-8 without one")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise HeimdallError(f"{what} {path} is not UTF-8 text (byte {exc.start + 1}); save it as UTF-8") from None


def parse(text: str, what: str, source: str) -> dict:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise HeimdallError(f"{what} {source}: invalid TOML: {exc}") from None


def load(path: Path, what: str) -> dict:
    """Parse a TOML file; `what` names it in errors (config, workflow, thresholds)."""
    return parse(read_text(path, what), what, str(path))


def table(doc: dict, key: str, what: str, source: str) -> dict:
    """doc[key] when it is a table (empty when absent)."""
    value = doc.get(key, {})
    if not isinstance(value, dict):
        raise HeimdallError(f"{what} {source}: '{key}' must be a table ([{key}]), not {type(value).__name__}")
    return value
