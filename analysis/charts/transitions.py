"""Transitions charts: the curve, flows between stages, durations, regressions, self-esteem."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from analysis.chart_meta import NOT_DATA, VALUES_IN_META
from analysis.charts.base import (
    BLUE,
    CURVE_HEIGHTS,
    GREY,
    LIGHT_GREY,
    NO_RECORDS,
    PURPLE,
    SEQUENTIAL,
    VERMILLION,
    Chart,
    _empty,
    _figure,
    _group_starts,
    _is_empty,
    _month_axis,
    _pick,
    _wrap,
    styled,
)
from analysis.charts.text import _month, _plain, _trend_words


def transition_curve(frame: pd.DataFrame) -> Chart:
    """The Adams–Hayes–Hopson curve with current mentors placed on it as counts per stage."""
    title = "The transition curve: where mentors are now"
    x_title, y_title = "Stage of transition", "Self-esteem and competence (illustrative)"
    stages = frame[frame["stage"] > 0].sort_values("stage") if not frame.empty else frame
    figure = _figure(430)
    xs = list(range(1, 8))
    figure.add_trace(
        go.Scatter(
            x=[0.55, *xs, 7.45],
            y=[0.62, *CURVE_HEIGHTS, 0.93],
            mode="lines",
            line={"color": GREY, "width": 3, "shape": "spline", "smoothing": 1.1},
            hoverinfo="skip",
            showlegend=False,
            meta=NOT_DATA,  # the illustrative curve: a drawing, not a figure
        )
    )
    counts = [int(n) for n in stages["mentors"]] if len(stages) == 7 else [0] * 7
    labels = list(stages["label"]) if len(stages) == 7 else [str(s) for s in xs]
    names = list(stages["name"]) if len(stages) == 7 else labels
    largest = max(counts) if any(counts) else 1
    figure.add_trace(
        go.Scatter(
            x=xs,
            y=list(CURVE_HEIGHTS),
            mode="markers+text",
            marker={
                "size": [0 if n == 0 else 16 + 44 * (n / largest) ** 0.5 for n in counts],
                "color": BLUE,
                "opacity": 0.85,
                "line": {"color": "white", "width": 2},
            },
            text=[str(n) if n else "" for n in counts],
            textposition="middle center",
            textfont={"color": "white", "size": 14},
            customdata=labels,
            hovertemplate="%{customdata}: %{text} mentors<extra></extra>",
            showlegend=False,
            # Placed on the curve (y is a drawing height): its table is the mentors per stage.
            meta={
                "table": VALUES_IN_META,
                "category": "Stage",
                "value": "Mentors",
                "categories": [_plain(str(v)) for v in labels],
                "values": counts,
            },
        )
    )
    for x, y, n in zip(xs, CURVE_HEIGHTS, counts, strict=True):
        if n == 0:
            figure.add_annotation(
                x=x, y=y, text="0", showarrow=False, font={"color": "#52606d"}, yshift=14
            )
    styled(
        figure,
        title,
        x_title,
        y_title,
        xaxis={
            "tickvals": xs,
            "ticktext": [f"{x}<br>{_wrap(str(n), 12)}" for x, n in zip(xs, names, strict=True)],
            "range": [0.5, 7.5],
            "showline": False,
            "ticks": "",
        },
        yaxis={"showticklabels": False, "showgrid": False, "range": [0.05, 1.05]},
        margin={"b": 90},
    )
    total = sum(counts)
    not_assessed = int(frame.loc[frame["stage"] == 0, "mentors"].sum()) if not frame.empty else 0
    if total == 0:
        figure.add_annotation(
            text=NO_RECORDS, x=0.5, y=0.95, xref="paper", yref="paper", showarrow=False
        )
        return Chart(figure, f"{NO_RECORDS}: no active mentor has been assessed.")
    low = sum(counts[1:4])
    rising = sum(counts[4:])
    summary = (
        f"Of {total} assessed mentors, {counts[0]} are at stage 1, {low} in the dip "
        f"(stages 2–4) and {rising} rising through stages 5–7"
        + (f"; {not_assessed} are not yet assessed." if not_assessed else ".")
    )
    return Chart(figure, summary)


UP, SAME, BACK, FIRST = "Moved up", "Same stage", "Stepped back", "Assessed for the first time"
MOVE_COLOURS = {
    FIRST: "rgba(86,180,233,0.45)",  # sky blue
    UP: "rgba(0,158,115,0.45)",  # bluish green
    BACK: "rgba(213,94,0,0.55)",  # vermillion
    SAME: "rgba(154,165,177,0.4)",  # grey
}
MOVE_KEY_COLOURS = {
    m: c.replace("rgba", "rgb").rsplit(",", 1)[0] + ")" for m, c in MOVE_COLOURS.items()
}


def stage_flows(frame: pd.DataFrame) -> Chart:
    """Mentors' movement between stages over the window, as a Sankey diagram."""
    title = "Moves between stages over the window"
    x_title, y_title = "Stage when the window opened → stage at its end", "Mentors"
    if _is_empty(frame, "mentors"):
        return _empty(title, x_title, y_title, height=460)
    starts = sorted({int(s) for s in frame["from_stage"]})
    ends = sorted({int(s) for s in frame["to_stage"]})
    label_of = dict(zip(frame["from_stage"], frame["from_label"], strict=False)) | dict(
        zip(frame["to_stage"], frame["to_label"], strict=False)
    )
    node_labels = [f"{label_of[s]}" for s in starts] + [f"{label_of[s]}" for s in ends]
    node_colours = [LIGHT_GREY if s == 0 else BLUE for s in starts] + [BLUE for _ in ends]
    index_start = {s: i for i, s in enumerate(starts)}
    index_end = {s: len(starts) + i for i, s in enumerate(ends)}

    def move(a: int, b: int) -> str:
        if a == 0:
            return FIRST
        if b > a:
            return UP
        if b < a:
            return BACK
        return SAME

    def colour(a: int, b: int) -> str:
        return MOVE_COLOURS[move(a, b)]

    pairs = list(zip(frame["from_stage"], frame["to_stage"], frame["mentors"], strict=True))
    outflow = {s: sum(int(n) for a, _, n in pairs if a == s) for s in starts}
    inflow = {s: sum(int(n) for _, b, n in pairs if b == s) for s in ends}
    figure = _figure(460)
    figure.add_trace(
        go.Sankey(
            arrangement="fixed",  # stages stay in order, top to bottom, on both sides
            node={
                "label": node_labels,
                "color": node_colours,
                "x": [0.001] * len(starts) + [0.999] * len(ends),
                "y": _stacked_centres([outflow[s] for s in starts])
                + _stacked_centres([inflow[s] for s in ends]),
                "pad": 14,
                "thickness": 16,
                "line": {"color": "white", "width": 0.5},
                "hovertemplate": "%{label}: %{value} mentors<extra></extra>",
            },
            link={
                "source": [index_start[int(a)] for a, _, _ in pairs],
                "target": [index_end[int(b)] for _, b, _ in pairs],
                "value": [int(n) for _, _, n in pairs],
                "color": [colour(int(a), int(b)) for a, b, _ in pairs],
                "customdata": [move(int(a), int(b)) for a, b, _ in pairs],
                "hovertemplate": "%{source.label} → %{target.label}: %{value} mentors "
                "(%{customdata})<extra></extra>",
            },
        )
    )
    styled(figure, title, x_title, y_title)
    figure.add_annotation(
        text="Start of window", x=0, y=1.06, xref="paper", yref="paper", showarrow=False
    )
    figure.add_annotation(
        text="End of window",
        x=1,
        y=1.06,
        xref="paper",
        yref="paper",
        showarrow=False,
        xanchor="right",
    )
    figure.update_layout(legend={"visible": False}, margin={"b": 70})
    # The flows' colours, said under the diagram (a Sankey has no legend of its own).
    figure.add_annotation(
        text="   ".join(
            f'<span style="color:{MOVE_KEY_COLOURS[m]}">■</span> {m}'
            for m in (UP, SAME, BACK, FIRST)
        ),
        x=0,
        y=-0.08,
        xref="paper",
        yref="paper",
        xanchor="left",
        yanchor="top",
        showarrow=False,
        font={"size": 13},
    )
    up = sum(int(n) for a, b, n in pairs if a != 0 and b > a)
    same = sum(int(n) for a, b, n in pairs if a != 0 and b == a)
    back = sum(int(n) for a, b, n in pairs if a != 0 and b < a)
    first = sum(int(n) for a, _, n in pairs if a == 0)
    total = up + same + back + first
    summary = (
        f"Of {total} mentors assessed by the end of the window, {up} ended the window at a "
        f"higher stage than they began it, {same} at the same stage, {back} lower, and {first} "
        "had their first assessment during the window. The card 'Moved up the curve' counts "
        "mentors whose latest stage is above their first ever."
    )
    return Chart(figure, summary)


