"""What every page shares: who is signed in and their role, the database, the filters, the
cache, and how a chart is shown. Streamlit lives here and in the pages, never in analysis/.
"""

from __future__ import annotations

import datetime as dt
import re
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, NoReturn

import pandas as pd
import streamlit as st

import pages_mode
from analysis import (
    audit,
    audit_store,
    clock,
    database,
    metrics,
    page_runs,
    process,
    roles,
    snapshots,
    url_state,
)
from analysis.charts import Card, Chart, markdown_safe
from analysis.settings import Settings, load_settings

# Streamlit's private API is read in pages_mode only: the page asked for and the page drawn.
requested_page = pages_mode.requested_page
current_page_name = pages_mode.current_page_name

# Streamlit's old `pages/` directory mode must never run a page without the frame (see
# _leave_pages_directory_mode); importing the frame switches it off for the server.
pages_mode.leave_directory_mode()
# A database from an older release is kept as a snapshot before a change upgrades it.
snapshots.install()
# Page runs are threads: without a bound, glibc's per-thread arenas let a server's memory creep.
process.bound_malloc_arenas()

# A download made on click is deleted from its /media/ address seconds after it is made
# (security re-probe, finding 1): Streamlit's private API, so it lives in pages_mode.
MEDIA_SECONDS = pages_mode.MEDIA_SECONDS
pages_mode.expire_made_downloads()

PAGE_FAILED = (
    "Something went wrong on this page; the details are in the server's log. Try again, or "
    "choose another page."
)
MANAGER = roles.MANAGER
FUNDER = roles.FUNDER
CACHE_TTL = 600


@dataclass(frozen=True)
class Access:
    role: str | None  # manager, funder, or None (no access)
    user: str  # e-mail address, or "local" when sign-in is off
    signed_in_mode: bool
    session: str = ""  # the sign-in's fingerprint (analysis.audit.session_of)
    ended: str = ""  # why a sign-in no longer holds: "expired" or "signed out"


@dataclass(frozen=True)
class PageContext:
    access: Access
    settings: Settings
    db_path: str
    version: int
    scope: metrics.Scope
    window: tuple[dt.date, dt.date]
    has_demo: bool

    @property
    def is_manager(self) -> bool:
        return self.access.role == MANAGER

    @property
    def is_funder(self) -> bool:
        return self.access.role == FUNDER


def auth_configured() -> bool:
    """Signed-in mode is on when `.streamlit/secrets.toml` has an [auth] section."""
    try:
        return "auth" in st.secrets
    except Exception:  # no secrets file at all
        return False


def _access_lists() -> tuple[set[str], set[str]]:
    try:
        access = st.secrets.get("access", {})
    except Exception:
        access = {}
    return roles.access_lists(access)


LOOPBACK_NAMES = roles.LOOPBACK_NAMES
LOCAL_ONLY = roles.LOCAL_ONLY
is_loopback = roles.is_loopback


def exposure_problem() -> str | None:
    """With sign-in off, everyone who reaches the dashboard is a manager: refuse to serve it on
    an address other computers can reach, or to a page opened through another name."""
    return roles.exposure_problem(
        auth_configured(),
        str(st.get_option("server.address") or ""),
        str(st.context.headers.get("Host") or "localhost"),
    )


def user_claims() -> dict[str, Any]:
    """What the identity provider said about the signed-in user (the identity token's claims)."""
    return dict(st.user.to_dict())


def current_access() -> Access:
    """The signed-in user's role, decided on the server for every run (analysis.roles)."""
    if not auth_configured():
        return Access(MANAGER, "local", False)
    if not st.user.is_logged_in:
        return Access(None, "", True)
    app_settings = load_settings()
    managers, funders = _access_lists()
    decided = roles.decide(
        user_claims(),
        managers,
        funders,
        clock.utc_now(),
        app_settings.session_hours,
        lambda session: _signed_out(app_settings.database, session),
    )
    return Access(decided.role, decided.user, True, decided.session, decided.ended)


def _signed_out(db_path: str, session: str) -> bool:
    return audit.signed_out(db_path, session)


def record_sign_in(access: Access) -> None:
    """Write the sign-in (or its refusal) to the audit log, once per sign-in, not per page: an
    append to the log's light path (analysis/audit_store.py), never a change to the database."""
    if not access.signed_in_mode or not access.session or access.ended:
        return
    if st.session_state.get("_audited_session") == access.session:
        return
    audit.record_sign_in(
        load_settings().database, access.user, access.role, user_claims(), access.session
    )
    st.session_state["_audited_session"] = access.session


