"""The model engine, atomic builds and the warehouse's own guards."""

import hashlib
import shutil

import duckdb
import pytest

from warehouse.engine import registry
from warehouse.engine.checks import DataTest
from warehouse.engine.pipeline import copy_sources, materialise
from warehouse.engine.registry import Model, order
from warehouse.errors import BuildFailed, HeimdallError


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
