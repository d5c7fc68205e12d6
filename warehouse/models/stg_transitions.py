from warehouse.engine.checks import not_null, relationships, unique
from warehouse.engine.registry import Model

MODELS = (
    Model(
        name="stg_transitions",
        depends_on=("raw_transitions", "stg_issues", "stg_status_map", "meta"),
        description=(
            "Status changes with exact duplicates removed (same issue, time, from and to: the "
            "lowest transition_id is kept) and each raw status (name and id) mapped to its canonical "
            "state; is_migration marks an admin workflow-scheme migration."
        ),
        # A view: its only reader is fct_status_periods, which the row tests below check.
        materialized="view",
        build="""
            WITH kept AS (
                SELECT min(transition_id) AS transition_id, issue_id, from_status, to_status, changed_at,
                       from_status_id, to_status_id, arg_min(actor, transition_id) AS actor,
                       coalesce(bool_or(is_migration), false) AS is_migration
                FROM raw_transitions
                GROUP BY issue_id, changed_at, from_status, to_status, from_status_id, to_status_id
            )
            SELECT k.transition_id, k.issue_id, i.team, i.is_flow_item, k.from_status, k.to_status,
                   k.from_status_id, k.to_status_id, k.changed_at, nullif(trim(k.actor), '') AS actor, k.is_migration,
                   m_to.canonical_status, m_from.canonical_status AS from_canonical_status,
                   m_to.clean_status AS to_status_clean, m_to.is_drifted,
                   m_to.stage, m_to.stage_index, m_from.stage AS from_stage, m_from.stage_index AS from_stage_index
            FROM kept k
            JOIN stg_issues i USING (issue_id)
            LEFT JOIN stg_status_map m_to ON m_to.team IS NOT DISTINCT FROM i.team AND m_to.raw_status = k.to_status
                 AND m_to.status_id IS NOT DISTINCT FROM k.to_status_id
            LEFT JOIN stg_status_map m_from ON m_from.team IS NOT DISTINCT FROM i.team
                 AND m_from.raw_status = k.from_status AND m_from.status_id IS NOT DISTINCT FROM k.from_status_id
        """,
        tests=(
            *not_null("raw_transitions", "transition_id", "issue_id", "to_status", "changed_at"),
            unique("raw_transitions", "transition_id"),
            relationships("raw_transitions", "issue_id", "raw_issues", "issue_id"),
        ),
    ),
)
