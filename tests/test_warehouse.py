"""The model engine, atomic builds and the warehouse's own guards."""

import hashlib
import shutil

import duckdb
import pytest

from warehouse.engine import build, registry
from warehouse.engine.checks import DataTest, relationships, stored_in_order, unique
from warehouse.engine.pipeline import copy_sources, materialise
from warehouse.engine.registry import ByIssue, Model, SortedInParts, discover, order
from warehouse.errors import BuildFailed, HeimdallError
from warehouse.models import mart_delivery


def digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_models_are_ordered_by_their_dependencies():
    names = [m.name for m in order(registry.discover())]
    for model in registry.discover():
        for dep in model.depends_on:
            if dep in names:
                assert names.index(dep) < names.index(model.name), (dep, model.name)
    assert {
        "stg_issues",
        "stg_transitions",
        "stg_sprints",
        "stg_issue_sprint",
        "stg_blockers",
        "fct_issue_lifecycle",
        "fct_throughput_daily",
        "fct_wip_daily",
        "fct_wip_current",
        "fct_sprint_performance",
        "dim_team",
        "dim_project",
        "dim_milestone",
    } <= set(names)


def test_a_dependency_cycle_is_rejected():
    a = Model("a", ("b",), "SELECT 1", "a")
    b = Model("b", ("a",), "SELECT 1", "b")
    with pytest.raises(ValueError, match="cycle"):
        order([a, b])


def test_an_unknown_dependency_is_rejected():
    with pytest.raises(ValueError, match="unknown table 'nowhere'"):
        order([Model("a", ("nowhere",), "SELECT 1", "a")])


def test_every_model_declares_tests_and_a_description():
    for model in registry.discover():
        assert model.description, model.name
        assert model.tests or model.name in ("int_lifecycle",), model.name


def _copy(demo_db, tmp_path):
    target = tmp_path / "w.duckdb"
    shutil.copy(demo_db, target)
    return target, digest(target)


def test_a_build_whose_tests_fail_leaves_the_old_warehouse_identical(demo_db, tmp_path):
    target, before = _copy(demo_db, tmp_path)
    broken = Model(
        "zz_broken",
        ("fct_issue_lifecycle",),
        "SELECT -1 AS cycle_time_hours",
        "always fails",
        (DataTest("never_negative(zz_broken)", "SELECT * FROM zz_broken WHERE cycle_time_hours < 0"),),
    )
    with pytest.raises(BuildFailed) as err:
        materialise(target, copy_sources(target), models=registry.discover() + [broken])
    assert [r.test.name for r in err.value.results if not r.passed] == ["never_negative(zz_broken)"]
    assert digest(target) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["w.duckdb"]  # no temp file left behind


def test_a_build_interrupted_mid_way_leaves_the_old_warehouse_identical(demo_db, tmp_path):
    target, before = _copy(demo_db, tmp_path)

    def interrupt(con):
        raise KeyboardInterrupt

    models = registry.discover() + [Model("zz_interrupt", ("fct_wip_current",), interrupt, "Ctrl-C")]
    with pytest.raises(KeyboardInterrupt):
        materialise(target, copy_sources(target), models=models)
    assert digest(target) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["w.duckdb"]


def test_a_successful_rebuild_replaces_the_file_and_keeps_the_data(demo_db, tmp_path):
    target, _ = _copy(demo_db, tmp_path)
    materialise(target, copy_sources(target))
    con = duckdb.connect(str(target), read_only=True)
    assert con.execute("SELECT count(*) FROM fct_issue_lifecycle").fetchone() == (1200,)
    assert con.execute("SELECT built_at IS NOT NULL FROM meta").fetchone() == (True,)
    con.close()


