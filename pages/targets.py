from typing import Any, Literal

import pandas as pd
import streamlit as st

from analysis import charts, target_charts, target_edits, targets
from analysis.records import TARGET_FIGURE_KINDS
from pages import frame

ctx = frame.require(frame.MANAGER)

Colour = Literal["green", "orange", "red", "gray"]
BADGE_COLOURS: dict[str, Colour] = {
    "met": "green",
    "on_track": "green",
    "at_risk": "orange",
    "off_track": "red",
    "missed": "red",
    "not_started": "gray",
    "no_data": "gray",
}

st.title("Targets")
st.caption(
    f"What the programme agreed with its funders, judged on {ctx.window[1]:%-d %B %Y} (the "
    "window's last day). Other filters do not apply: a target is about the whole programme or "
    "one funding stream."
)

evaluations = frame.load(ctx, targets.page_evaluations, scope=targets.evaluation_scope(ctx.scope))
sentence = targets.on_track_sentence(evaluations)
if sentence:
    st.subheader(charts.markdown_safe(sentence))
else:
    st.info(
        "No targets yet. Add them in the table below, or import a targets file on the Data page."
    )


def _rows(frame_: pd.DataFrame) -> dict[Any, dict[str, Any]]:
    return {
        index: {str(k): v for k, v in row.items()}
        for index, row in frame_.to_dict(orient="index").items()
    }


for evaluation in evaluations:
    status = evaluation.status
    left, right = st.columns([1, 4], vertical_alignment="center")
    with left:
        st.badge(
            targets.STATUS_WORDS[status],
            icon=f":material/{targets.STATUS_ICONS[status]}:",
            color=BADGE_COLOURS[status],
        )
    with right:
        chart = target_charts.progress(evaluation, ctx.settings.suppression_k)
        # The summary holds the funder's wording: shown as text, never as Markdown.
        st.plotly_chart(chart.figure, config={"displaylogo": False}, alt=chart.summary)
        st.caption(charts.markdown_safe(chart.summary))

st.header("Agreed targets")
st.write(
    "Edit a cell, add a row at the bottom or delete rows, then save. Each change is checked "
    "exactly as an imported targets file would be; a row that fails keeps its reasons on the "
    "Data page, and every change is in the audit log. For a rate, write 85% or 0.85."
)
stored = frame.load_catalog(ctx, target_edits.catalog_rows)
table = pd.DataFrame(stored, columns=list(target_edits.COLUMNS))
version = st.session_state.setdefault("targets_editor_version", 0)
edited = st.data_editor(
    table,
    key=f"targets_editor_{version}",
    num_rows="dynamic",
    hide_index=True,
    width="stretch",
    column_config={
        "figure": st.column_config.SelectboxColumn(
            "Figure", options=list(TARGET_FIGURE_KINDS), required=True
        ),
        "period_start": st.column_config.DateColumn("Period start", format="DD/MM/YYYY"),
        "period_end": st.column_config.DateColumn("Period end", format="DD/MM/YYYY"),
        "target": st.column_config.TextColumn("Target", help="A count, hours, 0.85 or 85%"),
        "funding_stream": st.column_config.TextColumn(
            "Funding stream", help="Blank: the whole programme"
        ),
        "wording": st.column_config.TextColumn("Funder's wording"),
    },
)
if st.button("Save changes", type="primary", key="targets_save"):
    with frame.acting():
        result = target_edits.save_edits(
            ctx.db_path,
            _rows(table),
            _rows(edited),
            user=ctx.access.user,
            settings=ctx.settings,
        )
    st.session_state["targets_editor_version"] = version + 1
    st.session_state["targets_saved"] = result
    st.rerun()

saved = st.session_state.pop("targets_saved", None)
if saved is not None:
    if saved.error:
        st.error(f"Nothing was saved: {saved.error}")
    elif not saved.anything:
        st.info("There were no changes to save.")
    else:
        st.success(f"Saved: {saved.added} added, {saved.changed} changed, {saved.deleted} deleted.")
    if saved.rejected:
        st.warning(
            f"{len(saved.rejected)} row(s) not saved; they are kept with their reasons on the "
            "Data page (Rejected rows).",
            icon=":material/error:",
        )
        st.dataframe(
            pd.DataFrame(
                [{**row["values"], "reasons": "; ".join(row["reasons"])} for row in saved.rejected]
            ),
            hide_index=True,
        )
