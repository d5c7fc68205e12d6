"""Each risk signal firing, and staying quiet, on hand-built flows; then on generated data."""

from datetime import UTC, datetime, timedelta

import pytest

from tests.eventlog import EventLog, failures
from warehouse import risks
from warehouse.metrics import NO_FILTERS, Filters
from warehouse.risks import Thresholds

AS_OF = datetime(2025, 11, 1, tzinfo=UTC)  # the reporting week is [10-25, 11-01)
WEEK_START = AS_OF - timedelta(days=7)
HOURS = (20, 22, 24, 26, 28)  # cycle times of a steady flow: median 24 h


def iso(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


class Flow:
    """Builds an event log one finished or open item at a time."""

    def __init__(self):
        self.log = EventLog(as_of=iso(AS_OF))
        self.next_id = 1

    def item(
        self, start: datetime, hours: float | None, *, reopen: bool = False, block: float = 0, team: str = "AEGIR"
    ) -> int:
        i = self.next_id
        self.next_id += 1
        self.log.issue(i, iso(start - timedelta(days=1)), team=team)
        names = {"AEGIR": ("To Do", "In Progress", "Done"), "TYR": ("Ready", "Dev", "Complete")}[team]
        steps = [(names[1], start)]
        if hours is not None:
            end = start + timedelta(hours=hours)
            if reopen:
                steps += [(names[2], end - timedelta(hours=2)), (names[1], end - timedelta(hours=1))]
            steps.append((names[2], end))
        # what would happen after as_of has not happened yet
        self.log.path(i, *[(name, iso(at)) for name, at in steps if at <= AS_OF], start=names[0])
        if block:
            self.log.blockers.append(
                (
                    i,
                    iso(start + timedelta(minutes=10)),
                    iso(start + timedelta(minutes=10, hours=block)),
                    iso(start + timedelta(minutes=10)),
                )
            )
        return i

    def baseline(self, weeks: int = 4, per_day: int = 2, hours=HOURS, team: str = "AEGIR", blocks_every: int = 0):
        """A steady flow finishing before the reporting week, then one more week of it."""
        n = 0
        day0 = WEEK_START - timedelta(weeks=weeks)
        for d in range(weeks * 7):
            for k in range(per_day):
                start = day0 + timedelta(days=d, hours=1 + k)
                self.item(
                    start, hours[n % len(hours)], team=team, block=2 if blocks_every and n % blocks_every == 0 else 0
                )
                n += 1
        return self

    def this_week(self, per_day: int = 2, hours=HOURS, **kw):
        n = 0
        for d in range(6):
            for k in range(per_day):
                self.item(WEEK_START + timedelta(days=d, hours=1 + k), hours[n % len(hours)], **kw)
                n += 1
        return self

    def signals(self, thresholds: Thresholds = Thresholds(), filters: Filters = NO_FILTERS) -> dict[str, risks.Signal]:
        con, results = self.log.build()
        assert failures(results) == []
        found = risks.evaluate(con, AS_OF, filters, thresholds)
        return {s.key: s for s in found if s.scope == "all teams" or filters.team}


def severities(signals: dict) -> dict[str, str]:
    return {k: s.severity for k, s in signals.items()}


def test_a_steady_flow_fires_nothing():
    got = Flow().baseline().this_week().signals()
    assert severities(got) == dict.fromkeys(risks.PRIORITY, "ok")


def test_throughput_collapse():
    halved = Flow().baseline(per_day=4).this_week(per_day=2).signals()["throughput_collapse"]
    # about 14 against 28 a week: -50%, but z = 2.6 is short of the 3 needed for critical
    assert halved.severity == "warning"
    # nothing started this week; of the 56 earlier items one finished inside it
    fired = Flow().baseline().signals()["throughput_collapse"]
    assert fired.severity == "critical"
    assert fired.evidence == {"this_week": 1, "trailing_weekly_average": 13.75, "drop": round(1 - 1 / 13.75, 4)}
    assert fired.explanation == "all teams: 1 item finished this week against a trailing 4-week average of 13.8 (-93%)."


def test_cycle_time_increase():
    got = Flow().baseline().this_week(hours=(68, 70, 72, 74, 76)).signals()["cycle_time_increase"]
    assert got.severity == "critical"
    # one item of last week's flow finished this week too, pulling the median a little
    assert got.evidence["median_this_week_hours"] == pytest.approx(72, abs=3)
    assert got.evidence["median_trailing_hours"] == 24
    small = Flow().baseline().this_week(hours=(24, 26, 28, 30, 32)).signals()["cycle_time_increase"]  # +17%
    assert small.severity == "ok"


def test_wip_overload_and_wip_rising():
    flow = Flow().baseline().this_week()
    for k in range(12):  # started early in the week, never finished
        flow.item(WEEK_START + timedelta(hours=3, minutes=k), None)
    got = flow.signals()
    assert got["wip_overload"].severity == "critical"
    assert got["wip_overload"].evidence["expected_wip"] == pytest.approx(2 * 1.0, rel=0.05)  # 2 a day x 1 day
    assert got["wip_rising"].severity == "ok"  # WIP at the week start is below min_sample
    rising = Flow().baseline(per_day=6).this_week(per_day=6)
    for k in range(10):
        rising.item(WEEK_START + timedelta(days=5, minutes=k), None)
    assert rising.signals()["wip_rising"].severity == "warning"


def test_blocker_spike():
    got = Flow().baseline(blocks_every=14).this_week(block=2).signals()["blocker_spike"]
    assert got.evidence["blocks_this_week"] == 12 and got.evidence["trailing_weekly_average"] == 1.0
    assert got.severity == "critical"
    calm = Flow().baseline(blocks_every=14).this_week().signals()["blocker_spike"]
    assert calm.severity == "ok"


def test_rework_spike():
    got = Flow().baseline().this_week(reopen=True).signals()["rework_spike"]
    # every item started this week was reopened; one finished from last week's flow was not
    assert (
        got.evidence["rate_this_week_pct"] == pytest.approx(100 * 12 / 13) and got.evidence["rate_trailing_pct"] == 0.0
    )
    assert got.severity == "critical"
    assert Flow().baseline().this_week().signals()["rework_spike"].severity == "ok"


def test_items_past_sle_and_stale_items():
    flow = Flow().baseline().this_week()
    for k in range(6):  # started 9 days before as_of, untouched since: past a 28 h SLE and stale
        flow.item(AS_OF - timedelta(days=9, minutes=k), None)
    got = flow.signals()
    assert got["sle_breach"].evidence["past_sle"] == 6 and got["sle_breach"].severity == "critical"
    assert got["stale_items"].evidence["stale"] == 6 and got["stale_items"].severity == "critical"
    fresh = Flow().baseline().this_week()
    for k in range(6):
        fresh.item(AS_OF - timedelta(hours=5, minutes=k), None)
    got = fresh.signals()
    assert got["sle_breach"].severity == "ok" and got["stale_items"].severity == "ok"


def test_team_scopes_are_evaluated_separately():
    flow = Flow().baseline().this_week().baseline(team="TYR")  # TYR finishes nothing this week
    con, _ = flow.log.build()
    found = risks.evaluate(con, AS_OF)
    tyr = [s for s in found if s.scope == "TYR" and s.key == "throughput_collapse"][0]
    assert tyr.severity == "critical"
    assert found[0] is tyr  # the most severe, most causal signal leads


def test_thresholds_are_configurable(tmp_path):
    path = tmp_path / "risk.toml"
    path.write_text("[risk]\nthroughput_drop_warning = 0.9\nthroughput_drop_critical = 0.95\nz_warning = 0\n")
    limits = risks.load_thresholds(path)
    assert (limits.throughput_drop_warning, limits.z_warning, limits.min_sample) == (0.9, 0.0, 5)
    got = Flow().baseline().this_week(per_day=1).signals(limits)["throughput_collapse"]
    assert got.severity == "ok"  # -57% is under the raised bar
    path.write_text("[risk]\nthroughput_drop_warnin = 0.9\n")
    from warehouse.errors import HeimdallError

    with pytest.raises(HeimdallError, match="unknown key 'risk.throughput_drop_warnin'"):
        risks.load_thresholds(path)


def test_the_demo_degradation_is_detected(demo_db):
    from warehouse.engine.db import open_warehouse

    con, meta = open_warehouse(demo_db)
    found = risks.evaluate(con, meta["as_of"])
    critical = {(s.key, s.scope) for s in found if s.severity == "critical"}
    assert ("throughput_collapse", "FREYA") in critical
    assert found[0].key == "throughput_collapse" and found[0].scope == "FREYA"


@pytest.mark.parametrize("seed", [42, 7])
def test_a_calm_scenario_fires_nothing_critical(tmp_path, seed):
    from generator import config
    from generator.run import generate_warehouse
    from warehouse.engine.db import open_warehouse

    db = tmp_path / "calm.duckdb"
    generate_warehouse(db, config.resolve({"degradation": {"enabled": False}}, seed=seed))
    con, meta = open_warehouse(db)
    critical = [(s.key, s.scope, s.explanation) for s in risks.evaluate(con, meta["as_of"]) if s.severity == "critical"]
    assert critical == []
