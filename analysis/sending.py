"""Packs on a schedule: `python -m analysis send` e-mails the reports the settings name.

The settings file's `[email]` table gives the SMTP server and the reports; the password comes
from `.streamlit/secrets.toml` (`[email] password = "..."`) or the environment variable
DASHBOARD_SMTP_PASSWORD, never from the settings file. Each report is a PDF attachment with a
short plain-text body:

- a **manager digest** (`audience = "manager"`): the month's headline figures, how many targets
  are on track and how many mentors are flagged (counts only: no mentor code leaves the
  dashboard by e-mail), with the programme's impact pack attached;
- a **funder pack** (`audience = "funder"`, usually with `funding_stream`): the impact pack for
  that stream, exactly what the funder view shows, with a body made from the suppressed
  funder report only.

A report is due on the first day after its period: `every = "month"` on the 1st of each month
(for the month just ended), `"quarter"` on 1 April, July, October and January (for the UK
financial quarter just ended), `"year"` on 1 April (for the financial year just ended). Run the
command daily (cron or a systemd timer); it sends what is due that day. Every send, and every
failure, is written to the audit log.
"""

from __future__ import annotations

import datetime as dt
import os
import smtplib
import ssl
import tomllib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path
from typing import Any

from analysis import database, metrics
from analysis.settings import DEFAULT_SETTINGS_FILE, PROJECT_ROOT, Settings, SettingsError

SECRETS_FILE = PROJECT_ROOT / ".streamlit" / "secrets.toml"
PASSWORD_ENV = "DASHBOARD_SMTP_PASSWORD"
CADENCES = ("month", "quarter", "year")
AUDIENCES = ("manager", "funder")


@dataclass(frozen=True)
class ScheduledReport:
    name: str
    audience: str
    to: tuple[str, ...]
    every: str = "month"
    funding_stream: str | None = None


@dataclass(frozen=True)
class EmailSettings:
    host: str
    sender: str
    port: int = 587
    starttls: bool = True
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    reports: tuple[ScheduledReport, ...] = ()


@dataclass
class Sent:
    report: str
    period: tuple[dt.date, dt.date]
    recipients: tuple[str, ...]
    ok: bool
    detail: str = ""
    message: EmailMessage | None = None


# --- settings -----------------------------------------------------------------------------


def _settings_path() -> Path:
    env = os.environ.get("DASHBOARD_SETTINGS")
    return Path(env) if env else DEFAULT_SETTINGS_FILE


