"""Time the work DESIGN.md §7 sets targets for, each in a fresh process, and print a table
and JSON. `seconds` is end to end as a user runs it (interpreter start, imports, work) and
is what the target is checked against; `work` leaves out importing duckdb, polars, numpy
and typer (about 0.4 s here); peak memory is the process's maximum resident set.

    python -m benchmarks                 # everything, including 1,000,000 issues
    python -m benchmarks --quick         # only the 1,200-issue cases
    python -m benchmarks --json out.json
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

# Runs in the child: the CLI entry point exactly as the console script calls it.
CHILD = """
import json, resource, sys, time
start = time.perf_counter()
from heimdall_tui.cli import main
import duckdb, numpy, polars
work_start = time.perf_counter()
sys.argv = ["heimdall-tui", *json.loads(sys.argv[1])]
code = 0
try:
    main()
except SystemExit as exc:
    code = exc.code or 0
print(json.dumps({"seconds": time.perf_counter() - start, "work": time.perf_counter() - work_start, "code": code,
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


@dataclass
class Result:
    work: str
    issues: int
    seconds: float
    work_seconds: float
    peak_mb: float
    target_seconds: float
    target_peak_mb: float | None

    @property
    def ok(self) -> bool:
        return self.seconds < self.target_seconds and (self.target_peak_mb is None or self.peak_mb < self.target_peak_mb)


def run_cli(args: list[str]) -> dict:
    proc = subprocess.run([sys.executable, "-c", CHILD, json.dumps(args)], capture_output=True, text=True)
    if proc.returncode != 0 or not proc.stdout.strip():
        raise SystemExit(f"benchmark command failed: heimdall-tui {' '.join(args)}\n{proc.stderr}")
    measured = json.loads(proc.stdout.strip().splitlines()[-1])
    if measured["code"] != 0:
        raise SystemExit(f"heimdall-tui {' '.join(args)} exited {measured['code']}:\n{proc.stderr}")
    return measured


def bench_generate(folder: Path, issues: int, target: float, peak: float | None) -> Result:
    db = folder / f"bench-{issues}.duckdb"
    m = run_cli(["generate", "--issues", str(issues), "--db", str(db)])
    return Result("generate + build", issues, m["seconds"], m["work"], m["peak_mb"], target, peak)


def bench_report(folder: Path, issues: int, target: float) -> Result:
    db = folder / f"bench-{issues}.duckdb"
    m = run_cli(["--export", "report", "--db", str(db), "--out", str(folder / f"report-{issues}.md")])
    return Result("--export report", issues, m["seconds"], m["work"], m["peak_mb"], target, None)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="skip the 1,000,000-issue cases")
    parser.add_argument("--json", type=Path, help="also write the results to this file")
    args = parser.parse_args(argv)

    results = []
    with tempfile.TemporaryDirectory(prefix="heimdall-bench-") as tmp:
        folder = Path(tmp)
        sizes = [1_200] if args.quick else [1_200, 1_000_000]
        for issues in sizes:
            results.append(bench_generate(folder, issues, 1.0 if issues < 10_000 else 30.0,
                                          None if issues < 10_000 else 3072.0))
        for issues in sizes:
            results.append(bench_report(folder, issues, 0.5 if issues < 10_000 else 3.0))

    print(f"{'work':<20}{'issues':>11}{'seconds':>9}{'(work)':>8}{'target':>8}{'peak MB':>9}{'target':>8}  ok")
    for r in results:
        peak_target = f"{r.target_peak_mb:.0f}" if r.target_peak_mb else "-"
        print(f"{r.work:<20}{r.issues:>11,}{r.seconds:>9.2f}{r.work_seconds:>8.2f}{r.target_seconds:>8.1f}"
              f"{r.peak_mb:>9.0f}{peak_target:>8}  {'yes' if r.ok else 'NO'}")
    payload = [{**asdict(r), "ok": r.ok} for r in results]
    print(json.dumps(payload))
    if args.json:
        args.json.write_text(json.dumps(payload, indent=2))
