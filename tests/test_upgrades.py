"""Upgrades: every release's database opens with the newest code and keeps its figures.

tests/fixtures/db holds one small database per release, made by that release's own code
(tests/fixtures/db/make_fixture.py), with the reports that release computed for it. Each is
opened by the code as it is now: migrated after a snapshot of the old file, and every figure the
release computed comes out the same, except the figures whose definition a later release changed
on purpose (listed in CHANGED, with the release that changed them). A database written by a
newer release than this code is refused in one sentence and left byte for byte as it was.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import duckdb
import pytest

from analysis import database, snapshots
from analysis.metrics import Scope
from analysis.report import build_report
from analysis.settings import Settings
from tests.conftest import PROJECT_ROOT, cli_env

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "db"
RELEASES = sorted(FIXTURES.glob("release-*.duckdb"), key=lambda p: int(p.stem.split("-")[1]))

# Figures whose definition changed after the release that computed them (METRICS.md, "Changed
# in the second release"): `late` now follows the recorded arrival time and the grace period,
# and one shadowing completion date serves every shadowing figure. Path prefixes, dotted.
CHANGED: dict[int, tuple[str, ...]] = {
    1: (
        "punctuality_rate",
        "mean_minutes_late",
        "median_minutes_late",
        "beneficiary_meetings.late",
        "staff_minutes_lost",
        "shadowing.",
        "milestones.shadowing_completed",
    ),
}
CHANGED_FLAGS: dict[int, tuple[str, ...]] = {1: ("lateness",)}


def release_of(path: Path) -> int:
    return int(path.stem.split("-")[1])


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def scope_of(kwargs: dict[str, Any]) -> Scope:
    args: dict[str, Any] = {}
    for key, value in kwargs.items():
        args[key] = dt.date.fromisoformat(value) if key.startswith("date_") else tuple(value)
    return Scope(**args)


def flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, item in value.items():
            out |= flatten(item, f"{prefix}{key}.")
        return out
    return {prefix.rstrip("."): value}


def changed(release: int, path: str) -> bool:
    return any(
        path == c or path.startswith(c) or (c.endswith(".") and path == c[:-1])
        for later, paths in CHANGED.items()
        if later >= release
        for c in paths
    )


def comparable(release: int, report: dict[str, Any]) -> dict[str, Any]:
    """The report's figures that this release defines as the old release did."""
    flags = {f for later, fs in CHANGED_FLAGS.items() if later >= release for f in fs}
    out = {
        path: value
        for path, value in flatten({k: v for k, v in report.items() if k != "at_risk"}).items()
        if not changed(release, path) and path != "suppressed"
    }
    if "suppressed" in report:
        out["suppressed"] = sorted(p for p in report["suppressed"] if not changed(release, p))
    if "at_risk" in report:
        kept = []
        for entry in report["at_risk"]:
            reasons = [r for r in entry["reasons"] if r not in flags]
            if reasons:
                kept.append({"mentor_id": entry["mentor_id"], "reasons": reasons})
        out["at_risk"] = kept
    return out