def _stacked_centres(values: list[int], gap: float = 0.03) -> list[float]:
    """Centres (0–1, top down) of boxes stacked in order, each as tall as its share."""
    total = sum(values) or 1
    room = 1 - gap * (len(values) - 1) - 0.02
    centres, top = [], 0.01
    for value in values:
        height = room * value / total
        centres.append(min(0.99, max(0.01, top + height / 2)))
        top += height + gap
    return centres


def stage_durations(frame: pd.DataFrame) -> Chart:
    """Median days spent at each stage (spells that ended)."""
    title = "Median time at each stage"
    x_title, y_title = "Median days at the stage", "Stage"
    if _is_empty(frame, "spells_completed"):
        return _empty(title, x_title, y_title)
    shown = frame.iloc[::-1]
    figure = _figure()
    figure.add_trace(
        go.Bar(
            x=shown["median_days"],
            y=shown["label"],
            orientation="h",
            marker_color=PURPLE,
            text=["" if pd.isna(d) else f"{d:.0f} days" for d in shown["median_days"]],
            textposition="outside",
            cliponaxis=False,
            customdata=shown[["spells_completed", "q1_days", "q3_days"]],
            hovertemplate="%{y}: median %{x:.0f} days<br>middle half %{customdata[1]:.0f}–"
            "%{customdata[2]:.0f} days<br>%{customdata[0]} spells<extra></extra>",
        )
    )
    styled(figure, title, x_title, y_title, margin={"l": 160, "r": 90})
    known = frame.dropna(subset=["median_days"])
    longest = _pick(known, "median_days", largest=True)
    shortest = _pick(known, "median_days", largest=False)
    summary = (
        f"Mentors stayed longest at {longest.label} (median {longest.median_days:.0f} days) and "
        f"moved on soonest from {shortest.label} ({shortest.median_days:.0f} days), over "
        f"{int(frame['spells_completed'].sum())} completed spells."
    )
    return Chart(figure, summary)


