"""Differencing (security probe, finding 1): a funder subtracting two views must not single
anyone out. The probe's attack on the worked example: the CSV for cohort 2025 Q3 (6 mentors)
minus the CSV for the same cohort with three of the four regions (5 mentors) gave the one London
mentor's figures. The rule (METRICS.md, "Differencing") is applied to the page, its CSV and PDF
(the same summary) and `report --audience funder`.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from analysis import database, metrics, privacy
from tests.conftest import cli_env, signed_in

ROOT = Path(__file__).resolve().parents[1]
Q3 = "2025 Q3"
THREE_REGIONS = ["North", "South West", "Midlands"]


def funder_report(
    db: Path, tmp_path: Path, *args: str, fmt: str = "json"
) -> subprocess.CompletedProcess[str]:
    extra = ["--out", str(tmp_path / "pack.pdf")] if fmt == "pdf" else []
    return subprocess.run(
        [sys.executable, "-m", "analysis", "report", "--db", str(db), "--audience", "funder",
         "--format", fmt, *extra, *args],
        cwd=ROOT, env=cli_env(tmp_path), capture_output=True, text=True, timeout=300,
    )  # fmt: skip


def test_the_probes_attack_is_refused_on_the_command_line(clean_db: Path, tmp_path: Path) -> None:
    whole = funder_report(clean_db, tmp_path, "--cohort", Q3)
    assert whole.returncode == 0, whole.stderr  # the worked example's funder report stands
    regions = [a for r in THREE_REGIONS for a in ("--region", r)]
    for fmt in ("json", "csv", "pdf"):
        cut = funder_report(clean_db, tmp_path, "--cohort", Q3, *regions, fmt=fmt)
        assert cut.returncode != 0 and cut.stdout == "", fmt
        assert "never a combination" in cut.stderr
        assert len(cut.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize(
    ("args", "why"),
    [
        (["--region", "North", "--region", "South West"], "never a combination"),  # 3 of 4
        (["--cohort", Q3, "--cohort", "2024 Q3"], "never a combination"),
        (["--cohort", Q3, "--region", "North"], "never a combination"),
        (["--gender", "female"], "gender or outreach worker"),
        (["--outreach-worker", "OW-01"], "gender or outreach worker"),
        (["--region", "London"], "fewer than 5 mentors"),  # 4 mentors
        (["--cohort", "2024 Q1"], "fewer than 5 mentors"),  # 4 mentors
        # Big enough, but withdrawn: with London (4) alone left out, the whole programme minus
        # every region offered would give London's figures.
        (["--region", "Midlands"], "fewer than 5 mentors"),
    ],
)
def test_variants_are_refused(clean_db: Path, tmp_path: Path, args: list[str], why: str) -> None:
    done = funder_report(clean_db, tmp_path, *args)
    assert done.returncode != 0 and done.stdout == ""
    assert why in done.stderr


def test_managers_reports_are_not_limited(clean_db: Path, tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "analysis", "report", "--db", str(clean_db), "--cohort", Q3,
         "--region", "London"],
        cwd=ROOT, env=cli_env(tmp_path), capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr


def members_of(con: object, window: tuple[object, object]) -> dict[tuple[str, str], set[str]]:
    """Every view a funder can choose in the window, as its set of active mentors (read here
    with SQL of the test's own, not the rule's)."""
    run = con.execute  # type: ignore[attr-defined]
    params = {"from": window[0], "to": window[1]}
    active = (
        "SELECT * FROM mentors WHERE start_date <= $to AND (end_date IS NULL OR end_date >= $from)"
    )
    out = {
        ("whole", ""): {r[0] for r in run(f"SELECT mentor_id FROM ({active})", params).fetchall()}
    }
    for name, column in (("cohort", "cohort"), ("region", "region")):
        for mentor, value in run(f"SELECT mentor_id, {column} FROM ({active})", params).fetchall():
            out.setdefault((name, value), set()).add(mentor)
    paid = run(
        f"SELECT f.funding_stream, f.mentor_id FROM funding f JOIN ({active}) a USING (mentor_id) "
        'WHERE (f."from" IS NULL OR f."from" <= $to) AND (f."to" IS NULL OR f."to" >= $from)',
        params,
    ).fetchall()
    for stream, mentor in paid:
        out.setdefault(("stream", stream), set()).add(mentor)
    return out


def assert_no_view_singles_anyone_out(db: Path, k: int = 5) -> dict[str, list[str]]:
    with database.read(db) as con:
        window = metrics.resolve_window(con, metrics.Scope())
        groups = privacy.funder_groups(con, window, k)
        everything = members_of(con, window)
    offered = {("whole", "")} | {(d, g) for d, values in groups.items() for g in values}
    views = {key: everything[key] for key in offered}
    whole = views[("whole", "")]
    for a in views.values():
        for b in views.values():
            if b <= a:  # a view inside another can be subtracted down to people
                assert len(a - b) == 0 or len(a - b) >= k
    for name in privacy.FUNDER_DIMENSIONS:
        covered = set().union(*(views[(name, v)] for v in groups[name]))
        assert len(whole - covered) == 0 or len(whole - covered) >= k
    return groups


def test_any_two_views_offered_differ_by_none_or_at_least_k(clean_db: Path) -> None:
    """Of the views a funder can choose (whole, each cohort, region or stream offered), one
    inside another differs from it by no one or at least k mentors, and the groups offered of
    each kind leave out none or at least k."""
    groups = assert_no_view_singles_anyone_out(clean_db)
    assert groups == {
        "cohort": ["2024 Q3", "2024 Q4", Q3],
        "region": ["North", "South West"],
        "stream": [],
    }


def test_funding_streams_follow_the_rule_too(clean_db: Path, tmp_path: Path) -> None:
    """Streams can overlap (a mentor paid by two): a stream inside another, or the mentors in one
    but not another, count as parts a funder could tell apart."""
    db = tmp_path / "streams.duckdb"
    db.write_bytes(clean_db.read_bytes())
    with database.read(db) as con:
        mentors = [r[0] for r in con.execute("SELECT mentor_id FROM mentors ORDER BY 1").fetchall()]
    rows = [(m, "Big fund") for m in mentors[:30]]  # 30 of 40
    rows += [(m, "Inside big") for m in mentors[:27]]  # inside Big fund, 3 fewer: withdrawn
    rows += [(m, "Small fund") for m in mentors[30:33]]  # 3 mentors: withdrawn
    with database.connect(db) as con:
        con.executemany(
            'INSERT INTO funding (mentor_id, funding_stream, "from", "to") VALUES (?, ?, NULL, NULL)',
            rows,
        )
    groups = assert_no_view_singles_anyone_out(db)
    assert groups["stream"] == ["Big fund"]
    refused = funder_report(db, tmp_path, "--funding-stream", "Inside big")
    assert refused.returncode != 0 and "funding stream cannot be shown" in refused.stderr
    both = funder_report(db, tmp_path, "--funding-stream", "Big fund", "--cohort", Q3)
    assert both.returncode != 0 and "never a combination" in both.stderr
    assert funder_report(db, tmp_path, "--funding-stream", "Big fund").returncode == 0


def _people(sizes: dict[str, int], total: int) -> tuple[dict[str, set[str]], set[str]]:
    """Disjoint groups of these sizes among `total` people (the rest in no group)."""
    groups, n = {}, 0
    for name, size in sizes.items():
        groups[name] = {f"p{i}" for i in range(n, n + size)}
        n += size
    return groups, {f"p{i}" for i in range(total)}


@pytest.mark.parametrize(
    ("sizes", "total", "offered"),
    [
        ({"a": 6, "b": 5, "c": 1}, 12, ["a"]),  # c alone left out: b withdrawn too
        ({"a": 6, "b": 6}, 12, ["a", "b"]),
        ({"a": 9, "b": 3}, 12, []),  # a's complement is 3 people
        ({"a": 12}, 12, ["a"]),  # the whole programme again: differs by no one
        ({"a": 5, "b": 5, "c": 5}, 17, ["b", "c"]),  # 2 with no group: one more withdrawn
    ],
)
def test_offered_groups(sizes: dict[str, int], total: int, offered: list[str]) -> None:
    groups, everyone = _people(sizes, total)
    got = privacy.offered_groups(groups, everyone, 5)
    left_out = total - sum(sizes[g] for g in got)
    assert left_out == 0 or left_out >= 5
    assert all(total - sizes[g] == 0 or total - sizes[g] >= 5 for g in got)
    assert got == offered


def test_overlapping_groups_are_told_apart_by_every_combination() -> None:
    everyone = {f"p{i}" for i in range(20)}
    a = {f"p{i}" for i in range(10)}
    b = {f"p{i}" for i in range(7, 17)}  # a and b share 3: a minus b is 7, b minus a is 7
    assert privacy.offered_groups({"a": a, "b": b}, everyone, 5) == ["b"]  # 3 in both: a out
    b = {f"p{i}" for i in range(5, 15)}  # 5 shared, 5 only in a, 5 only in b, 5 in none
    assert privacy.offered_groups({"a": a, "b": b}, everyone, 5) == ["a", "b"]


# -- the page: a funder's sidebar offers only what the rule allows, and the server checks ------

AUTH = {
    "redirect_uri": "http://localhost:8501/oauth2callback",
    "cookie_secret": "a-test-secret-that-is-long-enough",
    "client_id": "dashboard",
    "client_secret": "not-a-secret",
    "server_metadata_url": "http://127.0.0.1:9/.well-known/openid-configuration",
}


def funder_page(db: Path, monkeypatch: pytest.MonkeyPatch, query: dict[str, object]) -> AppTest:
    monkeypatch.setenv("DASHBOARD_DB", str(db))
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=90)
    at.secrets["auth"] = AUTH
    at.secrets["access"] = {"managers": [], "funders": ["f@example.org"]}
    at.user = signed_in("f@example.org")
    for key, value in query.items():
        at.query_params[key] = value
    at.run()
    assert not at.exception
    return at


def test_a_funder_chooses_one_part_of_the_programme(
    clean_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = funder_page(clean_db, monkeypatch, {"window": "to-date"})
    windows = list(at.sidebar.selectbox(key="filter_window").options)
    # financial years and their quarters only (METRICS.md, third release); the default is the
    # year holding the latest session, to its date, whatever the address asked for
    assert windows[0] == "Financial year 2025/26, to date"
    assert at.sidebar.selectbox(key="filter_window").value == windows[0]
    assert all(w.startswith(("Financial year ", "Q")) for w in windows), windows
    assert "Q3 2025/26 (October to December, to date)" in windows
    assert list(at.sidebar.selectbox(key="funder_part").options) == [
        "The whole programme", "Cohort 2024 Q3", "Cohort 2024 Q4", f"Cohort {Q3}",
        "Region North", "Region South West",
    ]  # fmt: skip
    assert not at.sidebar.multiselect  # no combinations to choose
    assert not at.sidebar.date_input  # no custom dates


def test_a_crafted_address_gets_the_whole_programme_not_the_combination(
    clean_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = funder_page(
        clean_db, monkeypatch, {"window": "fy-2025", "cohort": Q3, "region": THREE_REGIONS}
    )
    assert at.sidebar.selectbox(key="funder_part").value == "The whole programme"
    assert [m.value for m in at.metric if m.label.startswith("Peer mentors")] == ["30"]  # 2025/26
    at = funder_page(clean_db, monkeypatch, {"window": "fy-2025", "cohort": Q3})
    assert at.sidebar.selectbox(key="funder_part").value == f"Cohort {Q3}"
    assert [m.value for m in at.metric if m.label.startswith("Peer mentors")] == ["5"]  # 6, rounded
