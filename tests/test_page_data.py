"""The Data page in AppTest: preview before anything lands, import, rejected rows, re-check,
erasure everywhere, and removing the demo (after asking; undoing it is in test_page_recovery).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest
from streamlit.testing.v1 import AppTest

from analysis import admin
from tests.conftest import DEMO_END, as_shown

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("data-page") / "demo.duckdb"
    assert admin.create_demo(db, mentors=25, end=DEMO_END).landed
    return db


@pytest.fixture
def db(demo_template: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "programme.duckdb"
    shutil.copy(demo_template, copy)
    return copy


def _data_page(db: Path, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    monkeypatch.setenv("DASHBOARD_DB", str(db))
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=90)
    at.run()
    at.switch_page("pages/data.py").run()
    assert not at.exception
    return at


def _count(db: Path, sql: str, *params: object) -> int:
    with duckdb.connect(str(db), read_only=True) as con:
        row = con.execute(sql, list(params)).fetchone()
    assert row is not None
    return int(row[0])


def _texts(at: AppTest) -> str:
    return as_shown(
        "\n".join(
            [str(e.value) for e in (*at.success, *at.error, *at.warning, *at.markdown)]
            + [e.value.to_csv() for e in at.dataframe]
        )
    )


UPLOAD = (
    b"Mentor ID,Cohort,Start date,Status\n"
    b"PM-NEW-1,2026 Q3,01/07/2026,active\n"
    b"PM-NEW-2,,01/07/2026,active\n"
)


def test_an_upload_is_previewed_then_imported_and_its_rejected_row_kept(
    db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = _data_page(db, monkeypatch)
    mentors_before = _count(db, "SELECT count(*) FROM mentors")
    at.file_uploader[0].upload("new_mentors.csv", UPLOAD, "text/csv").run()
    assert not at.exception
    preview = at.dataframe[0].value
    assert preview.loc[0, "file"] == "new_mentors.csv"
    assert (preview.loc[0, "inserted"], preview.loc[0, "rejected"]) == (1, 1)
    assert "cohort is missing" in _texts(at)
    # The preview changed nothing.
    assert _count(db, "SELECT count(*) FROM mentors") == mentors_before

    [b for b in at.button if b.label == "Import these files"][0].click().run()
    assert not at.exception
    assert "new_mentors.csv: 1 new" in _texts(at)
    assert _count(db, "SELECT count(*) FROM mentors") == mentors_before + 1
    assert _count(db, "SELECT count(*) FROM mentors WHERE mentor_id = 'PM-NEW-1'") == 1
    rejected = _count(
        db,
        "SELECT count(*) FROM rejected_rows WHERE file_name = 'new_mentors.csv' AND row_number = 3",
    )
    assert rejected == 1
    assert "cohort is missing" in _texts(at)  # listed on the Rejected rows tab


def test_rejected_rows_are_rechecked_after_the_missing_mentor_arrives(
    db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = _data_page(db, monkeypatch)
    at.file_uploader[0].upload(
        "late_assessment.csv",
        b"mentor_id,assessed_on,stage\nPM-LATER,2026-09-01,3\n",
        "text/csv",
    ).run()
    [b for b in at.button if b.label == "Import these files"][0].click().run()
    assert (
        _count(db, "SELECT count(*) FROM rejected_rows WHERE file_name = 'late_assessment.csv'")
        == 1
    )
    from analysis.importer import ImportSource, import_files

    mentors = db.parent / "mentors.csv"
    mentors.write_text("mentor_id,cohort,start_date,status\nPM-LATER,2026 Q3,2026-08-01,active\n")
    assert import_files(db, [ImportSource.of(mentors)]).landed
    at.run()
    [b for b in at.button if b.label == "Re-check rejected rows"][0].click().run()
    assert not at.exception
    assert "1 row(s) now imported" in _texts(at)
    assert _count(db, "SELECT count(*) FROM stage_assessments WHERE mentor_id = 'PM-LATER'") == 1
    # kept, and closed: the tab counts it as resolved
    assert (
        _count(
            db,
            "SELECT count(*) FROM rejected_rows WHERE file_name = 'late_assessment.csv' "
            "AND status = 'resolved'",
        )
        == 1
    )
    assert _count(db, "SELECT count(*) FROM rejected_rows WHERE status = 'open'") == 0
    assert [m.value for m in at.metric if m.label == "Resolved"] == ["1"]


def test_erasure_removes_the_mentor_everywhere_and_is_audited(
    db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with duckdb.connect(str(db), read_only=True) as con:
        row = con.execute(
            "SELECT mentor_id FROM attendance GROUP BY mentor_id ORDER BY count(*) DESC LIMIT 1"
        ).fetchone()
    assert row is not None
    code = str(row[0])
    at = _data_page(db, monkeypatch)
    erase = [b for b in at.button if b.label == "Erase this mentor"][0]
    assert erase.disabled
    at.text_input(key="erase_code").input(code).run()
    at.text_input(key="erase_confirm").input(code + "x").run()
    assert [b for b in at.button if b.label == "Erase this mentor"][0].disabled
    at.text_input(key="erase_confirm").input(code).run()
    [b for b in at.button if b.label == "Erase this mentor"][0].click().run()
    assert not at.exception
    assert "Erased" in _texts(at)
    for table in ("mentors", "attendance", "stage_assessments", "milestones"):
        assert _count(db, f"SELECT count(*) FROM {table} WHERE mentor_id = ?", code) == 0
    assert _count(db, "SELECT count(*) FROM audit_log WHERE action = 'erase mentor'") == 1
    assert _count(db, "SELECT count(*) FROM audit_log WHERE contains(detail, ?)", code) == 0
    # No page offers the mentor any more.
    at.switch_page("pages/mentor_journey.py").run()
    assert not at.exception
    options = [o for box in at.selectbox for o in box.options]
    assert code not in options


def test_the_demo_is_removed_after_one_question(db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = _data_page(db, monkeypatch)
    assert any("demo data" in str(i.value) for i in at.info)
    [b for b in at.button if b.label == "Remove demo data"][0].click().run()
    assert _count(db, "SELECT count(*) FROM mentors") > 0  # asked, not yet removed
    at.button(key="remove_demo_yes").click().run()
    assert not at.exception
    assert _count(db, "SELECT count(*) FROM mentors") == 0
    assert _count(db, "SELECT count(*) FROM attendance") == 0
    assert not any("demo data" in str(i.value) for i in at.info)


def _upload_and_import(at: AppTest, name: str, data: bytes) -> None:
    at.file_uploader[0].upload(name, data, "text/csv").run()
    assert not at.exception
    [b for b in at.button if b.label == "Import these files"][0].click().run()
    assert not at.exception


def test_a_rejected_row_is_corrected_in_the_table_and_lands(
    db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = _data_page(db, monkeypatch)
    _upload_and_import(
        at,
        "joiners.csv",
        b"Mentor ID,Cohort,Start date,Status\nPM-FIX-1,2026 Q3,31/02/2026,active\n"
        b"PM-FIX-2,2026 Q3,01/07/2026,retired\n",
    )
    assert _count(db, "SELECT count(*) FROM rejected_rows WHERE status = 'open'") == 2
    # the rows are shown in an editable table (AppTest cannot type into one: the browser test
    # does); saving calls recheck_rejected with the edited rows, as below
    editors = [d for d in at.dataframe if d.proto.editing_mode != d.proto.EditingMode.READ_ONLY]
    assert len(editors) == 1
    shown = editors[0].value
    assert list(shown.columns) == [
        "id",
        "row",
        "Mentor ID",
        "Cohort",
        "Start date",
        "Status",
        "reasons",
    ]
    assert shown["row"].tolist() == [2, 3]
    assert [m.value for m in at.metric if m.label == "Open"] == ["2"]
    first = _count(db, "SELECT min(rejected_id) FROM rejected_rows WHERE status = 'open'")
    from analysis.importer import recheck_rejected

    # what the Save button calls with the edited cells
    result = recheck_rejected(
        db,
        user="local",
        rejected_ids=[first],
        corrections={
            first: {
                "Mentor ID": "PM-FIX-1",
                "Cohort": "2026 Q3",
                "Start date": "28/02/2026",
                "Status": "active",
            }
        },
    )
    assert [f.inserted for f in result.files] == [1]
    assert _count(db, "SELECT count(*) FROM mentors WHERE mentor_id = 'PM-FIX-1'") == 1
    assert _count(db, "SELECT count(*) FROM rejected_rows WHERE status = 'resolved'") == 1
    assert _count(db, "SELECT count(*) FROM audit_log WHERE action = 'correction'") == 1
    at.run()
    assert [m.value for m in at.metric if m.label in ("Open", "Resolved")] == ["1", "1"]


def test_a_rejected_row_corrected_in_the_table_is_saved_rechecked_and_resolved(
    db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The page's own Save: the edit state of the table, as the browser sends it."""
    at = _data_page(db, monkeypatch)
    _upload_and_import(
        at,
        "joiners.csv",
        b"Mentor ID,Cohort,Start date,Status\nPM-FIX-1,2026 Q3,31/02/2026,active\n"
        b"PM-FIX-2,2026 Q3,01/07/2026,retired\n",
    )
    last_import = _count(db, "SELECT max(import_id) FROM imports")
    editor = at.data_editor[0]
    assert editor.key is not None
    # row 0 (file row 2) gets a real date; row 1 is left as it was
    at.session_state[editor.key] = {
        "edited_rows": {0: {"Start date": "28/02/2026"}},
        "added_rows": [],
        "deleted_rows": [],
    }
    at.run()
    assert not at.exception
    save = [b for b in at.button if b.label.startswith("Save 1 correction(s)")]
    assert len(save) == 1 and not save[0].disabled
    save[0].click().run()
    assert not at.exception
    assert "Saved: 1 corrected row(s) imported, 0 still rejected." in _texts(at)
    # the correction landed in the published database, as one more import
    assert _count(db, "SELECT count(*) FROM mentors WHERE mentor_id = 'PM-FIX-1'") == 1
    assert _count(db, "SELECT max(import_id) FROM imports") == last_import + 1
    assert (
        _count(
            db,
            "SELECT count(*) FROM rejected_rows WHERE status = 'resolved' AND row_number = 2 "
            "AND closed_by = 'local'",
        )
        == 1
    )
    assert _count(db, "SELECT count(*) FROM rejected_rows WHERE status = 'open'") == 1
    assert _count(db, "SELECT count(*) FROM audit_log WHERE action = 'correction'") == 1
    assert [m.value for m in at.metric if m.label in ("Open", "Resolved")] == ["1", "1"]
    # the table now holds the one row still open, and no edit is pending
    assert at.data_editor[0].value["row"].tolist() == [3]
    assert [b for b in at.button if b.label.startswith("Save 0 correction(s)")][0].disabled