def _password(secrets_path: Path) -> str | None:
    if os.environ.get(PASSWORD_ENV):
        return os.environ[PASSWORD_ENV]
    if not secrets_path.exists():
        return None
    try:
        secrets = tomllib.loads(secrets_path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise SettingsError(f"secrets file {secrets_path} cannot be read: {exc}") from exc
    value = secrets.get("email", {}).get("password")
    return str(value) if value else None


def load_email_settings(
    settings_path: Path | None = None, secrets_path: Path | None = None
) -> EmailSettings:
    """The [email] table of the settings file, checked; the password from the secrets."""
    path = settings_path or _settings_path()
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise SettingsError(f"settings file {path} cannot be read: {exc}") from exc
    email = raw.get("email")
    where = f"settings file {path}, [email]"
    if not isinstance(email, dict):
        raise SettingsError(f"settings file {path} has no [email] table: nothing to send")
    if "password" in email:
        raise SettingsError(
            f"{where}: the password does not belong here; put it in .streamlit/secrets.toml "
            f"([email] password = ...) or the {PASSWORD_ENV} environment variable"
        )
    known = {"host", "port", "starttls", "user", "from", "reports"}
    unknown = sorted(set(email) - known)
    if unknown:
        raise SettingsError(f"{where}: unknown setting(s) {', '.join(unknown)}")
    host, sender = email.get("host"), email.get("from")
    if not isinstance(host, str) or not host.strip():
        raise SettingsError(f"{where}: host must be the SMTP server's name")
    if not isinstance(sender, str) or "@" not in sender:
        raise SettingsError(f"{where}: from must be an e-mail address")
    port = email.get("port", 587)
    if not isinstance(port, int) or isinstance(port, bool) or not 0 < port < 65536:
        raise SettingsError(f"{where}: port must be a whole number from 1 to 65535")
    starttls = email.get("starttls", True)
    if not isinstance(starttls, bool):
        raise SettingsError(f"{where}: starttls must be true or false")
    user = email.get("user")
    if user is not None and not isinstance(user, str):
        raise SettingsError(f"{where}: user must be text")
    reports = tuple(_report(r, n, where) for n, r in enumerate(email.get("reports", []), 1))
    names = [r.name for r in reports]
    if len(set(names)) != len(names):
        raise SettingsError(f"{where}: two reports have the same name")
    return EmailSettings(
        host=host.strip(),
        sender=sender.strip(),
        port=port,
        starttls=starttls,
        user=user or None,
        password=_password(secrets_path or SECRETS_FILE),
        reports=reports,
    )


def _report(raw: Any, n: int, where: str) -> ScheduledReport:
    here = f"{where}, report {n}"
    if not isinstance(raw, dict):
        raise SettingsError(f"{here}: write each report as [[email.reports]]")
    unknown = sorted(set(raw) - {"name", "audience", "to", "every", "funding_stream"})
    if unknown:
        raise SettingsError(f"{here}: unknown setting(s) {', '.join(unknown)}")
    name = raw.get("name")
    if not isinstance(name, str) or not name.strip():
        raise SettingsError(f"{here}: give it a name")
    audience = raw.get("audience")
    if audience not in AUDIENCES:
        raise SettingsError(f"{here} ({name}): audience must be manager or funder")
    to = raw.get("to")
    if isinstance(to, str):
        to = [to]
    if not isinstance(to, list) or not to or not all(isinstance(a, str) and "@" in a for a in to):
        raise SettingsError(f"{here} ({name}): to must list e-mail addresses")
    every = raw.get("every", "month")
    if every not in CADENCES:
        raise SettingsError(f"{here} ({name}): every must be month, quarter or year")
    if audience == "funder" and every == "month":  # METRICS.md: funders' periods, third release
        raise SettingsError(
            f"{here} ({name}): a funder's pack covers a financial year or one of its quarters: "
            'every must be "quarter" or "year"'
        )
    stream = raw.get("funding_stream")
    if stream is not None and (not isinstance(stream, str) or not stream.strip()):
        raise SettingsError(f"{here} ({name}): funding_stream must be a stream's name")
    return ScheduledReport(
        name.strip(), audience, tuple(a.strip() for a in to), every, stream or None
    )


# --- when: periods and what is due ----------------------------------------------------------


def period_before(every: str, today: dt.date) -> tuple[dt.date, dt.date]:
    """The last whole month, UK financial quarter (April-June, July-September, October-December,
    January-March) or financial year (April to March) that ended before `today`."""
    if every == "month":
        last = today.replace(day=1) - dt.timedelta(days=1)
        return last.replace(day=1), last
    if every == "quarter":
        this_quarter = dt.date(today.year, (today.month - 1) // 3 * 3 + 1, 1)
        last = this_quarter - dt.timedelta(days=1)
        return dt.date(last.year, (last.month - 1) // 3 * 3 + 1, 1), last
    end = dt.date(today.year if today > dt.date(today.year, 3, 31) else today.year - 1, 3, 31)
    return dt.date(end.year - 1, 4, 1), end


def is_due(report: ScheduledReport, today: dt.date) -> bool:
    if today.day != 1:
        return False
    if report.every == "month":
        return True
    if report.every == "quarter":
        return today.month in (1, 4, 7, 10)
    return today.month == 4


# --- what: the messages -------------------------------------------------------------------


def _period_words(period: tuple[dt.date, dt.date]) -> str:
    from analysis import impact

    return impact.period_words(period)[1]


def build_message(
    con: Any,
    report: ScheduledReport,
    email: EmailSettings,
    settings: Settings,
    period: tuple[dt.date, dt.date],
    *,
    pdf: Callable[[Any, metrics.Scope, Settings], bytes] | None = None,
) -> EmailMessage:
    """The e-mail for one report: a short plain-text body and the PDF pack attached."""
    from analysis import impact, impact_pack, targets
    from analysis.report import build_report

    streams = (report.funding_stream,) if report.funding_stream else ()
    scope = metrics.Scope(period[0], period[1], funding_streams=streams)
    summary = impact.summary(con, scope, settings)
    attachment = (pdf or impact_pack.pack_bytes)(con, scope, settings)
    words = _period_words(period)
    who = f" for {report.funding_stream}" if report.funding_stream else ""
    lines = [f"{settings.organisation_name}: impact summary{who}, {words}.", ""]
    if report.audience == "funder":
        lines += [summary.lead, ""]
        for row in summary.targets:  # the pack's targets, as in the attached PDF
            lines.append(f"- {row.sentence}")
        if summary.targets:
            lines.append("")
        lines.append(
            f"The attached PDF has the figures, charts and how we count. Figures resting on "
            f"fewer than {settings.suppression_k} people are not shown, and nothing in it "
            "identifies a person."
        )
    else:
        manager = build_report(con, scope, settings, "manager")
        lines += [summary.lead, ""]
        evaluations = targets.evaluate(con, targets.load(con, streams or None), settings, period[1])
        sentence = targets.on_track_sentence(evaluations)
        if sentence:
            lines += [f"Targets: {sentence}", ""]
        flagged = len(manager.get("at_risk", []))
        lines.append(
            f"{flagged} {'mentor was' if flagged == 1 else 'mentors were'} flagged for support "
            f"on {impact.long_date(period[1])}; see who and why on the dashboard's Reliability "
            "page."
        )
        lines += [
            "",
            "Attached: the impact pack for the same period, as funders would see it.",
        ]
    lines += ["", "Sent by the Peer Mentor Programme dashboard (python -m analysis send)."]
    message = EmailMessage()
    message["Subject"] = f"{report.name}: {words}"
    message["From"] = email.sender
    message["To"] = ", ".join(report.to)
    message["Date"] = formatdate(localtime=True)
    message["Message-ID"] = make_msgid(domain=email.sender.rsplit("@", 1)[-1].strip("> "))
    message.set_content("\n".join(lines))
    stem = "".join(c if c.isalnum() else "-" for c in f"{report.name} {period[0]:%Y-%m}")
    message.add_attachment(
        attachment, maintype="application", subtype="pdf", filename=f"{stem.strip('-')}.pdf"
    )
    return message


# --- sending ------------------------------------------------------------------------------


def deliver(email: EmailSettings, message: EmailMessage, timeout: float = 60) -> None:
    """Hand the message to the SMTP server (STARTTLS and login as the settings say)."""
    with smtplib.SMTP(email.host, email.port, timeout=timeout) as smtp:
        smtp.ehlo()
        if email.starttls:
            smtp.starttls(context=ssl.create_default_context())
            smtp.ehlo()
        if email.user:
            if not email.password:
                raise SettingsError(
                    f"[email] user is set but no password was found in .streamlit/secrets.toml "
                    f"or {PASSWORD_ENV}"
                )
            smtp.login(email.user, email.password)
        smtp.send_message(message)


def send(
    db_path: str | Path,
    email: EmailSettings,
    settings: Settings,
    *,
    today: dt.date,
    names: Sequence[str] = (),
    dry_run: bool = False,
    pdf: Callable[[Any, metrics.Scope, Settings], bytes] | None = None,
) -> list[Sent]:
    """Send the reports due `today` (or the ones named, whether due or not), each for the
    period that ended before `today`; write every send to the audit log."""
    unknown = [n for n in names if n not in {r.name for r in email.reports}]
    if unknown:
        raise SettingsError(f"no report called {', '.join(map(repr, unknown))} in [email]")
    chosen = [r for r in email.reports if (r.name in names if names else is_due(r, today))]
    results: list[Sent] = []
    for report in chosen:
        period = period_before(report.every, today)
        refused = header_problem(report)
        if refused:  # refused, audited, and the next report still goes (re-probe, finding 6)
            result = Sent(report.name, period, report.to, False, f"refused: {refused}")
            if not dry_run:
                _audit_send(db_path, report, period, result)
            results.append(result)
            continue
        with database.read(db_path) as con:
            problem = funder_problem(con, report, settings, period)
            message = (
                None if problem else build_message(con, report, email, settings, period, pdf=pdf)
            )
        result = Sent(report.name, period, report.to, True, "", message)
        if problem:  # the differencing rule (METRICS.md): nothing goes out, and it is audited
            result.ok, result.detail = False, f"not sent: {problem}"
            if not dry_run:
                _audit_send(db_path, report, period, result)
        elif not dry_run and message is not None:
            try:
                deliver(email, message)
                result.detail = "sent"
            except (OSError, smtplib.SMTPException, SettingsError) as exc:
                result.ok, result.detail = False, f"failed: {exc}"
            _audit_send(db_path, report, period, result)
        else:
            result.detail = "not sent (dry run)"
        results.append(result)
    return results


def header_problem(report: ScheduledReport) -> str | None:
    """Why a report's name or recipients cannot go into an e-mail's headers, or None. A line
    break there would add headers (or recipients) of the writer's choosing."""
    for what, values in (("its name", (report.name,)), ("its to", report.to)):
        for value in values:
            if any(not ch.isprintable() for ch in value):
                return (
                    f"{what} holds a line break or another control character "
                    f"({one_line(value)!r}); correct the [[email.reports]] entry"
                )
    return None


def one_line(text: str) -> str:
    """Text for a log line: every control character written out as its code."""
    return "".join(c if c.isprintable() else f"\\x{ord(c):02x}" for c in text)


def funder_problem(
    con: Any, report: ScheduledReport, settings: Settings, period: tuple[dt.date, dt.date]
) -> str | None:
    """Why a funder's pack for this stream may not go out (the differencing rule), or None.
    A manager's digest carries the same funders' pack, so it is checked too."""
    from analysis import privacy

    streams = (report.funding_stream,) if report.funding_stream else ()
    scope = metrics.Scope(period[0], period[1], funding_streams=streams)
    return privacy.funder_scope_problem(con, scope, period, settings.suppression_k)


def _audit_send(
    db_path: str | Path, report: ScheduledReport, period: tuple[dt.date, dt.date], result: Sent
) -> None:
    with database.connect(db_path) as con:
        database.write_audit(
            con,
            "python -m analysis send",
            "send report",
            one_line(
                f"{report.name} ({report.audience}"
                f"{', ' + report.funding_stream if report.funding_stream else ''}), "
                f"{period[0].isoformat()} to {period[1].isoformat()}, to "
                f"{', '.join(report.to)}: {result.detail}"
            ),
        )
