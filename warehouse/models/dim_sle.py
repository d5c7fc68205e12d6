import duckdb

from warehouse.engine.checks import unique
from warehouse.engine.registry import Model
from warehouse.models._sql import stored_workflow


def build(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("CREATE TABLE dim_sle (team VARCHAR, percentile DOUBLE, days DOUBLE)")
    rows = [(team, sle.percentile, sle.days) for team, sle in sorted(stored_workflow(con).sle.items())]
    if rows:
        con.executemany("INSERT INTO dim_sle VALUES (?, ?, ?)", rows)


MODELS = (
    Model(
        name="dim_sle",
        depends_on=("meta",),
        description=(
            "Service level expectations the workflow file sets ([sle] TEAM = { percentile, days }): "
            "percentile% of the team's items finish within days. Teams not listed use their P85 "
            "cycle time of the last 12 weeks (metrics.team_sle)."
        ),
        build=build,
        tests=(unique("dim_sle", "team"),),
    ),
)
