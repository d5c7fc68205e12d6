"""BIFROST: determinism, the original's mess rates, a flow that makes sense, config errors."""

import functools
import hashlib
import json
from datetime import timedelta

import duckdb
import polars as pl
import pytest

import generator.run
from generator import config
from generator.simulate import simulate, stream
from warehouse.errors import HeimdallError


@pytest.fixture(scope="module")
def big():
    """A larger run, so the rates are measured with little sampling noise."""
    return simulate(config.resolve(issues=40_000))


@pytest.fixture(scope="module")
def demo():
    return simulate(config.resolve())


def test_same_seed_and_config_give_identical_tables(demo):
    again = simulate(config.resolve())
    for name, frame in demo.tables().items():
        assert frame.equals(again.tables()[name]), name
    other = simulate(config.resolve(seed=7))
    assert not other.transitions.equals(demo.transitions)


def fingerprint(frame: pl.DataFrame) -> str:
    return hashlib.sha256(json.dumps(frame.rows(), default=str).encode()).hexdigest()[:16]


# Recorded with the generator as it was before it worked in chunks (all issues at once): the
# chunked generator must give the same tables, to the value, for the same seed and size.
BEFORE_CHUNKS = {
    (42, 1200): {
        "raw_issues": "ecda4882919829f7",
        "raw_transitions": "a29d3c5fbdab1f10",
        "raw_sprints": "90b8d5a66850b681",
        "raw_issue_sprint": "af2c316dd1435529",
        "raw_blockers": "d2054e4c5f8e5e56",
    },
    (7, 5000): {
        "raw_issues": "1315de074d45c670",
        "raw_transitions": "2f6e6f8322eb2931",
        "raw_sprints": "7badb8229f0a1a22",
        "raw_issue_sprint": "422004a8d68b96a0",
        "raw_blockers": "9827f0c132147b1e",
    },
}


@pytest.mark.parametrize("seed,issues", list(BEFORE_CHUNKS))
def test_chunks_give_the_tables_the_whole_run_gave(seed, issues):
    cfg = config.resolve(seed=seed, issues=issues)
    whole = simulate(cfg, chunk=issues)
    assert {t: fingerprint(f) for t, f in whole.tables().items()} == BEFORE_CHUNKS[(seed, issues)]
    # chunks of one issue, of a prime size, and a last chunk smaller than the rest
    for chunk in (1, 7, 333) if issues < 2000 else (333,):
        chunked = simulate(cfg, chunk=chunk)
        for name, frame in whole.tables().items():
            assert chunked.tables()[name].schema == frame.schema, (chunk, name)
            assert chunked.tables()[name].equals(frame), (chunk, name)


def test_chunks_do_not_change_a_run_without_the_outage():
    cfg = config.resolve({"degradation": {"enabled": False}}, issues=500)
    whole = simulate(cfg, chunk=500)
    for name, frame in simulate(cfg, chunk=41).tables().items():
        assert frame.equals(whole.tables()[name]), name


def test_generate_streams_the_pieces_into_the_raw_tables(tmp_path, monkeypatch):
    cfg = config.resolve(issues=900)
    monkeypatch.setattr(generator.run, "stream", functools.partial(stream, chunk=100))
    generator.run.generate_warehouse(tmp_path / "w.duckdb", cfg, build=False)
    con = duckdb.connect(str(tmp_path / "w.duckdb"), read_only=True)
    whole = simulate(cfg)
    for name, frame in whole.tables().items():
        first = frame.columns[0]
        # epoch seconds: the same instants whatever the machine's time zone
        cols = ", ".join(f"epoch({c})" if frame.schema[c] == pl.Datetime("us", "UTC") else c for c in frame.columns)
        stored = con.execute(f"SELECT {cols} FROM {name} ORDER BY {first}").fetchall()
        expected = frame.with_columns(pl.col(pl.Datetime).dt.epoch("s").cast(pl.Float64)).rows()
        assert stored == expected, name
    con.close()


def test_defaults_reproduce_the_original_scenario(demo):
    issues = demo.issues
    assert issues.height == 1200
    assert sorted(issues["team"].unique()) == ["AEGIR", "FREYA", "TYR"]
    assert sorted(issues["project_key"].unique()) == ["BIFROST-LABS", "MIDGARD-OPS", "VALHALLA"]
    assert set(issues["issue_type"].unique()) == {"Story", "Bug", "Task", "Spike"}
    assert set(issues["priority"].unique()) == {"P0", "P1", "P2", "P3"}
    assert str(demo.as_of) == "2026-01-29 00:00:00+00:00"  # 120 days from 2025-10-01
    assert issues["created_at"].min().date().isoformat() >= "2025-10-01"
    sprint_days = (demo.sprints["end_at"] - demo.sprints["start_at"]).dt.total_days().unique().to_list()
    assert sprint_days == [14]
    statuses = set(demo.transitions["to_status"].unique())
    for name in (
        "To Do",
        "In Progress",
        "In Review",
        "QA",
        "Done",
        "Blocked",
        "Doing",
        "Review",
        "Shipped",
        "Impeded",
        "Dev",
        "Test",
        "Complete",
    ):
        assert name in statuses or name in set(demo.transitions["from_status"].unique())


