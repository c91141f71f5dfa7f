"""The sidebar filters and the page number box, kept in step with the URL."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import streamlit as st

from lib.core.filters import (
    PARAM_AGENCY,
    PARAM_AS_OF,
    PARAM_ASSIGNING,
    PARAM_BUCKET,
    PARAM_CLAUSE,
    PARAM_COOPERATOR,
    PARAM_DOCUMENT,
    PARAM_LOCALITY,
    PARAM_PAGE,
    PARAM_REGROUP,
    REGROUP_HELP,
    REGROUP_LABEL,
    FilterOptions,
    Filters,
    filters_to_params,
    parse_as_of,
    parse_choices,
    parse_filters,
    parse_flag,
    parse_page,
)
from lib.core.formatting import fmt_int
from lib.ui import widgets


def _url_params() -> dict[str, list[str]]:
    return {key: st.query_params.get_all(key) for key in st.query_params}


_FILTER_FIELDS = {
    # name: (Filters attribute, URL parameter, label)
    "loc": ("localities", PARAM_LOCALITY, "Địa bàn"),
    "clause": ("clauses", PARAM_CLAUSE, "Mục của công văn"),
    "doc": ("documents", PARAM_DOCUMENT, "Văn bản căn cứ"),
    "assigning": ("assigning", PARAM_ASSIGNING, "Văn bản giao"),
    "agency": ("agencies", PARAM_AGENCY, "Cơ quan chủ trì"),
    "coop": ("cooperators", PARAM_COOPERATOR, "Cơ quan phối hợp"),
    "bucket": ("buckets", PARAM_BUCKET, "Tình trạng"),
}


@dataclass(frozen=True)
class _Bar:
    """One page's filter bar: the fields it draws, their widget keys and choices, its URL parameters."""

    prefix: str
    fields: Sequence[str]
    keys: dict[str, str]  # field name → widget key
    choices: dict[str, Mapping[str, str]]  # field name → the values offered
    as_of_key: str
    owned: tuple[str, ...]  # the URL parameters this bar keeps in step


def filter_bar(
    prefix: str, options: FilterOptions, today: date, fields: Sequence[str] = tuple(_FILTER_FIELDS)
) -> tuple[Filters, date]:
    """Draw the sidebar filters, kept in step with the URL so a view can be shared as a link.

    A page that draws only some `fields` leaves the others as they were, so the user finds them
    again on the pages that use them. A value of the link the page cannot use (an unknown code, a
    mistyped or out-of-range date) keeps its warning, and stays in the URL as it was written, until
    the reader changes that filter: a reload or a shared copy of the link says the same.
    """
    params = _url_params()
    owned = (*(_FILTER_FIELDS[name][1] for name in fields), PARAM_AS_OF)
    url_filters, url_as_of, problems = _read_url(params, owned, options, today)
    bar = _Bar(
        prefix,
        fields,
        keys={name: f"{prefix}_f_{name}" for name in fields},
        choices={
            "loc": options.localities,
            "clause": options.clauses,
            "doc": options.documents,
            "assigning": options.documents,
            "agency": options.agencies,
            "coop": options.cooperators,
            "bucket": options.buckets,
        },
        as_of_key=f"{prefix}_as_of",
        owned=owned,
    )
    remembered = st.session_state.get("_filters", Filters())
    _seed_widgets(bar, params, url_filters, url_as_of, remembered, today)
    chosen, as_of = _draw_widgets(bar, remembered, today)
    filters = _remember(bar, remembered, chosen, as_of)
    current: dict[str, object] = {_FILTER_FIELDS[name][1]: chosen[name] for name in fields}
    current[PARAM_AS_OF] = as_of
    _sync_url(bar, filters, as_of, today, keep=standing_problems(problems, current))
    return filters, as_of


def standing_problems(
    problems: Mapping[str, UrlProblem], current: Mapping[str, object], where: Any = st
) -> dict[str, str]:
    """Warn (in `where`) about each value of the link the page cannot use while the reader has not
    changed it (the widget still shows its fallback); return those parameters as the link wrote them,
    to be kept in the URL."""
    standing = {param: p for param, p in problems.items() if current.get(param) == p.fallback}
    for problem in standing.values():
        for message in problem.messages:
            where.warning(message, icon="⚠️")
    return {param: p.raw for param, p in standing.items()}


