"""Data: import files (with a preview first), history, rejected rows, quality, erasure."""

import tempfile
from pathlib import Path

import pandas as pd
import streamlit as st
from streamlit.errors import StreamlitAPIException

from analysis import admin, audit_store, catalog, clock, exports, importer, snapshots
from analysis.records import IMPORT_ORDER, template_csv
from pages import frame, recovery


def _show(bar: "st.delta_generator.DeltaGenerator", done: int, total: int, name: str) -> None:
    """The import's progress bar (the importer's callback returns nothing)."""
    bar.progress(done / total, text=f"Imported {name} ({done} of {total})")


ctx = frame.require(frame.MANAGER)
user = ctx.access.user
st.title("Data")
st.caption(
    "Import the programme's exports, see what happened to every row, and keep the records "
    "clean. The import rules are on the How we count page and in docs/DATA.md."
)

note = snapshots.leftover_log_note(ctx.db_path)
if note:
    st.warning(note[0].upper() + note[1:] + ".", icon=":material/warning:")

if ctx.has_demo:
    with st.container(border=True):
        st.subheader("Demo data")
        st.write(
            "The records now shown are a made-up demo programme. Remove them before importing "
            "your own, so the figures are yours alone."
        )
        st.button(
            "Remove demo data",
            icon=":material/delete:",
            on_click=st.session_state.__setitem__,
            args=("data_action", "ask remove demo"),
        )
        if st.session_state.get("data_action") == "ask remove demo":
            st.warning(
                "Remove every demo record (mentors, sessions, attendance, assessments and "
                "milestones marked as demo)? Your own records are not touched. The records as "
                "they are now are kept as a snapshot, so you can undo this under "
                "*Undo and snapshots*.",
                icon=":material/help:",
            )
            yes, no = st.columns(2)
            yes.button(
                "Yes, remove the demo data",
                type="primary",
                key="remove_demo_yes",
                on_click=st.session_state.__setitem__,
                args=("data_action", "remove demo"),
            )
            no.button(
                "Cancel",
                key="remove_demo_cancel",
                on_click=st.session_state.pop,
                args=("data_action", None),
            )
        if st.session_state.get("data_action") == "remove demo":
            del st.session_state["data_action"]
            with frame.acting():
                counts = admin.remove_demo(ctx.db_path, user)
            st.session_state["data_message"] = (
                f"Removed {sum(counts.values()):,} demo records. Changed your mind? Restore the "
                "snapshot kept before removing the demo data, under Undo and snapshots."
            )
            st.rerun()

tab_import, tab_rejected, tab_quality, tab_history, tab_undo, tab_erase = st.tabs(
    [
        "Import",
        "Rejected rows",
        "Data quality",
        "History and audit",
        "Undo and snapshots",
        "Erase a mentor",
    ]
)

with tab_import:
    st.subheader("Import files")
    if "data_message" in st.session_state:
        st.success(frame.plain(st.session_state.pop("data_message")))
    type_labels = {"Work it out from the header": None} | {
        name.replace("_", " ").capitalize(): name for name in IMPORT_ORDER
    }
    chosen_type = st.selectbox("Record type", list(type_labels), key="import_type")
    try:
        uploads = st.file_uploader(
            "CSV or Excel (.xlsx) files: one or several, imported together in one go",
            type=["csv", "xlsx"],
            accept_multiple_files=True,
            key=f"import_files_{st.session_state.get('upload_round', 0)}",
        )
    except StreamlitAPIException as exc:  # a name Streamlit refuses (a NUL byte in it)
        st.session_state["upload_round"] = st.session_state.get("upload_round", 0) + 1
        st.session_state["upload_refused"] = (
            f"That file was not read: {exc} Rename it and try again."
        )
        st.rerun()
    if "upload_refused" in st.session_state:
        st.error(frame.plain(st.session_state.pop("upload_refused")))
    if uploads:
        # Uploaded records live on disk only for this run: the folder goes with the object.
        upload_dir = tempfile.TemporaryDirectory(prefix="pm-upload-")
        folder = Path(upload_dir.name)
        sources: list[importer.ImportSource] = []
        for upload in uploads:
            name = Path(upload.name).name or "upload.csv"
            # On disk by number: a name may be too long for the file system, or odd.
            suffix = ".xlsx" if name.lower().endswith(".xlsx") else ".csv"
            path = folder / f"{len(sources)}{suffix}"
            path.write_bytes(upload.getvalue())
            sources.append(importer.ImportSource(path, name))
        with frame.acting():
            preview = importer.import_files(
                ctx.db_path, sources, record_type=type_labels[chosen_type], user=user, dry_run=True
            )
        if not preview.landed:
            st.error(frame.plain(f"Nothing can be imported: {preview.error}"))
        else:
            st.write("**Before anything lands**, this is what the import would do:")
            st.dataframe(
                pd.DataFrame([f.summary() for f in preview.files]),
                hide_index=True,
            )
            for report in preview.files:
                for note in report.notes:
                    st.caption(frame.plain(note))
                if report.rejected_rows:
                    label = f"{report.file}: {report.rejected} row(s) would be rejected"
                    with st.expander(frame.plain(label)):
                        st.dataframe(
                            pd.DataFrame(
                                [
                                    {"row": r["row"], "reasons": "; ".join(r["reasons"])}  # type: ignore[arg-type]
                                    for r in report.rejected_rows
                                ]
                            ),
                            hide_index=True,
                        )
                if report.warning_messages:
                    with st.expander(frame.plain(f"{report.file}: {report.warnings} warning(s)")):
                        st.dataframe(
                            pd.DataFrame({"warning": report.warning_messages}),
                            hide_index=True,
                        )
            st.button(
                "Import these files",
                type="primary",
                icon=":material/upload:",
                on_click=st.session_state.__setitem__,
                args=("data_action", "import"),
            )
            if st.session_state.get("data_action") == "import":
                del st.session_state["data_action"]
                bar = st.progress(0.0, text="Importing…")
                with frame.acting():
                    result = importer.import_files(
                        ctx.db_path,
                        sources,
                        record_type=type_labels[chosen_type],
                        user=user,
                        progress=lambda done, total, name: _show(bar, done, total, name),
                    )
                if result.landed:
                    st.session_state["data_message"] = "Imported: " + "; ".join(
                        f"{f.file}: {f.inserted:,} new, {f.updated:,} updated, "
                        f"{f.unchanged:,} unchanged, {f.rejected:,} rejected"
                        for f in result.files
                    )
                    # A fresh, empty uploader; the figures everywhere show the new records.
                    st.session_state["upload_round"] = st.session_state.get("upload_round", 0) + 1
                    st.rerun()
                else:
                    st.error(frame.plain(f"Nothing was imported: {result.error}"))

    st.subheader("Templates")
    st.caption("A CSV with the right columns and one example row for each record type.")
    columns = st.columns(len(IMPORT_ORDER))
    for column, name in zip(columns, IMPORT_ORDER, strict=True):
        column.download_button(
            name.replace("_", " ").capitalize(),
            data=template_csv(name),
            file_name=f"{name}_template.csv",
            mime="text/csv",
            key=f"template_{name}",
        )

