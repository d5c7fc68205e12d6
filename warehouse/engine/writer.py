"""Writing a warehouse safely: one writer at a time, bounded resources, atomic replacement,
and prompt interruption.

- `writer_lock(path)`: an exclusive lock in `.NAME.lock` beside the warehouse, re-entrant in a
  process. A second writer waits (saying for whom) up to $HEIMDALL_LOCK_WAIT seconds (default
  600), then fails naming the holder. Readers never take it: they keep the file they opened
  and see a rebuilt one on reload.
- `atomic_target(path)`: a temporary file beside the warehouse (beside the symlink's target if
  the warehouse is a symlink) that replaces it in one rename with the old file's mode; any
  failure, Ctrl-C or signal removes it with its WAL and DuckDB spill folder. Leftovers of a
  killed build (its process gone) are removed by the next one.
- `build_connection(tmp)`: a connection with DuckDB's memory capped ($HEIMDALL_MEMORY_LIMIT,
  default half the machine's memory up to 8 GB) and its spill folder beside the build, capped
  too ($HEIMDALL_TEMP_LIMIT, default 20 GB), so one bad value cannot exhaust the machine.
- `interrupt_all()`: interrupt every running build query (a signal handler's thread calls it:
  DuckDB notices Python's own signal handling only every so often).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import stat
import sys
import tempfile
import threading
import time
import weakref
from collections.abc import Callable
from pathlib import Path

import duckdb

from warehouse.engine.db import connect
from warehouse.errors import HeimdallError

_builds: weakref.WeakSet[duckdb.DuckDBPyConnection] = weakref.WeakSet()
_held: dict[Path, tuple[int, int]] = {}  # lock path -> (fd, depth)
_guard = threading.Lock()


def ensure_writable_dir(path: Path) -> None:
    """Fail early, before any work, when the warehouse's folder cannot take a new file.

    Probes with a real file: permission bits say nothing when running as root."""
    folder = path.parent
    if path.is_dir():
        raise HeimdallError(f"{path} is a directory, not a warehouse file")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".heimdall-probe-"):
            pass
    except OSError as exc:
        raise HeimdallError(f"cannot write to {folder}: {exc.strerror or exc} (a read-only location?)") from None


def real_path(path: Path) -> Path:
    """The file a warehouse path names: a symlink is written through, never replaced."""
    path = Path(path)
    return path.resolve() if path.is_symlink() else path


# -- the writer lock -------------------------------------------------------------------------


def _lock_path(path: Path) -> Path:
    path = real_path(path)
    return path.with_name(f".{path.name}.lock")


def _holder(lock: Path) -> str:
    with contextlib.suppress(OSError):
        text = lock.read_text(encoding="utf-8", errors="replace").strip()
        if text:
            return text
    return "another process"


@contextlib.contextmanager
def writer_lock(path: Path, on_wait: Callable[[str], None] | None = None):
    """Hold the warehouse's writer lock for the block (re-entrant within this process). The
    lock file holds who has it and is removed on release, so nothing is left behind."""
    lock = _lock_path(path)
    with _guard:
        held = _held.get(lock)
        if held is not None:
            _held[lock] = (held[0], held[1] + 1)
    if held is None:
        ensure_writable_dir(real_path(path))
        fd = _acquire(lock, on_wait)
        command = " ".join([Path(sys.argv[0]).name, *sys.argv[1:]])[:200]
        os.write(fd, f"pid {os.getpid()} ({command})\n".encode())
        with _guard:
            _held[lock] = (fd, 1)
    try:
        yield
    finally:
        with _guard:
            fd, depth = _held[lock]
            if depth > 1:
                _held[lock] = (fd, depth - 1)
            else:
                del _held[lock]
                with contextlib.suppress(FileNotFoundError):
                    lock.unlink()  # before closing: a waiter then finds its inode gone and retries
                os.close(fd)


def _acquire(lock: Path, on_wait: Callable[[str], None] | None) -> int:
    """An fd holding the lock on the file now at `lock`."""
    wait = float(os.environ.get("HEIMDALL_LOCK_WAIT", "600"))
    deadline = time.monotonic() + wait
    told = False
    while True:
        fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            holder = _holder(lock)
            if time.monotonic() >= deadline:
                raise HeimdallError(
                    f"{lock.name[1:-5]} is being written by {holder}; try again when it is done"
                ) from None
            if not told and on_wait is not None:
                on_wait(f"waiting for {holder} to finish writing {lock.name[1:-5]} (up to {wait:.0f} s)")
                told = True
            time.sleep(0.2)
            continue
        try:
            current = os.stat(lock).st_ino
        except FileNotFoundError:
            current = None
        if current == os.fstat(fd).st_ino:
            os.ftruncate(fd, 0)
            return fd
        os.close(fd)  # the holder removed it as we locked it: lock the new one


# -- atomic replacement -------------------------------------------------------------------------


def _leftovers(tmp: Path) -> tuple[Path, ...]:
    return tmp, Path(f"{tmp}.wal"), Path(f"{tmp}.tmp")


def _remove(tmp: Path) -> None:
    for p in _leftovers(tmp):
        if p.is_dir():
            shutil.rmtree(p, ignore_errors=True)
        else:
            with contextlib.suppress(FileNotFoundError):
                p.unlink()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # somebody else's process
    return True


def remove_stale_builds(path: Path) -> list[Path]:
    """Remove what killed builds of this warehouse left (their process is gone)."""
    removed = []
    for leftover in path.parent.glob(f".{path.name}.building-*"):
        pid = leftover.name.rsplit("-", 1)[-1].split(".")[0]  # .NAME.building-PID[.wal|.tmp]
        if pid.isdigit() and int(pid) != os.getpid() and not _alive(int(pid)):
            _remove(path.with_name(f".{path.name}.building-{pid}"))
            removed.append(leftover)
    return removed


@contextlib.contextmanager
def atomic_target(path: Path):
    """Yield a temporary path beside `path`; on success it replaces `path` in one rename.

    Any exception (a failed test, bad input, a signal) removes the temporary file and leaves
    whatever was at `path` exactly as it was."""
    path = real_path(path)
    ensure_writable_dir(path)
    with writer_lock(path):
        remove_stale_builds(path)
        tmp = path.with_name(f".{path.name}.building-{os.getpid()}")
        _remove(tmp)
        try:
            yield tmp
            with contextlib.suppress(FileNotFoundError):
                os.chmod(tmp, stat.S_IMODE(path.stat().st_mode))
            os.replace(tmp, path)
            # A stale WAL beside the new file would be replayed into it.
            with contextlib.suppress(FileNotFoundError):
                Path(f"{path}.wal").unlink()
        finally:
            _remove(tmp)


# -- bounded, interruptible build connections -----------------------------------------------------


def _default_memory_limit() -> str:
    # 3 GB is enough for every model at 10M issues (those that grow with the history are built
    # in parts), and leaves room for the generator's own arrays beside it: generate + build
    # stays under 6 GB. A small machine gives a quarter of its memory.
    with contextlib.suppress(ValueError, OSError, AttributeError):
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
        return f"{max(256, min(total // 4, 3 * 1024**3) // 1024**2)}MB"
    return "2GB"


def build_connection(tmp: Path) -> duckdb.DuckDBPyConnection:
    """A read-write connection for a build, bounded in memory and spill space."""
    con = connect(tmp)
    memory = os.environ.get("HEIMDALL_MEMORY_LIMIT") or _default_memory_limit()
    spill = os.environ.get("HEIMDALL_TEMP_LIMIT") or "20GB"
    try:
        con.execute(f"SET memory_limit = '{memory.replace(chr(39), '')}'")
        con.execute(f"SET max_temp_directory_size = '{spill.replace(chr(39), '')}'")
    except duckdb.Error as exc:
        con.close()
        raise HeimdallError(f"bad $HEIMDALL_MEMORY_LIMIT or $HEIMDALL_TEMP_LIMIT: {str(exc).splitlines()[0]}") from None
    con.execute(f"SET temp_directory = '{str(tmp).replace(chr(39), chr(39) * 2)}.tmp'")
    return register_build(con)


def register_build(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    """`con` (a build connection or one of its cursors), which interrupt_all now reaches."""
    _builds.add(con)
    return con


def interrupt_all() -> None:
    """Interrupt every build query running now (safe from any thread)."""
    for con in list(_builds):
        with contextlib.suppress(Exception):
            con.interrupt()
