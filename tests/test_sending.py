"""`python -m analysis send` against a real SMTP server on localhost (aiosmtpd): the reports due
reach their recipients, each with the right PDF pack, and a funder's e-mail carries nothing the
funder view does not show. Every send is in the audit log."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import io
import re
import socket
import subprocess
import sys
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from conftest import PROJECT_ROOT, cli_env, query, run_import
from pypdf import PdfReader

from analysis import sending
from analysis.settings import SettingsError, load_settings

ROUND2 = Path(__file__).resolve().parent / "samples" / "round2" / "programme"
LOTTERY = "Lottery Reaching Communities"


class Inbox:
    """What the SMTP server received."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], EmailMessage]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), parsed))
        return "250 Message accepted"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _authenticator(
    server: Any, session: Any, envelope: Any, mechanism: str, data: Any
) -> AuthResult:
    ok = isinstance(data, LoginPassword) and (data.login, data.password) == (
        b"dashboard",
        b"s3cret from the secrets",
    )
    return AuthResult(success=ok, handled=False)


@pytest.fixture
def smtp_server() -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    port = _free_port()
    controller = Controller(
        inbox,
        hostname="127.0.0.1",
        port=port,
        authenticator=_authenticator,
        auth_require_tls=False,
        auth_required=True,
    )
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


@pytest.fixture(scope="module")
def programme_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("send") / "programme.duckdb"
    result = run_import(db, sorted(ROUND2.glob("*.csv")))
    assert result.landed, result.error
    return db


def settings_file(folder: Path, port: int) -> Path:
    path = folder / "settings.toml"
    path.write_text(
        f"""
organisation_name = "Riverside Peer Mentors"

[email]
host = "127.0.0.1"
port = {port}
starttls = false
user = "dashboard"
from = "dashboard@riverside.example"

[[email.reports]]
name = "Monthly digest"
audience = "manager"
to = ["manager@riverside.example"]
every = "month"

[[email.reports]]
name = "Lottery quarterly pack"
audience = "funder"
funding_stream = "{LOTTERY}"
to = ["grants@lottery.example", "officer@lottery.example"]
every = "quarter"

[[email.reports]]
name = "Annual pack"
audience = "funder"
to = ["trustees@riverside.example"]
every = "year"
""",
        encoding="utf-8",
    )
    return path


def pdf_text(message: EmailMessage) -> tuple[str, str]:
    attachments = list(message.iter_attachments())
    assert len(attachments) == 1
    part = attachments[0]
    assert part.get_content_type() == "application/pdf"
    data = part.get_content()
    assert isinstance(data, bytes) and data.startswith(b"%PDF")
    text = "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(data)).pages)
    return str(part.get_filename()), text


def body(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content())


