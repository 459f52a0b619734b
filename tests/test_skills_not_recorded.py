"""The three-skills chart says what a programme does not record instead of drawing a 0: no
arrival times (a Salesforce PMM export) means no lateness line, and no conduct observation
ever imported means no concerns line (METRICS.md "Not recorded is not zero")."""

from __future__ import annotations

from pathlib import Path

from analysis import conduct, conduct_charts, database, impact, metrics
from analysis.settings import Settings
from tests.conftest import A, M, S, build


def _curve() -> list[dict[str, object]]:
    points: list[dict[str, object]] = []
    for bucket in conduct.BUCKETS:
        early = bucket == 0
        points.append(
            {
                "bucket": bucket,
                "present": 40,
                "late_rate": 0.0,
                "no_show_rate": 0.2 if early else 0.05,
                "concern_rate": 0.0,
            }
        )
    return points


def test_the_sentence_names_what_is_not_recorded_and_gives_no_zero() -> None:
    both = conduct.curve_sentence(_curve(), {"late_rate", "concern_rate"})
    assert both == "Arrival times and conduct observations are not recorded."
    late_only = conduct.curve_sentence(_curve(), {"concern_rate"})
    assert late_only is not None
    assert "late to 0% of sessions" in late_only and "concerns" not in late_only
    assert late_only.endswith("Conduct observations are not recorded.")
    concerns_only = conduct.curve_sentence(_curve(), {"late_rate"})
    assert concerns_only is not None and "late" not in concerns_only
    assert concerns_only.endswith("Arrival times are not recorded.")
    everything = conduct.curve_sentence(_curve())
    assert everything is not None and "late to 0%" in everything and "0.0 concerns" in everything


def test_the_chart_and_its_table_leave_out_a_rate_that_is_not_recorded() -> None:
    chart = conduct_charts.skills_curve(_curve(), unrecorded=frozenset({"late_rate"}))
    names = [t.name for t in chart.figure.data]
    assert names == ["No-show (per 100 expected)", "Concerns (per 100 attendances)"]
    assert "Arrival times are not recorded" in chart.summary
    table = conduct_charts.skills_table(_curve(), unrecorded=frozenset({"late_rate"}))
    assert "Late (per 100 attendances)" not in table.columns
    assert "No-show (per 100 expected)" in table.columns


def test_a_programme_without_arrival_times_or_conduct_says_so(tmp_path: Path) -> None:
    codes = [f"PM-{n}" for n in range(6)]
    db = build(
        tmp_path / "p.duckdb",
        mentors=[M(c, start="2025-01-01") for c in codes],
        sessions=[S(f"S-{n}", "group_day", f"2025-0{n}-03 10:00") for n in range(1, 8)],
        attendance=[A(f"S-{n}", c, "attended") for n in range(1, 8) for c in codes],
    )
    with database.read(db) as con:
        scope = metrics.Scope()
        assert conduct.unrecorded_in_scope(con, scope, Settings()) == {
            "late_rate",
            "concern_rate",
        }
        summary = impact.summary(con, scope, Settings())
    assert summary.skills_unrecorded == {"late_rate", "concern_rate"}
    assert summary.skills_sentence == "Arrival times and conduct observations are not recorded."
