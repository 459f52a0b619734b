"""Charts of the journey: the funnel, withdrawals, and the retention step chart per cohort.

Pure functions from the figures of `analysis.journey` to Plotly figures, in the house style of
`analysis.charts`, each with one plain sentence saying what it shows in numbers.
"""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go

from analysis import charts, privacy
from analysis.charts import BLUE, GREEN, GREY, SKY, VERMILLION, Chart, styled
from analysis.journey import (
    ALL_COHORTS,
    OUTCOME_LABELS,
    OUTCOMES,
    STEP_LABELS,
    STEPS,
    SurvivalCurve,
)

REASON_LABELS = {
    "employment": "Employment",
    "education": "Education",
    "moved_away": "Moved away",
    "health": "Health",
    "caring": "Caring",
    "custody": "Custody",
    "disengaged": "Disengaged",
    "other": "Other",
    "not_recorded": "Not recorded",
}
OUTCOME_COLOURS = {"completed": GREEN, "withdrawn": VERMILLION, "in_programme": SKY}
AT_RISK_WEEKS = (0, 4, 12, 26, 52, 78, 104)
LABELS = STEP_LABELS | OUTCOME_LABELS


def _left_of_axis(text: str, yshift: int) -> dict[str, Any]:
    """A label left of the plot, `yshift` pixels below its bottom (a row of the at-risk table)."""
    return {
        "x": 0,
        "xref": "paper",
        "xanchor": "right",
        "xshift": -24,
        "y": 0,
        "yref": "paper",
        "yshift": yshift,
        "text": text,
        "showarrow": False,
        "font": {"size": 11, "color": "#52606d"},
    }


def _plural(n: int, one: str, many: str) -> str:
    return f"{n:,} {one if n == 1 else many}"


def _share(part: int, whole: int) -> str:
    return f" ({part / whole:.0%})" if whole else ""


def funnel(values: dict[str, Any]) -> Chart:
    """Of the mentors who started in the window: how far they got, and where they are now."""
    title = "How far the mentors who started got"
    x_title, y_title = "Mentors", ""
    f = values["funnel"]
    started = f["started"]
    if not started:
        return charts._empty(title, x_title, "Step")
    keys = [*STEPS, *OUTCOMES]
    colours = [BLUE] * len(STEPS) + [OUTCOME_COLOURS[o] for o in OUTCOMES]
    labels = [LABELS[k] for k in keys]
    figure = go.Figure(
        go.Bar(
            x=[f[k] for k in keys],
            y=labels,
            orientation="h",
            marker_color=colours,
            text=[f"{f[k]:,}{_share(f[k], started)}" for k in keys],
            textposition="outside",
            cliponaxis=False,
            hovertemplate="%{y}: %{x:,} mentors<extra></extra>",
        )
    )
    styled(
        figure,
        title,
        x_title,
        y_title,
        height=380,
        showlegend=False,
        margin={"l": 170, "r": 60},
        yaxis={"autorange": "reversed"},
        xaxis={"range": [0, started * 1.25]},
    )
    summary = (
        f"Of {_plural(started, 'mentor', 'mentors')} who started, "
        f"{f['training_completed']:,} completed training, "
        f"{f['shadowing_completed']:,} completed shadowing and {f['first_mentoring']:,} "
        f"mentored a beneficiary; {f['completed']:,} have completed the programme, "
        f"{f['withdrawn']:,} withdrew and {f['in_programme']:,} are still in it."
    )
    return Chart(figure, summary)


