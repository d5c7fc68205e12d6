import duckdb

from warehouse.engine.checks import accepted_values, expect, not_null, unique
from warehouse.engine.registry import Model
from warehouse.semantics.calendar import screen_windows
from warehouse.semantics.delivery import done_in, stats_select

DIMENSIONS = ("team", "project_key", "issue_type")


def build_windows(con: duckdb.DuckDBPyConnection) -> None:
    end, first = con.execute(
        "SELECT as_of + INTERVAL 1 MICROSECOND, (SELECT min(created_at) FROM fct_issue_lifecycle) FROM meta"
    ).fetchall()[0]
    windows = screen_windows(end, first or end)
    con.execute(
        "CREATE TABLE mart_windows AS SELECT unnest($starts::TIMESTAMPTZ[]) AS window_start, "
        "unnest($ends::TIMESTAMPTZ[]) AS window_end",
        {"starts": [s for s, _ in windows], "ends": [e for _, e in windows]},
    )


# Done items per part of mart_delivery's build: a part's quantiles hold 8 values per item (two
# quantiles in four grouping sets), so 4M items keep it near 0.3 GB; the all-time period of a
# large history is a part of its own.
ITEMS_PER_PART = 4_000_000
ORDER = "window_start, window_end, dimension, value"


def _delivery(periods: str, bounds: tuple[str, str] | None = None) -> str:
    return f"""
        SELECT window_start, window_end,
               CASE WHEN grouping(team) = 0 THEN 'team' WHEN grouping(project_key) = 0 THEN 'project_key'
                    WHEN grouping(issue_type) = 0 THEN 'issue_type' ELSE 'all' END AS dimension,
               CASE WHEN grouping(team) = 0 THEN team WHEN grouping(project_key) = 0 THEN project_key
                    ELSE issue_type END AS value,
               {stats_select()}
        FROM ({done_in(periods, bounds)})
        WHERE is_flow_item
        GROUP BY GROUPING SETS (
            (window_start, window_end),
            {", ".join(f"(window_start, window_end, {d})" for d in DIMENSIONS)}
        )
        ORDER BY {ORDER}"""


def delivery_parts(con: duckdb.DuckDBPyConnection) -> list[list[tuple]]:
    """The periods of mart_windows in runs of consecutive ones (in ORDER) with about
    ITEMS_PER_PART done flow items each; a larger period is a run of its own."""
    all_periods = "(SELECT window_start AS s, window_end AS e FROM mart_windows)"
    sizes = con.execute(
        f"SELECT window_start, window_end, count(*) FROM ({done_in(all_periods)}) WHERE is_flow_item "
        "GROUP BY ALL ORDER BY ALL"
    ).fetchall()
    parts: list[list[tuple]] = [[]]
    items = 0
    for start, end, n in sizes:
        if parts[-1] and items + n > ITEMS_PER_PART:
            parts.append([])
            items = 0
        parts[-1].append((start, end))
        items += n
    return parts


def build_delivery(con: duckdb.DuckDBPyConnection) -> None:
    """mart_delivery, a run of periods at a time (delivery_parts): a period's figures come from
    its own items only, so the parts make the same table, stored in ORDER, in memory bounded
    by ITEMS_PER_PART instead of by every item of every period."""
    periods = "(SELECT unnest($starts::TIMESTAMPTZ[]) AS s, unnest($ends::TIMESTAMPTZ[]) AS e)"
    # a part's bounds let it read only the row groups of the items done within them
    select = _delivery(periods, ("list_min($starts::TIMESTAMPTZ[])", "list_max($ends::TIMESTAMPTZ[])"))
    for i, part in enumerate(delivery_parts(con)):
        con.execute(
            f"{'CREATE TABLE mart_delivery AS' if i == 0 else 'INSERT INTO mart_delivery'} {select}",
            {"starts": [s for s, _ in part], "ends": [e for _, e in part]},
        )


MODELS = (
    Model(
        name="mart_windows",
        depends_on=("fct_issue_lifecycle", "meta"),
        build=build_windows,
        description=(
            "The periods [window_start, window_end) the screens and the report open on "
            "(metrics.window.screen_windows): the week to as_of and the one before, the 4 weeks "
            "before that, the last 12 weeks and 30 days, each reporting window, every Monday week."
        ),
        tests=(unique("mart_windows", "window_start", "window_end"),),
    ),
    Model(
        name="mart_delivery",
        depends_on=("mart_windows", "fct_issue_lifecycle"),
        description=(
            "The delivery figures (semantics.delivery.STATS: done, delivered, discarded, reopened, "
            "cycle and lead time quantiles, blocked and cycle hours, ...) of the flow items done in "
            "each period of mart_windows: of all of them (dimension 'all') and per team, project and "
            "issue type (dimension names the column, value its value). A cell with nothing done has "
            "no row. The metrics read it when a screen asks for one of these periods."
        ),
        build=build_delivery,
        tests=(
            *not_null("mart_delivery", "window_start", "window_end", "dimension"),
            unique("mart_delivery", "window_start", "window_end", "dimension", "value"),
            accepted_values("mart_delivery", "dimension", ("all", *DIMENSIONS)),
            expect("mart_delivery", "counts_add_up", "delivered + discarded = done"),
        ),
    ),
)