def test_the_reports_due_reach_their_recipients_with_the_right_pack(
    smtp_server: tuple[Inbox, int], programme_db: Path, tmp_path: Path
) -> None:
    inbox, port = smtp_server
    env = cli_env(tmp_path) | {
        "DASHBOARD_SETTINGS": str(settings_file(tmp_path, port)),
        sending.PASSWORD_ENV: "s3cret from the secrets",
    }
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "analysis",
            "send",
            "--db",
            str(programme_db),
            "--today",
            "2026-01-01",
        ],
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
        env=env,
        check=False,
        timeout=600,
    )
    assert run.returncode == 0, run.stderr
    # 1 January: the month and the quarter just ended are due; the financial year is not.
    assert run.stdout.splitlines() == [
        "Monthly digest: 2025-12-01 to 2025-12-31, to manager@riverside.example: sent",
        "Lottery quarterly pack: 2025-10-01 to 2025-12-31, to grants@lottery.example, "
        "officer@lottery.example: sent",
    ]
    assert len(inbox.messages) == 2
    by_subject = {m["Subject"]: (sender, to, m) for sender, to, m in inbox.messages}

    sender, to, funder = by_subject["Lottery quarterly pack: October 2025 to December 2025"]
    assert sender == "dashboard@riverside.example"
    assert to == ["grants@lottery.example", "officer@lottery.example"]
    name, text = pdf_text(funder)
    assert name == "Lottery-quarterly-pack-2025-10.pdf"
    flat = " ".join(text.split())
    assert "Riverside Peer Mentors" in flat and f"for {LOTTERY}" in flat
    assert "October 2025 to December 2025" in flat
    assert "Our targets" in flat and "Mentors moving into paid work" in flat
    funder_body = body(funder)
    assert LOTTERY in funder_body and "Mentors moving into paid work" in funder_body
    # Nothing a funder may not see: no mentor code, no note, no flag, no '<5' beside a unit.
    mentor_codes = [r[0] for r in query(programme_db, "SELECT mentor_id FROM mentors")]
    notes = [
        r[0]
        for r in query(
            programme_db, "SELECT DISTINCT notes FROM attendance WHERE notes IS NOT NULL"
        )
    ]
    notes += [
        r[0]
        for r in query(
            programme_db, "SELECT DISTINCT notes FROM stage_assessments WHERE notes IS NOT NULL"
        )
    ]
    for content in (flat, funder_body, str(funder)):
        assert not [c for c in mentor_codes if c in content]
        assert not re.search(r"PM-\d{4}", content)
        assert not [n for n in notes if n in content]
        assert "flagged" not in content and "at_risk" not in content

    _, to, manager = by_subject["Monthly digest: December 2025"]
    assert to == ["manager@riverside.example"]
    manager_body = body(manager)
    assert "Targets: " in manager_body and " of " in manager_body
    assert re.search(r"\d+ mentors? (was|were) flagged for support", manager_body)
    assert not re.search(r"PM-\d{4}", manager_body)
    name, text = pdf_text(manager)
    assert name == "Monthly-digest-2025-12.pdf" and "December 2025" in text

    audit = query(
        programme_db,
        "SELECT user_name, action, detail FROM audit_log WHERE action = 'send report' ORDER BY detail",
    )
    assert audit == [
        (
            "python -m analysis send",
            "send report",
            f"Lottery quarterly pack (funder, {LOTTERY}), 2025-10-01 to 2025-12-31, to "
            "grants@lottery.example, officer@lottery.example: sent",
        ),
        (
            "python -m analysis send",
            "send report",
            "Monthly digest (manager), 2025-12-01 to 2025-12-31, to manager@riverside.example: sent",
        ),
    ]


def test_a_wrong_password_fails_loudly_and_is_audited(
    smtp_server: tuple[Inbox, int], programme_db: Path, tmp_path: Path
) -> None:
    inbox, port = smtp_server
    email_settings = sending.load_email_settings(
        settings_file(tmp_path, port), tmp_path / "no-secrets.toml"
    )
    assert email_settings.password is None
    wrong = sending.EmailSettings(**{**email_settings.__dict__, "password": "guess"})
    results = sending.send(
        programme_db,
        wrong,
        load_settings(tmp_path / "settings.toml"),
        today=dt.date(2026, 2, 1),
        names=["Monthly digest"],
        pdf=lambda *a: b"%PDF-1.4 test",
    )
    assert [r.ok for r in results] == [False]
    assert results[0].detail.startswith("failed: ")
    assert inbox.messages == []
    detail = query(
        programme_db,
        "SELECT detail FROM audit_log WHERE detail LIKE 'Monthly digest%January%' OR detail LIKE 'Monthly digest (manager), 2026-01-01%'",
    )
    assert detail and detail[-1][0].endswith(results[0].detail)


def test_the_password_comes_from_the_secrets_never_the_settings(tmp_path: Path) -> None:
    settings = settings_file(tmp_path, 2525)
    secrets = tmp_path / "secrets.toml"
    secrets.write_text('[email]\npassword = "from secrets"\n', encoding="utf-8")
    assert sending.load_email_settings(settings, secrets).password == "from secrets"
    settings.write_text(
        settings.read_text().replace('user = "dashboard"', 'user = "d"\npassword = "x"')
    )
    with pytest.raises(SettingsError, match="secrets.toml"):
        sending.load_email_settings(settings, secrets)