def cohort_funnel(values: dict[str, Any]) -> Chart:
    """Each cohort's funnel: the share of its starters reaching each step."""
    title = "Each cohort's journey: steps reached"
    x_title, y_title = "Cohort", "Mentors"
    by_cohort: dict[str, dict[str, int]] = values["funnel"]["by_cohort"]
    if not by_cohort:
        return charts._empty(title, x_title, y_title)
    cohorts = list(by_cohort)
    names = [charts._plain(c) for c in cohorts]
    figure = go.Figure()
    for step, colour in zip(STEPS, (BLUE, SKY, GREEN, charts.ORANGE), strict=True):
        figure.add_trace(
            go.Bar(
                x=names,
                y=[by_cohort[c][step] for c in cohorts],
                name=STEP_LABELS[step],
                marker_color=colour,
                hovertemplate="%{x}: %{y} mentors<extra>" + STEP_LABELS[step] + "</extra>",
            )
        )
    styled(figure, title, x_title, y_title, barmode="group", height=400)
    best = max(cohorts, key=lambda c: (_rate(by_cohort[c], "first_mentoring"), c))
    summary = (
        f"{_plural(len(cohorts), 'cohort', 'cohorts')}; the largest share reaching a first "
        f"mentoring session was in {charts._plain(best)}: "
        f"{by_cohort[best]['first_mentoring']} of {by_cohort[best]['started']}."
    )
    return Chart(figure, summary)


def _rate(counts: dict[str, int], key: str) -> float:
    return counts[key] / counts["started"] if counts["started"] else 0.0


def cohort_outcomes(values: dict[str, Any]) -> Chart:
    """Each cohort's starters by where they are on `to`: completed, withdrawn, in programme."""
    title = "Where each cohort's starters are now"
    x_title, y_title = "Cohort", "Mentors"
    by_cohort: dict[str, dict[str, int]] = values["funnel"]["by_cohort"]
    if not by_cohort:
        return charts._empty(title, x_title, y_title)
    cohorts = list(by_cohort)
    names = [charts._plain(c) for c in cohorts]
    figure = go.Figure()
    for outcome in OUTCOMES:
        figure.add_trace(
            go.Bar(
                x=names,
                y=[by_cohort[c][outcome] for c in cohorts],
                name=OUTCOME_LABELS[outcome],
                marker_color=OUTCOME_COLOURS[outcome],
                hovertemplate="%{x}: %{y} mentors<extra>" + OUTCOME_LABELS[outcome] + "</extra>",
            )
        )
    styled(figure, title, x_title, y_title, barmode="stack", height=400)
    f = values["funnel"]
    summary = (
        f"Across {_plural(len(cohorts), 'cohort', 'cohorts')}: {f['completed']:,} completed, "
        f"{f['withdrawn']:,} withdrew and {f['in_programme']:,} are still in the programme."
    )
    return Chart(figure, summary)


def _bars(title: str, labels: list[str], counts: list[int], colour: str) -> go.Figure:
    figure = go.Figure(
        go.Bar(
            x=counts,
            y=labels,
            orientation="h",
            marker_color=colour,
            text=[f"{n:,}" for n in counts],
            textposition="outside",
            cliponaxis=False,
            hovertemplate="%{y}: %{x:,} mentors<extra></extra>",
        )
    )
    return styled(
        figure,
        title,
        "Mentors who withdrew",
        "",
        height=max(260, 120 + 40 * len(labels)),
        showlegend=False,
        margin={"l": 170, "r": 40},
        yaxis={"autorange": "reversed"},
        xaxis={"range": [0, max(counts + [1]) * 1.2]},
    )


def withdrawals_by_step(values: dict[str, Any]) -> Chart:
    """Withdrawn mentors by the furthest step they had reached."""
    title = "Withdrawals by the furthest step reached"
    f = values["funnel"]
    if not f["withdrawn"]:
        return charts._empty(title, "Mentors who withdrew", "Furthest step", height=260)
    by_step = f["withdrawn_by_step"]
    figure = _bars(title, [STEP_LABELS[s] for s in STEPS], [by_step[s] for s in STEPS], VERMILLION)
    most = max(STEPS, key=lambda s: by_step[s])
    summary = (
        f"Of {_plural(f['withdrawn'], 'mentor', 'mentors')} who withdrew, {by_step[most]} "
        f"had got as far as: {STEP_LABELS[most].lower()}."
    )
    return Chart(figure, summary)