@dataclass(frozen=True)
class UrlProblem:
    """A value of the link the page cannot use: kept as written while the page shows `fallback`."""

    raw: str  # the parameter as the link wrote it
    fallback: object  # what the page uses instead: the valid part of a filter, or the default date
    messages: tuple[str, ...]


def _read_url(
    params: Mapping[str, list[str]], owned: tuple[str, ...], options: FilterOptions, today: date
) -> tuple[Filters, date, dict[str, UrlProblem]]:
    """The filters and date the URL asks for (only the parameters this bar owns), and what in it the
    page cannot use, by parameter."""
    mine = {k: v for k, v in params.items() if k in owned}
    url_filters, _ = parse_filters(mine, options)
    problems: dict[str, UrlProblem] = {}
    for attr, param, _label in _FILTER_FIELDS.values():
        if param in mine:
            _, warnings = parse_filters({param: mine[param]}, options)
            if warnings:
                problems[param] = UrlProblem(
                    ",".join(mine[param]), getattr(url_filters, attr), tuple(warnings)
                )
    url_as_of, date_warning = parse_as_of(params.get(PARAM_AS_OF), today)
    if date_warning:
        problems[PARAM_AS_OF] = UrlProblem(params[PARAM_AS_OF][0], url_as_of, (date_warning,))
    return url_filters, url_as_of, problems


def _seed_widgets(
    bar: _Bar,
    params: Mapping[str, list[str]],
    url_filters: Filters,
    url_as_of: date,
    remembered: Filters,
    today: date,
) -> None:
    """On the first run, seed the widgets from the URL if it names any filter, else from memory."""
    state = st.session_state
    if bar.as_of_key in state:
        return
    from_url = any(p in params for p in bar.owned)
    base = url_filters if from_url else remembered
    for name, key in bar.keys.items():
        offered = bar.choices[name]
        state[key] = [v for v in getattr(base, _FILTER_FIELDS[name][0]) if v in offered]
    state[bar.as_of_key] = url_as_of if from_url else state.get("_as_of", today)


def _draw_widgets(bar: _Bar, remembered: Filters, today: date) -> tuple[dict[str, tuple[str, ...]], date]:
    """Draw the date, the filters and the clear button; return every filter's choice and the date."""
    state = st.session_state

    def _clear() -> None:
        for key in [*bar.keys.values(), *state.get(f"_{bar.prefix}_extra_filters", ())]:
            state[key] = []
        state[bar.as_of_key] = today

    chosen = {name: tuple(getattr(remembered, attr)) for name, (attr, _, _) in _FILTER_FIELDS.items()}
    with st.sidebar:
        st.subheader("Bộ lọc")
        # Each widget also gets its current value as its default: Streamlit's frontend was seen to
        # report a keyed widget's default after a quick rerun (a filter snapping back to "Tất cả"
        # after a reload or a click); with default = value, that report changes nothing.
        as_of = widgets.as_of_input(state[bar.as_of_key], today, key=bar.as_of_key)
        for name in bar.fields:
            choices = bar.choices[name]
            values = st.multiselect(
                _FILTER_FIELDS[name][2],
                options=list(choices),
                default=[v for v in state[bar.keys[name]] if v in choices],
                key=bar.keys[name],
                format_func=lambda code, c=choices: c.get(code, code),  # type: ignore[misc]
                placeholder="Tất cả",
            )
            chosen[name] = tuple(values)
        st.button("Xóa bộ lọc", key=f"{bar.prefix}_clear", on_click=_clear, width="stretch")
    return chosen, as_of


def _remember(bar: _Bar, remembered: Filters, chosen: Mapping[str, tuple[str, ...]], as_of: date) -> Filters:
    """Remember every filter and the date for the other pages; return only the filters drawn here."""
    state = st.session_state
    # Remember every filter for the pages that draw it (a locality this page does not offer, such
    # as "Cấp tỉnh" on the headquarters page, stays remembered), but return only those drawn here:
    # a filter the user cannot see must never narrow what this page shows.
    hidden_places = tuple(c for c in remembered.localities if c not in bar.choices["loc"])
    state["_filters"] = Filters(
        localities=chosen["loc"] + (hidden_places if "loc" in bar.fields else ()),
        clauses=chosen["clause"],
        documents=chosen["doc"],
        agencies=chosen["agency"],
        buckets=chosen["bucket"],
        cooperators=chosen["coop"],
        assigning=chosen["assigning"],
    )
    named: dict[str, Any] = {
        attr: chosen[name] if name in bar.fields else () for name, (attr, _, _) in _FILTER_FIELDS.items()
    }
    filters = Filters(**named)
    state["_as_of"] = as_of
    return filters


