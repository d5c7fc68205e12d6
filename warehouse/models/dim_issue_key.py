from warehouse.engine.checks import not_null, unique
from warehouse.engine.registry import Model

MODELS = (
    Model(
        name="dim_issue_key",
        depends_on=("fct_issue_lifecycle",),
        description=(
            "Every issue's key, upper-cased (key_upper, indexed: a key typed in any case is one probe) "
            "and its length, shortest first: completing a typed prefix reads the shortest keys first "
            "and stops once it has enough."
        ),
        build="""
            SELECT issue_id, issue_key, upper(issue_key) AS key_upper, CAST(length(issue_key) AS INTEGER) AS key_length
            FROM fct_issue_lifecycle
        """,
        order_by="key_length, key_upper, issue_key",
        indexes=("key_upper",),
        tests=(*not_null("dim_issue_key", "issue_id", "issue_key"), unique("dim_issue_key", "issue_id")),
    ),
)
