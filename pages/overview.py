import streamlit as st

from analysis import charts, clock, targets, views
from pages import frame

ctx = frame.require(frame.MANAGER)

st.title("Overview")
st.caption(
    f"{ctx.window[0]:%-d %b %Y} to {ctx.window[1]:%-d %b %Y}. Changes compare with the "
    "previous period of the same length; hover over a figure for that period's value."
)

CARDS = (
    "mentors_active",
    "attendance_rate",
    "punctuality_rate",
    "no_show_rate",
    "beneficiaries_reached",
    "peer_support_hours",
    "shadowing.mentors_complete",
    "mentors_flagged",
)
on_track = targets.on_track_sentence(frame.load(ctx, targets.page_evaluations))
if on_track:
    st.markdown(f"**Targets:** {charts.markdown_safe(on_track)}")
    st.page_link("pages/targets.py", label="Targets", icon=":material/arrow_forward:")

headlines = frame.load(ctx, views.headline_figures, figures=(*CARDS, *views.FLAG_FIGURES))
cards = charts.headline_cards(headlines, CARDS)
frame.cards(cards, per_row=4)

months = frame.load(ctx, views.attendance_by_month)
stages = frame.load(ctx, views.stage_distribution)
left, right = st.columns(2)
with left:
    frame.chart(charts.attendance_trends(months))
with right:
    frame.chart(charts.stage_distribution(stages))
    st.page_link("pages/transitions.py", label="Transitions", icon=":material/arrow_forward:")

left, right = st.columns([3, 2])
with left:
    frame.chart(charts.flag_reasons(headlines, ctx.settings.lookback_days))
    st.page_link(
        "pages/reliability.py", label="Who is flagged, and why", icon=":material/arrow_forward:"
    )
with right:
    st.subheader("Data freshness")
    st.write(
        charts.freshness_text(frame.load_catalog(ctx, views.data_freshness, today=clock.today()))
    )
    st.page_link("pages/data.py", label="Import records", icon=":material/upload_file:")