def test_dismissing_a_rejected_row_with_a_reason(db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = _data_page(db, monkeypatch)
    _upload_and_import(
        at, "one.csv", b"Mentor ID,Cohort,Start date,Status\nPM-X,2026 Q3,31/02/2026,active\n"
    )
    at.multiselect(key="dismiss_rows_0").select(
        _count(db, "SELECT min(rejected_id) FROM rejected_rows")
    ).run()
    at.text_input(key="dismiss_reason").input("a test row, never a mentor").run()
    [b for b in at.button if b.label == "Dismiss"][0].click().run()
    assert not at.exception
    assert "Dismissed 1 row(s)." in _texts(at)
    assert _count(db, "SELECT count(*) FROM rejected_rows WHERE status = 'dismissed'") == 1
    assert (
        _count(
            db,
            "SELECT count(*) FROM audit_log WHERE action = 'rejected rows dismissed' "
            "AND contains(detail, 'never a mentor')",
        )
        == 1
    )
    assert [m.value for m in at.metric if m.label == "Dismissed"] == ["1"]
    assert "No rejected rows are waiting." in _texts(at)


FOREIGN = (
    b"Member code,Date,Start,Came?,Branch\n"
    b"PM-MAP-1,03/04/2026,10:00,Came,Leeds\n"
    b"PM-MAP-2,03/04/2026,10:00,Sick,Leeds\n"
    b"PM-MAP-1,10/04/2026,10:00,Asleep,Leeds\n"
)


def test_a_foreign_file_is_mapped_previewed_saved_and_imported(
    db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with duckdb.connect(str(db)) as con:
        for code in ("PM-MAP-1", "PM-MAP-2"):
            con.execute(
                "INSERT INTO mentors (mentor_id, cohort, start_date, status, gender) "
                "VALUES (?, '2026 Q1', '2026-01-05', 'active', 'female')",
                [code],
            )
    at = _data_page(db, monkeypatch)
    at.file_uploader[0].upload("riverside.csv", FOREIGN, "text/csv").run()
    assert not at.exception
    # the header fits no record type: the mapping step opens, with its guesses
    assert any(s.value == "Map the file's columns" for s in at.subheader)
    at.selectbox(key="map_type").select("register").run()
    assert at.selectbox(key="map_col_register_mentor_id").value == "Member code"
    at.selectbox(key="map_col_register_scheduled_start").select(
        "(a date column and a time column)"
    ).run()
    at.selectbox(key="map_date_register_scheduled_start").select("Date")
    at.selectbox(key="map_time_register_scheduled_start").select("Start")
    at.selectbox(key="map_col_register_session_type").select("(the same value on every row)").run()
    at.selectbox(key="map_fixed_register_session_type").select("group_day")
    at.selectbox(key="map_col_register_duration_minutes").select(
        "(the same value on every row)"
    ).run()
    at.text_input(key="map_fixed_register_duration_minutes").input("300")
    at.selectbox(key="map_col_register_attendance").select("Came?").run()
    # the file's values of a code column: Came and Sick are given meanings, Asleep is not
    labels = [as_shown(s.label) for s in at.selectbox if s.key and s.key.startswith("map_val_")]
    assert labels == [
        "attendance: the file's 'Came' means",
        "attendance: the file's 'Sick' means",
        "attendance: the file's 'Asleep' means",
    ]
    at.selectbox(key="map_val_register_attendance_0").select("attended")
    at.selectbox(key="map_val_register_attendance_1").select("notified_absence").run()
    assert not at.exception
    # the first rows as they will be read
    first_rows = [d.value for d in at.dataframe if "outcome" in d.value.columns][0]
    assert first_rows["attendance"].tolist()[:2] == ["attended", "notified_absence"]
    assert first_rows["reasons"].tolist()[2].startswith('attendance: "Asleep" is not one of')
    assert first_rows["outcome"].tolist() == ["accepted", "accepted", "rejected"]
    assert str(first_rows["scheduled_start"][0]).startswith("2026-04-03 10:00")
    # saved as a profile, in the audit log
    at.text_input(key="map_profile_name").input("Riverside sign-in").run()
    [b for b in at.button if b.label == "Save profile"][0].click().run()
    assert not at.exception
    assert _count(db, "SELECT count(*) FROM mapping_profiles WHERE name = 'Riverside sign-in'") == 1
    assert _count(db, "SELECT count(*) FROM audit_log WHERE action = 'profile saved'") == 1
    # the same columns again: read by the saved profile without asking
    at.file_uploader[0].upload("riverside-may.csv", FOREIGN, "text/csv").run()
    assert not at.exception
    preview = at.dataframe[0].value
    assert preview.loc[0, "profile"] == "Riverside sign-in"
    assert (preview.loc[0, "inserted"], preview.loc[0, "rejected"]) == (2, 1)
    [b for b in at.button if b.label == "Import these files"][0].click().run()
    assert not at.exception
    assert _count(db, "SELECT count(*) FROM attendance WHERE mentor_id LIKE 'PM-MAP-%'") == 2
    assert _count(db, "SELECT count(*) FROM import_files WHERE profile = 'Riverside sign-in'") == 1


def test_the_empty_dashboard_shows_a_getting_started_checklist(
    db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    admin.remove_demo(db, user="tester")
    monkeypatch.setenv("DASHBOARD_DB", str(db))
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=90)
    at.run()
    assert not at.exception
    assert any(s.value == "Getting started" for s in at.subheader)
    steps = [m.value for m in at.markdown if "material/" in m.value]
    assert len(steps) == 4
    assert all("radio_button_unchecked" in s for s in steps[1:])
    assert not at.metric  # no zeros over an empty window


def test_the_mapping_step_shows_a_files_values_as_text_never_markdown(
    db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = _data_page(db, monkeypatch)
    hostile = b"Member code,Came?\nPM-1,[click](http://e.vil) :red[x] **b**\n"
    at.file_uploader[0].upload("[x](y).csv", hostile, "text/csv").run()
    assert not at.exception
    at.selectbox(key="map_type").select("register").run()
    at.selectbox(key="map_col_register_attendance").select("Came?").run()
    labels = [s.label for s in at.selectbox if s.key and s.key.startswith("map_val_")]
    # Every character Markdown would act on is escaped (a reader sees the value as it is).
    assert len(labels) == 1
    assert r"\[click\]\(http\:" in labels[0]
    assert "\\:\u2060red\\[x\\] \\*\\*b\\*\\*" in labels[0]
    assert (
        as_shown(labels[0]) == "attendance: the file's '[click](http://e.vil) :red[x] **b**' means"
    )


def test_salesforce_sessions_ask_for_session_types_once(
    db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sessions = Path(__file__).parent / "samples_round2" / "pmm" / "pmdm__ServiceSession__c.csv"
    at = _data_page(db, monkeypatch)
    at.file_uploader[0].upload("pmdm__ServiceSession__c.csv", sessions.read_bytes(), "text/csv")
    at.run()
    assert not at.exception
    assert any("no session types of ours" in w.value for w in at.warning)
    preview = at.dataframe[0].value
    assert preview.loc[0, "profile"] == "salesforce-pmm-sessions"
    assert preview.loc[0, "rejected"] == 923  # no session type yet
    meanings = ["beneficiary_meeting", "shadowing", "group_day", "event"]
    for n, meaning in enumerate(meanings):
        at.selectbox(key=f"pmm_type_{n}").select(meaning)
    at.run()
    [b for b in at.button if b.label == "Save the session types"][0].click().run()
    assert not at.exception
    preview = at.dataframe[0].value
    assert preview.loc[0, "profile"] == "our Salesforce sessions"
    assert (preview.loc[0, "inserted"], preview.loc[0, "rejected"]) == (923, 0)
    assert not any("no session types of ours" in w.value for w in at.warning)


GRID_SAMPLE = Path(__file__).parent / "samples_round2" / "grid"


def test_a_grid_uploaded_with_the_csvs_goes_to_the_mapping_step_as_a_grid(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The public grid example in one go: the CSVs are read as they are, the workbook fits no
    record type and opens the mapping step with the grid form, its mentor column and session
    type chosen from the file; the duration the file does not give is asked for; the import
    lands and its log names the profile it was saved under."""
    db = tmp_path / "programme.duckdb"
    monkeypatch.setenv("DASHBOARD_DB", str(db))
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=120)
    at.run()
    admin.remove_demo(db, user="tester")  # no sessions of the programme's own to go by
    at.switch_page("pages/data.py").run()
    names = ["mentors.csv", "sessions.csv", "attendance.csv", "group-days.xlsx"]
    names += ["stage_assessments.csv", "milestones.csv"]
    at.file_uploader[0].set_value(
        [(n, (GRID_SAMPLE / n).read_bytes(), "application/octet-stream") for n in names]
    ).run()
    assert not at.exception
    assert any(s.value == "Map the file's columns" for s in at.subheader)
    assert not at.error  # no dead end
    info = as_shown(" ".join(i.value for i in at.info))
    assert "group-days.xlsx fits none of the dashboard's record types" in info
    assert "The other 5 file(s) are read as they are" in info
    assert at.radio(key="map_form_group-days.xlsx").value.startswith("an attendance grid")
    assert at.selectbox(key="map_grid_mentor").value == "Mentor"
    assert at.selectbox(key="map_grid_type").value == "group_day"  # from the file's name
    assert at.number_input(key="map_grid_minutes").value is None  # the file does not say
    assert "how long a session is" in as_shown(" ".join(i.value for i in at.info))
    assert not [d for d in at.dataframe if "outcome" in d.value.columns]
    at.number_input(key="map_grid_minutes").set_value(300).run()
    assert not at.exception and not at.error
    # the first rows of one sheet at a time, with the count of the rest
    assert at.selectbox(key="map_peek_sheet").value == 'group-days.xlsx, sheet "June 2024"'
    assert len(at.selectbox(key="map_peek_sheet").options) == 19
    assert any("18 more in the list" in c.value for c in at.caption)
    assert len([d for d in at.dataframe if "outcome" in d.value.columns]) == 1
    at.text_input(key="map_profile_name").input("Group day grid").run()
    [b for b in at.button if b.label == "Import these files"][0].click().run()
    assert not at.exception and not at.error
    assert _count(db, "SELECT count(*) FROM mapping_profiles WHERE name = 'Group day grid'") == 1
    assert (
        _count(
            db,
            "SELECT count(DISTINCT file_name) FROM import_files "
            "WHERE import_id = (SELECT max(import_id) FROM import_files)",
        )
        == 6
    )
    assert (
        _count(
            db,
            "SELECT count(*) FROM import_files WHERE file_name = 'group-days.xlsx' "
            "AND profile = 'Group day grid'",
        )
        == 19
    )
    assert _count(db, "SELECT count(*) FROM import_files WHERE profile = 'new mapping'") == 0
    assert (
        _count(
            db,
            "SELECT count(*) FROM sessions WHERE session_type = 'group_day' "
            "AND duration_minutes = 300",
        )
        > 0
    )
