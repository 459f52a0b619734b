"""Behaviour: the third learned skill. Concerns and strengths observed by staff, by month and
category; the concern rate by weeks in the programme; time to resolve; open concerns; and each
mentor, linking to their journey (managers only)."""

from urllib.parse import quote

import streamlit as st

from analysis import conduct, conduct_charts
from pages import frame

ctx = frame.require(frame.MANAGER)

st.title("Behaviour")
st.caption(
    "Appropriate behaviour is the third skill mentors learn at work, beside timekeeping and "
    "reliability. Staff record concerns and strengths as they see them (the conduct file on the "
    "Data page). Counts are of observations dated in the window; open concerns are those not "
    "resolved by its last day, whenever they were raised."
)

data = frame.load(ctx, conduct.page)
frame.cards(conduct_charts.cards(data.figures.values), per_row=4)
median = data.figures.values["conduct"]["median_days_to_resolve"]

left, right = st.columns(2)
with left:
    frame.chart(conduct_charts.by_month(data.by_month), key="behaviour_by_month")
with right:
    frame.chart(
        conduct_charts.by_category(conduct.by_category_frame(data.figures)),
        key="behaviour_by_category",
    )

curve = data.figures.values["skills_curve"]
left, right = st.columns(2)
with left:
    frame.chart(conduct_charts.concern_rate_by_weeks(curve), key="behaviour_by_weeks")
with right:
    frame.chart(conduct_charts.resolve_times(data.resolve_days, median), key="behaviour_resolve")

st.subheader("Open concerns")
if data.open_concerns.empty:
    st.write("No concern is open at the end of the window.")
else:
    st.dataframe(
        data.open_concerns,
        hide_index=True,
        column_config={
            "mentor_id": st.column_config.TextColumn("Mentor"),
            "observed_on": st.column_config.DateColumn("Observed", format="D MMM YYYY"),
            "category": st.column_config.TextColumn("Category"),
            "severity": st.column_config.TextColumn("Severity"),
            "days_open": st.column_config.NumberColumn("Days open"),
        },
        key="behaviour_open",
    )

st.subheader("Each mentor")
st.caption(
    "Mentors with an observation in the window or a concern still open. Open a mentor's journey "
    "to see each observation on their timeline, with its notes."
)
per_mentor = data.per_mentor.copy()
if per_mentor.empty:
    st.write("No observations in the window.")
else:
    # A relative link to the Mentor journey, naming the mentor (the code is URL-encoded).
    per_mentor["journey"] = [
        f"mentor_journey?mentor={quote(str(code), safe='')}" for code in per_mentor["mentor_id"]
    ]
    st.dataframe(
        per_mentor,
        hide_index=True,
        column_order=("mentor_id", "concerns", "strengths", "open", "last_observed", "journey"),
        column_config={
            "mentor_id": st.column_config.TextColumn("Mentor"),
            "concerns": st.column_config.NumberColumn("Concerns", help="In the window"),
            "strengths": st.column_config.NumberColumn("Strengths", help="In the window"),
            "open": st.column_config.NumberColumn("Open", help="Not resolved by the window's end"),
            "last_observed": st.column_config.DateColumn("Last observed", format="D MMM YYYY"),
            "journey": st.column_config.LinkColumn("Journey", display_text="Open journey"),
        },
        key="behaviour_mentors",
    )
    frame.print_copy(
        per_mentor,
        {
            "mentor_id": "Mentor",
            "concerns": "Concerns",
            "strengths": "Strengths",
            "open": "Open",
            "last_observed": "Last observed",
        },
        key="behaviour_mentors",
    )
