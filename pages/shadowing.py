import streamlit as st

from analysis import chart_tables, charts, views
from pages import frame

ctx = frame.require(frame.MANAGER)
target = ctx.settings.shadowing_target_hours

st.title("Shadowing and milestones")
st.caption(
    f"Each mentor shadows a member of staff for {target:g} hours before meeting beneficiaries "
    "alongside an outreach worker. Hours and milestones count everything up to the end of the "
    "window."
)

CARDS = (
    "shadowing.mentors_complete",
    "shadowing.mentors_in_progress",
    "shadowing.median_days_to_complete",
)
headlines = frame.load(ctx, views.headline_figures, compare=False, figures=CARDS)
cards = charts.headline_cards(headlines, CARDS)
frame.cards(cards)

SHOWN, EVERYONE = 40, 1_000_000
orders = {
    "closest": "Still working towards it, closest first",
    "least": "Fewest hours first",
    "most": "Most hours first",
    "mentor": "Mentor code",
}
left, right = st.columns([3, 2])
with left:
    order = st.selectbox(
        "Order", list(orders), format_func=lambda o: orders[o], key="shadowing_order"
    )
    progress = frame.load(ctx, views.shadowing_progress, limit=SHOWN, order=order)
    drawn = charts.shadowing_progress(progress)
    # The chart draws the first SHOWN in this order; its table holds every mentor, so none
    # (those who completed come last when closest first) is left out of the numbers.
    everyone = frame.load(ctx, views.shadowing_progress, limit=EVERYONE, order=order)
    frame.chart(
        drawn,
        table=chart_tables.figure_table(charts.shadowing_progress(everyone).figure),
        table_note=(
            f"every mentor; the chart shows the first {len(progress):,} in this order"
            if len(everyone) > len(progress)
            else ""
        ),
    )
with right:
    frame.chart(charts.completion_times(frame.load(ctx, views.shadowing_completion_times)))
    milestones = frame.load(ctx, views.milestone_funnel)
    frame.chart(charts.milestone_outcomes(milestones))

frame.chart(charts.milestone_funnel(milestones))
