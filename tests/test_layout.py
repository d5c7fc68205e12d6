"""The warehouse's physical layout, which keeps screens fast whatever the history: facts in
the order screens filter them, keys indexed, and the current-state table standing in for the
history where it gives the same answer."""

from datetime import UTC, datetime, timedelta

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from heimdall_tui import views
from warehouse import metrics, report
from warehouse.engine.db import open_warehouse
from warehouse.metrics import Filters, analytics, delivery, wip
from warehouse.metrics.filters import frame
from warehouse.semantics.calendar import screen_windows


@pytest.fixture
def con(demo_db):
    con, _ = open_warehouse(demo_db)
    yield con
    con.close()


def stored(con, table: str, columns: str) -> list[tuple]:
    """Rows in the order they are stored (rowid), not in any order a query asks for."""
    return con.execute(f"SELECT {columns} FROM {table} ORDER BY rowid").fetchall()


def test_facts_are_stored_in_the_order_screens_filter_them(con):
    done = [d for (d,) in stored(con, "fct_issue_lifecycle", "done_at")]
    finished = [d for d in done if d is not None]
    assert finished == sorted(finished) and done[: len(finished)] == finished  # undone last

    periods = stored(con, "fct_status_periods", "issue_id, period_index")
    assert periods == sorted(periods)  # an issue's periods together

    blocks = [b for (b,) in stored(con, "fct_blocked_intervals", "blocked_from")]
    assert blocks == sorted(blocks)
    windows = [b for (b,) in stored(con, "stg_blockers", "blocked_start")]
    assert windows == sorted(windows)

    current = stored(con, "fct_wip_current", "canonical_status, last_status_change_at")
    assert current == sorted(current)


def test_keys_and_ids_looked_up_one_at_a_time_are_indexed(con):
    indexed = {(t, sql) for t, sql in con.execute("SELECT table_name, sql FROM duckdb_indexes()").fetchall()}
    assert any(t == "dim_issue_key" and "(key_upper)" in sql for t, sql in indexed)
    assert any(t == "fct_issue_lifecycle" and "(issue_id)" in sql for t, sql in indexed)


@pytest.mark.parametrize("table", ["fct_blocked_intervals", "stg_blockers"])
def test_blocked_time_carries_the_issues_filter_columns(con, table):
    mismatched = con.execute(f"""
        SELECT count(*) FROM {table} b JOIN fct_issue_lifecycle l USING (issue_id)
        WHERE (b.team, b.project_key, b.issue_type, b.is_flow_item)
              IS DISTINCT FROM (l.team, l.project_key, l.issue_type, l.is_flow_item)""").fetchall()[0][0]
    assert mismatched == 0
    assert con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0] > 0


def _aged(con, side, filters, at):
    relation, params = side(filters, at)
    return frame(con, f"SELECT * FROM ({relation}) ORDER BY age_hours DESC, issue_id", params)


@pytest.mark.parametrize("filters", [Filters(), Filters(team="FREYA"), Filters(project="VALHALLA", issue_type="Bug")])
def test_work_item_age_from_the_current_state_equals_the_history(con, filters):
    as_of = metrics.as_of(con)
    for at in (as_of, metrics.period_end(con)):
        now = _aged(con, wip._age_now, filters, at)
        then = _aged(con, wip._age_then, filters, at)
        assert now.height > 0
        assert_frame_equal(now, then)
        assert now["is_blocked"].sum() > 0 or filters.issue_type == "Bug"
    # before as_of only the history can answer, and the public function takes it there
    earlier = as_of - timedelta(days=10)
    assert_frame_equal(metrics.work_item_age(con, filters, at=earlier), _aged(con, wip._age_then, filters, earlier))
    assert_frame_equal(metrics.work_item_age(con, filters), _aged(con, wip._age_now, filters, as_of))


@pytest.mark.parametrize("filters", [Filters(), Filters(team="FREYA"), Filters(project="VALHALLA", issue_type="Bug")])
def test_work_item_age_counts_are_the_listed_items_counted(con, filters):
    as_of = metrics.as_of(con)
    for at in (as_of, as_of - timedelta(days=10)):
        items = metrics.work_item_age(con, filters, at=at)
        for stale_days in (3, 7):
            stale = items.filter(pl.col("time_in_status_hours") >= stale_days * 24).height
            counts = metrics.work_item_age_counts(con, stale_days * 24, filters, at=at)
            assert counts == {"active": items.height, "blocked": int(items["is_blocked"].sum()), "stale": stale}
    # the stale cut-off is inclusive: an item exactly that long in its status is stale
    items = metrics.work_item_age(con, filters)
    edge = float(items["time_in_status_hours"].max())
    assert metrics.work_item_age_counts(con, edge, filters)["stale"] >= 1


