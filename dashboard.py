"""The Peer Mentor Programme dashboard: the frame only.

Page config, who may see what, the database, the sidebar filters, `st.navigation` over the
files in pages/, and `run()`. Every page checks the role again on the server.
"""

import functools
import logging
from pathlib import Path

import streamlit as st

import pages_mode

# Streamlit runs a new server's first request in its old `pages/` directory mode, in which
# widget state does not carry over to the next run. Leave that mode and start the session's
# first run again at once (nothing has been clicked yet, so nothing is lost).
if pages_mode.leave_directory_mode() and not st.session_state.get("_frame_started"):
    st.session_state["_frame_started"] = True
    st.rerun()
st.session_state["_frame_started"] = True

from analysis import admin, database  # noqa: E402
from analysis.settings import load_settings  # noqa: E402
from pages import frame, recovery  # noqa: E402

HERE = Path(__file__).parent

st.set_page_config(
    page_title="Peer Mentor Programme",
    # An emoji, drawn by the browser: a :material/…: page icon is fetched from a Google host.
    page_icon="🤝",
    layout="wide",
    initial_sidebar_state="expanded",
)


def sign_in_page() -> None:
    st.title("Peer Mentor Programme")
    if access.ended:
        st.info("Your sign-in has ended: sign in again to continue.")
    st.write("These records are about people: sign in with your organisation account to continue.")
    if st.button("Sign in", type="primary"):
        st.login()


def no_access_page() -> None:
    st.title("No access")
    st.write(
        "You are signed in, but your address is not on this dashboard's list of managers or "
        "funders, or your organisation's sign-in has not verified it. Ask the programme manager "
        "to add you."
    )
    if st.button("Sign out"):
        frame.sign_out(access)


exposure = frame.exposure_problem()
if exposure:
    logging.getLogger("dashboard").error(exposure)

    def refused() -> None:
        st.error(exposure)

    refusal = st.Page(refused, title="Peer Mentor Programme", url_path="refused")
    st.navigation([refusal], position="hidden").run()
    st.stop()

# One connection for the whole run, opened on first use and closed however the run ends
# (st.stop and st.rerun raise), so the file is never held between interactions.
try:
    access = frame.current_access()
    if access.role is None:
        signed_in = st.user.is_logged_in and not access.ended
        if signed_in:
            frame.record_sign_in(access)  # a stranger's sign-in is written too, once
        page = no_access_page if signed_in else sign_in_page
        st.navigation([st.Page(page, title="Peer Mentor Programme", url_path="welcome")]).run()
        st.stop()

    settings = load_settings()
    if not Path(settings.database).exists():
        with st.spinner("First run: creating a demo programme to explore…"):
            admin.create_demo(settings.database)
    try:
        frame.record_sign_in(access)
        ctx = frame.build_context(access)
    except database.DatabaseBusy:
        frame.busy()
    except (database.DatabaseDamaged, database.DatabaseTooNew) as problem:
        # One sentence, nothing overwritten; a manager is offered the newest good snapshot.
        st.navigation(
            [
                st.Page(
                    functools.partial(
                        recovery.damaged_view,
                        settings.database,
                        problem,
                        access.role == frame.MANAGER,
                        access.user,
                    ),
                    title="Data",
                    url_path="data",
                    icon=":material/upload_file:",
                )
            ]
        ).run()
        st.stop()
    frame.set_context(ctx)

    manager_pages = {
        "Programme": [
            st.Page(
                HERE / "pages/overview.py",
                title="Overview",
                icon=":material/dashboard:",
                default=True,
            ),
            st.Page(HERE / "pages/timekeeping.py", title="Timekeeping", icon=":material/schedule:"),
            st.Page(
                HERE / "pages/reliability.py",
                title="Reliability",
                icon=":material/event_available:",
            ),
            st.Page(HERE / "pages/transitions.py", title="Transitions", icon=":material/timeline:"),
            st.Page(
                HERE / "pages/shadowing.py",
                title="Shadowing and milestones",
                icon=":material/school:",
            ),
            st.Page(HERE / "pages/journey.py", title="Journey", icon=":material/conversion_path:"),
            st.Page(HERE / "pages/behaviour.py", title="Behaviour", icon=":material/diversity_3:"),
            st.Page(
                HERE / "pages/mentor_journey.py", title="Mentor journey", icon=":material/person:"
            ),
        ],
        "Reporting": [
            st.Page(HERE / "pages/targets.py", title="Targets", icon=":material/flag:"),
            st.Page(
                HERE / "pages/impact_summary.py",
                title="Impact summary",
                icon=":material/volunteer_activism:",
            ),
        ],
        "Data": [
            st.Page(HERE / "pages/data.py", title="Data", icon=":material/upload_file:"),
            st.Page(
                HERE / "pages/learning_log.py", title="Learning log", icon=":material/edit_note:"
            ),
            st.Page(
                HERE / "pages/how_we_count.py", title="How we count", icon=":material/menu_book:"
            ),
        ],
    }
    funder_pages = [
        st.Page(
            HERE / "pages/impact_summary.py",
            title="Impact summary",
            icon=":material/volunteer_activism:",
            default=True,
        ),
        st.Page(HERE / "pages/how_we_count.py", title="How we count", icon=":material/menu_book:"),
    ]
    if not ctx.is_manager:  # a funder who typed a manager page's address: refused, logged
        # A funder's own page asked by its manager address or its script (a rerun after a
        # download asks by script) is theirs: only a page they may not see is refused.
        allowed = {listed.url_path for listed in funder_pages}
        allowed_scripts = {listed._script_hash for listed in funder_pages}
        name, script = frame.requested_page()
        for listed in [p for pages in manager_pages.values() for p in pages]:
            asked = (name and name == listed.url_path) or (script and script == listed._script_hash)
            theirs = listed._script_hash in allowed_scripts
            if asked and listed.url_path not in allowed and not theirs:
                frame.record_refusal(access, listed.url_path)
    # The page list is drawn as plain links under section captions, not by Streamlit's own
    # navigation: its grouped list puts each section's header inside the list (invalid list
    # markup that a screen reader announces wrongly, WCAG 1.3.1).
    sections = manager_pages if ctx.is_manager else {"": funder_pages}
    navigation = st.navigation(sections, position="hidden")

    with st.sidebar:
        with st.container(key="pages"):
            for section, listed_pages in sections.items():
                if section:
                    st.caption(section)
                for listed in listed_pages:
                    st.page_link(listed)
        if ctx.access.signed_in_mode:
            st.caption(frame.plain(f"Signed in as {ctx.access.user} ({ctx.access.role})"))
            if st.button("Sign out"):
                frame.sign_out(access)
        else:
            st.caption(
                "Sign-in is off: this dashboard only answers on this computer. To share it with "
                "your team, add an [auth] section to .streamlit/secrets.toml (README: "
                "'Sign-in for your team')."
            )
    if ctx.has_demo:
        st.info(
            "You are looking at **demo data**: a made-up programme to explore. "
            "Remove it on the Data page before importing your records.",
            icon=":material/science:",
        )
    frame.print_styles()
    navigation.run()
except Exception:
    # One calm sentence for whoever is looking; the detail (paths, source) goes to the log only.
    logging.getLogger("dashboard").exception("A page failed")
    st.error(frame.PAGE_FAILED)
finally:
    frame.close_connection()
