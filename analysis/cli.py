"""The command line: `python -m analysis import | report | profiles | demo | remove-demo`.

Bad arguments or a missing database give one line on stderr and a non-zero exit, never a
traceback.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType
from typing import NoReturn

from analysis import database
from analysis.readers import FileRefused
from analysis.settings import Settings, SettingsError, load_settings


class UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{self.prog}: {message}")


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (YYYY-MM-DD)") from None


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} must be at least 1")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m analysis", description="Peer Mentor Programme data tools")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    imp = sub.add_parser("import", help="import CSV or Excel files in one transaction")
    imp.add_argument("--db", required=True, help="the DuckDB file (created if missing)")
    imp.add_argument(
        "--type",
        choices=[
            "mentors",
            "sessions",
            "attendance",
            "register",
            "stage_assessments",
            "milestones",
            "funding",
            "targets",
            "conduct",
        ],
        help="the record type of every file (default: inferred from each header)",
    )
    imp.add_argument("--format", choices=["text", "json"], default="text")
    imp.add_argument("--user", help="who is importing (for the import log)")
    imp.add_argument("--dry-run", action="store_true", help="say what would happen; change nothing")
    imp.add_argument(
        "--profile",
        help="read every file with this mapping profile (default: each file by its header)",
    )
    imp.add_argument("files", nargs="+", type=Path)

    prof = sub.add_parser(
        "profiles",
        help="mapping profiles: how files in other systems' columns are read",
        description="A mapping profile (JSON) says how a file in another system's columns "
        "reads as one of the record types. Built-in profiles read Salesforce Program "
        "Management Module exports.",
    )
    prof.add_argument("action", choices=["list", "show", "export", "import", "delete"])
    prof.add_argument("target", nargs="?", help="a profile's name (a JSON file for import)")
    prof.add_argument("--db", required=True)
    prof.add_argument("--user", help="who is changing the profiles (for the audit log)")
    prof.add_argument("--out", type=Path, help="export: write the JSON to this file")

    rep = sub.add_parser("report", help="print the headline figures")
    rep.add_argument("--db", required=True)
    rep.add_argument("--from", dest="date_from", type=_date)
    rep.add_argument("--to", dest="date_to", type=_date)
    rep.add_argument("--cohort", action="append", default=[])
    rep.add_argument("--gender", action="append", default=[])
    rep.add_argument("--outreach-worker", action="append", default=[])
    rep.add_argument("--region", action="append", default=[])
    rep.add_argument(
        "--funding-stream",
        action="append",
        default=[],
        help="only the mentors this stream paid for in the window (repeatable: any of them)",
    )
    rep.add_argument("--audience", choices=["manager", "funder"], default="manager")
    rep.add_argument(
        "--format",
        choices=["json", "table", "csv", "pdf"],
        default="table",
        help="pdf: the funders' impact pack (always suppressed; needs --out); csv for funders: "
        "the impact summary's aggregates",
    )
    rep.add_argument("--out", type=Path, help="write to this file instead of stdout")

    demo = sub.add_parser("demo", help="create realistic demo records (marked as demo)")
    demo.add_argument("--db", required=True)
    demo.add_argument("--mentors", type=_positive, default=120)
    demo.add_argument("--seed", type=int, default=2026)
    demo.add_argument(
        "--end",
        type=_date,
        help="the last day of the demo programme, YYYY-MM-DD (default: a week before today)",
    )

    rm = sub.add_parser("remove-demo", help="delete every demo record")
    rm.add_argument("--db", required=True)

    snd = sub.add_parser(
        "send",
        help="e-mail the reports the settings name ([email]) that are due today",
        description="Run it daily (cron or a systemd timer): each report is sent on the first "
        "day after its month, financial quarter or financial year, as a PDF attachment with a "
        "short plain-text body. Every send is written to the audit log.",
    )
    snd.add_argument("--db", required=True)
    snd.add_argument(
        "--report",
        action="append",
        default=[],
        help="send this report now, due or not (by its name in [email]; repeatable)",
    )
    snd.add_argument("--today", type=_date, help="act as if today were this date (YYYY-MM-DD)")
    snd.add_argument("--dry-run", action="store_true", help="build the e-mails; send nothing")

    res = sub.add_parser(
        "restore",
        help="list the snapshots kept before each import, or put one back",
        description="Every import first keeps a copy of the database (the last five are kept). "
        "Restoring one keeps a copy of the current state first, so a restore can be undone.",
    )
    res.add_argument("--db", required=True)
    res.add_argument("--list", action="store_true", help="list the snapshots, newest first")
    res.add_argument("--user", help="who is restoring (for the audit log)")
    res.add_argument("snapshot", nargs="?", help="the snapshot's name (as listed) or path")
    res.add_argument(
        "--from-backup",
        type=Path,
        metavar="DIR",
        help="restore a backup folder made by `backup` (checked against its manifest first)",
    )

    bak = sub.add_parser(
        "backup",
        help="write a backup folder: a copy of the database, every table as Parquet, a manifest",
    )
    bak.add_argument("--db", required=True)
    bak.add_argument("--out", required=True, type=Path, help="a new (or empty) folder")

    ret = sub.add_parser(
        "retention",
        help="erase mentors whose end date is more than N years ago (a dry run unless --apply)",
        description="Lists how many mentors the retention rule would erase and the oldest end "
        "date; with --apply erases them as erasing one mentor does (every snapshot too). Every "
        "run is audited: how many, by whom, never which codes.",
    )
    ret.add_argument("--db", required=True)
    ret.add_argument(
        "--older-than-years",
        type=int,
        metavar="N",
        help="years after the end date (default: the setting retention_years)",
    )
    ret.add_argument("--apply", action="store_true", help="erase them (default: a dry run)")
    ret.add_argument("--user", help="who is running it (for the audit log)")

    sar = sub.add_parser(
        "subject-access",
        help="write one workbook of every stored row about one mentor",
    )
    sar.add_argument("--db", required=True)
    sar.add_argument("mentor_id", help="the mentor's code")
    sar.add_argument("--out", required=True, type=Path, help="the workbook to write (.xlsx)")
    sar.add_argument("--user", help="who asked (for the audit log)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    from analysis import snapshots

    snapshots.install()  # a database from an older release is kept before it is upgraded
    try:
        args = build_parser().parse_args(argv)
        return _dispatch(args)
    except UsageError as exc:
        _error(str(exc), prefix="")
        return 2
    except database.DatabaseDamaged as exc:
        from analysis import snapshots

        _error(f"{exc}; {snapshots.offer(exc.path)}")
        return 1
    except (database.DatabaseError, FileRefused, SettingsError, ValueError, OSError) as exc:
        _error(str(exc))
        return 1
    except KeyboardInterrupt:
        _error("interrupted; nothing of an unfinished import landed")
        return 130
    except Exception as exc:  # a bug, or a file no check foresaw: one line, not a traceback
        _error(f"unexpected {type(exc).__name__}: {exc}; nothing of an unfinished import landed")
        return 1


def _error(message: str, prefix: str = "error: ") -> None:
    """One line on stderr, whatever the message holds (newlines, terminal control codes)."""
    print(prefix + _one_line(message), file=sys.stderr)


def _one_line(text: str) -> str:
    text = " ".join(text.split())
    return "".join(c if c.isprintable() else f"\\x{ord(c):02x}" for c in text)


def _dispatch(args: argparse.Namespace) -> int:
    if getattr(args, "db", None) and args.command in ("report", "import", "backup"):
        from analysis import snapshots

        note = snapshots.leftover_log_note(args.db)
        if note:
            _error(note, prefix="note: ")
    if args.command == "import":
        return _import(args)
    if args.command == "report":
        return _report(args)
    if args.command == "demo":
        return _demo(args)
    if args.command == "remove-demo":
        return _remove_demo(args)
    if args.command == "restore":
        return _restore(args)
    if args.command == "backup":
        return _backup(args)
    if args.command == "send":
        return _send(args)
    if args.command == "profiles":
        return _profiles(args)
    if args.command == "retention":
        return _retention(args)
    if args.command == "subject-access":
        return _subject_access(args)
    raise UsageError(f"unknown command {args.command}")


def _import(args: argparse.Namespace) -> int:
    from analysis.importer import ImportRefused, ImportSource, import_files

    for path in args.files:
        if not path.is_file():
            raise UsageError(f"python -m analysis import: {path} is not a file")
    settings = load_settings()
    try:
        result = import_files(
            args.db,
            [ImportSource.of(p) for p in args.files],
            record_type=args.type,
            user=args.user,
            settings=settings,
            dry_run=args.dry_run,
            profile=args.profile,
        )
    except ImportRefused as exc:
        result = None
        error = str(exc)
    if result is None:
        if args.format == "json":
            print(json.dumps({"landed": False, "files": [], "error": error}))
        _error(error)
        return 1
    if args.format == "json":
        print(json.dumps(result.summary(), ensure_ascii=False))
    elif result.landed:
        _print_import_text(result)
    if not result.landed:
        _error(f"nothing imported: {result.error}")
        return 1
    return 0


def _print_import_text(result: object) -> None:
    from analysis.importer import ImportResult

    assert isinstance(result, ImportResult)
    if not result.landed:
        print(f"Nothing imported: {result.error}")
        return
    verb = "Would import" if result.dry_run else "Imported"
    for f in result.files:
        where = f'{f.file}, sheet "{f.sheet}"' if f.sheet is not None else f.file
        print(
            f"{verb} {_one_line(where)} ({f.type}): {f.read} rows read, {f.inserted} inserted, "
            f"{f.updated} updated, {f.unchanged} unchanged, {f.duplicates} duplicate, "
            f"{f.rejected} rejected, {f.warnings} warning(s)"
        )
        for note in f.notes:
            print(f"  note: {_one_line(note)}")
        for row in f.rejected_rows[:20]:
            reasons = _one_line("; ".join(row["reasons"]))  # type: ignore[arg-type]
            print(f"  rejected row {row['row']}: {reasons}")
        if f.rejected > 20:
            print(f"  ... and {f.rejected - 20} more rejected rows (see the Data page)")
        for message in f.warning_messages[:10]:
            print(f"  warning: {_one_line(message)}")
        if f.warnings > 10:
            print(f"  ... and {f.warnings - 10} more warnings")


def _profiles(args: argparse.Namespace) -> int:
    from analysis import profiles

    usage = f"python -m analysis profiles {args.action}"
    if args.action != "list" and not args.target:
        what = "a JSON file" if args.action == "import" else "a profile's name"
        raise UsageError(f"{usage}: give {what}")
    try:
        if args.action == "import":
            path = Path(args.target)
            if not path.is_file():
                raise UsageError(f"{usage}: {path} is not a file")
            if path.stat().st_size > profiles.MAX_PROFILE_BYTES:  # refused before it is read
                raise profiles.ProfileError(f"{path.name}: {profiles.too_big(path.stat().st_size)}")
            profile = profiles.loads(path.read_text(encoding="utf-8-sig"))
            with database.connect(args.db, create=True) as con:
                con.execute("BEGIN TRANSACTION")
                replaced = profiles.save(con, profile, args.user)
                database.write_audit(
                    con, args.user, "profile saved", f"{profile.name} (from {path.name})"
                )
                con.execute("COMMIT")
            verb = "Replaced" if replaced else "Saved"
            print(
                f"{verb} the mapping profile {_one_line(profile.name)!r} ({profile.record_type})."
            )
            return 0
        if args.action == "list":
            known = dict(profiles.BUILTINS)
            if Path(args.db).exists():
                with database.read(args.db) as con:
                    known = profiles.available(con)
            for name, profile in known.items():
                origin = "built-in" if profile.builtin else "saved"
                extends = f", extends {profile.extends}" if profile.extends else ""
                print(
                    _one_line(f"{name}  ({profile.record_type}, {profile.form}, {origin}{extends})")
                )
            return 0
        opener = database.connect if args.action == "delete" else database.read
        with opener(args.db) as con:
            known = profiles.available(con)
            if args.target not in known:
                raise profiles.ProfileError(f"no mapping profile named {args.target!r}")
            profile = known[args.target]
            if args.action == "delete":
                con.execute("BEGIN TRANSACTION")
                profiles.delete(con, profile.name)
                database.write_audit(con, args.user, "profile deleted", profile.name)
                con.execute("COMMIT")
                print(f"Deleted the mapping profile {_one_line(profile.name)!r}.")
                return 0
            whole = profiles.resolve(profile, known)
        text = json.dumps(
            profile.as_json() if args.action == "export" else _profile_view(whole),
            indent=1,
            ensure_ascii=False,
        )
        if args.action == "export" and args.out:
            args.out.write_text(text + "\n", encoding="utf-8")
        else:
            print(text)
        return 0
    except profiles.ProfileError as exc:
        _error(str(exc))
        return 1


def _profile_view(profile: object) -> dict[str, object]:
    """`profiles show`: the profile with what it extends folded in, and the built-in readings."""
    from analysis import profiles

    assert isinstance(profile, profiles.Profile)
    out: dict[str, object] = profile.as_json()
    out.pop("extends", None)
    if profile.derived:
        out["built_in_readings"] = {
            col: f"{d.how} of {', '.join(d.columns)}" for col, d in profile.derived.items()
        }
    if profile.rejects:
        out["rejected_values"] = profile.rejects
    if profile.cancelled_when:
        out["cancelled_when"] = {profile.cancelled_when[0]: profile.cancelled_when[1]}
    return out


def _scope(args: argparse.Namespace) -> object:
    from analysis.metrics import Scope

    if args.date_from and args.date_to and args.date_from > args.date_to:
        raise UsageError("python -m analysis report: --from is after --to")
    return Scope(
        date_from=args.date_from,
        date_to=args.date_to,
        cohorts=tuple(args.cohort),
        genders=tuple(args.gender),
        outreach_workers=tuple(args.outreach_worker),
        regions=tuple(args.region),
        funding_streams=tuple(args.funding_stream),
    )


def _exports() -> ModuleType:
    """The CSV and table printers (they bring pandas; JSON does without)."""
    from analysis import exports

    return exports


def _report(args: argparse.Namespace) -> int:
    from analysis.metrics import Scope
    from analysis.report import build_report

    settings = load_settings()
    scope = _scope(args)
    assert isinstance(scope, Scope)
    if args.format == "pdf" or args.audience == "funder":
        _funder_scope_allowed(args.db, scope, settings)
    if args.format == "pdf":
        return _impact_pack(args, scope, settings)
    with database.read(args.db) as con:
        report = build_report(con, scope, settings, args.audience)
        if args.format == "csv" and args.audience == "funder":
            aggregates = _exports().aggregates(con, scope, settings)
    if args.format == "json":
        text = json.dumps(report, indent=1, ensure_ascii=False)
    elif args.format == "csv":
        # Funders get the impact page's CSV: the report's figures, the previous period and
        # the monthly rates, all suppressed.
        text = (
            aggregates.decode("utf-8-sig")
            if args.audience == "funder"
            else _exports().report_csv(report)
        )
    else:
        text = _exports().report_table(report)
    if args.out:
        args.out.write_text(text + ("\n" if not text.endswith("\n") else ""), encoding="utf-8")
    else:
        print(text)
    return 0


def _funder_scope_allowed(db: str, scope: object, settings: Settings) -> None:
    """Funders' figures obey the differencing rule (METRICS.md): refuse any other filters, and
    any window but a financial year or one of its quarters (complete or to date)."""
    from analysis import financial_years, metrics, privacy
    from analysis.report import funder_window

    assert isinstance(scope, metrics.Scope)
    if (scope.date_from is None) != (scope.date_to is None) or (
        scope.date_from is not None
        and scope.date_to is not None
        and financial_years.funder_period(scope.date_from, scope.date_to) is None
    ):
        raise UsageError(f"python -m analysis report: {financial_years.PERIODS_ACCEPTED}")
    with database.read(db) as con:
        window = funder_window(con, scope)
        problem = privacy.funder_scope_problem(con, scope, window, settings.suppression_k)
    if problem:
        raise UsageError(f"python -m analysis report: {problem}")


def _impact_pack(args: argparse.Namespace, scope: object, settings: Settings) -> int:
    """The PDF impact pack: always the funder view, whatever --audience says."""
    from analysis import impact, impact_pack
    from analysis.metrics import Scope

    assert isinstance(scope, Scope)
    if args.out is None:
        raise UsageError("python -m analysis report: --format pdf needs --out FILE")
    with database.read(args.db) as con:  # closed before the slow part, the charts
        summary = impact.summary(con, scope, settings)
    try:
        impact_pack.write_pdf(summary, settings, args.out)
    except impact_pack.ChartsUnavailable as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if args.audience == "manager":
        print(
            "note: the impact pack is always the funder view, with small numbers suppressed",
            file=sys.stderr,
        )
    return 0


def _demo(args: argparse.Namespace) -> int:
    from analysis.admin import create_demo

    result = create_demo(args.db, mentors=args.mentors, seed=args.seed, end=args.end)
    if not result.landed:
        print(f"error: the demo data did not import: {result.error}", file=sys.stderr)
        return 1
    rows = {f.file: f.read for f in result.files}
    print(
        f"Demo data in {args.db}: {rows.get('mentors.csv', 0):,} mentors, "
        f"{rows.get('sessions.csv', 0):,} sessions, {rows.get('attendance.csv', 0):,} attendance rows"
    )
    return 0


def _remove_demo(args: argparse.Namespace) -> int:
    from analysis.admin import remove_demo

    counts = remove_demo(args.db, user=None)
    print(f"Removed demo records: {sum(counts.values()):,} rows")
    return 0


def _send(args: argparse.Namespace) -> int:
    from analysis import clock, sending

    email = sending.load_email_settings()
    today = args.today or clock.today()
    if not Path(args.db).exists():
        raise database.DatabaseMissing(f"no database at {args.db}")
    results = sending.send(
        args.db, email, load_settings(), today=today, names=args.report, dry_run=args.dry_run
    )
    if not results:
        print(f"Nothing due on {today.isoformat()}.")
    for r in results:
        print(
            _one_line(
                f"{r.report}: {r.period[0].isoformat()} to {r.period[1].isoformat()}, "
                f"to {', '.join(r.recipients)}: {r.detail}"
            )
        )
    return 0 if all(r.ok for r in results) else 1


def _restore(args: argparse.Namespace) -> int:
    from analysis import snapshots

    if args.from_backup is not None:
        if args.list or args.snapshot:
            raise UsageError(
                "python -m analysis restore: give --from-backup DIR alone, without a snapshot"
            )
        from analysis import backup

        backup.restore_backup(args.db, args.from_backup, user=args.user)
        print(f"Restored the backup in {args.from_backup} into {args.db}.")
        return 0
    if args.list == bool(args.snapshot):
        raise UsageError(
            "python -m analysis restore: give --list, or the name of a snapshot to restore, "
            "or --from-backup DIR"
        )
    if args.list:
        found = snapshots.list_snapshots(args.db)
        if not found:
            print(f"No snapshots of {args.db} yet (one is kept before each import).")
            return 0
        print(f"Snapshots of {args.db}, newest first (in {snapshots.snapshot_dir(args.db)}):")
        for snap in reversed(found):
            print("  " + snapshots.describe(snap))
        return 0
    done = snapshots.restore(args.db, args.snapshot, user=args.user)
    print(f"Restored {done.snapshot.name} into {args.db}.")
    if done.saved is not None:
        print(f"The state before the restore is kept as {done.saved.name}; restore it to undo.")
    return 0


def _backup(args: argparse.Namespace) -> int:
    from analysis import backup

    done = backup.backup(args.db, args.out)
    rows = sum(done.tables.values())
    print(
        f"Backed up {args.db} to {done.folder}: {len(done.tables)} tables, {rows:,} rows, "
        f"{done.bytes / (1024 * 1024):.1f} MB, checked by {backup.MANIFEST}."
    )
    return 0


def _retention(args: argparse.Namespace) -> int:
    from analysis import retention

    if not Path(args.db).exists():
        raise database.DatabaseMissing(f"no database at {args.db}")
    try:
        years = retention.years_of(args.older_than_years, load_settings().retention_years)
    except retention.RetentionError as exc:
        raise UsageError(f"python -m analysis retention: {exc}") from exc
    if args.apply:
        done = retention.apply(args.db, years, args.user)
        print(done.sentence(applied=True))
    else:
        found = retention.dry_run(args.db, years, args.user)
        print(found.sentence() + ("" if not found.count else " Nothing was changed: add --apply."))
    return 0


def _subject_access(args: argparse.Namespace) -> int:
    from analysis import subject_access

    if not Path(args.db).exists():
        raise database.DatabaseMissing(f"no database at {args.db}")
    if args.out.suffix.lower() != ".xlsx":
        raise UsageError("python -m analysis subject-access: --out must name an .xlsx file")
    target = subject_access.write(args.db, args.mentor_id, args.out, args.user)
    print(f"Wrote everything held about {_one_line(args.mentor_id)} to {target}.")
    return 0