@pytest.fixture(params=RELEASES, ids=[p.stem for p in RELEASES])
def old_db(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    """A writable copy of one release's database, in a folder of its own."""
    source: Path = request.param
    target = tmp_path / "data" / source.name
    target.parent.mkdir()
    shutil.copyfile(source, target)
    return target


def test_there_is_a_database_for_every_release_so_far() -> None:
    assert [release_of(p) for p in RELEASES] == list(range(1, len(RELEASES) + 1))
    for path in RELEASES:
        assert path.with_suffix(".report.json").is_file(), path
    assert len(RELEASES) >= 1


def test_an_old_database_opens_with_the_figures_its_release_computed(old_db: Path) -> None:
    release = release_of(old_db)
    stored = json.loads((FIXTURES / f"{old_db.stem}.report.json").read_text(encoding="utf-8"))
    original = sha256(old_db)
    with database.read(old_db) as con:
        assert database.schema_version(con) == database.SCHEMA_VERSION
        for name, case in stored.items():
            now = build_report(con, scope_of(case["scope"]), Settings(), case["audience"])
            then = comparable(release, case["report"])
            assert then, name
            if case["audience"] == "funder":
                # The third release changed what a funder is shown (a financial year or
                # quarter, counts rounded to 5: METRICS.md), so release 1's funder values are
                # not today's; every group of figures it showed a funder is still computed (a
                # period's events and milestones depend on the period).
                shown = {str(k).split(".")[0] for k in comparable(release, now)}
                assert {str(k).split(".")[0] for k in then} <= shown, name
                continue
            got = {k: v for k, v in comparable(release, now).items() if k in then}
            if "suppressed" in got:  # figures added by later releases have their own
                old_keys = {str(p).split(".")[0] for p in case["report"]}
                got["suppressed"] = [p for p in got["suppressed"] if p.split(".")[0] in old_keys]
            for key, value in then.items():
                if isinstance(value, float):
                    assert got[key] == pytest.approx(value, rel=1e-9), (name, key)
                else:
                    assert got[key] == value, (name, key)
            # every figure the release computed is still computed (none silently dropped)
            assert set(then) <= set(comparable(release, now)), name
    upgraded = [s for s in snapshots.list_snapshots(old_db) if s.label == "upgrade"]
    with duckdb.connect(str(FIXTURES / old_db.name), read_only=True) as con:
        old_version = database.schema_version(con)
    if old_version < database.SCHEMA_VERSION:
        # migrated in place, after a snapshot that is the old file byte for byte
        assert len(upgraded) == 1 and sha256(upgraded[0].path) == original
    else:
        assert upgraded == [] and sha256(old_db) == original  # nothing to do: untouched


def test_a_migration_runs_after_a_snapshot_and_keeps_every_figure(
    old_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The machinery itself, with one more migration than the code has today."""
    original = sha256(old_db)
    with database.read(old_db) as con:
        before = build_report(con, Scope(), Settings())
    snapshots_before = {s.path for s in snapshots.list_snapshots(old_db)}
    current = database.SCHEMA_VERSION
    monkeypatch.setattr(database, "SCHEMA_VERSION", current + 1)
    monkeypatch.setattr(
        database,
        "MIGRATIONS",
        [*database.MIGRATIONS, "CREATE TABLE probe (note VARCHAR); INSERT INTO probe VALUES ('x')"],
    )
    published = sha256(old_db)
    with database.read(old_db) as con:
        assert database.schema_version(con) == current + 1
        assert con.execute("SELECT note FROM probe").fetchall() == [("x",)]
        assert build_report(con, Scope(), Settings()) == before
    new = [s for s in snapshots.list_snapshots(old_db) if s.path not in snapshots_before]
    assert [s.label for s in new] == ["upgrade"]
    assert sha256(new[0].path) == published  # the file before the migration, whole
    assert original  # (the release's own file was only ever read)
    assert database.working_copies(old_db) == []


def make_newer(db: Path) -> None:
    con = duckdb.connect(str(db))
    try:
        con.execute(
            "UPDATE meta SET value = $v WHERE key = 'schema_version'",
            {"v": str(database.SCHEMA_VERSION + 1)},
        )
        con.execute("CHECKPOINT")
    finally:
        con.close()


def test_a_database_from_a_newer_release_is_refused_and_left_untouched(
    tmp_path: Path, cli: Any
) -> None:
    db = tmp_path / "data" / "programme.duckdb"
    db.parent.mkdir()
    shutil.copyfile(RELEASES[-1], db)
    make_newer(db)
    original = sha256(db)
    stat = db.stat()
    with pytest.raises(database.DatabaseTooNew, match="newer release"), database.read(db):
        pass
    with pytest.raises(database.DatabaseTooNew), database.connect(db):
        pass
    sample = tmp_path / "mentors.csv"
    sample.write_text("mentor_id,cohort,start_date,status\nPM-9,A,2025-01-01,active\n")
    for args in (
        ("report", "--db", db, "--format", "json"),
        ("import", "--db", db, sample),
        ("remove-demo", "--db", db),
    ):
        done = cli(*args)
        assert done.returncode == 1, args
        assert done.stdout == "" or "landed" in done.stdout
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1 and "newer release" in lines[0], (args, done.stderr)
        assert lines[0].count(". ") == 0  # one sentence
    assert sha256(db) == original
    assert db.stat().st_mtime_ns == stat.st_mtime_ns
    left = {p.name for p in db.parent.iterdir()} - {f".{db.name}.writer", "snapshots"}
    assert left == {db.name}  # no working copy, no log
    assert snapshots.list_snapshots(db) == []


def test_the_fixture_script_still_runs_on_this_release(tmp_path: Path) -> None:
    """Next release's fixture is made by the same script: it must keep working."""
    script = FIXTURES / "make_fixture.py"
    copy = tmp_path / "tests" / "fixtures" / "db"
    copy.mkdir(parents=True)
    shutil.copy(script, copy / script.name)
    samples = tmp_path / "tests" / "samples"
    shutil.copytree(PROJECT_ROOT / "tests" / "samples" / "messy", samples / "messy")
    shutil.copytree(PROJECT_ROOT / "analysis", tmp_path / "analysis")
    done = subprocess.run(
        [sys.executable, str(copy / script.name), "99"],
        cwd=tmp_path,
        env=cli_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    made = copy / "release-99.duckdb"
    report = json.loads((copy / "release-99.report.json").read_text(encoding="utf-8"))
    assert set(report) == {"all", "funder", "2026H1", "2025_female_north"}
    with database.read(made) as con:
        row = con.execute("SELECT count(*) FROM mentors WHERE is_demo").fetchone()
    assert row is not None and row[0] > 0


def test_the_first_release_database_takes_part_in_the_rejected_rows_loop(tmp_path: Path) -> None:
    """Upgraded, the first release's rejected rows are open, are corrected and re-checked in
    their file's own columns, and can be dismissed; its mentors take a leaving reason."""
    from analysis import catalog, importer, journey

    release_1 = next(p for p in RELEASES if release_of(p) == 1)
    db = tmp_path / "data" / "programme.duckdb"
    db.parent.mkdir()
    shutil.copyfile(release_1, db)
    with database.read(db) as con:  # opening it upgrades it (after a snapshot)
        assert database.schema_version(con) == database.SCHEMA_VERSION
        counts = catalog.rejected_status_counts(con, Scope(), Settings())
        rows = catalog.rejected_of_file(con, Scope(), Settings(), file="mentors.xlsx")
    assert counts == {"open": 13, "resolved": 0, "dismissed": 0}
    assert list(rows.columns[:4]) == ["id", "row", "Mentor ID", "Cohort"]
    bad1 = rows.loc[rows["Mentor ID"] == "PM-BAD1"].iloc[0]
    bad3 = rows.loc[rows["Mentor ID"] == "PM-BAD3"].iloc[0]
    fixed = {c: bad1[c] for c in rows.attrs["columns"]} | {"Start date": "28/02/2025"}
    result = importer.recheck_rejected(
        db, user="tester", rejected_ids=[int(bad1["id"])], corrections={int(bad1["id"]): fixed}
    )
    assert [f.inserted for f in result.files] == [1]
    assert importer.dismiss_rejected(db, [int(bad3["id"])], "not a real mentor", "tester") == 1
    mentors = tmp_path / "reasons.csv"
    mentors.write_text(
        "mentor_id,cohort,start_date,status,end_date,leaving_reason\n"
        "PM-BAD1,2025 Q1,28/02/2025,withdrawn,01/04/2025,recalled\n",
        encoding="utf-8",
    )
    assert importer.import_files(db, [importer.ImportSource.of(mentors)], user="tester").landed
    with database.read(db) as con:
        assert catalog.rejected_status_counts(con, Scope(), Settings()) == {
            "open": 11,
            "resolved": 1,
            "dismissed": 1,
        }
        assert con.execute(
            "SELECT leaving_reason FROM mentors WHERE mentor_id = 'PM-BAD1'"
        ).fetchall() == [("custody",)]
        window = Scope(dt.date(2025, 1, 1), dt.date(2025, 6, 30))
        funnel = journey.compute(con, window, Settings()).values["funnel"]
    assert funnel["withdrawn_by_reason"].get("custody") == 1


# --- the upgrade hook: the store never imports the snapshots (no import cycle) ----------------


def test_connect_calls_the_hook_it_is_given_before_an_upgrade_only(tmp_path: Path) -> None:
    old = tmp_path / "old.duckdb"
    shutil.copyfile(RELEASES[0], old)
    kept: list[Path] = []
    with database.connect(old, before_upgrade=kept.append):
        pass
    assert kept == [old]
    with database.connect(old, before_upgrade=kept.append):  # now current: nothing to keep
        pass
    assert kept == [old]
    fresh = tmp_path / "old-again.duckdb"
    shutil.copyfile(RELEASES[0], fresh)
    with database.connect(fresh, before_upgrade=kept.append, keep_before_upgrade=False):
        pass
    assert kept == [old]


@pytest.mark.parametrize(
    "entry",
    [
        "from analysis import cli; cli.main(['report', '--db', DB, '--format', 'json'])",
        "import sys; sys.path.insert(0, '.'); import pages.frame; "
        "from analysis import database; database.read(DB).__enter__()",
    ],
    ids=["command line", "dashboard frame"],
)
def test_each_entry_point_keeps_a_snapshot_before_an_upgrade(tmp_path: Path, entry: str) -> None:
    """A fresh process (not this one, whose conftest installs the hook) through each entry
    point: the old file is kept as an 'upgrade' snapshot before the upgrade."""
    db = tmp_path / "data" / "programme.duckdb"
    db.parent.mkdir()
    shutil.copyfile(RELEASES[0], db)
    code = f"DB = {str(db)!r}\n" + entry
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=PROJECT_ROOT,
        env=cli_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert [s.label for s in snapshots.list_snapshots(db)] == ["upgrade"]