def regressions_by_month(frame: pd.DataFrame) -> Chart:
    """Steps back on the curve, by month."""
    title = "Steps back on the curve, by month"
    x_title, y_title = "Month", "Steps back (assessments)"
    if frame.empty:
        return _empty(title, x_title, y_title)
    monthly = frame.groupby("month", as_index=False).agg(regressions=("regressions", "sum"))
    figure = _figure()
    figure.add_trace(
        go.Bar(
            x=monthly["month"],
            y=monthly["regressions"],
            marker_color=VERMILLION,
            hovertemplate="%{x|%b %Y}: %{y} steps back<extra></extra>",
        )
    )
    styled(
        figure,
        title,
        x_title,
        y_title,
        xaxis=_month_axis(len(frame)),
        yaxis={"rangemode": "tozero", "dtick": max(1, int(monthly["regressions"].max()) // 5)},
    )
    total = int(monthly["regressions"].sum())
    if total == 0:
        figure.add_annotation(
            text="No steps back in this window",
            x=0.5,
            y=0.5,
            xref="paper",
            yref="paper",
            showarrow=False,
            font={"size": 15, "color": "#52606d"},
        )
        return Chart(figure, "No mentor stepped back on the curve in this window.")
    top = _pick(monthly, "regressions", largest=True)
    summary = (
        f"{total} step{'s' if total != 1 else ''} back on the curve in the window (an "
        f"assessment at a lower stage than the one before), most in {_month(top.month)} "
        f"({int(top.regressions)})."
    )
    return Chart(figure, summary)


def regressions_by_stage(frame: pd.DataFrame) -> Chart:
    """Steps back on the curve, by the stage moved back from."""
    title = "Steps back, by the stage left"
    x_title, y_title = "Steps back (assessments)", "Stage moved back from"
    found = frame.dropna(subset=["from_stage"]) if not frame.empty else frame
    if _is_empty(found, "regressions"):
        return _empty(title, x_title, y_title)
    by_stage = (
        found.groupby(["from_stage", "from_label"], as_index=False)
        .agg(regressions=("regressions", "sum"))
        .sort_values("from_stage", ascending=False)
    )
    figure = _figure()
    figure.add_trace(
        go.Bar(
            x=by_stage["regressions"],
            y=by_stage["from_label"],
            orientation="h",
            marker_color=VERMILLION,
            text=by_stage["regressions"],
            textposition="outside",
            cliponaxis=False,
            hovertemplate="From %{y}: %{x} steps back<extra></extra>",
        )
    )
    styled(
        figure,
        title,
        x_title,
        y_title,
        margin={"l": 160},
        xaxis={"dtick": max(1, int(by_stage["regressions"].max()) // 5)},
    )
    top = _pick(by_stage, "regressions", largest=True)
    summary = (
        f"Steps back came most often from {top.from_label} ({int(top.regressions)} of "
        f"{int(by_stage['regressions'].sum())})."
    )
    return Chart(figure, summary)


def self_esteem_by_stage(frame: pd.DataFrame) -> Chart:
    """Self-esteem (Rosenberg, 0–30) by stage: quartile boxes from aggregated figures."""
    title = "Self-esteem by stage"
    x_title, y_title = "Stage", "Self-esteem (Rosenberg scale, 0–30)"
    if _is_empty(frame, "assessments"):
        return _empty(title, x_title, y_title)
    shown = frame[frame["assessments"] > 0]
    figure = _figure(400)
    figure.add_trace(
        go.Box(
            x=[_wrap(str(label), 12) for label in shown["label"]],
            q1=shown["q1"],
            median=shown["median"],
            q3=shown["q3"],
            lowerfence=shown["minimum"],
            upperfence=shown["maximum"],
            mean=shown["mean"],
            marker_color=BLUE,
            fillcolor="rgba(0,114,178,0.25)",
            line={"color": BLUE},
            name="Self-esteem",
            hoverinfo="y",
        )
    )
    styled(figure, title, x_title, y_title, yaxis={"range": [0, 30.5]}, showlegend=False)
    lowest = _pick(shown, "mean", largest=False)
    highest = _pick(shown, "mean", largest=True)
    summary = (
        f"Mean self-esteem was lowest at {lowest.label} ({lowest['mean']:.1f} of 30) and highest "
        f"at {highest.label} ({highest['mean']:.1f}), over "
        f"{int(shown['assessments'].sum()):,} scored assessments (boxes: quartiles; whiskers: "
        "lowest and highest)."
    )
    return Chart(figure, summary)


def cohort_progress(frame: pd.DataFrame) -> Chart:
    """Mean stage per cohort by weeks in the programme, as a heatmap."""
    title = "Cohort progress: mean stage by weeks in the programme"
    x_title, y_title = "Weeks since the mentor started", "Cohort"
    if _is_empty(frame, "mentors"):
        return _empty(title, x_title, y_title)
    cohorts = list(dict.fromkeys(frame["cohort"]))
    shown_cohorts = [_plain(c) for c in cohorts]
    buckets = frame[["weeks_from", "weeks_to", "label"]].drop_duplicates().sort_values("weeks_from")
    stage = frame.pivot(index="cohort", columns="weeks_from", values="mean_stage")
    people = frame.pivot(index="cohort", columns="weeks_from", values="mentors")
    stage = stage.reindex(index=cohorts, columns=list(buckets["weeks_from"]))
    people = people.reindex(index=cohorts, columns=list(buckets["weeks_from"]))
    figure = _figure(max(320, 30 * len(cohorts) + 140))
    figure.add_trace(
        go.Heatmap(
            x=_group_starts(buckets),
            y=shown_cohorts,
            z=stage.to_numpy(),
            customdata=people.to_numpy(),
            texttemplate="%{z:.1f}",
            colorscale=SEQUENTIAL,
            zmin=1,
            zmax=7,
            colorbar={"title": "Mean stage", "tickvals": list(range(1, 8))},
            hoverongaps=False,
            hovertemplate="%{y}, from week %{x}: mean stage %{z:.1f}<br>%{customdata} mentors"
            "<extra></extra>",
        )
    )
    styled(
        figure,
        title,
        f"{x_title} (start of each group)",
        y_title,
        yaxis={"autorange": "reversed", "type": "category", "showgrid": False},
        xaxis={"type": "category", "tickangle": 0},
    )
    weighted = (
        frame.assign(weight=frame["mean_stage"] * frame["mentors"])
        .groupby("weeks_from")[["weight", "mentors"]]
        .sum()
    )
    weighted["mean"] = weighted["weight"] / weighted["mentors"]
    # Compare the first bucket with the last one that still holds a few mentors.
    labels = dict(zip(buckets["weeks_from"], buckets["label"], strict=True))
    enough = weighted[weighted["mentors"] >= 5]
    ends = enough if len(enough) >= 2 else weighted
    first_label, last_label = labels[ends.index[0]], labels[ends.index[-1]]
    first, last = float(ends["mean"].iloc[0]), float(ends["mean"].iloc[-1])
    summary = (
        f"Across {len(cohorts)} cohorts, the mean stage {_trend_words(first / 10, last / 10)} "
        f"{first:.1f} in weeks {first_label} to {last:.1f} at {last_label} weeks."
    )
    return Chart(figure, summary)