def test_models_built_in_parts_equal_one_part(demo_db, tmp_path, monkeypatch):
    """fct_status_periods is built 97 issues at a time here (13 ranges), mart_delivery about
    100 done items at a time and the lifecycle sorted about 150 rows at a time, each in one part
    in demo_db: every table holds the same rows, the periods are still stored in issue order,
    the delivery figures in period order and the lifecycle in exactly the one sort's order."""
    monkeypatch.setattr(build, "ISSUES_PER_RANGE", 97)
    monkeypatch.setattr(mart_delivery, "ITEMS_PER_PART", 100)
    monkeypatch.setattr(build, "SORTED_ROWS_PER_PART", 150)
    target = tmp_path / "ranges.duckdb"
    materialise(target, copy_sources(demo_db))
    con = duckdb.connect(str(target), read_only=True)
    assert len(build.issue_ranges(con)) == 13
    assert len(mart_delivery.delivery_parts(con)) > 10
    lifecycle = next(m for m in discover() if m.name == "fct_issue_lifecycle")
    parts = build.sorted_parts(con, lifecycle)
    assert len(parts) > 5 and any(params["lo"]["k0"] is None for _, params in parts[1:])  # done_at NULL
    con.execute(f"ATTACH '{demo_db}' AS one (READ_ONLY)")
    tables = [
        t for (t,) in con.execute("SELECT table_name FROM duckdb_tables() WHERE database_name = 'one'").fetchall()
    ]
    assert "fct_status_periods" in tables
    for table in tables:
        if table == "meta":
            continue
        # a table without an order_by (dim_scope) has no stored order to compare
        assert (
            con.execute(f"SELECT * FROM {table} ORDER BY ALL").fetchall()
            == con.execute(f"SELECT * FROM one.{table} ORDER BY ALL").fetchall()
        ), table
    ids = [i for (i,) in con.execute("SELECT issue_id FROM fct_status_periods").fetchall()]
    assert len(ids) > 1200 and ids == sorted(ids)
    stored = "SELECT issue_id FROM {}fct_issue_lifecycle"
    assert con.execute(stored.format("")).fetchall() == con.execute(stored.format("one.")).fetchall()
    order = f"SELECT {mart_delivery.ORDER} FROM mart_delivery"
    assert con.execute(order).fetchall() == con.execute(f"{order} ORDER BY ALL").fetchall()
    con.close()


def test_issue_ranges_cover_every_issue_once(tmp_path, monkeypatch):
    con = duckdb.connect()
    con.execute("CREATE TABLE raw_issues (issue_id BIGINT)")
    assert build.issue_ranges(con) == ["true"]  # no issues: one range
    # ids with gaps and repeats in their quantiles (Jira ids are not dense)
    con.execute("INSERT INTO raw_issues SELECT unnest([1, 2, 2, 2, 2, 2, 9, 10, 10000, 10001, 10002])")
    monkeypatch.setattr(build, "ISSUES_PER_RANGE", 3)
    ranges = build.issue_ranges(con)
    assert len(ranges) > 1
    con.execute("CREATE TABLE probe AS SELECT unnest(range(-5, 10010)) AS issue_id")
    counts = con.execute("SELECT " + " + ".join(f"({r})::INT" for r in ranges) + " FROM probe").fetchall()
    assert {c for (c,) in counts} == {1}  # every id, also one no issue has, is in exactly one range
    con.close()


def _by_issue_model(select) -> Model:
    return Model("by_range", ("raw_issues",), ByIssue(select, in_order=True), "d", order_by="issue_id")


def test_ranges_built_at_once_keep_issue_order_and_the_callers_transaction(monkeypatch):
    """Ranges run two at a time, each on its own cursor, yet the table holds them in issue
    order, and a caller's open transaction is open again afterwards."""
    monkeypatch.setattr(build, "ISSUES_PER_RANGE", 7)
    con = duckdb.connect()
    con.execute("CREATE TABLE raw_issues AS SELECT range AS issue_id FROM range(1, 101)")
    con.execute("BEGIN")
    # later ranges finish first: were they committed as they finish, the order would break
    model = _by_issue_model(
        lambda where: (
            f"SELECT issue_id, sum(j) AS busy FROM raw_issues, range(20000 - issue_id * 150) t(j) "
            f"WHERE {where} GROUP BY issue_id ORDER BY issue_id"
        )
    )
    build.build_models(con, [model])
    assert len(build.issue_ranges(con)) == 15
    assert [i for (i,) in con.execute("SELECT issue_id FROM by_range").fetchall()] == list(range(1, 101))
    con.execute("ROLLBACK")  # raises if build_models had left no transaction open
    con.close()


