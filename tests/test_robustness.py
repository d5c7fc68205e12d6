"""Builds that survive signals, each other, and what killed builds leave behind."""

import hashlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from warehouse.engine.writer import writer_lock

CLI = "import sys; from heimdall_tui.cli import main; sys.argv[0] = 'heimdall-tui'; main()"


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def spawn(*args, env=None, **kwargs) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", CLI, *map(str, args)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **(env or {})},
        **kwargs,
    )


def once_writing(child: subprocess.Popen, target: Path, then: float) -> None:
    """Wait until the child holds the warehouse's writer lock (its signal handling is set up
    by then), then `then` seconds more."""
    lock = target.with_name(f".{target.name}.lock")
    for _ in range(6000):
        if lock.exists() or child.poll() is not None:
            break
        time.sleep(0.01)
    time.sleep(then)


@pytest.fixture(scope="module")
def big(tmp_path_factory):
    """A warehouse whose rebuild takes a few seconds: long enough to be interrupted."""
    path = tmp_path_factory.mktemp("big") / "big.duckdb"
    assert spawn("generate", "--issues", 200_000, "--db", path).wait(timeout=300) == 0
    return path


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP])
def test_a_signal_mid_build_is_one_line_and_leaves_the_warehouse(big, sig):
    before = digest(big)
    child = spawn("build", "--db", big)
    once_writing(child, big, 1.0)  # inside the DuckDB part of the rebuild
    child.send_signal(sig)
    _, err = child.communicate(timeout=60)
    assert child.returncode == 128 + sig, err
    assert err.strip().splitlines()[-1] == (
        f"heimdall-tui: interrupted ({signal.Signals(sig).name}); the previous warehouse was left untouched"
    )
    assert "Traceback" not in err
    assert digest(big) == before
    assert sorted(p.name for p in big.parent.iterdir()) == [big.name]


def test_a_signal_during_the_simulation_too(tmp_path):
    target = tmp_path / "w.duckdb"
    child = spawn("generate", "--issues", 2_000_000, "--db", target)
    once_writing(child, target, 0.5)
    child.send_signal(signal.SIGTERM)
    _, err = child.communicate(timeout=60)
    assert child.returncode == 143 and "interrupted (SIGTERM)" in err and "Traceback" not in err
    assert list(tmp_path.iterdir()) == []


def test_what_a_killed_build_left_is_removed_by_the_next(run, tmp_path):
    target = tmp_path / "w.duckdb"
    dead = 2**22 + 12345  # above the default pid_max: no such process
    for leftover in (f".w.duckdb.building-{dead}", f".w.duckdb.building-{dead}.wal"):
        (tmp_path / leftover).write_bytes(b"x" * 1024)
    (tmp_path / f".w.duckdb.building-{dead}.tmp").mkdir()
    (tmp_path / f".w.duckdb.building-{dead}.tmp" / "spill.block").write_bytes(b"x")
    alive = tmp_path / f".w.duckdb.building-{os.getppid()}"  # a build still running elsewhere
    alive.write_bytes(b"busy")
    assert run("generate", "--issues", 300, "--db", target).code == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == [alive.name, "w.duckdb"]


def test_a_second_writer_waits_for_the_first_or_names_it(run, tmp_path, monkeypatch):
    target = tmp_path / "w.duckdb"
    assert run("generate", "--issues", 300, "--db", target).code == 0
    before = digest(target)
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            (
                "import sys, time; from pathlib import Path; from warehouse.engine.writer import writer_lock\n"
                f"with writer_lock(Path({str(target)!r})):\n    print('held', flush=True); time.sleep(30)"
            ),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        monkeypatch.setenv("HEIMDALL_LOCK_WAIT", "0.5")
        result = run("build", "--db", target)
        assert result.code == 2 and f"is being written by pid {holder.pid}" in result.err, result
        assert "waiting for" in result.err and digest(target) == before
    finally:
        holder.kill()
        holder.wait()
    assert run("build", "--db", target).code == 0  # the lock died with its holder
    assert sorted(p.name for p in tmp_path.iterdir()) == ["w.duckdb"]


def test_the_lock_is_reentrant_in_a_process(tmp_path):
    target = tmp_path / "w.duckdb"
    with writer_lock(target), writer_lock(target):
        assert (tmp_path / ".w.duckdb.lock").read_text().startswith(f"pid {os.getpid()} ")
    assert not (tmp_path / ".w.duckdb.lock").exists()


def test_a_rebuild_keeps_a_symlink_and_the_mode(run, tmp_path):
    real = tmp_path / "data" / "real.duckdb"
    real.parent.mkdir()
    assert run("generate", "--issues", 300, "--db", real).code == 0
    real.chmod(0o600)
    link = tmp_path / "w.duckdb"
    link.symlink_to(real)
    assert run("generate", "--issues", 400, "--db", link, "--force").code == 0
    assert link.is_symlink() and link.resolve() == real
    assert oct(real.stat().st_mode & 0o777) == "0o600"
    con = duckdb.connect(str(real), read_only=True)
    assert con.execute("SELECT count(*) FROM raw_issues").fetchone() == (400,)
    con.close()
    assert sorted(p.name for p in real.parent.iterdir()) == ["real.duckdb"]


def test_a_report_file_follows_the_umask_or_the_file_it_replaces(run, demo_db, tmp_path):
    out = tmp_path / "r.md"
    old = os.umask(0o022)
    try:
        assert run("--export", "report", "--db", demo_db, "--out", out).code == 0
        assert oct(out.stat().st_mode & 0o777) == "0o644"
        out.chmod(0o640)
        assert run("--export", "report", "--db", demo_db, "--out", out).code == 0
        assert oct(out.stat().st_mode & 0o777) == "0o640"
    finally:
        os.umask(old)


def test_a_build_connection_is_bounded(tmp_path, monkeypatch):
    from warehouse.engine.writer import build_connection

    monkeypatch.setenv("HEIMDALL_MEMORY_LIMIT", "300MB")
    monkeypatch.setenv("HEIMDALL_TEMP_LIMIT", "1GB")
    con = build_connection(tmp_path / "b.duckdb")
    settings = dict(
        con.execute(
            "SELECT name, value FROM duckdb_settings() WHERE name IN "
            "('memory_limit', 'max_temp_directory_size', 'temp_directory')"
        ).fetchall()
    )
    con.close()
    assert settings["memory_limit"].startswith("286") and settings["max_temp_directory_size"].startswith("953")
    assert settings["temp_directory"] == f"{tmp_path / 'b.duckdb'}.tmp"


def test_a_bad_memory_limit_is_one_line(run, tmp_path, monkeypatch):
    monkeypatch.setenv("HEIMDALL_MEMORY_LIMIT", "lots")
    result = run("generate", "--issues", 300, "--db", tmp_path / "w.duckdb")
    assert result.code == 2 and "HEIMDALL_MEMORY_LIMIT" in result.err and "Traceback" not in result.err
    assert list(tmp_path.iterdir()) == [] or sorted(p.name for p in tmp_path.iterdir()) == ["xdg"]
