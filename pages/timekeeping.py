import streamlit as st

from analysis import charts, views
from pages import frame

ctx = frame.require(frame.MANAGER)

st.title("Timekeeping")
st.caption(
    "Arriving on time is a skill mentors learn. An arrival more than "
    f"{ctx.settings.grace_minutes} minutes after the scheduled start counts as late."
)

CARDS = ("punctuality_rate", "median_minutes_late", "staff_minutes_lost")
headlines = frame.load(ctx, views.headline_figures, compare=False, figures=CARDS)
cards = charts.headline_cards(headlines, CARDS)
frame.cards(cards)

months = frame.load(ctx, views.attendance_by_month)
left, right = st.columns(2)
with left:
    frame.chart(charts.punctuality_by_month(months))
with right:
    frame.chart(
        charts.punctuality_by_weeks(frame.load(ctx, views.punctuality_by_weeks_in_programme))
    )

left, right = st.columns(2)
with left:
    frame.chart(charts.minutes_late(frame.load(ctx, views.minutes_late_distribution)))
with right:
    frame.chart(
        charts.punctuality_by_session_type(frame.load(ctx, views.punctuality_by_session_type))
    )

left, right = st.columns(2)
with left:
    frame.chart(charts.punctuality_heatmap(frame.load(ctx, views.punctuality_by_weekday_hour)))
with right:
    frame.chart(charts.cohort_comparison(frame.load(ctx, views.cohort_comparison)))

frame.chart(charts.staff_time_lost(frame.load(ctx, views.staff_time_lost, limit=25)))
st.caption(
    "Staff time lost: the minutes a member of staff waited for a late mentor, plus the whole "
    "length of sessions the mentor did not come to, at shadowing (the member of staff "
    "shadowed) and beneficiary meetings (the outreach worker alongside)."
)