def withdrawals_by_reason(values: dict[str, Any]) -> Chart:
    """Withdrawn mentors by their leaving reason, most common first."""
    title = "Withdrawals by reason"
    f = values["funnel"]
    if not f["withdrawn"]:
        return charts._empty(title, "Mentors who withdrew", "Reason", height=260)
    by_reason = sorted(f["withdrawn_by_reason"].items(), key=lambda kv: (-kv[1], kv[0]))
    labels = [REASON_LABELS.get(r, charts._plain(r)) for r, _ in by_reason]
    figure = _bars(title, labels, [n for _, n in by_reason], GREY)
    parts = [f"{label.lower()} {n}" for label, (_, n) in zip(labels, by_reason, strict=True)]
    return Chart(figure, "Reasons for leaving: " + ", ".join(parts) + ".")


def retention(curves: dict[str, SurvivalCurve], weeks: tuple[int, ...] = AT_RISK_WEEKS) -> Chart:
    """Kaplan–Meier: the share still not withdrawn by weeks since starting, one step line per
    cohort, with the number still at risk beneath the axis at chosen weeks."""
    title = "Still in the programme (not withdrawn), by weeks since starting"
    x_title, y_title = "Weeks since starting", "Share not withdrawn"
    shown = {name: c for name, c in curves.items() if c.people}
    if not shown:
        return charts._empty(title, x_title, y_title)
    longest = max(c.longest or 0 for c in shown.values()) / 7
    ticks = [w for w in weeks if w <= longest] or [0]
    figure = go.Figure()
    palette = [BLACK_LINE, *charts.OKABE_ITO[:7]]
    for i, (name, curve) in enumerate(shown.items()):
        x, y = [0.0], [1.0]
        for step in curve.steps:
            if step.events:
                x.append(step.time / 7)
                y.append(step.survival)
        x.append((curve.longest or 0) / 7)
        y.append(y[-1])
        label = charts._plain(name)
        figure.add_trace(
            go.Scatter(
                x=x,
                y=y,
                name=label,
                mode="lines",
                line={
                    "shape": "hv",
                    "width": 3 if name == ALL_COHORTS else 2,
                    "color": palette[i % len(palette)],
                    "dash": "solid" if name == ALL_COHORTS else None,
                },
                hovertemplate="%{x:.0f} weeks: %{y:.0%} not withdrawn<extra>" + label + "</extra>",
            )
        )
    # The number at risk beneath the axis: one line per curve, at the tick weeks.
    # Gathered and set at once with the style: Plotly checks the whole list again on every
    # add_annotation, so adding the numbers one by one cost a tenth of a second on a page with
    # many cohorts.
    row_height = 18
    notes: list[dict[str, Any]] = []
    for i, (name, curve) in enumerate(shown.items()):
        for week in ticks:
            notes.append(
                {
                    "x": week,
                    "y": 0,
                    "yref": "paper",
                    "yshift": -96 - row_height * i,
                    "text": f"{curve.at_risk_at(week * 7)}",
                    "showarrow": False,
                    "font": {"size": 11, "color": "#52606d"},
                }
            )
        notes.append(_left_of_axis(charts._plain(name)[:18], -96 - row_height * i))
    notes.append(_left_of_axis("<b>At risk</b>", -76))
    bottom = 110 + row_height * len(shown)
    styled(
        figure,
        title,
        x_title,
        y_title,
        yaxis=charts._rate_axis(),
        annotations=notes,
        xaxis={
            "tickvals": ticks,
            "range": [0, max(longest, 1) * 1.02],
            "title": {"standoff": 8},
        },
        height=420 + row_height * len(shown),
        margin={"l": 150, "b": bottom},
    )
    total = shown.get(ALL_COHORTS) or next(iter(shown.values()))
    parts = []
    for w in (26, 52):
        value = total.at(7 * w)
        if value is not None:
            parts.append(f"{value:.0%} at {w} weeks")
    summary = (
        f"Of {_plural(total.people, 'mentor', 'mentors')} who started, the share not withdrawn "
        + ("was " + " and ".join(parts) if parts else "cannot yet be told at 26 weeks")
        + " (Kaplan–Meier: a mentor who completed, or is still in the programme, counts until "
        "then)."
    )
    return Chart(figure, summary)


BLACK_LINE = "#1f2933"