def record_refusal(access: Access, page: str) -> None:
    """A page refused to this user, written to the audit log (its light path: an append)."""
    user = access.user or "(not signed in)"  # every refusal says whose it was
    audit_store.append(load_settings().database, user, "page refused", f"page {page}")


def sign_out(access: Access) -> None:
    """End this sign-in everywhere: written to the audit log, so a copy of the cookie is
    refused from now on, then Streamlit forgets the user."""
    if access.session:
        audit.record_sign_out(load_settings().database, access.user, access.session)
    st.logout()


def _leave_pages_directory_mode() -> None:
    """Streamlit runs a server's very first request for a page URL in its old `pages/`
    directory mode, without dashboard.py (so without the frame). Switch that mode off and run
    the request again through the frame; the page shows nothing meanwhile.
    """
    pages_mode.leave_directory_mode()
    reruns = st.session_state.get("_frame_reruns", 0)
    if reruns < 3:
        st.session_state["_frame_reruns"] = reruns + 1
        st.rerun()


def require(*roles: str) -> PageContext:
    """Start a page: refuse (and stop) unless the user's role may see it."""
    # Taken, not read: a page run that did not come through the frame this time finds none.
    ctx: PageContext | None = st.session_state.pop("_page_context", None)
    if ctx is None:
        _leave_pages_directory_mode()
    access = current_access()  # checked again here, not trusted from the navigation
    if ctx is None or access.role not in roles or ctx.access != access:
        # A role that may not see this page is logged (not a run the frame restarts, nor a
        # run whose sign-in ended while it ran: a sign-out is logged as itself).
        if ctx is not None and ctx.access == access:
            record_refusal(access, current_page_name() or requested_page()[0] or "(this page)")
        st.error("You do not have access to this page.")
        st.stop()
    assert ctx is not None
    return ctx


def set_context(ctx: PageContext) -> None:
    st.session_state["_page_context"] = ctx
    st.session_state["_frame_reruns"] = 0
    _run.ctx, _run.notes, _run.charts = ctx, {}, 0


# --- the run's connection: opened on first use, closed when the run ends -------------------
#
# One connection per script run (and per thread: each run has its own), opened when the run
# first needs the database (reading the data version) and used by every cache miss of the run,
# never held between runs, so a command-line import can land while the dashboard is open.
# dashboard.py closes it in a `finally` around the run; an action that writes (`acting`) closes
# it first. While it is open, `metrics` keeps the scoped rows it builds on it, so the views of
# a page share them.

connection = page_runs.connection
close_connection = page_runs.close_connection

_run = threading.local()  # this run's context, notes and chart count (the frame's own)


@st.cache_data(ttl=CACHE_TTL, max_entries=512, show_spinner=False)
def _cached_call(
    name: str,
    db_path: str,
    version: int,
    scope: metrics.Scope,
    settings: Settings,
    kwargs: tuple[tuple[str, Any], ...],
) -> Any:
    return page_runs.call(name, db_path, scope, settings, kwargs)


def load(
    ctx: PageContext,
    function: Callable[..., Any],
    *,
    scope: metrics.Scope | None = None,
    **kwargs: Any,
) -> Any:
    """Call an analysis function `(con, scope, settings, **kwargs)`, cached on small keys.
    `scope`: the part of the page's scope the function depends on, when it is less (so a
    change of the rest finds it cached)."""
    name = page_runs.name_of(function)
    try:
        return _cached_call(
            name,
            ctx.db_path,
            ctx.version,
            ctx.scope if scope is None else scope,
            ctx.settings,
            tuple(sorted(kwargs.items())),
        )
    except database.DatabaseBusy:
        busy()


def uncached(ctx: PageContext, function: Callable[..., Any]) -> Any:
    """Call an analysis function `(con, scope, settings)` afresh on this run (a cache key that
    must see every change, such as the impact pack's)."""
    try:
        return function(connection(ctx.db_path), ctx.scope, ctx.settings)
    except database.DatabaseBusy:
        busy()


