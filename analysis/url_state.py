"""The filters as a shareable URL, without Streamlit: what a link's parameters set the filter
widgets to, and the parameters a page writes back (pages/frame.py reads and writes
`st.query_params` with these)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from analysis import financial_years

WINDOW_CODES = {
    "Last 3 months": "last-3-months",
    "Last 12 months": "last-12-months",
    "Programme to date": "to-date",
    "Custom dates": "custom",
}
LIST_FILTERS = (  # (session key, URL parameter, options key, label)
    ("filter_cohorts", "cohort", "cohorts", "Cohorts"),
    ("filter_genders", "gender", "genders", "Gender"),
    ("filter_workers", "worker", "workers", "Outreach worker"),
    ("filter_regions", "region", "regions", "Region"),
    ("filter_streams", "stream", "streams", "Funding stream"),
)
FUNDER_FILTERS = ("filter_cohorts", "filter_regions", "filter_streams")


def window_codes(today: dt.date) -> dict[str, str]:
    """The window presets, label -> URL code: the rolling ones, this and last UK financial
    year and each of their quarters begun (codes relative to today), then custom dates."""
    codes = {label: code for label, code in WINDOW_CODES.items() if code != "custom"}
    codes |= {p.label: p.code for p in financial_years.presets(today)}
    codes["Custom dates"] = "custom"
    return codes


def filters_from_url(
    params: Mapping[str, Sequence[str]], options: Mapping[str, Sequence[str]], today: dt.date
) -> dict[str, Any]:
    """The filter widgets' values a link's parameters give (each parameter with all its
    values): a known window code, valid dates, and only the options that exist; a mistyped or
    stale link falls back to the defaults, and what was not understood is listed under
    `_url_not_understood` for the page to say (a link's part is never dropped in silence)."""
    out: dict[str, Any] = {}
    not_understood: list[str] = []

    def last(name: str) -> str:  # as Streamlit reads a repeated parameter: the last value
        values = params.get(name) or []
        return str(values[-1]) if values else ""

    if last("mentor"):  # a shared Mentor journey link: that page picks it up
        out["_url_mentor"] = last("mentor")
    by_code = {code: label for label, code in window_codes(today).items()}
    asked_window = last("window")
    window = by_code.get(asked_window)
    if window:
        out["filter_window"] = window
    elif asked_window:
        not_understood.append(
            f"the window {asked_window!r} is not a window the dashboard knows (it knows "
            f"{', '.join(repr(c) for c in by_code)}); showing the last 12 months"
        )
    for key, param in (("filter_from", "from"), ("filter_to", "to")):
        text = last(param)
        if text:
            try:
                out[key] = dt.date.fromisoformat(text)
            except ValueError:
                not_understood.append(f"{param}={text!r} is not a date (YYYY-MM-DD); not used")
    for key, param, options_key, _ in LIST_FILTERS:
        chosen = [v for v in params.get(param) or [] if v in options[options_key]]
        if chosen:
            out[key] = chosen
    if not_understood:
        out["_url_not_understood"] = not_understood
    return out


def url_of(
    code: str, window: tuple[dt.date, dt.date], chosen: Mapping[str, Sequence[str]]
) -> dict[str, str | list[str]]:
    """The URL parameters of the filters: the window's code (with its dates when custom) and
    each list filter chosen (by session key)."""
    url: dict[str, str | list[str]] = {"window": code}
    if code == "custom":
        url["from"], url["to"] = window[0].isoformat(), window[1].isoformat()
    for key, param, _, _ in LIST_FILTERS:
        if chosen.get(key):
            url[param] = list(chosen[key])
    return url