def test_a_failing_range_fails_the_model_with_its_own_error(monkeypatch):
    monkeypatch.setattr(build, "ISSUES_PER_RANGE", 10)
    con = duckdb.connect()
    con.execute("CREATE TABLE raw_issues AS SELECT range AS issue_id FROM range(1, 101)")
    model = _by_issue_model(
        lambda where: (
            f"SELECT issue_id, CASE WHEN issue_id = 57 THEN error('issue 57 is broken') END AS x "
            f"FROM raw_issues WHERE {where} ORDER BY issue_id"
        )
    )
    with pytest.raises(duckdb.Error, match="issue 57 is broken"):
        build.build_models(con, [model])
    # no range after the failed one was committed
    assert con.execute("SELECT count(*) FROM by_range WHERE issue_id > 60").fetchone() == (0,)
    con.close()


def test_a_relationship_test_returns_each_row_whose_parent_is_missing():
    con = duckdb.connect()
    con.execute("CREATE TABLE parent AS SELECT unnest([1, 2]) AS id")
    con.execute("CREATE TABLE child AS SELECT * FROM (VALUES (10, 1), (11, 3), (12, NULL), (13, 3)) t(cid, pid)")
    test = relationships("child", "pid", "parent", "id")
    # a NULL reference is not a broken one
    assert con.execute(f"{test.sql} ORDER BY cid").fetchall() == [(11, 3), (13, 3)]
    con.close()


def test_an_order_test_returns_each_row_not_after_the_one_stored_before_it():
    con = duckdb.connect()
    con.execute("CREATE TABLE t (k INTEGER, i INTEGER)")
    con.execute("INSERT INTO t VALUES (1, 0), (1, 1), (1, 1), (2, 0), (1, 5), (3, 0)")
    test = stored_in_order("t", "k", "i")
    # the repeated pair and the key stored after a greater one; the rest are in order
    assert con.execute(test.sql).fetchall() == [(1, 1), (1, 5)]
    con.close()


@pytest.mark.parametrize(
    ("values", "duplicates"),
    [
        ([1, 2, 5, 9], 0),  # stored in order: passes on the streaming pass
        ([5, 1, 9, 2], 0),  # unique, out of order: the full count
        ([1, 2, 2, 3], 1),  # in order but for a repeat
        ([3, 1, 3, 2], 1),
        ([None, 1, 2], 0),  # one NULL is a value like another
        ([1, None, 2, None], 1),
    ],
)
def test_unique_fails_exactly_when_a_value_repeats(values, duplicates):
    con = duckdb.connect()
    con.execute("CREATE TABLE t AS SELECT unnest($v::INTEGER[]) AS k", {"v": values})
    test = unique("t", "k")
    (result,) = build.run_tests(con, [Model("t", (), "SELECT 1", "d", tests=(test,))])
    assert result.failing == duplicates
    # the streaming pass proves it only for values stored strictly increasing
    in_order = None not in values and all(a < b for a, b in zip(values, values[1:], strict=False))
    assert (con.execute(test.passes_if_none).fetchall() == []) == in_order
    con.close()


