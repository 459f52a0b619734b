import streamlit as st

from analysis import catalog, charts, clock, conduct, conduct_charts, targets, views
from pages import frame

ctx = frame.require(frame.MANAGER)

st.title("Overview")
if frame.freshness(ctx)["mentors"] == 0:
    # No records yet (or the demo was removed): a checklist, not zeros over an empty window.
    steps = frame.load_catalog(ctx, catalog.getting_started)
    st.subheader("Getting started")
    st.write("There are no records yet. Four steps to a dashboard of your own programme:")
    checklist = [
        (
            steps["imported_files"] > 0 or steps["profiles"] > 0,
            "Get your records into shape: download a template for each record type, or map "
            "your own export's columns (Salesforce PMM exports are read as they are).",
        ),
        (steps["mentors"] > 0, "Import your records: mentors first, then sessions and the rest."),
        (steps["targets"] > 0, "Set the targets you agreed with your funders."),
        (ctx.access.signed_in_mode, "Turn on sign-in so your team and funders can see it."),
    ]
    for done, text in checklist:
        icon = ":material/check_circle:" if done else ":material/radio_button_unchecked:"
        st.markdown(f"{icon} {'~~' + text + '~~' if done else text}")
    st.page_link("pages/data.py", label="Import records", icon=":material/upload_file:")
    st.caption("Sign-in is set up in `.streamlit/secrets.toml`: see the README.")
    st.stop()
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
on_track = targets.on_track_sentence(
    frame.load(ctx, targets.page_evaluations, scope=targets.evaluation_scope(ctx.scope))
)
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

# The three learned skills on one chart (METRICS.md skills_curve), with its one sentence.
skills = frame.load(ctx, conduct.compute).values["skills_curve"]
unrecorded = frame.load(ctx, conduct.unrecorded_in_scope)
frame.chart(conduct_charts.skills_curve(skills, unrecorded=unrecorded), key="overview_skills")
st.page_link("pages/behaviour.py", label="Behaviour", icon=":material/arrow_forward:")

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
