"""Impact summary: what funders and trustees see. Managers see the same page, so they know
exactly what goes out: aggregates only, small numbers suppressed, nothing about a person."""

import streamlit as st

from analysis import chart_tables, exports, impact, impact_pack, privacy
from pages import frame

ctx = frame.require(frame.FUNDER, frame.MANAGER)
# The differencing rule (METRICS.md): a funder's figures cover the whole programme, one cohort,
# one region or one funding stream; checked here on the server whatever the sidebar or the
# address asked for.
k = ctx.settings.suppression_k
groups = frame.funder_groups(ctx.db_path, ctx.version, ctx.window, k)
not_for_funders = privacy.funder_scope_problem(None, ctx.scope, ctx.window, k, groups)
if not_for_funders and ctx.is_funder:
    st.error(not_for_funders)
    st.stop()
summary = frame.load(ctx, impact.summary)
k = summary.k

st.title("Impact summary")
st.caption(frame.plain(f"{summary.organisation} · {summary.period_title}"))
if ctx.is_manager:
    st.info(
        f"This is the page funders see: any figure resting on fewer than {k} people reads "
        f"'{privacy.hidden_words(k)}', and nothing on it identifies a person.",
        icon=":material/visibility:",
    )

st.markdown(f"#### {summary.lead}")
for start in range(0, len(summary.headlines), 4):
    for column, headline in zip(st.columns(4), summary.headlines[start : start + 4], strict=False):
        hidden = headline.suppressed  # "Not shown", and why beneath it, never "<5"
        column.metric(
            headline.label,
            headline.shown,
            privacy.hidden_because(summary.report, headline.key, k) if hidden else headline.delta,
            "off" if hidden else "normal",
            help=frame.plain(headline.sentence),
            border=True,
            delta_arrow="off" if hidden else "auto",
        )
if summary.comparable:
    st.caption(
        f"Changes compare with {summary.previous_label}: "
        f"{impact.long_date(summary.previous_window[0])} to "
        f"{impact.long_date(summary.previous_window[1])}."
    )

st.subheader("In brief")
sentences = [h.sentence for h in summary.headlines]
if summary.milestone_sentence:
    sentences.append(summary.milestone_sentence)
if summary.skills_sentence:
    sentences.append(summary.skills_sentence)
st.markdown("\n".join(f"- {sentence}" for sentence in sentences))
for caveat in summary.caveats:
    if not caveat.startswith("These figures come from demo"):  # the frame's banner says so
        st.caption(frame.plain(caveat))

if summary.targets:
    st.subheader("Our targets")
    st.caption(
        f"Each target as agreed, measured from the start of its period to "
        f"{impact.long_date(summary.window[1])} (or to the period's end, if sooner); 'at this "
        "rate' continues the pace so far to the end of the period."
    )
    # st.table draws Markdown: the funders' wording and the streams' names are record text.
    st.table(impact.targets_table(summary.targets).map(frame.plain), hide_index=True)

NO_DOWNLOADS = (
    "No download of these numbers: this page's files are for funders, and these filters are "
    "not ones a funder may choose (see Downloads below)."
)
st.subheader("Key charts")
key_charts = impact.key_charts(summary)
tables = chart_tables.impact_tables(summary)
names = list(key_charts)
for start in range(0, len(names), 2):
    for column, name in zip(st.columns(2), names[start : start + 2], strict=False):
        with column:
            frame.chart(
                key_charts[name],
                key=f"impact_{name}",
                table=tables[name],
                notes=frame.NOTES_SHARED,
                # The words below say the downloads are for funders: none under filters a
                # funder may not choose, the charts' numbers included (re-probe, finding 7).
                downloads=NO_DOWNLOADS if not_for_funders else None,
            )

if summary.learned:  # the pack's section, here too: notes shared with funders only
    st.subheader("What changed and what we learned")
    for note in summary.learned:
        st.markdown(f"**{impact.long_date(note.noted_on)}**  \n{frame.plain(note.text)}")

st.subheader("How these figures are counted")
for term, text in summary.notes:
    st.markdown(f"**{term}.** {text}")

st.subheader("Downloads")
if not_for_funders:  # a manager's filters a funder could not choose: no pack to send on
    st.info(
        f"The downloads (the figures, the PDF pack and each chart's numbers) are for funders, "
        f"and these filters are not ones a funder may choose: {not_for_funders} Choose the whole programme, one cohort, one region or one funding "
        "stream."
    )
    st.stop()
left, right = st.columns(2)
file_stem = impact.file_stem(summary)
with left:
    st.download_button(
        "Download the figures (CSV)",
        frame.on_click(
            ctx,
            f"{file_stem}.csv",
            lambda: exports.aggregates_csv(summary, ctx.settings),
            reads=False,
        ),
        file_name=f"{file_stem}.csv",
        mime="text/csv",
        icon=":material/table:",
        help=(
            "Every figure of this summary, the monthly rates and the targets; a suppressed one "
            f"has no value and reads '{privacy.hidden_words(k)}' (or, hidden for another's "
            f"sake, '{privacy.FOR_OTHERS_WORDS}'). {privacy.ROUNDING_NOTE}."
        ),
    )
with right:
    # Drawing the charts takes a few seconds, so the PDF is made only when asked for, once
    # per data version and filters (the loader caches it).
    # The button's callback records the request, so it survives a rerun of the frame.
    # The pack is cached on everything it shows (data version, shared notes, targets,
    # settings, period, stream): `impact_pack.pack_key`, read afresh on every run.
    pack_key = frame.uncached(ctx, impact_pack.pack_key)
    wanted = (ctx.db_path, pack_key)
    if st.session_state.get("impact_pdf_for") != wanted:
        st.button(
            "Prepare the PDF impact pack",
            icon=":material/picture_as_pdf:",
            on_click=st.session_state.__setitem__,
            args=("impact_pdf_for", wanted),
        )
    else:
        try:
            with st.spinner(
                "Drawing the charts for the PDF: usually a few seconds; stopped, with a "
                f"message, if it takes over {impact_pack.drawing_limit_words()}…",
                show_time=True,
            ):
                pack = frame.load(ctx, impact_pack.pack_bytes, key=pack_key)
        except impact_pack.ChartsUnavailable as exc:
            st.error(f"The PDF cannot be made on this server: {exc}.")
        else:
            st.download_button(
                "Download the PDF impact pack",
                frame.on_click(ctx, f"{file_stem}.pdf", lambda: pack, reads=False),
                file_name=f"{file_stem}.pdf",
                mime="application/pdf",
                type="primary",
                icon=":material/download:",
            )
