"""Data: import files (with a preview first), history, rejected rows, quality, erasure."""

import tempfile
from dataclasses import replace
from pathlib import Path

import pandas as pd
import streamlit as st
from streamlit.errors import StreamlitAPIException

from analysis import (
    admin,
    audit_store,
    catalog,
    clock,
    data_tasks,
    database,
    exports,
    importer,
    profiles,
    readers,
    retention,
    snapshots,
)
from analysis.records import IMPORT_ORDER, template_csv
from pages import frame, recovery


def _show(bar: "st.delta_generator.DeltaGenerator", done: int, total: int, name: str) -> None:
    """The import's progress bar (the importer's callback returns nothing)."""
    bar.progress(done / total, text=frame.plain(f"Imported {name} ({done} of {total})"))


MAP_MYSELF = "Map the columns myself"
PMM_SESSIONS = "salesforce-pmm-sessions"

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
                "Remove every demo record (mentors, sessions, attendance, assessments, "
                "milestones and conduct observations marked as demo)? Your own records are not touched. The records as "
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
    profile_labels: dict[str, str | None] = {
        "Work it out from the header": None,
        MAP_MYSELF: MAP_MYSELF,
    } | {name: name for name in frame.load_catalog(ctx, catalog.profile_names)}
    chosen_profile = st.selectbox(
        "Mapping profile",
        list(profile_labels),
        key="import_profile",
        help="A file in another system's columns (a Salesforce export, a sign-in sheet, an "
        "attendance grid) is read through a mapping profile. A saved profile is used by itself "
        "when a file has its columns.",
    )
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
        sources = data_tasks.stage_uploads(folder, ((u.name, u.getvalue()) for u in uploads))
        profile_choice = profile_labels[chosen_profile]
        chosen_mapping = profile_choice == MAP_MYSELF
        mapping_step = chosen_mapping
        to_map = sources[0]
        preview = importer.ImportResult(False, [], None)
        if not chosen_mapping:
            with frame.acting():
                preview = importer.import_files(
                    ctx.db_path,
                    sources,
                    record_type=type_labels[chosen_type],
                    user=user,
                    dry_run=True,
                    profile=profile_choice,
                )
            if not preview.landed and preview.unmapped:
                # A file no record type fits (a grid, another system's export) is not a dead
                # end: the mapping step reads it, and the other files are read as they are.
                mapping_step = True
                to_map = next(s for s in sources if s.name == preview.unmapped[0])
        if mapping_step:
            st.subheader("Map the file's columns")
            if not chosen_mapping:
                others = len(preview.unmapped) - 1
                st.info(
                    frame.plain(
                        f"{to_map.name} fits none of the dashboard's record types: say here how "
                        "to read it."
                        + (
                            f" The other {len(sources) - 1} file(s) are read as they are."
                            if len(sources) > 1
                            else ""
                        )
                        + (
                            f" {others} more file(s) need a mapping after this one."
                            if others
                            else ""
                        )
                    ),
                    icon=":material/table_view:",
                )
            st.write(
                "This file's columns are not the dashboard's. Say which of its columns holds "
                "what (the guesses are a start), what its values mean, and check the first rows "
                "as they will be read. Save the mapping as a profile and the next file with the "
                "same columns is read without asking."
            )
            with frame.acting():
                try:
                    sheets = importer.file_columns(to_map)
                except readers.FileRefused as exc:
                    st.error(f"The file cannot be read: {frame.plain(exc)}")
                    st.stop()
            first = sheets[0]
            shapes = [(s.sheet, s.headers, s.values) for s in sheets]
            if len(sheets) > 1:
                st.caption(
                    f"The workbook has {len(sheets)} sheets with records; the mapping is made on "
                    "the first and read every sheet."
                )
            NOT_THERE, FIXED, JOINED = (
                "(not in the file)",
                "(the same value on every row)",
                ("(a date column and a time column)"),
            )
            forms = [
                "a table: one record per row",
                "an attendance grid: mentors down, dates across",
            ]
            looks_like = profiles.likely_form([(h, v) for _, h, v in shapes])
            form_choice = st.radio(
                "The file is",
                forms,
                index=1 if looks_like == "grid" else 0,
                key=f"map_form_{to_map.name}",
                help="Chosen from the file's shape: a column of codes and columns headed by "
                "dates, with short marks in the cells, is an attendance grid.",
            )
            profile_name = st.session_state.get("map_profile_name", "").strip()
            definition: dict[str, object] = {"name": profile_name or "new mapping"}
            if form_choice.startswith("an attendance grid"):
                definition |= {"record_type": "register", "form": "grid"}
                start = profiles.grid_start(
                    to_map.name, shapes, frame.load_catalog(ctx, catalog.typical_minutes)
                )
                type_codes = profiles.code_choices("session_type")
                guessed_type = start.get("session_type")
                chosen_type_code = st.selectbox(
                    "Session type",
                    type_codes,
                    index=type_codes.index(guessed_type) if guessed_type in type_codes else None,
                    placeholder="Choose the sessions' type",
                    key="map_grid_type",
                    help="Guessed from the file's and sheets' names where they say it.",
                )
                grid: dict[str, object] = {
                    "mentor_column": st.selectbox(
                        "The column of mentor codes",
                        first.headers,
                        index=first.headers.index(start["mentor_column"])
                        if start["mentor_column"] in first.headers
                        else 0,
                        key="map_grid_mentor",
                    ),
                    "start_time": st.text_input(
                        "Start time (when a column's heading has none)",
                        start.get("start_time", "10:00"),
                        key="map_grid_start",
                        help="From the column headings' times where they have them.",
                    ),
                }
                if chosen_type_code:
                    grid["session_type"] = chosen_type_code
                minutes = st.number_input(
                    "Duration (minutes)",
                    1,
                    1440,
                    start.get("duration_minutes"),
                    key="map_grid_minutes",
                    placeholder="The file does not say: how long is a session?",
                    help="From the file where it says (a heading's time range such as "
                    "10:00-15:00, or a duration), else the programme's own sessions of this type.",
                )
                if minutes is not None:
                    grid["duration_minutes"] = int(minutes)
                staff = st.text_input("Staff code (optional)", key="map_grid_staff").strip()
                if staff:
                    grid["staff_id"] = staff
                definition["grid"] = grid
                if not chosen_type_code or minutes is None:
                    st.info(
                        "The file does not say "
                        + " or ".join(
                            w
                            for w, missing in (
                                ("the session type", not chosen_type_code),
                                ("how long a session is", minutes is None),
                            )
                            if missing
                        )
                        + ": give it above to see the first rows as they will be read.",
                        icon=":material/edit:",
                    )
                    st.stop()
                marks = [
                    str(m)
                    for m in start["marks"]
                    if grid["mentor_column"] == start["mentor_column"]
                ] or sorted(
                    {
                        v.strip()
                        for h in first.headers
                        if h != grid["mentor_column"]
                        for v in first.values.get(h, [])
                    }
                )
                unknown_marks = profiles.unknown_marks(marks)
                mark_values: dict[str, str] = {}
                if unknown_marks:
                    st.write("**Marks the dashboard does not know**: what does each mean?")
                for n, mark in enumerate(unknown_marks[:30]):
                    meaning = st.selectbox(
                        f"Mark {frame.plain(mark)}",
                        ["(not a mark: reject the cell)", *profiles.code_choices("attendance")],
                        key=f"map_mark_{n}",
                    )
                    if not meaning.startswith("("):
                        mark_values[mark] = meaning
                if mark_values:
                    definition["values"] = {"attendance": mark_values}
            else:
                type_names = [n for n in IMPORT_ORDER]
                guesses_by_type = {n: profiles.guess_columns(n, first.headers) for n in type_names}
                best = max(
                    type_names,
                    key=lambda n: sum(
                        c in guesses_by_type[n] for c in profiles.Profile("x", n).rtype.required
                    ),
                )
                record_type = st.selectbox(
                    "The file holds",
                    type_names,
                    index=type_names.index(best),
                    format_func=lambda n: n.replace("_", " "),
                    key="map_type",
                )
                definition["record_type"] = record_type
                rtype_columns = profiles.Profile("x", record_type).rtype.columns
                guesses = guesses_by_type[record_type]
                sources_of: dict[str, object] = {}
                fixed: dict[str, str] = {}
                values: dict[str, dict[str, str]] = {}
                for col in rtype_columns:
                    if record_type == "register" and col.name == "session_id":
                        continue
                    options = [NOT_THERE, FIXED, *first.headers]
                    if col.kind == "datetime":
                        options.insert(2, JOINED)
                    guess = guesses.get(col.name)
                    source = st.selectbox(
                        f"{col.name}{' (required)' if col.required else ''}",
                        options,
                        index=options.index(guess) if guess in options else 0,
                        key=f"map_col_{record_type}_{col.name}",
                    )
                    if source == FIXED:
                        if col.kind in ("enum", "stage"):
                            value = st.selectbox(
                                f"{col.name} for every row",
                                profiles.code_choices(col.name),
                                key=f"map_fixed_{record_type}_{col.name}",
                            )
                        else:
                            value = st.text_input(
                                f"{col.name} for every row",
                                key=f"map_fixed_{record_type}_{col.name}",
                            )
                        if value.strip():
                            fixed[col.name] = value.strip()
                    elif source == JOINED:
                        day_col, time_col = st.columns(2)
                        day_guess, time_guess = profiles.guess_date_and_time(first.headers)
                        sources_of[col.name] = {
                            "date": day_col.selectbox(
                                "the date column",
                                first.headers,
                                index=first.headers.index(day_guess),
                                key=f"map_date_{record_type}_{col.name}",
                            ),
                            "time": time_col.selectbox(
                                "the time column",
                                first.headers,
                                index=first.headers.index(time_guess),
                                key=f"map_time_{record_type}_{col.name}",
                            ),
                        }
                    elif source != NOT_THERE:
                        sources_of[col.name] = source
                        if col.kind in ("enum", "stage"):
                            seen = first.values.get(source, [])
                            unknown = [v for v in seen if profiles.code_for(col.name, v) is None]
                            mapped: dict[str, str] = {}
                            for n, theirs in enumerate(unknown[:30]):
                                guess_code = profiles.guess_value(col.name, theirs)
                                choices = ["(not known: reject the row)"]
                                choices += profiles.code_choices(col.name)
                                meaning = st.selectbox(
                                    f"{col.name}: the file's {frame.plain(repr(theirs))} means",
                                    choices,
                                    index=choices.index(guess_code) if guess_code in choices else 0,
                                    key=f"map_val_{record_type}_{col.name}_{n}",
                                )
                                if not meaning.startswith("("):
                                    mapped[theirs] = meaning
                            if mapped:
                                values[col.name] = mapped
                definition |= {"columns": sources_of, "fixed": fixed, "values": values}
            try:
                draft = profiles.parse(definition)
            except profiles.ProfileError as exc:
                st.error(f"The mapping is not complete: {frame.plain(exc)}")
                st.stop()
            # Chosen by the user, the mapping reads every file; found for one file, that one.
            mapped_sources = (
                sources
                if chosen_mapping
                else [replace(s, profile=draft) if s is to_map else s for s in sources]
            )
            peek: dict[str, list[dict[str, object]]] = {}
            with frame.acting():
                preview = importer.import_files(
                    ctx.db_path,
                    mapped_sources,
                    user=user,
                    dry_run=True,
                    profile=draft if chosen_mapping else None,
                    peek=peek,
                )
            if not preview.landed:
                st.error(f"Nothing can be imported with this mapping: {frame.plain(preview.error)}")
                st.stop()
            st.write("**The first rows as they will be read:**")
            peeked = [
                w for w in peek if w == to_map.name or w.startswith(f'{to_map.name}, sheet "')
            ] or list(peek)
            shown_where = peeked[0]
            if len(peeked) > 1:
                shown_where = st.selectbox(
                    "Sheet",
                    peeked,
                    key="map_peek_sheet",
                    help="One sheet at a time; every sheet is read.",
                )
                st.caption(f"One sheet of {len(peeked)}: {len(peeked) - 1} more in the list.")
            st.text(shown_where)
            first_rows = pd.DataFrame(peek[shown_where])
            # A blank reads blank, never "None".
            st.dataframe(first_rows.astype(object).where(first_rows.notna(), ""), hide_index=True)
            name_col, save_col = st.columns([3, 1])
            profile_name = name_col.text_input(
                "Save this mapping as a profile named", key="map_profile_name"
            ).strip()
            save_col.button(
                "Save profile",
                disabled=not profile_name,
                on_click=st.session_state.__setitem__,
                args=("data_action", "save profile"),
            )
            if st.session_state.get("data_action") == "save profile" and profile_name:
                del st.session_state["data_action"]
                named = profiles.parse(definition | {"name": profile_name})
                with frame.acting():
                    try:
                        admin.save_profile(ctx.db_path, named, user)
                    except profiles.ProfileError as exc:
                        st.error(frame.plain(exc))
                        st.stop()
                st.session_state["data_message"] = (
                    f"Saved the mapping profile {profile_name!r}: files with these "
                    "columns are "
                    "now read with it."
                )
                st.rerun()
        if not preview.landed and not mapping_step:
            st.error(frame.plain(f"Nothing can be imported: {preview.error}"))
        elif preview.landed:
            st.write("**Before anything lands**, this is what the import would do:")
            st.dataframe(
                pd.DataFrame([f.summary() for f in preview.files]),
                hide_index=True,
            )
            # Salesforce has no session types of ours: asked once, kept as a profile that
            # extends the built-in one (a file it fits is then read with it).
            pmm_sessions = [
                source
                for source in sources
                if any(f.file == source.name and f.profile == PMM_SESSIONS for f in preview.files)
            ]
            if pmm_sessions:
                st.warning(
                    "Salesforce has no session types of ours. Say once what each service "
                    "schedule is: it is saved as a profile and used for every later export."
                )
                with frame.acting():
                    schedules = importer.file_columns(pmm_sessions[0])[0].values.get(
                        "pmdm__ServiceSchedule__c", []
                    )
                session_types: dict[str, str] = {}
                for n, schedule in enumerate(schedules[:30]):
                    meaning = st.selectbox(
                        f"Service schedule {frame.plain(schedule)} is",
                        ["(choose)", *profiles.code_choices("session_type")],
                        key=f"pmm_type_{n}",
                    )
                    if meaning != "(choose)":
                        session_types[schedule] = meaning
                pmm_name = st.text_input(
                    "Save as the profile named", "our Salesforce sessions", key="pmm_profile_name"
                ).strip()
                st.button(
                    "Save the session types",
                    disabled=not pmm_name or len(session_types) < len(schedules[:30]),
                    on_click=st.session_state.__setitem__,
                    args=("data_action", "save pmm types"),
                )
                if st.session_state.get("data_action") == "save pmm types":
                    del st.session_state["data_action"]
                    with frame.acting():
                        try:
                            admin.save_profile(
                                ctx.db_path,
                                profiles.parse(
                                    {
                                        "name": pmm_name,
                                        "record_type": "sessions",
                                        "extends": PMM_SESSIONS,
                                        "values": {"session_type": session_types},
                                    }
                                ),
                                user,
                            )
                        except profiles.ProfileError as exc:
                            st.error(frame.plain(exc))
                            st.stop()
                    st.rerun()
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
                    if mapping_step and profile_name:
                        # The mapping is kept under the name given, and the import log names it.
                        try:
                            admin.save_profile(ctx.db_path, draft, user)
                        except profiles.ProfileError as exc:
                            st.error(frame.plain(exc))
                            st.stop()
                    result = importer.import_files(
                        ctx.db_path,
                        mapped_sources if mapping_step else sources,
                        record_type=None if mapping_step else type_labels[chosen_type],
                        profile=(draft if chosen_mapping else None)
                        if mapping_step
                        else profile_choice,
                        user=user,
                        progress=lambda done, total, name: _show(bar, done, total, name),
                    )
                if result.landed:
                    st.session_state["data_message"] = "Imported: " + "; ".join(
                        f"{f.file}{'' if f.sheet is None else f' (sheet {f.sheet})'}: "
                        f"{f.inserted:,} new, {f.updated:,} updated, "
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
    per_row = 4  # wide enough that every record type's name is read whole
    columns = [c for start in range(0, len(IMPORT_ORDER), per_row) for c in st.columns(per_row)]
    for column, name in zip(columns, IMPORT_ORDER, strict=False):
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
    counts = frame.load_catalog(ctx, catalog.rejected_status_counts)
    open_col, resolved_col, dismissed_col = st.columns(3)
    open_col.metric("Open", f"{counts['open']:,}")
    resolved_col.metric(
        "Resolved",
        f"{counts['resolved']:,}",
        help=("Imported since: corrected here, re-checked, or their key landed in a later import."),
    )
    dismissed_col.metric("Dismissed", f"{counts['dismissed']:,}", help="Closed with a reason.")
    rejected_files = frame.load_catalog(ctx, catalog.rejected_files)
    if not rejected_files:
        st.success("No rejected rows are waiting.")
    else:
        st.write(
            f"{counts['open']:,} row(s) were not imported. Correct them in the table below and "
            "save, or download a file's rejected rows in its own columns, correct them in a "
            "spreadsheet and import that file as it is. After importing the mentors or sessions "
            "they refer to, re-check them. A row whose record arrives in a later import is "
            "resolved by itself."
        )
        file_labels = [
            f"{f['file']}"
            + (f" (sheet {f['sheet']})" if f["sheet"] is not None else "")
            + f": {f['open']:,} open"
            for f in rejected_files
        ]
        picked = st.selectbox(
            "File",
            range(len(rejected_files)),
            format_func=file_labels.__getitem__,
            key="rejected_file",
        )
        chosen_file = rejected_files[picked]
        rows = frame.load_catalog(
            ctx, catalog.rejected_of_file, file=chosen_file["file"], sheet=chosen_file["sheet"]
        )
        value_columns = [c for c in rows.columns if c not in ("id", "row", "reasons")]
        st.caption(
            "Correct the values in place (the file's own columns), then save: the corrected "
            "rows are checked again, and those that pass are imported."
        )
        # Why each row was rejected comes first (what to correct), and a blank cell is blank,
        # never "None".
        shown_rows = rows.astype(object).where(rows.notna(), "")
        edited = st.data_editor(
            shown_rows,
            disabled=["id", "row", "reasons"],
            hide_index=True,
            key=f"rejected_editor_{picked}_{ctx.version}",
            column_order=["reasons", "row", *value_columns, "id"],
            column_config={
                "reasons": st.column_config.TextColumn("Why it was rejected", width="large"),
                **{c: st.column_config.TextColumn(c) for c in value_columns},
            },
        )
        corrections = data_tasks.corrections(
            rows.to_dict("records"), edited.to_dict("records"), value_columns
        )
        save_col, download_col, recheck_col = st.columns(3)
        save_col.button(
            f"Save {len(corrections)} correction(s) and re-check",
            type="primary",
            disabled=not corrections,
            on_click=st.session_state.__setitem__,
            args=("data_action", "correct"),
        )
        stem = Path(chosen_file["file"]).stem or "file"
        sheet_part = f"-{chosen_file['sheet']}" if chosen_file["sheet"] is not None else ""
        download_col.download_button(
            "Download these rows (CSV: why, then the file's own columns)",
            data=frame.on_click(
                ctx,
                f"{stem}{sheet_part}-rejected.csv",
                lambda con: exports.rejected_file_csv(
                    catalog.rejected_of_file(
                        con,
                        ctx.scope,
                        ctx.settings,
                        file=chosen_file["file"],
                        sheet=chosen_file["sheet"],
                    )
                ),
            ),
            file_name=f"{stem}{sheet_part}-rejected.csv",
            mime="text/csv",
        )
        recheck_col.button(
            "Re-check rejected rows",
            icon=":material/refresh:",
            on_click=st.session_state.__setitem__,
            args=("data_action", "re-check"),
        )
        if st.session_state.get("data_action") == "correct" and corrections:
            del st.session_state["data_action"]
            with frame.acting():
                result = importer.recheck_rejected(
                    ctx.db_path,
                    user=user,
                    rejected_ids=list(corrections),
                    corrections=corrections,
                )
            accepted = sum(f.inserted + f.updated + f.unchanged for f in result.files)
            still = sum(f.rejected for f in result.files)
            st.session_state["rejected_message"] = (
                f"Saved: {accepted:,} corrected row(s) imported, {still:,} still rejected."
            )
            st.rerun()
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
        with st.expander("Dismiss rows that will not be imported"):
            to_dismiss = st.multiselect(
                "Rows of this file",
                rows["id"].tolist(),
                format_func=lambda rid: f"row {int(rows.loc[rows['id'] == rid, 'row'].iloc[0])}",
                key=f"dismiss_rows_{picked}",
            )
            why = st.text_input("Why (kept in the audit log)", key="dismiss_reason").strip()
            st.button(
                "Dismiss",
                disabled=not to_dismiss or not why,
                on_click=st.session_state.__setitem__,
                args=("data_action", "dismiss"),
            )
            if st.session_state.get("data_action") == "dismiss" and to_dismiss and why:
                del st.session_state["data_action"]
                with frame.acting():
                    done = importer.dismiss_rejected(ctx.db_path, to_dismiss, why, user)
                st.session_state["rejected_message"] = f"Dismissed {done:,} row(s)."
                st.rerun()
    if counts["resolved"] or counts["dismissed"]:
        with st.expander("Resolved and dismissed rows"):
            st.dataframe(frame.load_catalog(ctx, catalog.rejected_history), hide_index=True)

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
            frame.load_catalog(ctx, catalog.audit_log), audit_store.frame(ctx.db_path, limit=200)
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
        "milestones, funding, conduct observations and any rejected rows that name them. It cannot be undone here; it is "
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

    st.subheader("Records older than the retention rule")
    years = ctx.settings.retention_years
    if years is None:
        st.caption(
            "No retention rule is set: add retention_years to the settings file to erase the "
            "records of mentors who left more than that many years ago (docs/DATA.md, 'Keeping "
            "records no longer than needed')."
        )
    else:
        try:
            due = retention.due(frame.connection(ctx.db_path), years, clock.today())
        except database.DatabaseBusy:
            frame.busy()
        st.write(due.sentence())
        if due.count:
            sure = st.checkbox(
                f"Erase the records of these {due.count:,} mentors for good",
                key="retention_confirm",
            )
            st.button(
                "Erase records older than the rule",
                type="primary",
                disabled=not sure,
                on_click=st.session_state.__setitem__,
                args=("data_action", "retention"),
            )
        if st.session_state.get("data_action") == "retention" and st.session_state.get(
            "retention_confirm"
        ):
            del st.session_state["data_action"]
            with frame.acting():
                erased = retention.apply(ctx.db_path, years, user)
            st.success(erased.sentence(applied=True))