def load_catalog(ctx: PageContext, function: Callable[..., Any], **kwargs: Any) -> Any:
    """As `load`, for what ignores the filters (the Data page's tables): cached on the data
    version only, so a filter change does not run it again."""
    name = page_runs.name_of(function)
    try:
        return _cached_call(
            name, ctx.db_path, ctx.version, _NO_SCOPE, ctx.settings, tuple(sorted(kwargs.items()))
        )
    except database.DatabaseBusy:
        busy()


_NO_SCOPE = metrics.Scope()


@contextmanager
def acting() -> Iterator[None]:
    """Wrap a change to the records: a busy or unreadable database is said in one line."""
    close_connection()  # the change opens its own; later reads in this run open afresh
    try:
        yield
    except database.DatabaseBusy:
        busy()
    except database.DatabaseError as exc:
        st.error(f"Nothing was changed: {exc}")
        st.stop()


def busy() -> NoReturn:
    """An import holds the database: say so calmly and stop this run."""
    st.info(
        "An import is updating the records right now. The figures will be back in a moment: "
        "click anything, or reload the page.",
        icon=":material/hourglass_top:",
    )
    st.stop()


def download_detail(ctx: PageContext, file_name: str) -> str:
    """What the audit log keeps of a download: the file, the page, the window and the filters.
    Cohorts, genders, regions and streams are named; outreach workers (staff, people) are only
    counted; a mentor code or a note is never part of it."""
    page = current_page_name() or "overview"
    detail = f"{file_name}; page {page}; window {ctx.window[0]} to {ctx.window[1]}"
    chosen = {k: v for k, v in ctx.scope.filters().items() if v}
    parts = [
        f"{name} {len(values)} chosen"
        if name == "outreach_worker"
        else f"{name} {', '.join(values)}"
        for name, values in chosen.items()
    ]
    return "; ".join([detail, *parts])


def on_click(
    ctx: PageContext,
    file_name: str,
    make: Callable[..., bytes],
    *,
    reads: bool = True,
) -> Callable[[], bytes]:
    """`data=` for st.download_button: the file is made only when the button is clicked (so
    nothing is put at a /media/ address by opening the page), and each download is written to
    the audit log (its light path, analysis/audit_store.py: an append, not a database change):
    who took which file, from which page, for which window and filters. `make` is given a
    read-only connection to the published database, or nothing when `reads` is False."""
    user, db_path = ctx.access.user, ctx.db_path
    detail = download_detail(ctx, file_name)

    def build() -> bytes:
        if reads:
            with database.read(db_path) as con:
                data = make(con)
        else:
            data = make()
        audit_store.append(db_path, user, "download", f"{detail}; {len(data):,} bytes")
        return data

    return build


def plain(text: object) -> str:
    """Text from a record, a file name or a sign-in, for an element that draws Markdown (a
    caption, a message, a label): shown as the text it is, never as an image, link or format."""
    return markdown_safe(str(text))


def cards(items: Sequence[Card], per_row: int | None = None) -> None:
    """Figure cards in rows of `per_row` (all in one row by default)."""
    per_row = per_row or max(len(items), 1)
    for start in range(0, len(items), per_row):
        row = items[start : start + per_row]
        for column, card in zip(st.columns(per_row), row, strict=False):
            column.metric(
                plain(card.label),
                card.value,
                card.delta,
                delta_color=card.delta_color,
                delta_arrow=card.delta_arrow,
                help=plain(card.help),
                border=True,
            )


NOTES_ALL, NOTES_SHARED = "all", "shared"
# "Show the numbers" on screen as in its downloads: percentages to one place, counts whole.
NUMBER_FORMATS = {"integer": "%d", "percent": "%.1f%%", "number": "%.2f"}


