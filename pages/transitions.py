import streamlit as st

from analysis import charts, views
from pages import frame

ctx = frame.require(frame.MANAGER)

st.title("Transitions")
st.caption(
    "Progress through the seven stages of the Adams–Hayes–Hopson transition curve. People move "
    "back as well as forward: a step back is part of the journey, and a moment to offer support."
)

CARDS = ("stages.mentors_progressed", "stages.regressions", "stages.mean_self_esteem_change")
headlines = frame.load(ctx, views.headline_figures, compare=False, figures=CARDS)
cards = charts.headline_cards(headlines, CARDS)
frame.cards(cards)

frame.chart(charts.transition_curve(frame.load(ctx, views.stage_distribution)))
frame.chart(charts.stage_flows(frame.load(ctx, views.stage_flows)))
frame.chart(charts.self_esteem_by_stage(frame.load(ctx, views.self_esteem_by_stage)))

steps_back = frame.load(ctx, views.regressions)
left, right = st.columns(2)
with left:
    frame.chart(charts.regressions_by_month(steps_back))
with right:
    frame.chart(charts.regressions_by_stage(steps_back))

left, right = st.columns([2, 3])
with left:
    frame.chart(charts.stage_durations(frame.load(ctx, views.stage_durations)))
with right:
    frame.chart(charts.cohort_progress(frame.load(ctx, views.cohort_progress)))