with tab_rejected:
    st.subheader("Rejected rows")
    if "rejected_message" in st.session_state:
        st.success(st.session_state.pop("rejected_message"))
    rejected = frame.load_catalog(ctx, catalog.rejected_rows)
    total_rejected = frame.load_catalog(ctx, catalog.rejected_count)
    if rejected.empty:
        st.success("No rejected rows are waiting.")
    else:
        st.write(
            f"{total_rejected:,} row(s) were not imported. Download them, correct them, and "
            "import the corrected file, or re-check them after importing the mentors or sessions "
            "they refer to."
        )
        st.dataframe(
            rejected.drop(columns=["original_values"]),
            hide_index=True,
        )
        st.download_button(
            "Download rejected rows (CSV)",
            data=frame.on_click(
                ctx,
                "rejected_rows.csv",
                lambda con: exports.frame_to_csv(
                    exports.rejected_for_download(
                        catalog.rejected_rows(con, ctx.scope, ctx.settings)
                    )
                ),
            ),
            file_name="rejected_rows.csv",
            mime="text/csv",
        )
        st.button(
            "Re-check rejected rows",
            icon=":material/refresh:",
            on_click=st.session_state.__setitem__,
            args=("data_action", "re-check"),
        )
        if st.session_state.get("data_action") == "re-check":
            del st.session_state["data_action"]
            with frame.acting():
                result = importer.recheck_rejected(ctx.db_path, user=user)
            accepted = sum(f.inserted + f.updated + f.unchanged for f in result.files)
            still = sum(f.rejected for f in result.files)
            st.session_state["rejected_message"] = (
                f"Re-checked: {accepted:,} row(s) now imported, {still:,} still rejected."
            )
            st.rerun()

with tab_quality:
    st.subheader("Data quality")
    st.dataframe(
        frame.load_catalog(ctx, catalog.data_quality, today=clock.today()), hide_index=True
    )
    warnings = frame.load_catalog(ctx, catalog.import_warnings)
    if not warnings.empty:
        st.write("**Warnings from imports** (imported as they were; worth a look)")
        st.dataframe(warnings, hide_index=True)

with tab_history:
    st.subheader("Import history")
    st.dataframe(frame.load_catalog(ctx, catalog.import_history), hide_index=True)
    st.subheader("Audit log")
    st.caption(
        "Sign-ins (refused ones too), sign-outs, pages refused, downloads, imports, erasures "
        "and restores, newest first; times in UTC."
    )
    # The light path's entries are read on every run: a sign-in changes no data version.
    st.dataframe(
        catalog.audit_view(
            frame.load_catalog(ctx, catalog.audit_log), audit_store.frame(ctx.db_path)
        ),
        hide_index=True,
    )

with tab_undo:
    st.subheader("Undo and snapshots")
    with frame.acting():
        recovery.undo_panel(ctx.db_path, user)

with tab_erase:
    st.subheader("Erase one mentor's records")
    st.write(
        "On a request to erase, this removes the mentor, their attendance, assessments, "
        "milestones and any rejected rows that name them. It cannot be undone here; it is "
        "written to the audit log (without the code)."
    )
    code = st.text_input("Mentor code", key="erase_code").strip()
    confirm = st.text_input("Type the code again to confirm", key="erase_confirm").strip()
    st.button(
        "Erase this mentor",
        type="primary",
        disabled=not code or code != confirm,
        on_click=st.session_state.__setitem__,
        args=("data_action", "erase"),
    )
    if st.session_state.get("data_action") == "erase" and code and code == confirm:
        del st.session_state["data_action"]
        with frame.acting():
            counts = admin.erase_mentor(ctx.db_path, code, user)
        if sum(counts.values()) == 0:
            st.warning("No records hold that code; nothing was erased.")
        else:
            st.success(
                f"Erased {sum(counts.values()):,} records: "
                + ", ".join(f"{n:,} {table.replace('_', ' ')}" for table, n in counts.items())
                + "."
            )
