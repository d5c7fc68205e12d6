"""Opening warehouses: locations, validation and the atomic-replace protocol."""

from __future__ import annotations

import os
from pathlib import Path

import duckdb

from warehouse.errors import HeimdallError

# 2: resolutions, issue hierarchy, status ids and categories (raw_statuses), meta.notes
# 3: board columns (raw_board_columns), stages (dim_stage, stage on periods), SLEs (dim_sle)
# 4: facts stored in the order screens read them, issue keys indexed, the delivery mart
# 5: each active item's stage and stage entry in fct_wip_current
# 6: stage moves and delivered items' stage hours per day (mart_stage_days, mart_stage_hours)
# 7: delivered items' flow efficiency parts per day (mart_flow_efficiency)
SCHEMA_VERSION = 7


def default_db_path() -> Path:
    """`$HEIMDALL_DB`, else `$XDG_DATA_HOME/heimdall/heimdall.duckdb`."""
    env = os.environ.get("HEIMDALL_DB")
    if env:
        return Path(env).expanduser()
    data_home = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(data_home).expanduser() / "heimdall" / "heimdall.duckdb"


def connect(path: Path | str | None = None, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """A connection pinned to UTC, so no result depends on the machine's time zone."""
    con = duckdb.connect(str(path) if path is not None else ":memory:", read_only=read_only)
    con.execute("SET TimeZone = 'UTC'")
    con.execute("SET enable_progress_bar = false")
    return con


def _open_existing(path: Path) -> duckdb.DuckDBPyConnection:
    if not path.exists():
        raise HeimdallError(f"no warehouse at {path} (run `heimdall-tui generate` or `heimdall-tui ingest DIR` first)")
    if path.is_dir():
        raise HeimdallError(f"{path} is a directory, not a warehouse file")
    if not os.access(path, os.R_OK):
        raise HeimdallError(f"{path} is not readable")
    try:
        return connect(path, read_only=True)
    except duckdb.Error as exc:
        text = str(exc)
        if "not a valid DuckDB database" in text:
            raise HeimdallError(f"{path} is not a DuckDB database") from None
        if "lock" in text.lower():
            raise HeimdallError(f"{path} is locked by another process") from None
        raise HeimdallError(f"cannot open {path}: {text.splitlines()[0]}") from None


def has_table(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    return (
        con.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'main' AND table_name = ?", [name]
        ).fetchall()[0][0]
        > 0
    )


def warehouse_meta(con: duckdb.DuckDBPyConnection, path: Path) -> dict:
    """The warehouse's `meta` row, after checking it is a heimdall warehouse we can read."""
    if not has_table(con, "meta"):
        raise HeimdallError(f"{path} is a DuckDB database but not a heimdall warehouse (no meta table)")
    try:
        cur = con.execute("SELECT * FROM meta")
        cols = [d[0] for d in cur.description]
        rows = cur.fetchall()
    except duckdb.Error:
        raise HeimdallError(f"{path} has an unreadable meta table; it is not a heimdall warehouse") from None
    if len(rows) != 1 or "schema_version" not in cols or "as_of" not in cols:
        raise HeimdallError(f"{path} is a DuckDB database but not a heimdall warehouse (unexpected meta table)")
    meta = dict(zip(cols, rows[0]))
    version = meta["schema_version"]
    if version is None or version > SCHEMA_VERSION:
        raise HeimdallError(
            f"{path} has warehouse schema version {version}; this heimdall-tui reads up to {SCHEMA_VERSION} "
            "(upgrade heimdall-tui)"
        )
    return meta


def open_warehouse(path: Path | str) -> tuple[duckdb.DuckDBPyConnection, dict]:
    """Open an existing warehouse read-only and return it with its meta row."""
    path = Path(path)
    con = _open_existing(path)
    try:
        meta = warehouse_meta(con, path)
    except HeimdallError:
        con.close()
        raise
    return con, meta


def existing_meta(path: Path) -> dict | None:
    """Meta of the warehouse at `path`, None when nothing is there; errors for foreign files."""
    if not path.exists():
        return None
    con, meta = open_warehouse(path)
    con.close()
    return meta


def require_models(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    """Readers need the built models, not just raw tables (`generate --no-build`)."""
    if not has_table(con, "fct_issue_lifecycle"):
        raise HeimdallError(f"{path} holds raw tables but no models yet (run `heimdall-tui build --db {path}`)")
    version = con.execute("SELECT schema_version FROM meta").fetchall()[0][0]
    if version < SCHEMA_VERSION:
        raise HeimdallError(
            f"{path} was built by an older heimdall-tui (schema {version}); "
            f"rebuild it with `heimdall-tui build --db {path}`"
        )