@pytest.mark.parametrize(
    ("every", "today", "period", "due"),
    [
        ("month", "2026-01-01", ("2025-12-01", "2025-12-31"), True),
        ("month", "2026-03-15", ("2026-02-01", "2026-02-28"), False),
        ("quarter", "2026-04-01", ("2026-01-01", "2026-03-31"), True),
        ("quarter", "2026-07-01", ("2026-04-01", "2026-06-30"), True),
        ("quarter", "2026-05-01", ("2026-01-01", "2026-03-31"), False),
        ("year", "2026-04-01", ("2025-04-01", "2026-03-31"), True),
        ("year", "2026-03-31", ("2024-04-01", "2025-03-31"), False),
        ("year", "2026-01-01", ("2024-04-01", "2025-03-31"), False),
    ],
)
def test_periods_and_what_is_due(
    every: str, today: str, period: tuple[str, str], due: bool
) -> None:
    day = dt.date.fromisoformat(today)
    assert sending.period_before(every, day) == tuple(map(dt.date.fromisoformat, period))
    report = sending.ScheduledReport("r", "manager", ("a@b.c",), every)
    assert sending.is_due(report, day) is due


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ('[[email.reports]]\nname = "x"\naudience = "trustee"\nto = ["a@b.c"]\n', "audience"),
        ('[[email.reports]]\nname = "x"\naudience = "funder"\nto = ["nobody"]\n', "to must list"),
        (
            '[[email.reports]]\nname = "x"\naudience = "funder"\nto = "a@b.c"\nevery = "week"\n',
            "every",
        ),
        (
            '[[email.reports]]\nname = "Monthly digest"\naudience = "funder"\nto = "a@b.c"\n'
            'every = "quarter"\n',
            "same name",
        ),
        (  # a funder sees only financial years and their quarters
            '[[email.reports]]\nname = "x"\naudience = "funder"\nto = "a@b.c"\nevery = "month"\n',
            "financial year or one of its quarters",
        ),
    ],
)
def test_bad_report_settings_are_refused_with_a_reason(
    tmp_path: Path, extra: str, message: str
) -> None:
    path = settings_file(tmp_path, 2525)
    path.write_text(path.read_text() + extra)
    with pytest.raises(SettingsError, match=message):
        sending.load_email_settings(path, tmp_path / "none.toml")


def test_the_dashboard_s_settings_accept_the_email_table(tmp_path: Path) -> None:
    settings = load_settings(settings_file(tmp_path, 2525))
    assert settings.organisation_name == "Riverside Peer Mentors"


def test_a_report_with_a_line_break_is_refused_audited_and_the_next_is_still_sent(
    smtp_server: tuple[Inbox, int], programme_db: Path, tmp_path: Path
) -> None:
    """Security re-probe, finding 6: a report whose name or `to` held CR/LF stopped `send`
    without an audit entry, and every later due report went unsent."""
    inbox, port = smtp_server
    path = tmp_path / "settings.toml"
    path.write_text(
        f"""
[email]
host = "127.0.0.1"
port = {port}
starttls = false
user = "dashboard"
from = "dashboard@riverside.example"

[[email.reports]]
name = "Monthly digest\\r\\nBcc: attacker@evil.example"
audience = "manager"
to = ["manager@riverside.example"]

[[email.reports]]
name = "Second digest"
audience = "manager"
to = ["manager@riverside.example\\r\\nBcc: attacker@evil.example"]

[[email.reports]]
name = "Good digest"
audience = "manager"
to = ["manager@riverside.example"]
""",
        encoding="utf-8",
    )
    email_settings = sending.load_email_settings(path, tmp_path / "no-secrets.toml")
    email_settings = sending.EmailSettings(
        **{**email_settings.__dict__, "password": "s3cret from the secrets"}
    )
    results = sending.send(
        programme_db,
        email_settings,
        load_settings(tmp_path / "no-settings.toml"),
        today=dt.date(2026, 3, 1),
        pdf=lambda *a: b"%PDF-1.4 test",
    )
    assert [r.ok for r in results] == [False, False, True]
    assert results[0].detail.startswith("refused: its name holds a line break")
    assert results[1].detail.startswith("refused: its to holds a line break")
    assert results[2].detail == "sent"
    # Only the good report went out, to its one recipient; nobody was added by a header.
    assert [(to, m["Subject"]) for _, to, m in inbox.messages] == [
        (["manager@riverside.example"], "Good digest: February 2026")
    ]
    audit = [
        str(r[0])
        for r in query(
            programme_db,
            "SELECT detail FROM audit_log WHERE action = 'send report' "
            "AND detail LIKE '%2026-02-01 to 2026-02-28%' ORDER BY detail",
        )
    ]
    assert len(audit) == 3
    assert any("Monthly digest\\x0d\\x0aBcc" in a and "refused" in a for a in audit)
    assert any("Second digest" in a and "refused" in a for a in audit)
    assert any(a.startswith("Good digest") and a.endswith(": sent") for a in audit)
    assert not any("\r" in a or "\n" in a for a in audit)
