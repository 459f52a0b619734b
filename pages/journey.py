"""Journey: of the mentors who started in the window, how far they got, who left and why, and
how long people stay (managers only)."""

import streamlit as st

from analysis import journey, journey_charts
from pages import frame

ctx = frame.require(frame.MANAGER)

st.title("Journey")
st.caption(
    "The mentors who started in the window, as things stand at its end: the steps they reached, "
    "who completed, who withdrew and why, and how long people stay."
)

data = frame.load(ctx, journey.page)
frame.cards(journey_charts.cards(data.values))

left, right = st.columns(2)
with left:
    frame.chart(journey_charts.funnel(data.values), key="journey_funnel")
with right:
    frame.chart(journey_charts.cohort_outcomes(data.values), key="journey_outcomes")
frame.chart(journey_charts.cohort_funnel(data.values), key="journey_cohort_funnel")

st.subheader("Who withdrew")
left, right = st.columns(2)
with left:
    frame.chart(journey_charts.withdrawals_by_step(data.values), key="journey_by_step")
with right:
    frame.chart(journey_charts.withdrawals_by_reason(data.values), key="journey_by_reason")

st.subheader("How long people stay")
frame.chart(journey_charts.retention(data.curves), key="journey_retention")