def chart(
    figure: Chart,
    key: str | None = None,
    *,
    table: pd.DataFrame | None = None,
    notes: str = NOTES_ALL,
    downloads: str | None = None,
    table_note: str = "",
) -> None:
    """A chart with its one-sentence summary underneath (for screen readers and skimming), the
    learning log's notes marked on a monthly chart, and "Show the numbers": the table it is
    drawn from (read from the figure unless given, e.g. a funder's table with `<k` marks), with
    downloads as CSV and Excel built when clicked. `downloads`: when given, why there are none
    (said in their place)."""
    from analysis import chart_tables, learning_log

    n = getattr(_run, "charts", 0) + 1
    _run.charts = n
    name = key or f"chart_{n}"
    drawn = figure.figure
    if learning_log.is_monthly(drawn):
        drawn = learning_log.mark_notes(drawn, _notes(notes))
    st.plotly_chart(drawn, key=key, config={"displaylogo": False}, alt=figure.summary)
    st.caption(plain(figure.summary))
    numbers = table if table is not None else chart_tables.figure_table(figure.figure)
    title = str(figure.figure.layout.title.text or "chart")
    stem = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:60] or "chart"
    ctx: PageContext | None = getattr(_run, "ctx", None)

    def numbers_file(file_name: str, make: Callable[[], bytes]) -> Callable[[], bytes]:
        # Built on click and audited like every download (a chart drawn outside a page
        # run, as in a test of the chart alone, has no page context to audit with).
        return on_click(ctx, file_name, make, reads=False) if ctx is not None else make

    with st.expander("Show the numbers"):
        kinds = chart_tables.kinds_of(numbers)
        st.caption(
            plain(chart_tables.with_count(numbers) + (f"; {table_note}" if table_note else ""))
        )
        if downloads is not None:
            # A table with no download of its own (a data frame's toolbar offers a CSV), its
            # text shown as text.
            st.table(numbers.map(lambda v: plain(v) if isinstance(v, str) else v), hide_index=True)
            st.caption(plain(downloads))
            return
        st.dataframe(
            numbers,
            hide_index=True,
            key=f"{name}_numbers",
            column_config={
                c: st.column_config.NumberColumn(c, format=NUMBER_FORMATS[k])
                for c, k in kinds.items()
                if k in NUMBER_FORMATS
            },
        )
        left, right = st.columns(2)
        left.download_button(
            "Download the numbers (CSV)",
            data=numbers_file(f"{stem}.csv", lambda: chart_tables.to_csv(numbers)),
            file_name=f"{stem}.csv",
            mime="text/csv",
            key=f"{name}_csv",
            on_click="ignore",
            icon=":material/table:",
        )
        right.download_button(
            "Download the numbers (Excel)",
            data=numbers_file(f"{stem}.xlsx", lambda: chart_tables.to_xlsx(numbers)),
            file_name=f"{stem}.xlsx",
            mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            key=f"{name}_xlsx",
            on_click="ignore",
            icon=":material/grid_on:",
        )


def _notes(which: str) -> list[Any]:
    """The learning log's notes dated in this run's window: all of them for managers, only
    those shared with funders on a funder's page or for a funder (read once per run)."""
    from analysis import learning_log

    ctx: PageContext | None = getattr(_run, "ctx", None)
    if ctx is None:
        return []
    shared_only = which == NOTES_SHARED or not ctx.is_manager
    cache: dict[bool, list[Any]] = getattr(_run, "notes", None) or {}
    if shared_only not in cache:
        try:
            cache[shared_only] = learning_log.notes(
                connection(ctx.db_path), ctx.window[0], ctx.window[1], shared_only=shared_only
            )
        except database.DatabaseBusy:
            busy()
        _run.notes = cache
    return cache[shared_only]


def settings() -> Settings:
    return load_settings()


