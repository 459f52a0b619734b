"""Learning log: dated notes about the programme, marked on every monthly chart (managers)."""

import pandas as pd
import streamlit as st

from analysis import learning_log
from pages import frame

ctx = frame.require(frame.MANAGER)

st.title("Learning log")
st.caption(
    "What changed in the programme and what you learned: a new outreach worker, a prison "
    "lockdown, a change of venue. Every monthly chart marks each note on its date (point at the "
    'mark to read it). Notes shared with funders appear in their impact pack under "What '
    'changed and what we learned"; the others stay with managers. Changes are logged.'
)

if "learning_log_message" in st.session_state:
    st.success(st.session_state.pop("learning_log_message"))

st.subheader("Add a note")
with st.form("learning_log_add", clear_on_submit=True, enter_to_submit=False):
    noted_on = st.date_input("Date", value=ctx.window[1], format="DD/MM/YYYY")
    text = st.text_area(
        "What changed, or what we learned",
        max_chars=learning_log.MAX_NOTE_CHARACTERS,
        placeholder="e.g. New outreach worker started in the North",
    )
    shared = st.checkbox("Share with funders (in their impact pack)")
    added = st.form_submit_button("Add the note", type="primary")

if added:
    with frame.acting():
        try:
            learning_log.save_note(ctx.db_path, ctx.access.user, None, noted_on, text, shared)
        except learning_log.NoteError as exc:
            st.error(f"The note was not saved: {exc}.")
        else:
            st.session_state["learning_log_message"] = "The note was added."
            st.rerun()

notes = learning_log.notes(frame.connection(ctx.db_path))
st.subheader("Notes")
if not notes:
    st.write("No notes yet.")
    st.stop()
rows = pd.DataFrame(
    [
        {
            "Date": n.noted_on,
            "Note": n.text,
            "Author": n.author,
            "Shared with funders": "yes" if n.shared else "no",
        }
        for n in reversed(notes)
    ]
)
st.dataframe(
    rows,
    hide_index=True,
    column_config={
        "Date": st.column_config.DateColumn("Date", format="D MMM YYYY"),
        "Note": st.column_config.TextColumn("Note", width="large"),
    },
    key="learning_log_table",
)
frame.print_copy(rows, {c: c for c in rows.columns}, "learning_log_notes")

st.subheader("Change or delete a note")
by_id = {n.note_id: n for n in notes}
chosen = st.selectbox(
    "Note",
    list(reversed(list(by_id))),
    format_func=lambda i: f"{by_id[i].noted_on:%-d %b %Y}: {by_id[i].text[:70]}",
    key="learning_log_chosen",
)
current = by_id[chosen]
with st.form(f"learning_log_edit_{chosen}", enter_to_submit=False):
    new_date = st.date_input("Date", value=current.noted_on, format="DD/MM/YYYY")
    new_text = st.text_area("Note", value=current.text, max_chars=learning_log.MAX_NOTE_CHARACTERS)
    new_shared = st.checkbox("Share with funders (in their impact pack)", value=current.shared)
    left, right = st.columns(2)
    save = left.form_submit_button("Save the changes", type="primary")
    delete = right.form_submit_button("Delete the note")
if save or delete:
    with frame.acting():
        try:
            if delete:
                learning_log.remove_note(ctx.db_path, ctx.access.user, chosen)
                message = "The note was deleted."
            else:
                learning_log.save_note(
                    ctx.db_path, ctx.access.user, chosen, new_date, new_text, new_shared
                )
                message = "The note was saved."
        except learning_log.NoteError as exc:
            st.error(f"Nothing was changed: {exc}.")
        else:
            st.session_state["learning_log_message"] = message
            st.rerun()
