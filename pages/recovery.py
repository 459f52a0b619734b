"""Recovery a manager can do without the command line: undo the last import, restore one of
the last five snapshots, and (when the database cannot be opened) restore the newest good one.

Every restore asks first, keeps the current state as a snapshot (so it can itself be undone)
and writes an audit entry. Used by the Data page and by the frame when the file is damaged.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from analysis import database, snapshots

PENDING = "recovery_pending"
MESSAGE = "recovery_message"
CONFIRMED = "recovery_confirmed"


def _when(snap: snapshots.Snapshot) -> str:
    return snap.taken_at.strftime("%d %b %Y, %H:%M:%S UTC")


def _ask(name: str, question: str) -> None:
    st.session_state[PENDING] = (name, question)


def _confirm_area(db_path: str, user: str, key: str) -> None:
    """The question waiting for an answer, with its two buttons; the restore on "Yes"."""
    confirmed = st.session_state.pop(CONFIRMED, None)
    if confirmed:
        try:
            done = snapshots.restore(db_path, confirmed, user=user)
        except database.DatabaseError as exc:
            st.error(f"Nothing was restored: {exc}")
            return
        saved = (
            f" The records as they were just before are kept as {done.saved.name}."
            if done.saved
            else ""
        )
        st.session_state[MESSAGE] = (
            f"Restored the records as they were at {_when(done.snapshot)}, before "
            f"{snapshots.after_what(done.snapshot)}.{saved} This is in the audit log."
        )
        st.rerun()
    pending = st.session_state.get(PENDING)
    if not pending:
        return
    name, question = pending
    with st.container(border=True):
        st.warning(question, icon=":material/help:")
        yes, no = st.columns(2)
        yes.button(
            "Yes, restore it", type="primary", key=f"{key}_yes", on_click=_answer, args=(name,)
        )
        no.button("Cancel", key=f"{key}_cancel", on_click=_answer, args=(None,))


def _answer(name: str | None) -> None:
    st.session_state.pop(PENDING, None)
    if name is not None:
        st.session_state[CONFIRMED] = name


def undo_panel(db_path: str, user: str) -> None:
    """The Data page's tab: undo the last import, or restore any of the last five snapshots."""
    if MESSAGE in st.session_state:
        st.success(st.session_state.pop(MESSAGE))
    found = list(reversed(snapshots.list_snapshots(db_path)))[: snapshots.KEEP]
    st.write(
        "Before every import, re-check, restore and removal of the demo, the records are kept as "
        f"a snapshot; the last {snapshots.KEEP} are kept. Restoring one puts those records back "
        "for everyone. The records as they are now are kept as a snapshot first, so a restore "
        "can itself be undone."
    )
    last_import = snapshots.last_before(db_path, "import")
    if last_import is None:
        st.caption("No import has been kept to undo yet.")
    else:
        later = [s for s in found if s.taken_at > last_import.taken_at]
        also = f" {len(later)} later change(s) are undone with it." if later else ""
        st.button(
            "Undo the last import",
            icon=":material/undo:",
            key="undo_last_import",
            on_click=_ask,
            args=(
                last_import.name,
                f"Undo the last import? The records go back to how they were at "
                f"{_when(last_import)}, just before it.{also}",
            ),
        )
    if not found:
        return
    st.dataframe(
        pd.DataFrame(
            {
                "taken": [_when(s) for s in found],
                "kept before": [snapshots.after_what(s) for s in found],
                "size (MB)": [round(s.size / (1024 * 1024), 1) for s in found],
                "name": [s.name for s in found],
            }
        ),
        hide_index=True,
    )
    # The number makes every label unique: snapshots taken within one second share a time.
    labels = {f"No. {s.number}: {_when(s)} (before {snapshots.after_what(s)})": s for s in found}
    chosen = st.selectbox("Snapshot to restore", list(labels), key="restore_choice")
    snap = labels[chosen]
    st.button(
        "Restore this snapshot",
        icon=":material/restore:",
        key="restore_snapshot",
        on_click=_ask,
        args=(
            snap.name,
            f"Restore the records as they were at {_when(snap)}, before "
            f"{snapshots.after_what(snap)}? Everything changed since then is undone for everyone.",
        ),
    )
    _confirm_area(db_path, user, "undo")


def damaged_view(
    db_path: str, problem: database.DatabaseError, is_manager: bool, user: str
) -> None:
    """The page shown when the database cannot be opened: one sentence, and the way back."""
    st.title("Data")
    if not is_manager:
        st.error(
            "The records cannot be shown right now: the database needs the programme manager's "
            "attention. Nothing has been lost or changed."
        )
        return
    st.error(f"Nothing can be shown: {problem}.", icon=":material/error:")
    if not isinstance(problem, database.DatabaseDamaged):
        return
    if MESSAGE in st.session_state:
        st.success(st.session_state.pop(MESSAGE))
    good = snapshots.newest_good(db_path)
    if good is None:
        st.write(
            "There is no good snapshot to restore. Restore the latest backup "
            "(`python -m analysis restore --from-backup DIR`, see docs/OPERATIONS.md)."
        )
        return
    st.write(
        f"The newest good snapshot was taken at {_when(good)}, before "
        f"{snapshots.after_what(good)}. Restoring it keeps the damaged file as a snapshot too."
    )
    st.button(
        "Restore the newest good snapshot",
        type="primary",
        icon=":material/restore:",
        key="restore_good",
        on_click=_ask,
        args=(
            good.name,
            f"Restore the records as they were at {_when(good)}? Changes made after that are "
            "not in this snapshot.",
        ),
    )
    _confirm_area(db_path, user, "damaged")