# --- page styles: target sizes and printing ----------------------------------------------------
#
# Static CSS from this file (never record text). On screen, a date field's parts are at least
# 24 pixels (WCAG 2.2 target size). On paper: no sidebar, header or toolbar; the
# page in landscape with the main area scaled so a chart drawn for a wide screen fits the width;
# interactive grids (which print only their visible rows) give way to their whole print copies;
# "Show the numbers", downloads and buttons are left out.
PRINT_CSS = """
<style>
[class*="st-key-print_copy_"] { display: none; }
/* WCAG 2.2 target size: a date field's day, month and year parts are at least 24 px. */
[role="group"] > [role="spinbutton"] { display: inline-block; min-width: 24px; min-height: 24px;
  line-height: 24px; text-align: center; }
/* A card's label and a button's words are read whole: they wrap, never end in "…". */
[data-testid="stMetricLabel"], [data-testid="stMetricLabel"] *,
[data-testid="stDownloadButton"] button, [data-testid="stDownloadButton"] button * {
  white-space: normal !important; overflow: visible !important;
  text-overflow: clip !important; }
[data-testid="stMetricLabel"] { height: auto !important; min-height: 1.5rem; }
@media print {
  @page { size: A4 landscape; margin: 10mm; }
  [data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"],
  [data-testid="stHeader"], [data-testid="stToolbar"], [data-testid="stDecoration"],
  [data-testid="stStatusWidget"], [data-testid="stExpander"], [data-testid="stDownloadButton"],
  [data-testid="stButton"], [data-testid="stFormSubmitButton"], [data-testid="stDataFrame"],
  [data-testid="stElementToolbar"] { display: none !important; }
  [data-testid="stAppViewContainer"], [data-testid="stMain"] { margin: 0 !important;
    padding: 0 !important; width: 100% !important; }
  [data-testid="stMainBlockContainer"] { max-width: 100% !important; padding: 0 !important;
    zoom: 0.72; }
  [class*="st-key-print_copy_"] { display: block !important; }
  [class*="st-key-print_copy_"] table { width: 100%; font-size: 10pt; }
  .stPlotlyChart { break-inside: avoid; }
  /* A long table runs on over pages, a row never split, its heading row on every page.
     Streamlit draws a table as an inline-table: one line of text that cannot break, moved
     whole to a new page past a blank one. */
  [data-testid="stTable"] table { display: table !important; }
  [data-testid="stTable"], [data-testid="stTable"] * { overflow: visible !important; }
  [data-testid="stTable"] tr { break-inside: avoid; }
  [data-testid="stTable"] thead { display: table-header-group; }
  h1, h2, h3, h4 { break-after: avoid; }
}
</style>
"""


def print_styles() -> None:
    """The page styles (static text): target sizes, and the print stylesheet; once a page."""
    st.html(PRINT_CSS)


def print_copy(
    table: pd.DataFrame,
    columns: dict[str, str],
    key: str,
    *,
    percent: Sequence[str] = (),
) -> None:
    """A whole, static copy of an interactive table that only paper shows (the grid on screen
    prints only the rows it has scrolled to): `columns` maps the table's columns to headings.
    Values print as the screen shows them: dates as "30 Jun 2026", counts whole, the
    `percent` columns as "97%", blanks blank; record text as text, never Markdown."""
    shown = pd.DataFrame(
        {
            heading: [print_value(v, column in percent) for v in table[column]]
            for column, heading in columns.items()
        }
    )
    with st.container(key=f"print_copy_{key}"):
        st.table(shown, hide_index=True)


def print_value(value: Any, percent: bool = False) -> str:
    """One cell as the screen shows it, for a printed table."""
    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return ""
    if isinstance(value, pd.Timestamp | dt.datetime | dt.date):
        day = pd.Timestamp(value)
        if pd.isna(day):
            return ""
        if day == day.normalize():
            return f"{day.day} {day:%b %Y}"
        return f"{day.day} {day:%b %Y %H:%M}"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float) or hasattr(value, "item"):
        number = float(value)
        text = f"{number:,.0f}" if number.is_integer() else f"{number:,.1f}"
        return f"{number:.0f}%" if percent else text
    return plain(value)


# --- the sidebar filters, bound to the URL so a view can be shared --------------------------

WINDOW_CODES = url_state.WINDOW_CODES
LIST_FILTERS = url_state.LIST_FILTERS
FUNDER_FILTERS = url_state.FUNDER_FILTERS
window_codes = url_state.window_codes


def _restore_filters_from_url(options: dict[str, list[str]]) -> None:
    """On a session's first run, the URL's filters become the widgets' values."""
    if st.session_state.get("_filters_restored"):
        return
    st.session_state["_filters_restored"] = True
    params = {name: st.query_params.get_all(name) for name in st.query_params}
    for key, value in url_state.filters_from_url(params, options, clock.today()).items():
        st.session_state[key] = value


def _say_not_understood() -> None:
    """What a shared link asked for that the dashboard did not understand, said once."""
    parts = st.session_state.pop("_url_not_understood", None)
    if parts:
        st.warning(
            plain("This page's address was not fully understood: " + "; ".join(parts) + "."),
            icon=":material/link_off:",
        )


