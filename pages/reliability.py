import streamlit as st

from analysis import charts, views
from pages import frame

ctx = frame.require(frame.MANAGER)

st.title("Reliability")
st.caption(
    "Coming when expected, giving notice when not, and not leaving an outreach worker waiting "
    "at a beneficiary meeting."
)

CARDS = (
    "attendance_rate",
    "no_show_rate",
    "notice_rate",
    "beneficiary_meetings.missed",
    "mentors_flagged",
)
headlines = frame.load(ctx, views.headline_figures, compare=False, figures=CARDS)
cards = charts.headline_cards(headlines, CARDS)
frame.cards(cards)

months = frame.load(ctx, views.attendance_by_month)
left, right = st.columns(2)
with left:
    frame.chart(charts.reliability_by_month(months))
with right:
    frame.chart(charts.beneficiary_meetings_by_month(months))

st.subheader("Mentors")
st.caption(
    f"Flags look at the last {ctx.settings.lookback_days} days of the window; rates cover the "
    "whole window. Click a column heading to sort, or select a row to open that mentor's "
    "journey."
)
orders = {
    "flags": "Flagged first",
    "attendance": "Lowest attendance first",
    "punctuality": "Lowest punctuality first",
    "no_shows": "Most no-shows first",
    "mentor": "Mentor code",
}
controls = st.columns([2, 2, 3], vertical_alignment="bottom")
order = controls[0].selectbox(
    "Order", list(orders), format_func=lambda o: orders[o], key="reliability_order"
)
only_flagged = controls[1].toggle("Flagged mentors only", key="reliability_flagged")
table = frame.load(ctx, views.mentor_reliability, limit=200, order=order, only_flagged=only_flagged)
selection = st.dataframe(
    table,
    hide_index=True,
    on_select="rerun",
    selection_mode="single-row",
    key="reliability_table",
    column_order=(
        "mentor_id",
        "reasons",
        "attendance_percent",
        "punctuality_percent",
        "expected",
        "no_shows",
        "notified",
        "late",
        "last_attended",
        "cohort",
        "outreach_worker",
        "status",
    ),
    column_config={
        "mentor_id": st.column_config.TextColumn("Mentor"),
        "reasons": st.column_config.TextColumn(
            f"Flags (last {ctx.settings.lookback_days} days)", width="medium"
        ),
        "attendance_percent": st.column_config.ProgressColumn(
            "Attendance", format="%d%%", min_value=0, max_value=100
        ),
        "punctuality_percent": st.column_config.ProgressColumn(
            "On time", format="%d%%", min_value=0, max_value=100
        ),
        "expected": st.column_config.NumberColumn("Expected", help="Sessions expected"),
        "no_shows": st.column_config.NumberColumn("No-shows"),
        "notified": st.column_config.NumberColumn("With notice", help="Absences with notice"),
        "late": st.column_config.NumberColumn("Late"),
        "last_attended": st.column_config.DateColumn("Last attended", format="D MMM YYYY"),
        "cohort": st.column_config.TextColumn("Cohort"),
        "outreach_worker": st.column_config.TextColumn("Outreach worker"),
        "status": st.column_config.TextColumn("Status"),
    },
)
frame.print_copy(
    table,
    {
        "mentor_id": "Mentor",
        "reasons": "Flags",
        "attendance_percent": "Attendance",
        "punctuality_percent": "On time",
        "expected": "Expected",
        "no_shows": "No-shows",
        "notified": "With notice",
        "late": "Late",
        "last_attended": "Last attended",
        "cohort": "Cohort",
        "outreach_worker": "Outreach worker",
        "status": "Status",
    },
    key="reliability",
    percent=("attendance_percent", "punctuality_percent"),
)
note = charts.more_rows_note(
    table, "mentors_total", "mentors; change the order or the filters to see others"
)
if note:
    st.caption(note)
for row in selection.selection.rows:
    st.session_state["journey_mentor"] = str(table["mentor_id"].iloc[row])
    st.switch_page("pages/mentor_journey.py")