def test_nothing_happens_after_as_of(big):
    as_of = big.as_of
    assert big.transitions["changed_at"].max() <= as_of
    assert big.issues["created_at"].max() <= as_of
    assert big.blockers["blocked_start"].max() <= as_of and big.blockers["logged_at"].max() <= as_of
    assert big.issue_sprint["added_at"].max() <= as_of
    assert big.blockers["blocked_end"].drop_nulls().max() <= as_of


def rate(numerator: int, denominator: int) -> float:
    return numerator / denominator


def test_mess_rates_match_the_original(big):
    n = big.issues.height
    assert rate(big.issues["assignee"].null_count(), n) == pytest.approx(0.18, abs=0.01)
    assert rate(big.issues["estimate_points"].null_count(), n) == pytest.approx(0.35, abs=0.01)
    t = big.transitions
    copies = t.height - t.unique(subset=["issue_id", "from_status", "to_status", "changed_at"]).height
    assert rate(copies, t.height) == pytest.approx(0.03 / 1.03, abs=0.005)
    drifted = t.filter(pl.col("to_status").str.contains(r"^Custom:|\*$| \(legacy\)$")).height
    assert rate(drifted, t.height) == pytest.approx(0.25 * 3 / 3, abs=0.02)
    late = big.blockers.filter(pl.col("logged_at") - pl.col("blocked_start") > timedelta(hours=24)).height
    assert rate(late, big.blockers.height) == pytest.approx(0.12, abs=0.02)
    first = big.issue_sprint.sort("id").group_by("issue_id").first().join(big.sprints, on="sprint_id")
    mid_sprint = first.filter(pl.col("added_at") > pl.col("start_at")).height
    assert rate(mid_sprint, first.height) == pytest.approx(0.20, abs=0.02)
    assert big.issue_sprint["removed_at"].null_count() < big.issue_sprint.height  # some are removed


def test_lifecycles_make_sense(big):
    """Churn happens before done; a reopen is done -> active -> done; some work is left open."""
    from tests.eventlog import one
    from warehouse.engine.build import build_models, run_tests
    from warehouse.engine.db import connect
    from warehouse.sources.contract import insert_frame, write_meta

    con = connect()
    for name, frame in big.tables().items():
        insert_frame(con, name, frame)
    write_meta(con, source="generator", as_of=big.as_of)
    build_models(con)
    assert [r.test.name for r in run_tests(con) if not r.passed] == []
    life = one(
        con,
        """
        SELECT count(*) AS n,
               count(*) FILTER (WHERE is_done) AS done,
               count(*) FILTER (WHERE is_active) AS active,
               count(*) FILTER (WHERE current_status = 'review') AS in_review,
               count(*) FILTER (WHERE reopen_count > 0 AND is_done) AS reopened_done,
               count(*) FILTER (WHERE is_done AND issue_id NOT IN (
                   SELECT issue_id FROM fct_status_periods WHERE canonical_status = 'in_progress')) AS skipped
        FROM fct_issue_lifecycle""",
    )
    assert life["active"] < 0.12 * life["n"]  # no "everything stuck in review"
    assert life["in_review"] < 0.04 * life["n"]
    assert rate(life["reopened_done"], life["done"]) == pytest.approx(0.10, abs=0.02)
    assert rate(life["skipped"], life["done"]) == pytest.approx(0.06, abs=0.015)
    # after a done the only move is a reopen into active work
    out_of_done = one(
        con,
        "SELECT count(*) FILTER (WHERE canonical_status NOT IN ('in_progress', 'blocked')) AS bad, "
        "count(*) AS n FROM fct_status_periods WHERE previous_status = 'done' AND canonical_status <> 'done'",
    )
    assert out_of_done["n"] > 0 and out_of_done["bad"] == 0
    # some work is still open, some abandoned (no change for over a month)
    stale = one(
        con,
        "SELECT count(*) AS n FROM fct_wip_current WHERE canonical_status IN ('in_progress', 'review', 'blocked') "
        "AND time_in_current_status_hours > 30 * 24",
    )
    assert stale["n"] > 0
    # Little's law over the steady middle of the window: mean WIP ~ throughput rate x mean cycle time
    little = one(
        con,
        """
        SELECT (SELECT avg(wip_count) FROM fct_wip_daily
                WHERE day BETWEEN DATE '2025-11-01' AND DATE '2025-12-31') AS wip,
               (SELECT count(*) / 61.0 * avg(cycle_time_hours) / 24 FROM fct_issue_lifecycle
                WHERE done_at >= '2025-11-01' AND done_at < '2026-01-01') AS predicted""",
    )
    assert little["wip"] == pytest.approx(little["predicted"], rel=0.3)