def sidebar_filters(
    options: dict[str, list[str]], extent: dict[str, Any], role: str | None
) -> tuple[metrics.Scope, tuple[dt.date, dt.date]]:
    """Draw the filters; return the scope they select and write them into the URL."""
    from analysis import catalog, financial_years

    _restore_filters_from_url(options)
    _say_not_understood()
    today = clock.today()
    codes = window_codes(today)
    if st.session_state.get("filter_window") not in codes:  # e.g. last year's quarter label
        st.session_state["filter_window"] = "Last 12 months"
    sidebar = st.sidebar
    sidebar.header("Filters")
    preset = sidebar.selectbox("Window", list(codes), key="filter_window")
    years = {p.label: p for p in financial_years.presets(today)}
    if preset in years:
        default_window = financial_years.window(years[preset], extent.get("latest_past_session"))
    else:
        default_window = catalog.preset_window(
            "Last 12 months" if preset == "Custom dates" else preset, extent
        )
    if preset == "Custom dates":
        st.session_state.setdefault("filter_from", default_window[0])
        st.session_state.setdefault("filter_to", default_window[1])
        left, right = sidebar.columns(2)
        date_from = left.date_input("From", key="filter_from", format="DD/MM/YYYY")
        date_to = right.date_input("To", key="filter_to", format="DD/MM/YYYY")
        assert isinstance(date_from, dt.date) and isinstance(date_to, dt.date)
        if date_from > date_to:
            sidebar.warning("The window starts after it ends; showing the dates swapped.")
            date_from, date_to = date_to, date_from
        window = (date_from, date_to)
    else:
        window = default_window
        sidebar.caption(f"{window[0]:%d %b %Y} to {window[1]:%d %b %Y}")
    chosen: dict[str, list[str]] = {}
    for key, _, options_key, label in LIST_FILTERS:
        if role == FUNDER and key not in FUNDER_FILTERS:
            chosen[key] = []
            continue
        st.session_state.setdefault(key, [])
        st.session_state[key] = [v for v in st.session_state[key] if v in options[options_key]]
        chosen[key] = sidebar.multiselect(label, options[options_key], key=key, placeholder="All")
    st.query_params.from_dict(url_state.url_of(codes[preset], window, chosen))
    scope = metrics.Scope(
        window[0],
        window[1],
        tuple(chosen["filter_cohorts"]),
        tuple(chosen["filter_genders"]),
        tuple(chosen["filter_workers"]),
        tuple(chosen["filter_regions"]),
        tuple(chosen["filter_streams"]),
    )
    return scope, window


WHOLE_PROGRAMME = "The whole programme"


@st.cache_data(ttl=CACHE_TTL, max_entries=64, show_spinner=False)
def _funder_groups(
    db_path: str, version: int, window: tuple[dt.date, dt.date], k: int
) -> dict[str, list[str]]:
    from analysis import privacy

    return privacy.funder_groups(connection(db_path), window, k)


def funder_groups(
    db_path: str, version: int, window: tuple[dt.date, dt.date], k: int
) -> dict[str, list[str]]:
    """The cohorts, regions and funding streams a funder may choose in this window (the
    differencing rule), cached on the data version."""
    try:
        return _funder_groups(db_path, version, window, k)
    except database.DatabaseBusy:
        busy()


