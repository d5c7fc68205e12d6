from warehouse.engine.checks import unique
from warehouse.engine.registry import Model

MODELS = (
    Model(
        name="dim_scope",
        depends_on=("fct_issue_lifecycle",),
        description=(
            "Every combination of team, project, issue type and is_flow_item that issues have: "
            "what the filters can choose, without reading every issue."
        ),
        build="SELECT DISTINCT team, project_key, issue_type, is_flow_item FROM fct_issue_lifecycle",
        tests=(unique("dim_scope", "team", "project_key", "issue_type", "is_flow_item"),),
    ),
)
