import streamlit as st

from analysis import charts, clock, conduct, conduct_charts, mentor_views, subject_access
from pages import frame

ctx = frame.require(frame.MANAGER)

st.title("Mentor journey")
st.caption(
    "One mentor's sessions, timekeeping, stages and milestones. Notes appear on this page only: "
    "treat them with care."
)

codes = frame.load(ctx, mentor_views.mentor_codes)
if codes.empty:
    st.info("No mentors match the filters in this window. Widen the window or clear a filter.")
    st.stop()
known = set(codes["mentor_id"])
linked = st.session_state.pop("_url_mentor", None)  # from a shared link (?mentor=CODE)
if linked is not None:
    same = [c for c in known if str(c).casefold() == str(linked).strip().casefold()]
    if linked in known:
        st.session_state["journey_mentor"] = linked
    elif len(same) == 1:  # a code typed in lower case, or with a space: read, and said
        st.session_state["journey_mentor"] = same[0]
        st.info(
            f"The link's mentor {charts.markdown_safe(str(linked))} is read as "
            f"{charts.markdown_safe(str(same[0]))} (codes are in capitals).",
            icon=":material/link:",
        )
    else:
        st.warning(
            f"The link names mentor {charts.markdown_safe(str(linked))}, who is not among the "
            "mentors active in this window with these filters. Widen the window or clear a "
            "filter to see them.",
            icon=":material/link_off:",
        )
if st.session_state.get("journey_mentor") not in known:
    st.session_state.pop("journey_mentor", None)
picker, _ = st.columns([1, 2])
mentor = picker.selectbox(
    "Mentor",
    codes["mentor_id"],
    key="journey_mentor",
    help="Mentors active in the window who match the filters. Type to search. The page's "
    "address names the mentor: copy it to share or bookmark this journey.",
)
st.query_params["mentor"] = mentor  # the address names this mentor, beside the filters

# A subject access request: every stored row about this person, made on the server when
# clicked, audited (the log keeps the file's kind, never the code); managers only (the page is).
picker.download_button(
    "Everything we hold about this person",
    data=frame.on_click(
        ctx,
        "subject-access.xlsx",
        lambda con: subject_access.workbook(con, mentor, clock.now()),
    ),
    file_name=subject_access.file_name(mentor),
    mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    on_click="ignore",
    icon=":material/folder_shared:",
    help="One Excel workbook: a cover sheet, then every stored row about this mentor, by "
    "record type, and the open rejected rows that name the code. Keep it as carefully as the "
    "records.",
)

profile = frame.load(ctx, mentor_views.mentor_profile, mentor_id=mentor)
st.subheader(frame.plain(mentor), anchor=False)
st.caption(charts.mentor_details(profile))
cards = charts.mentor_cards(profile)
frame.cards(cards, per_row=3)
flags = charts.mentor_flags_text(profile)
if flags:
    st.warning(frame.plain(flags), icon=":material/flag:")

sessions = frame.load(ctx, mentor_views.mentor_sessions, mentor_id=mentor)
# Conduct observations on the timeline; their notes in the table below (managers only: this
# page is refused to funders).
observations = frame.load(ctx, conduct.mentor_observations, mentor_id=mentor, with_notes=True)
frame.chart(conduct_charts.with_observations(charts.mentor_timeline(sessions), observations))
if not observations.empty:
    with st.expander(f"Conduct observations ({len(observations)})"):
        st.dataframe(
            observations,
            hide_index=True,
            column_config={
                "observed_on": st.column_config.DateColumn("Observed", format="D MMM YYYY"),
                "kind": st.column_config.TextColumn("Concern or strength"),
                "category": st.column_config.TextColumn("Category"),
                "severity": st.column_config.TextColumn("Severity"),
                "resolved_on": st.column_config.DateColumn("Resolved", format="D MMM YYYY"),
                "notes": st.column_config.TextColumn("Notes", width="large"),
            },
            key="journey_observations",
        )
left, right = st.columns(2)
with left:
    frame.chart(charts.mentor_lateness(sessions, ctx.settings.grace_minutes))
with right:
    frame.chart(
        charts.mentor_shadowing(
            frame.load(ctx, mentor_views.mentor_shadowing, mentor_id=mentor),
            ctx.settings.shadowing_target_hours,
        )
    )
frame.chart(
    charts.mentor_stage_path(
        frame.load(ctx, mentor_views.mentor_stage_path, mentor_id=mentor), ctx.settings.stage_labels
    )
)

left, right = st.columns([2, 3])
with left:
    st.subheader("Milestones")
    milestones = frame.load(ctx, mentor_views.mentor_milestones, mentor_id=mentor)
    if milestones.empty:
        st.write("No milestones recorded up to the end of the window.")
    else:
        st.dataframe(
            milestones,
            hide_index=True,
            column_order=("achieved_on", "label"),
            column_config={
                "achieved_on": st.column_config.DateColumn("Date", format="D MMM YYYY"),
                "label": st.column_config.TextColumn("Milestone"),
            },
        )
        frame.print_copy(
            milestones, {"achieved_on": "Date", "label": "Milestone"}, key="journey_milestones"
        )
with right:
    st.subheader("Notes")
    notes = frame.load(ctx, mentor_views.mentor_notes, mentor_id=mentor)
    if notes.empty:
        st.write("No notes on this mentor's records in the window.")
    else:
        st.dataframe(
            notes,
            hide_index=True,
            column_config={
                "date": st.column_config.DateColumn("Date", format="D MMM YYYY"),
                "record": st.column_config.TextColumn("Record"),
                "note": st.column_config.TextColumn("Note", width="large"),
            },
        )
        frame.print_copy(
            notes, {"date": "Date", "record": "Record", "note": "Note"}, key="journey_notes"
        )