def test_recent_issues_are_the_latest_status_changes(con):
    recent = metrics.recent_issues(con, limit=5)
    expected = con.execute("""
        SELECT issue_key, coalesce(last_status_change_at, created_at) AS touched
        FROM fct_issue_lifecycle WHERE is_flow_item ORDER BY touched DESC, issue_key LIMIT 5""").fetchall()
    assert list(zip(recent["issue_key"], recent["touched_at"])) == expected
    assert recent.schema["current_status"] == pl.String


def same(a, b) -> bool:
    """Equal, floats to the last few bits (a sum's order of additions may differ)."""
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, float) and isinstance(b, float):
        return a == pytest.approx(b, rel=1e-12)
    return a == b


@pytest.mark.parametrize(
    "filters", [Filters(), Filters(team="FREYA"), Filters(project="VALHALLA"), Filters(issue_type="Bug")]
)
@pytest.mark.parametrize("by_team", [False, True])
def test_the_delivery_mart_answers_as_the_facts_do(con, filters, by_team):
    windows = screen_windows(metrics.period_end(con), metrics.data_start(con))
    kept = delivery._from_mart(con, windows, filters, by_team)
    if by_team and filters.team is None and filters != Filters():
        assert kept is None  # per team, the mart holds no project or type cells: the facts answer
        return
    scanned = delivery._from_facts(con, windows, filters, by_team)
    assert kept is not None and kept.keys() == scanned.keys() and len(kept) >= len(windows) // 2
    for key, figures in kept.items():
        assert all(same(figures[n], scanned[key][n]) for n in figures), key
    assert sum(f["delivered"] for f in kept.values()) > 0


def test_periods_and_filters_the_mart_does_not_hold_are_read_from_the_facts(con):
    end = metrics.period_end(con)
    odd = [(end - timedelta(days=3), end)]
    assert delivery._from_mart(con, odd, Filters(), False) is None
    assert delivery.stats(con, odd, Filters()) == delivery._from_facts(con, odd, Filters(), False)
    week = [(end - timedelta(days=7), end)]
    two = Filters(team="AEGIR", project="MIDGARD-OPS")
    assert delivery._from_mart(con, week, two, False) is None
    assert delivery._from_mart(con, week, Filters(project="VALHALLA"), True) is None
    delivered = con.execute(
        "SELECT count(*) FROM fct_issue_lifecycle WHERE delivered_at >= $s AND delivered_at < $e "
        "AND is_flow_item AND team = 'AEGIR' AND project_key = 'MIDGARD-OPS'",
        {"s": week[0][0], "e": week[0][1]},
    ).fetchall()[0][0]
    assert metrics.throughput(con, *week[0], two) == delivered > 0


@pytest.mark.parametrize("filters", [Filters(), Filters(team="FREYA")])
def test_the_screens_open_on_the_mart_without_scanning_deliveries(con, filters, monkeypatch):
    def scan(*args):
        raise AssertionError(f"read the facts for {args[1]}")

    monkeypatch.setattr(delivery, "_from_facts", scan)
    views._SIGNALS.clear()
    for weeks in (4, 12, None):
        scope = views.Scope(filters, weeks)
        views.executive(con, scope)
        views.operations(con, scope)
        views.trends(con, scope)
        views.risk(con, scope)
    report.build_report(con, filters=filters)


@pytest.mark.parametrize("filters", [Filters(), Filters(team="FREYA"), Filters(project="VALHALLA", issue_type="Bug")])
def test_open_work_from_the_current_state_equals_the_history(con, filters, monkeypatch):
    now = metrics.open_work(con, filters)
    assert now["todo"] > 0 and now["active"] > 0 or filters.issue_type == "Bug"
    assert now["active"] == metrics.work_item_age(con, filters).height
    monkeypatch.setattr(wip, "_current", lambda con, at: False)  # the history's answer
    assert metrics.open_work(con, filters) == now
    assert metrics.open_work(con, filters, at=metrics.period_end(con)) == now