def _sync_url(bar: _Bar, filters: Filters, as_of: date, today: date, keep: Mapping[str, str]) -> None:
    """Put the filters drawn here and a date other than today in the URL; the parameters in `keep`
    stay as the link wrote them."""
    wanted = {k: v for k, v in filters_to_params(filters).items() if k in bar.owned}
    if as_of != today:
        wanted[PARAM_AS_OF] = as_of.isoformat()
    wanted.update(keep)
    sync_query_params(wanted, owned=bar.owned)


def choice_filter(
    prefix: str, label: str, param: str, choices: Mapping[str, str], what: str
) -> tuple[str, ...]:
    """Draw one more multi-choice filter in the sidebar, kept in step with the URL parameter `param`."""
    state = st.session_state
    key = f"{prefix}_f_{param}"
    extra = state.setdefault(f"_{prefix}_extra_filters", [])
    if key not in extra:
        extra.append(key)  # cleared by the filter bar's "Xóa bộ lọc" too
    if key not in state:
        picked, warnings = parse_choices(st.query_params.get_all(param), choices, what)
        for message in warnings:
            st.warning(message, icon="⚠️")
        state[key] = list(picked)
    with st.sidebar:
        values = st.multiselect(
            label,
            options=list(choices),
            default=[v for v in state[key] if v in choices],
            key=key,
            format_func=lambda code: choices.get(code, code),
            placeholder="Tất cả",
        )
    sync_query_params({param: ",".join(values)} if values else {}, owned=(param,))
    return tuple(values)


def regroup_switch(prefix: str) -> bool:
    """Draw the switch that regroups figures under today's units, kept in step with the URL
    parameter `gop` ("1" when on, absent when off)."""
    state = st.session_state
    key = f"{prefix}_regroup"
    if key not in state:
        state[key] = parse_flag(st.query_params.get_all(PARAM_REGROUP))
    with st.sidebar:
        on = st.toggle(REGROUP_LABEL, key=key, help=REGROUP_HELP)
    sync_query_params({PARAM_REGROUP: "1"} if on else {}, owned=(PARAM_REGROUP,))
    return bool(on)


def sync_query_params(wanted: dict[str, str], owned: tuple[str, ...]) -> None:
    """Make the URL carry `wanted` for the `owned` parameters, leaving others alone."""
    current = st.query_params.to_dict()
    merged = {k: v for k, v in current.items() if k not in owned}
    merged.update(wanted)
    if merged != current:
        st.query_params.from_dict(merged)


def pager(prefix: str, total: int, page_size: int, view: object, noun: str) -> int:
    """Draw the page number box (kept in the URL as `trang`); return the 1-based page shown.

    A new view (other filters or date) starts again at page 1, except on the first visit, where
    the page comes from the URL.
    """
    state = st.session_state
    pages = max(1, math.ceil(total / page_size))
    page_key, view_key = f"{prefix}_page", f"_{prefix}_filters"
    if state.get(view_key) != view or page_key not in state:
        first_visit = view_key not in state
        state[page_key] = parse_page(st.query_params.get_all(PARAM_PAGE), pages) if first_visit else 1
        state[view_key] = view
    state[page_key] = min(state[page_key], pages)
    page = int(st.number_input("Trang", min_value=1, max_value=pages, step=1, key=page_key, width=160))
    sync_query_params({PARAM_PAGE: str(page)} if page > 1 else {}, owned=(PARAM_PAGE,))
    start = (page - 1) * page_size
    if total:
        st.caption(
            f"Hiển thị {fmt_int(start + 1)}–{fmt_int(min(start + page_size, total))} "
            f"trên {fmt_int(total)} {noun} · trang {page}/{pages}"
        )
    return page


def url_filters(options: FilterOptions, today: date) -> tuple[Filters, date]:
    """Read the filters and the as-of date from the URL only (no widgets), warning on bad values."""
    params = _url_params()
    filters, as_of, problems = _read_url(params, tuple(params), options, today)
    for problem in problems.values():
        for message in problem.messages:
            st.warning(message, icon="⚠️")
    return filters, as_of