def funder_filters(
    options: dict[str, list[str]], extent: dict[str, Any], db_path: str, k: int
) -> tuple[metrics.Scope, tuple[dt.date, dt.date]]:
    """A funder's filters, by the differencing rule (METRICS.md): a financial year or one of
    its quarters (complete or to date; never custom dates or a rolling window), and the whole
    programme, one cohort, one region or one funding stream among those big enough to stand
    alone."""
    from analysis import financial_years

    _restore_filters_from_url(options)
    periods = funder_period_options(extent)
    codes = {label: code for label, (code, _) in periods.items()}
    asked_window = st.query_params.get("window", "")
    by_code = {code: label for label, code in codes.items()}
    if asked_window in by_code:  # a funder's period is not a manager's window: understood here
        pending = st.session_state.get("_url_not_understood") or []
        st.session_state["_url_not_understood"] = [
            p for p in pending if not p.startswith("the window ")
        ]
    _say_not_understood()
    if st.session_state.get("filter_window") not in codes:
        st.session_state["filter_window"] = by_code.get(asked_window, next(iter(codes)))
    sidebar = st.sidebar
    sidebar.header("Filters")
    preset = str(sidebar.selectbox("Period", list(codes), key="filter_window"))
    window = periods[preset][1]
    assert financial_years.funder_period(*window) is not None
    sidebar.caption(f"{window[0]:%d %b %Y} to {window[1]:%d %b %Y}")
    groups = funder_groups(db_path, current_version(db_path), window, k)
    parts: dict[str, tuple[str, str]] = {WHOLE_PROGRAMME: ("", "")}
    parts |= {f"Cohort {g}": ("cohort", g) for g in groups["cohort"]}
    parts |= {f"Region {g}": ("region", g) for g in groups["region"]}
    parts |= {f"Funding stream {g}": ("stream", g) for g in groups["stream"]}
    if "funder_part" not in st.session_state:  # from a shared address, if it is allowed
        asked = [("cohort", c) for c in st.session_state.get("filter_cohorts", [])]
        asked += [("region", r) for r in st.session_state.get("filter_regions", [])]
        asked += [("stream", f) for f in st.session_state.get("filter_streams", [])]
        matching = [label for label, part in parts.items() if [part] == asked]
        st.session_state["funder_part"] = matching[0] if matching else WHOLE_PROGRAMME
    if st.session_state["funder_part"] not in parts:
        st.session_state["funder_part"] = WHOLE_PROGRAMME
    label = sidebar.selectbox(
        "Part of the programme",
        list(parts),
        key="funder_part",
        help=f"A cohort, region or funding stream is listed when it, and what it leaves out, "
        f"has at least {k} mentors in the window.",
    )
    dimension, value = parts[str(label)]
    url: dict[str, str | list[str]] = {"window": codes[preset]}
    if dimension:
        url[dimension] = [value]
    st.query_params.from_dict(url)
    scope = metrics.Scope(
        window[0],
        window[1],
        cohorts=(value,) if dimension == "cohort" else (),
        regions=(value,) if dimension == "region" else (),
        funding_streams=(value,) if dimension == "stream" else (),
    )
    return scope, window


def funder_period_options(
    extent: dict[str, Any],
) -> dict[str, tuple[str, tuple[dt.date, dt.date]]]:
    """A funder's periods over the records, label -> (URL code, window): the financial year
    holding the latest session first (the default), then the other years and quarters, newest
    first. Codes name the period itself (`fy-2025-q3`), so a shared address keeps its meaning."""
    from analysis import financial_years

    latest = extent.get("latest_session") or clock.today()
    earliest = extent.get("earliest_session") or latest
    periods = [p for p in financial_years.funder_periods(latest, earliest) if p.end >= earliest]
    ordered = sorted(periods, key=lambda p: (p.quarter is None, p.start), reverse=True)
    out: dict[str, tuple[str, tuple[dt.date, dt.date]]] = {}
    for period in ordered:
        window = financial_years.to_date(period, latest)
        running = ", to date" if window[1] < period.end else ""
        if period.quarter is None:
            label, code = f"Financial year {period.name}{running}", f"fy-{period.first}"
        else:
            months = financial_years.QUARTER_MONTHS[period.quarter - 1]
            label = f"{period.name} ({months}{running})"
            code = f"fy-{period.first}-q{period.quarter}"
        out[label] = (code, window)
    return out


@st.cache_data(ttl=CACHE_TTL, max_entries=64, show_spinner=False)
def _catalog(db_path: str, version: int, name: str, today: dt.date) -> Any:
    """A catalog function's result; `today` is in the key, as the latest past session is."""
    from analysis import catalog

    return getattr(catalog, name)(connection(db_path), metrics.Scope(), load_settings())


def current_version(db_path: str) -> int:
    """The data version, read fresh on every run so a command-line import shows at once."""
    return database.data_version(connection(db_path))


def build_context(access: Access) -> PageContext:
    """Everything a page needs, decided once per run by the frame."""
    app_settings = load_settings()
    db_path = app_settings.database
    version = current_version(db_path)
    today = clock.today()
    extent = _catalog(db_path, version, "freshness", today)
    options = _catalog(db_path, version, "filter_options", today)
    if access.role == FUNDER:
        scope, window = funder_filters(options, extent, db_path, app_settings.suppression_k)
    else:
        scope, window = sidebar_filters(options, extent, access.role)
    return PageContext(
        access=access,
        settings=app_settings,
        db_path=db_path,
        version=version,
        scope=scope,
        window=window,
        has_demo=bool(extent["has_demo"]),
    )


def freshness(ctx: PageContext) -> dict[str, Any]:
    return dict(_catalog(ctx.db_path, ctx.version, "freshness", clock.today()))