@pytest.mark.parametrize("filters", [Filters(), Filters(team="FREYA"), Filters(project="VALHALLA", issue_type="Bug")])
def test_wip_from_the_daily_changes_equals_the_history(con, filters, monkeypatch):
    end = metrics.period_end(con)
    instants = [end - timedelta(days=d) for d in (0, 1, 7, 14, 30, 60)]
    windows = [(end - timedelta(days=7), end), (end - timedelta(days=14), end - timedelta(days=7))]
    windows.append((end - timedelta(days=90), end))
    kept = [metrics.wip_at(con, t, filters) for t in instants], [metrics.average_wip(con, *w, filters) for w in windows]
    assert all(n >= 0 for n in kept[0]) and sum(kept[0]) > 0
    monkeypatch.setattr(wip, "_days_back", lambda con, instant: None)  # the history's answer
    scanned = (
        [metrics.wip_at(con, t, filters) for t in instants],
        [metrics.average_wip(con, *w, filters) for w in windows],
    )
    assert kept[0] == scanned[0]
    assert kept[1] == pytest.approx(scanned[1], rel=1e-9)


@pytest.mark.parametrize("filters", [Filters(), Filters(team="FREYA"), Filters(project="VALHALLA", issue_type="Bug")])
def test_cumulative_flow_from_the_daily_mart_equals_the_history(con, filters, monkeypatch):
    end = metrics.period_end(con)
    midnight = datetime(end.year, end.month, end.day, tzinfo=UTC)
    # to the period end (after every move), between two midnights, and longer than the history
    windows = [(end - timedelta(days=30), end), (midnight - timedelta(days=20), midnight - timedelta(days=6))]
    windows.append((end - timedelta(days=400), end))
    for start, stop in windows:
        assert analytics._stage_moves_by_day(con, start, stop, filters) is not None
    kept = [metrics.cumulative_flow(con, *w, filters) for w in windows]
    assert kept[0]["items"].sum() > 0
    # a window ending within a day that has moves after its end needs the periods' times
    assert analytics._stage_moves_by_day(con, end - timedelta(days=9), end - timedelta(hours=30), filters) is None
    monkeypatch.setattr(analytics, "_stage_moves_by_day", lambda *args: None)  # the history's answer
    for window, mart in zip(windows, kept):
        assert_frame_equal(mart, metrics.cumulative_flow(con, *window, filters))


@pytest.mark.parametrize("filters", [Filters(), Filters(team="FREYA"), Filters(project="VALHALLA", issue_type="Bug")])
def test_time_in_stage_from_the_daily_mart_equals_the_history(con, filters, monkeypatch):
    end = metrics.period_end(con)
    midnight = datetime(end.year, end.month, end.day, tzinfo=UTC)
    windows = [metrics.reporting_window(con, 12), (midnight - timedelta(days=20), midnight - timedelta(days=6))]
    windows += [(midnight - timedelta(days=400), end), metrics.reporting_window(con, None)]  # all time
    for window in windows:
        assert analytics._stage_hours_by_day(con, *window, filters) is not None
    kept = [metrics.time_in_stage(con, *w, filters) for w in windows]
    assert kept[0]["hours"].sum() > 0
    # a window that does not start at a midnight, or ends within a day before as_of, needs the periods
    assert analytics._stage_hours_by_day(con, end - timedelta(days=7), end, filters) is None
    assert analytics._stage_hours_by_day(con, midnight - timedelta(days=7), end - timedelta(hours=30), filters) is None
    monkeypatch.setattr(analytics, "_stage_hours_by_day", lambda *args: None)  # the history's answer
    for window, mart in zip(windows, kept):
        assert_frame_equal(mart, metrics.time_in_stage(con, *window, filters), rel_tol=1e-9)


@pytest.mark.parametrize("filters", [Filters(), Filters(team="FREYA"), Filters(project="VALHALLA", issue_type="Bug")])
def test_flow_efficiency_from_the_daily_mart_equals_the_history(con, filters, monkeypatch):
    end = metrics.period_end(con)
    midnight = datetime(end.year, end.month, end.day, tzinfo=UTC)
    windows = [metrics.reporting_window(con, 12), (midnight - timedelta(days=20), midnight - timedelta(days=6))]
    windows += [metrics.reporting_window(con, None)]  # all time
    for window in windows:
        assert analytics._delivery_days(con, *window) is not None
    kept = [metrics.flow_efficiency(con, *w, filters) for w in windows]
    assert kept[0]["items"].sum() > 0
    # a window that does not start at a midnight, or ends within a day before as_of, needs the facts
    assert analytics._delivery_days(con, end - timedelta(days=7), end) is None
    assert analytics._delivery_days(con, midnight - timedelta(days=7), end - timedelta(hours=30)) is None
    monkeypatch.setattr(analytics, "_delivery_days", lambda *args: None)  # the history's answer
    for window, mart in zip(windows, kept):
        assert_frame_equal(mart, metrics.flow_efficiency(con, *window, filters), rel_tol=1e-9)