def test_the_late_window_degradation_is_real(big):
    """The outage stops FREYA; everyone slows: throughput falls, cycle time rises."""
    from warehouse.engine.db import connect
    from warehouse.sources.contract import ArrowStream

    con = connect()
    con.register("issues", ArrowStream(big.issues))
    con.register("transitions", ArrowStream(big.transitions))
    as_of = big.as_of
    weekly = con.execute(
        """
        WITH done AS (
            SELECT t.issue_id, i.team, max(t.changed_at) AS done_at
            FROM transitions t JOIN issues i USING (issue_id)
            WHERE t.to_status IN ('Done', 'Shipped', 'Complete') GROUP BY ALL)
        SELECT floor(epoch(? - done_at) / (7 * 86400)) AS weeks_ago, count(*) AS n,
               count(*) FILTER (WHERE team = 'FREYA') AS freya
        FROM done GROUP BY 1 ORDER BY 1""",
        [as_of],
    ).fetchall()
    by_week = {int(w): (n, f) for w, n, f in weekly}
    last, trailing = by_week[0], [by_week[w] for w in (2, 3, 4, 5)]
    assert last[1] == 0  # the outage team ships nothing in the last week
    assert last[0] < 0.7 * sum(n for n, _ in trailing) / 4


def test_an_outage_is_logged_as_an_open_blocker(demo):
    outage = demo.blockers.filter(pl.col("reason") == "Environment outage")
    assert outage.height > 0 and outage["blocked_end"].null_count() == outage.height


def test_config_file_overrides_defaults(tmp_path):
    path = tmp_path / "scenario.toml"
    path.write_text(
        "issues = 50\nseed = 3\n[window]\ndays = 30\n[rates]\nreopen = 0.5\n[degradation]\nenabled = false\n"
    )
    cfg = config.load(path)
    assert (cfg["issues"], cfg["seed"], cfg["window"]["days"], cfg["rates"]["reopen"]) == (50, 3, 30, 0.5)
    assert cfg["rates"]["duplicates"] == 0.03  # untouched defaults stay
    assert config.load(path, issues=10)["issues"] == 10  # flags beat the file
    raw = simulate(cfg)
    assert raw.issues.height == 50 and str(raw.as_of) == "2025-10-31 00:00:00+00:00"


def test_config_can_replace_the_teams(tmp_path):
    path = tmp_path / "teams.toml"
    path.write_text(
        '[teams.ODIN]\ncapacity = 2\n[teams.ODIN.statuses]\ntodo = "Open"\nin_progress = "Working"\n'
        'review = "Checking"\ndone = "Closed"\nblocked = "Stuck"\n[degradation]\nteam = "ODIN"\n'
    )
    raw = simulate(config.load(path, issues=200))
    assert raw.issues["team"].unique().to_list() == ["ODIN"]
    assert "Working" in set(raw.transitions["to_status"])


@pytest.mark.parametrize(
    "text, message",
    [
        ("colour = 'red'", "unknown key 'colour'"),
        ("[rates]\nreopenn = 0.1", "unknown key 'rates.reopenn'"),
        ("issues = 'many'", "'issues' must be an integer"),
        ("[rates]\nreopen = 2", "'rates.reopen' must be between 0 and 1"),
        ("[window]\nstart = 'soon'", "'window.start' must be a date"),
        ("[teams.X]\ncapacity = 1", "'teams.X.statuses' is required"),
        (
            "[teams.X.statuses]\ntodo='a'\nin_progress='b'\nreview='c'\ndone='d'",
            "'teams.X.statuses.blocked' is required",
        ),
        ("[degradation]\nteam = 'LOKI'", "'degradation.team' names 'LOKI'"),
        ("issues = [", "invalid TOML"),
    ],
)
def test_an_invalid_config_names_the_bad_key(tmp_path, text, message):
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(HeimdallError) as err:
        config.load(path)
    assert message in str(err.value) and "\n" not in str(err.value)


def test_pieces_made_ahead_come_in_order_and_errors_reach_the_caller():
    from generator.run import ahead

    assert list(ahead(iter(range(50)), 2)) == list(range(50))

    def broken():
        yield 1
        yield 2
        raise ValueError("bad piece")

    got = []
    with pytest.raises(ValueError, match="bad piece"):
        for item in ahead(broken(), 2):
            got.append(item)
    assert got == [1, 2]


def test_a_caller_that_stops_stops_the_thread_making_pieces():
    import itertools
    import threading

    from generator.run import ahead

    made = []

    def endless():
        for i in itertools.count():
            made.append(i)
            yield i

    pieces = ahead(endless(), 2)
    assert next(pieces) == 0
    pieces.close()  # what a failed insert or Ctrl-C does to the loop
    assert not any(t.name == "simulate" for t in threading.enumerate())  # joined, so made no more
    assert len(made) <= 4  # the one taken, two queued, one being offered
