import duckdb

from warehouse.engine.checks import not_null, unique
from warehouse.engine.registry import Model
from warehouse.models._sql import board_columns, stored_workflow
from warehouse.semantics.workflow import ACTIVE_STATES, DEFAULT_STAGES


def build(con: duckdb.DuckDBPyConnection) -> None:
    workflow = stored_workflow(con)
    source, stages = workflow.stage_list(board_columns(con))
    # The states each stage holds: those its statuses were mapped to, and those it declares
    # (the workflow file's status names, the default stages' states) for statuses not seen yet.
    held: dict[str, set[str]] = {s.name: set() for s in stages}
    for stage, state in con.execute("SELECT DISTINCT stage, canonical_status FROM stg_status_map").fetchall():
        held.get(stage, set()).add(state)
    declared = dict(DEFAULT_STAGES) if source == "default" else {}
    for name, raws in workflow.stages or ():
        declared[name] = tuple(workflow.resolve(None, raw)[1] for raw in raws)
    for name, states in declared.items():
        held[name] |= set(states)
    # Active: from the commitment point (the first stage holding active work) up to the first
    # stage that holds only done work.
    first = next((s.index for s in stages if held[s.name] & set(ACTIVE_STATES)), None)
    done = next((s.index for s in stages if held[s.name] and held[s.name] <= {"done"}), None)
    con.execute(
        "CREATE TABLE dim_stage "
        "(stage_index INTEGER, stage VARCHAR, is_wait BOOLEAN, is_active BOOLEAN, source VARCHAR)"
    )
    con.executemany(
        "INSERT INTO dim_stage VALUES (?, ?, ?, ?, ?)",
        [
            (
                s.index,
                s.name,
                s.is_wait,
                first is not None and first <= s.index and (done is None or s.index < done),
                source,
            )
            for s in stages
        ],
    )


MODELS = (
    Model(
        name="dim_stage",
        depends_on=("raw_board_columns", "stg_status_map", "meta"),
        description=(
            "The workflow's stages (board columns) in order: from the workflow file's [stages], else "
            "an imported Jira board configuration, else To Do, In Progress, Review, Done. is_wait marks "
            "a waiting stage (flow efficiency counts it as wait); is_active the stages from the "
            "commitment point (the first stage holding active work) up to the first done-only stage."
        ),
        build=build,
        tests=(
            *not_null("dim_stage", "stage_index", "stage"),
            unique("dim_stage", "stage_index"),
            unique("dim_stage", "stage"),
        ),
    ),
)