def funder_funnel(report: dict[str, Any], k: int) -> Chart:
    """The funnel as a funder sees it: counts of people, a small one shown as <k."""
    f = report["funnel"]
    hidden = set(report.get("suppressed", []))
    keys = [*STEPS, *OUTCOMES]
    labels = [LABELS[key] for key in keys]
    values = [f[key] for key in keys]
    flags = [f"funnel.{key}" in hidden for key in keys]
    others = [privacy.is_for_others(report, f"funnel.{key}") for key in keys]
    figure = charts.impact_bars(
        "How far the mentors who started got",
        "Mentors",
        labels,
        values,
        flags,
        k,
        horizontal=True,
        colour=BLUE,
        for_others=others,
    )
    started = f["started"]

    def said(v: Any, h: bool, other: bool) -> str:
        if h:
            return privacy.FOR_OTHERS_WORDS if other else f"fewer than {k}"
        return f"{v:,}"

    if started is None:
        text = (
            f"The number who started is {privacy.FOR_OTHERS_WORDS}."
            if others[0]
            else f"Fewer than {k} mentors started in this period."
        )
    elif not started:
        text = "No mentors started in this period."
    else:
        parts = [
            f"{LABELS[key].lower()} {said(v, h, o)}"
            for key, v, h, o in zip(keys[1:], values[1:], flags[1:], others[1:], strict=True)
        ]
        text = f"Of {started:,} mentors who started: " + ", ".join(parts) + "."
    ret = report.get("retention", {})
    if ret.get("w26") is not None:
        text += f" {ret['w26']:.0%} had not withdrawn 26 weeks after starting."
    return Chart(figure, text)


def cards(values: dict[str, Any]) -> list[charts.Card]:
    """The page's headline cards: started, reached mentoring, withdrew, retention at 26 weeks."""
    f, ret = values["funnel"], values["retention"]
    started = f["started"]
    w26 = ret["w26"]
    return [
        charts.Card(
            "Started",
            f"{started:,}",
            None,
            "off",
            "Mentors whose start date is in the window and who match the filters.",
        ),
        charts.Card(
            "Reached a first mentoring session",
            f"{f['first_mentoring']:,}",
            f"{f['first_mentoring'] / started:.0%} of starters" if started else None,
            "off",
            "Present at a beneficiary meeting by the end of the window.",
            delta_arrow="off",
        ),
        charts.Card(
            "Withdrew",
            f"{f['withdrawn']:,}",
            f"{f['withdrawn'] / started:.0%} of starters" if started else None,
            "off",
            "Status withdrawn with an end date on or before the end of the window.",
            delta_arrow="off",
        ),
        charts.Card(
            "Not withdrawn after 26 weeks",
            "–" if w26 is None else f"{w26:.0%}",
            None,
            "off",
            "Kaplan–Meier estimate: a mentor who completed, or is still in the programme, counts "
            "until then. Shown once someone has been in the programme 26 weeks.",
        ),
    ]


def figure_label(path: str) -> str | None:
    """A journey figure's dotted path in words, for the downloads ("funnel.by_cohort.2024 Q1.
    withdrawn" → "Withdrew, cohort 2024 Q1"); None for a path that is not the journey's."""
    if path.startswith("retention.w"):
        return f"Not withdrawn {path.removeprefix('retention.w')} weeks after starting"
    if not path.startswith("funnel."):
        return None
    rest = path.removeprefix("funnel.")
    words = {**LABELS, "started": "Started"}
    if rest in words:
        return f"Journey: {words[rest].lower()}"
    for breakdown, table, what in (
        ("withdrawn_by_step.", STEP_LABELS, "Withdrew after reaching"),
        ("withdrawn_by_reason.", REASON_LABELS, "Withdrew, reason"),
    ):
        if rest.startswith(breakdown):
            key = rest.removeprefix(breakdown)
            return f"{what}: {table.get(key, key).lower()}"
    if rest.startswith("by_cohort."):
        cohort, _, key = rest.removeprefix("by_cohort.").rpartition(".")
        if key in words:
            return f"Journey: {words[key].lower()}, cohort {cohort}"
    return None
