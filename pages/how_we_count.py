"""How we count: every definition in plain words, the stages, and the settings in force."""

import pandas as pd
import streamlit as st

from analysis import definitions
from analysis.settings import SETTING_DESCRIPTIONS
from pages import frame

ctx = frame.require(frame.MANAGER, frame.FUNDER)
settings = ctx.settings
st.title("How we count")
st.write(
    "Every number on this dashboard, in the impact pack and in the downloads is worked out the "
    "same way, from the definitions below."
)

st.subheader("What a figure covers")
for rule in definitions.SCOPE_RULES:
    st.markdown(f"- {rule}")

st.subheader("Each attendance record")
for rule in definitions.row_rules(settings):
    st.markdown(f"- {rule}")

st.subheader("The figures")
figure_rows = pd.DataFrame(definitions.figure_rows("manager" if ctx.is_manager else "funder"))
st.dataframe(
    figure_rows,
    hide_index=True,
    column_config={"how it is counted": st.column_config.TextColumn(width="large")},
)
frame.print_copy(figure_rows, {c: c for c in figure_rows.columns}, "how_figures")
st.caption("A rate with nothing to divide by (no expected sessions, say) is shown as '–', not 0.")

if ctx.is_manager:
    st.subheader("Early-warning flags")
    st.markdown(definitions.flag_rules(settings))

st.subheader("Suppression for funders")
st.markdown(definitions.suppression(settings))

st.subheader("The transition curve")
st.write(
    "Progress is read on the transition curve of Adams, Hayes & Hopson (1976): seven stages "
    "people pass through in a major life change. People move back as well as forward."
)
stages = pd.DataFrame(
    {
        "stage": [f"{i}" for i in range(1, 8)],
        "name": list(settings.stage_labels),
        "what it looks like": list(definitions.STAGE_DESCRIPTIONS),
    }
)
st.dataframe(stages, hide_index=True)
frame.print_copy(stages, {c: c for c in stages.columns}, "how_stages")

st.subheader("Settings in force")
values = {
    "grace_minutes": f"{settings.grace_minutes} minutes",
    "shadowing_target_hours": f"{settings.shadowing_target_hours:g} hours",
    "suppression_k": f"{settings.suppression_k} people",
    "lookback_days": f"{settings.lookback_days} days",
    "stage_labels": ", ".join(settings.stage_labels),
    "organisation_name": settings.organisation_name,
    "session_hours": f"{settings.session_hours:g} hours",
}
in_force = pd.DataFrame(
    [
        {"setting": name, "value": value, "meaning": SETTING_DESCRIPTIONS[name]}
        for name, value in values.items()
    ]
)
st.dataframe(in_force, hide_index=True)
frame.print_copy(in_force, {c: c for c in in_force.columns}, "how_settings")
st.caption("Change them in settings.toml at the top of the project folder (see the README).")