@pytest.mark.parametrize(
    ("keys", "sorted_keys", "duplicates", "proven"),
    [
        (["B-10", "A-1", "B-2"], ["A-1", "B-2", "B-10"], 0, True),  # equal keys would lie together
        (["A-1", "B-2", "A-1"], ["A-1", "A-1", "B-2"], 1, False),
        ([None, "A-1", None], ["A-1", None, None], 1, False),
        # fewer rows beside than in the table: nothing is proven, the full count decides
        (["A-1", "B-2", "C-3"], ["A-1", "B-2"], 0, False),
    ],
)
def test_unique_passes_on_a_pass_over_a_table_that_keeps_equal_values_together(keys, sorted_keys, duplicates, proven):
    con = duckdb.connect()
    con.execute("CREATE TABLE t AS SELECT unnest($v::VARCHAR[]) AS k", {"v": keys})
    con.execute("CREATE TABLE beside AS SELECT unnest($v::VARCHAR[]) AS k", {"v": sorted_keys})
    test = unique("t", "k", adjacent_in="beside")
    (result,) = build.run_tests(con, [Model("t", (), "SELECT 1", "d", tests=(test,))])
    assert result.failing == duplicates
    assert (con.execute(test.passes_if_none).fetchall() == []) == proven
    con.close()


def test_a_model_sorted_in_parts_is_stored_in_the_order_of_one_sort(monkeypatch):
    """10,000 rows, 70% of them NULL in the leading column, 2,000 rows a part: five parts of
    about 2,000 (the NULLs cut by the next column), stored exactly as one ORDER BY stores them."""
    monkeypatch.setattr(build, "SORTED_ROWS_PER_PART", 2000)
    con = duckdb.connect()
    con.execute(
        "CREATE TABLE src AS SELECT CASE WHEN i % 10 < 7 THEN NULL ELSE i % 997 END AS v, i AS id "
        "FROM range(10000) r(i)"
    )
    parts = SortedInParts(lambda part: f"SELECT * FROM src WHERE {part}", source="src", key=("v", "id"))
    m = Model("t", (), parts, "d", order_by="v, id")
    sizes = [
        con.execute(f"SELECT count(*) FROM src WHERE {where}", params).fetchone()[0]
        for where, params in build.sorted_parts(con, m)
    ]
    assert len(sizes) == 5 and sum(sizes) == 10_000 and all(abs(n - 2000) <= 1 for n in sizes)  # quantile_disc rounds
    build.build_sorted_in_parts(con, m)
    assert (
        con.execute("SELECT v, id FROM t").fetchall() == con.execute("SELECT v, id FROM src ORDER BY v, id").fetchall()
    )
    con.close()


def test_a_model_sorted_in_parts_must_lead_its_order_with_its_key_ascending():
    parts = SortedInParts(lambda part: f"SELECT 1 AS done_at, 2 AS issue_id WHERE {part}", "t", ("done_at", "issue_id"))
    Model("m", (), parts, "d", order_by="done_at NULLS LAST, issue_id ASC, x")
    for order_by in ("done_at DESC, issue_id", "done_at NULLS FIRST, issue_id", "done_at", ""):
        with pytest.raises(ValueError, match="ascending with NULLs last"):
            Model("m", (), parts, "d", order_by=order_by)


def test_a_model_built_by_issue_ranges_must_keep_issue_order():
    with pytest.raises(ValueError, match="order_by must start with issue_id"):
        Model("m", (), ByIssue(lambda where: f"SELECT 1 AS issue_id WHERE {where}"), "d", order_by="done_at")


def test_open_warehouse_is_read_only(demo_db):
    from warehouse.engine.db import open_warehouse

    con, meta = open_warehouse(demo_db)
    assert meta["source"] == "generator" and meta["as_of"].isoformat() == "2026-01-29T00:00:00+00:00"
    with pytest.raises(duckdb.Error):
        con.execute("DELETE FROM raw_issues")
    con.close()


def test_a_directory_is_not_a_warehouse(tmp_path):
    from warehouse.engine.db import open_warehouse

    with pytest.raises(HeimdallError, match="is a directory"):
        open_warehouse(tmp_path)
