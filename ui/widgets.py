"""What every page draws the same way: the frame and preamble, errors, tables, charts, downloads, links.

- :func:`run_page` is the frame the router runs each page in, and the one place a
  :class:`~cx.db.source.SourceError` is caught: wherever the data fail to read, the page ends with
  one clear line, never a traceback.
- :func:`page_start` is every page's preamble: which data it shows, its title and caption, and
  the data's summary.
- Tables go through :func:`dataframe` (cells a spreadsheet would run as formulas are neutralised,
  so the table toolbar's own "Download as CSV" is safe too), charts through :func:`chart` (drawn
  exactly as built, in the app's one plotly template), downloads through :func:`download_csv`.
- User text (file names, channel and touchpoint values, URL parameters, comments) never reaches
  Markdown unescaped: :func:`md_escape` / :func:`md` for Markdown, ``st.text`` for plain text.
"""

from __future__ import annotations

import collections
import hashlib
import os
import re
from collections.abc import Callable
from typing import NamedTuple, NoReturn
from urllib.parse import urlencode, urlsplit

import pandas as pd
import streamlit as st

from cx import display, journeys
from cx.db import Source, SourceError, SourceSummary
from cx.safe import neutralise_frame, to_safe_csv
from cx.schema import IncidentRules, Scales
from cx.scope import Scope
from ui import cache, sidebar, state

_MARKDOWN_SPECIALS = re.compile(r"([\\`*_{}\[\]()<>#+\-.!|~$:&=@])")
# GitHub-flavoured Markdown links bare URLs and e-mail addresses found in the text *after* escapes are
# resolved ("https\://x.y" still becomes a link in the browser). An invisible word joiner (U+2060)
# after the "http(s)" of "http(s)://" and the "www" of "www.", and before the "@" of an e-mail
# address, breaks exactly those patterns; the text reads the same and nothing else changes.
_URL_STARTS = re.compile(r"(?i)(https?(?=://)|www(?=\.))")
_EMAIL_LOCAL_PARTS = re.compile(r"[-.\w+]+(?=@[-\w]+(?:\.[-\w]+)+)")
WORD_JOINER = "\u2060"


# --- text ------------------------------------------------------------------------------------


def md_escape(text) -> str:
    """Escape Markdown so that data values (file and channel names, comments, messages, URL
    parameters) render as the characters they are, in Markdown and in widget labels: no link (not
    even a bare URL or e-mail address), no image, no emoji or icon shortcode (``:``), no LaTeX
    (``$``), no HTML."""
    text = _URL_STARTS.sub(rf"\1{WORD_JOINER}", str(text))
    text = _EMAIL_LOCAL_PARTS.sub(rf"\g<0>{WORD_JOINER}", text)
    return _MARKDOWN_SPECIALS.sub(r"\\\1", text)


def md(template: str, **values) -> str:
    """``template`` (our own Markdown) with each ``{name}`` filled by a user value, escaped.

    Examples
    --------
    >>> print(md("**Customer** {customer}", customer="[x](y)"))
    **Customer** \\[x\\]\\(y\\)
    """
    return template.format(**{name: md_escape(value) for name, value in values.items()})


def show_error(message: str | BaseException) -> None:
    """One clear message instead of a traceback (shown as the characters it holds)."""
    text = str(message).strip() or type(message).__name__
    st.error(md_escape(text), icon="⚠️")


# --- the frame and the preamble --------------------------------------------------------------


#: After a browser session's first run has drawn the top of its page, the browser asks for the rest this long
#: after it has taken in that part (seconds; see :func:`top_first`).
RESUME_SECONDS = 0.4
_PAINTED, _FIRST_RUN, _RESUMING = "cx.painted", "cx.first_run", "cx.resuming"


def first_paint() -> bool:
    """True in a new browser session's first run, which :func:`top_first` ends under the KPI tiles: what only
    decorates the tiles waits for the next run too (the Overview's sparklines: a chart in a tile makes a new
    browser load the Vega code, ~0.8 MB and a dozen modules one after another, before it shows the tile's value)."""
    return bool(st.session_state.get(_FIRST_RUN)) and os.environ.get("CX_TOP_FIRST", "1") != "0"


def _start_run() -> None:
    """Note whether this run is the session's first (:func:`first_paint`), at its start: once a run has been
    stopped (``st.stop``), Streamlit refuses every later write to the session state in it, so a first run
    that :func:`top_first` ended could not say afterwards that it had drawn the page."""
    st.session_state[_FIRST_RUN] = not st.session_state.get(_PAINTED)
    st.session_state[_PAINTED] = True


class EndOfPage(Exception):
    """Raised by :func:`end_page`: the page has drawn all it can this run (caught by :func:`run_page`)."""


class _RestLater(EndOfPage):
    """Raised by :func:`top_first`: the rest of the page, "Copy link" included, comes in the next run."""


def end_page() -> NoReturn:
    """End the page's run here, as ``st.stop()`` would, yet let :func:`run_page` draw the sidebar's "Copy link"
    after it: once ``st.stop()`` is called, Streamlit refuses every later element of the run, and the link
    vanished while a page waited for a part computing in the background (8–10 s after a week change)."""
    raise EndOfPage


def top_first() -> None:
    """End a new browser session's first run here, once the top of the page (the KPI tiles) is drawn; the
    rest of the page comes in a rerun that the browser asks for once it has taken in this part.

    A new browser loads the code of each kind of element the first time one arrives (a table, a plotly
    chart: megabytes of JavaScript), and the tiles, sent in the same breath as the tables and charts under
    them, waited until all that code had loaded and run: 5–7 s on a 2-core machine, against ~3 s with the
    tables and charts sent a moment later (BENCHMARKS.md, Meeting, round 10). The moment is the browser's own
    (a fragment's ``run_every`` timer, which fires once the browser is free), so it adapts to a slow browser.
    Every later run of the session (a click, another page) draws the whole page at once, and so does a run
    with ``CX_TOP_FIRST=0`` (AppTest: no browser to ask for the rest). The pages with KPI tiles call it
    under them (Overview, Incidents, Churn); a page whose answer is its first chart (Trends, Journeys) does
    not: there the chart would only come later. Such a page's first run still leaves the sidebar's "Copy link"
    for the rerun (:func:`run_page`): its code block's code made Trends' first chart come ~0.5 s later in a new
    browser (BENCHMARKS.md, Meeting, round 15).
    """
    if not first_paint():
        return
    with st.container(key="cx-pending-top-first"):  # a progress line: tests and the bench wait for it to go
        st.caption(":material/hourglass_top: Drawing the charts and lists…")
        _resume()
    raise _RestLater  # nor "Copy link": its code block's code (1.5 MB) held the tiles back (2.5 s against 1.8 s)


@st.fragment(run_every=RESUME_SECONDS)
def _resume() -> None:
    if st.session_state.get(_RESUMING):  # the browser's call, after it has taken in the top: the whole page
        st.rerun()
    st.session_state[_RESUMING] = True


def run_page(page, *, filters: bool = True) -> None:
    """Run the chosen page inside the shared frame: the sidebar filters, then the page itself.

    The only place a :class:`SourceError` is caught. When the data cannot be read the sidebar stays
    empty and the page ends where the error arose — after its banner and title — with one line.
    """
    display.set_currency(_configured_currency())
    _start_run()
    if filters:
        try:
            sidebar.render()
        except SourceError:
            pass  # the page's preamble reads the same summary and says what went wrong, once
    link = st.sidebar.empty() if filters else None
    try:
        page.run()
    except _RestLater:
        link = None
    except EndOfPage:
        pass
    except SourceError as exc:
        show_error(exc)
    finally:  # the link holds what the page put in the URL during its run (not drawn after an ``st.stop()``)
        try:
            if link is not None and first_paint():
                _resume()  # a new browser: the link's code block (1.5 MB of code) would hold back the page's charts
            elif link is not None:
                share_box("" if getattr(page, "_default", False) else page.url_path, link.container())
        finally:
            cache.end_of_run()  # the heavy jobs this run asked for start now (``in_background(after_run=True)``)


def _configured_currency() -> str | None:
    """``[display] currency`` from the app's secrets, if set."""
    try:
        return st.secrets.get("display", {}).get("currency")
    except Exception:  # no secrets file: the default
        return None


#: KPI tiles: wide enough for "First response time" and "20.1 min", one height so a grid stays even
TILE_WIDTH = 212


def tile_row():
    """A row of KPI tiles (``st.metric(..., width=TILE_WIDTH)``) that wraps: as many per row as fit
    (2 at 1024 px with the sidebar open, 4 at 1440), so no value or label is ever cut off."""
    return st.container(horizontal=True, wrap=True, gap="small")


def share_box(page: str, where=None) -> None:
    """The "Copy link" box: this view's absolute URL in a code block (its button copies it)."""
    where = where or st
    where.caption("Copy link — opens exactly this view (page, filters and settings) in any browser:")
    where.code(share_link(page), language=None, wrap_lines=True)


class PageStart(NamedTuple):
    """What a page starts from: the session's data, the sidebar's scope and the data's summary."""

    source: Source
    scope: Scope
    summary: SourceSummary | None


def page_start(
    title: str | Callable[[SourceSummary | None], str],
    caption: str | None = None,
    *,
    summary: bool = True,
) -> PageStart:
    """The top of every page: which data it shows, its title and caption, and the data's summary.

    Parameters
    ----------
    title : str or callable
        The page title, or a function of the summary (called with None before the data are
        read, then with the summary) for a title that names what the data hold.
    caption : str, optional
        Our own Markdown under the title.
    summary : bool
        Read the data's summary here (a failure ends the page with one clear line). The Data page
        says False: it must stay usable when the data in use cannot be read.
    """
    source, scope = state.current_source(), state.current_scope()
    source_banner(source)
    heading = st.empty()
    heading.title(title(None) if callable(title) else title)
    if caption:
        st.caption(caption)
    if not summary:
        return PageStart(source, scope, None)
    found = cache.source_summary(source)
    if callable(title):
        heading.title(title(found))
    return PageStart(source, scope, found)


def source_banner(source: Source | None = None) -> None:
    """One line saying which data the page shows, with a hint to load one's own."""
    source = source or state.current_source()
    if source.kind == "demo":
        st.caption("Showing the demo warehouse (synthetic data). Load your own on the Data page.")
    else:
        st.caption(md("Data: {label}", label=source.label))


# --- tables, charts, downloads, links --------------------------------------------------------


#: The main column's width at 1024 px with the sidebar open (562 px); a table meant to be read there whole
#: keeps the sum of its column widths under this.
NARROW_ROOM = 560
#: The width of a table in an expander (a detail table) at 1024 px: 528 px, the expander's padding less.
DETAIL_ROOM = 520
#: Row height (px) of a detail table whose one long column wraps its text (Streamlit wraps a table's text
#: from rows taller than 4 rem): three lines.
WRAPPED_ROW = 70


def dataframe(frame: pd.DataFrame, *, more: list[str] | tuple[str, ...] | None = None, more_label: str | None = None,
              **kwargs):
    """``st.dataframe`` of ``frame`` with formula cells neutralised (a leading ``'`` on text that a
    spreadsheet would run: ``=``, ``+``, ``-``, ``@``), so the toolbar's "Download as CSV" and a
    copy–paste are as safe as the app's own downloads. Row order and positions are unchanged, so a
    selection indexes ``frame`` itself. A missing value reads "–", never "None".

    Without an index shown, the first column (the customer, the theme, the cell: what the row is) is
    pinned, so a table wider than the page (nine columns at 1024 px) keeps each row's name in view
    while it is scrolled sideways (a table of one column is not pinned: it fills the table's width).

    ``more`` names secondary columns that leave the table for a detail table right under it, behind an
    expander (``more_label``, else "More columns: …" naming them), beside the table's first column, in
    the same rows and order, with the same ``column_config``: the table fits a 1024 px screen and no
    value is lost. Both tables draw the whole ``frame`` (``column_order`` picks what each shows); a column
    in neither ``column_order`` nor ``more`` (one the caller did not foresee) joins the detail table.
    """
    kwargs.setdefault("placeholder", "–")
    order = list(kwargs.get("column_order") or frame.columns)
    if more:
        more = [c for c in more if c in frame.columns]
        order = [c for c in order if c not in more]
        more += [c for c in frame.columns if c not in order and c not in more]
        kwargs["column_order"] = order
    if kwargs.get("hide_index") and len(order) > 1:  # one column alone fills the table: nothing to pin
        kwargs["column_config"] = pin_first(kwargs.get("column_config"), order)
    safe = neutralise_frame(frame)
    shown = st.dataframe(safe, **kwargs)
    if more:
        config = kwargs.get("column_config") or {}
        names = ", ".join(_column_label(config.get(c), c) for c in more)
        detail = {name: value for name, value in kwargs.items()
                  if name in ("hide_index", "column_config", "width", "row_height", "placeholder")}
        with st.expander(more_label or f"More columns: {names}"):
            # as many detail tables as it takes for each to fit a 1024 px screen whole, each led by the row's name
            for number, columns in enumerate(detail_groups(safe, order[0], more, config)):
                key = f"{kwargs['key']}.more{number or ''}" if kwargs.get("key") else None
                st.dataframe(safe, column_order=columns, key=key, **_wrapped(safe, columns, detail))
    return shown


def with_why(incidents: pd.DataFrame, rules: IncidentRules, scales: Scales) -> tuple[pd.DataFrame, dict]:
    """An incident list (a copy of ``incidents``) with its "Why" column, and the ``column_config`` of "Why" and
    of ``reasons``, for :func:`dataframe`: one list reads the same on every page.

    ``why``, just before ``reasons``, gives the rules each incident broke in a word or two
    (:func:`cx.journeys.short_reasons`: the sentences were cut at 1024 px), and what each word stands for in
    its help; ``reasons``, the rules' sentences whole, reads "Why, in full" (for the list's "More columns").
    """
    shown = incidents.copy()
    shown.insert(shown.columns.get_loc("reasons"), "why", journeys.short_reasons(shown["reasons"], rules, scales))
    return shown, {
        "why": st.column_config.TextColumn("Why", width="medium", help=journeys.rule_tags_help(rules, scales)),
        "reasons": st.column_config.TextColumn("Why, in full", width="large"),
    }


def _estimate(frame: pd.DataFrame, columns, config: dict) -> pd.DataFrame:
    """``frame``'s ``columns`` as about the text a table shows: named by their labels, numbers with two
    decimals (a table's formats are no longer), for :func:`column_groups` to judge their widths by."""
    out = {}
    for column in columns:
        values = frame[column]
        if pd.api.types.is_float_dtype(values):
            values = values.map(lambda v: "" if pd.isna(v) else f"{v:,.3f}")
        label = _column_label(config.get(column), column)
        while label in out:  # two columns of one label: told apart by a space, a few pixels
            label += " "
        out[label] = values
    return pd.DataFrame(out)


def detail_groups(frame: pd.DataFrame, first: str, more: list[str], config: dict | None = None,
                  room: int = DETAIL_ROOM) -> list[list[str]]:
    """``more``'s columns in groups that each fit ``room`` pixels beside ``first`` (the row's name, leading
    every group), in their order: :func:`column_groups` judged on the labels and about the text shown."""
    config = config or {}
    estimate = _estimate(frame, [first, *more], config)
    names = dict(zip(estimate.columns, [first, *more]))
    return [[names[label] for label in group] for group in column_groups(estimate, keep=[estimate.columns[0]], room=room)]


def _wrapped(frame: pd.DataFrame, columns: list[str], detail: dict) -> dict:
    """``detail``'s table settings for a detail table of ``columns``: a group of one text column too long for
    the room (a theme's words) gets the room left beside the row's name, and rows tall enough for its text
    to wrap onto three lines, rather than a table scrolled sideways."""
    if len(columns) != 2 or detail.get("row_height"):
        return detail
    config = dict(detail.get("column_config") or {})
    first, long = columns
    widths = {c: max(6.5 * max([len(_column_label(config.get(c), c)),
                                *(len(str(v)) for v in frame[c].head(50).tolist())]) + 17, 50) for c in columns}
    if widths[first] + widths[long] <= DETAIL_ROOM or pd.api.types.is_numeric_dtype(frame[long]):
        return detail
    current = config.get(long)
    if current is None or isinstance(current, str):
        config[long] = st.column_config.TextColumn(current or str(long), width=int(DETAIL_ROOM - widths[first]))
    elif isinstance(current, dict) and current.get("width") is None:
        config[long] = {**current, "width": int(DETAIL_ROOM - widths[first])}
    else:
        return detail
    return {**detail, "column_config": config, "row_height": WRAPPED_ROW}


def _column_label(config, name: str) -> str:
    """The label a column is shown with (its ``column_config`` label, else its name)."""
    if isinstance(config, str):
        return config
    if isinstance(config, dict) and config.get("label"):
        return str(config["label"])
    return str(name)


def column_groups(frame: pd.DataFrame, keep: list[str] | tuple[str, ...] = (), room: int = NARROW_ROOM,
                  rows: int = 50) -> list[list[str]]:
    """``frame``'s columns in groups that each fit ``room`` pixels beside the ``keep`` columns (which lead
    every group), in their order, judged by the longest text of a column's name and its first ``rows``
    values (about 6.5 px a character in the table's font, plus the cell's padding, at least 50 px: a little
    more than Streamlit 1.67's table gives them, which put the 18 demo columns in 1,563 px). A column wider than
    ``room`` on its own gets a group of its own.

    Examples
    --------
    >>> column_groups(pd.DataFrame({"id": ["C1"], "a": ["x" * 30], "b": ["y" * 30], "c": [1]}), keep=["id"], room=320)
    [['id', 'a'], ['id', 'b', 'c']]
    """
    def width(column) -> float:
        texts = [str(column)] + [str(v) for v in frame[column].head(rows).tolist()]
        return max(6.5 * max(len(t) for t in texts) + 17, 50)

    keep = [c for c in keep if c in frame.columns]
    used = sum(width(c) for c in keep)
    groups: list[list[str]] = []
    current: list[str] = []
    total = used
    for column in (c for c in frame.columns if c not in keep):
        w = width(column)
        if current and total + w > room:
            groups.append([*keep, *current])
            current, total = [], used
        current.append(column)
        total += w
    if current or not groups:
        groups.append([*keep, *current])
    return groups


def pin_first(config: dict | None, order) -> dict:
    """``config`` with the first of ``order``'s columns pinned (its label and format kept)."""
    config = dict(config or {})
    first = str(list(order)[0])
    if first in config and config[first] is None:  # hidden by the caller
        return config
    current = config.get(first)
    if current is None or isinstance(current, str):
        config[first] = st.column_config.Column(current, pinned=True)
    elif isinstance(current, dict) and current.get("pinned") is None:
        config[first] = {**current, "pinned": True}
    return config


#: Figures kept per chart and session by :func:`figure_once` (the last few views a user went back and forth between).
FIGURES_KEPT = 6


def figure_once(name: str, inputs: tuple, build: Callable[[], object]):
    """The figure ``build()`` makes from ``inputs``, built once per session for the same inputs.

    A rerun that changes nothing a chart shows (a click elsewhere on the page, a filter set back, a
    grain chosen again) reuses the figure instead of building and validating it again (~65 ms for a
    trend of 7 series). ``inputs`` must name everything the figure is drawn from (DataFrames are
    compared by content); the figure returned is shared by those reruns, so it is drawn, never changed.
    """
    digest = hashlib.sha1(repr(tuple(_fingerprint(value) for value in inputs)).encode()).hexdigest()
    kept = st.session_state.setdefault("_cx.figures", {}).setdefault(name, collections.OrderedDict())
    if digest in kept:
        kept.move_to_end(digest)
        return kept[digest]
    figure = kept[digest] = build()
    while len(kept) > FIGURES_KEPT:
        kept.popitem(last=False)
    return figure


def _fingerprint(value):
    if isinstance(value, pd.DataFrame):
        try:
            rows = pd.util.hash_pandas_object(value, index=True).to_numpy().tobytes()
        except TypeError:  # a cell pandas cannot hash (a list): the frame's text, all of it
            rows = value.to_csv().encode()
        return ("frame", tuple(value.columns), tuple(map(str, value.dtypes)), hashlib.sha1(rows).hexdigest())
    return repr(value)


def chart(figure, key: str, **kwargs):
    """``st.plotly_chart`` drawn exactly as built (the app's template, not Streamlit's theme)."""
    return st.plotly_chart(figure, key=key, theme=None, **kwargs)


def download_csv(label: str, frame: pd.DataFrame, file_name: str, key: str | None = None) -> None:
    """A CSV download with formula injection neutralised, built only when the button is clicked."""
    st.download_button(label, data=lambda: to_safe_csv(frame), file_name=file_name, mime="text/csv", key=key,
                       on_click="ignore")


def download_on_request(label: str, build: Callable[[], pd.DataFrame], file_name: str, key: str,
                        what: str = "the file") -> None:
    """A "Prepare" button that builds a large CSV only when clicked, then offers it for download.

    Nothing is computed or held before the click (a per-journey export of a warehouse is a query
    of seconds and a file of a hundred megabytes); the file is offered in the run the click starts
    and released at the next one.
    """
    if not st.button(f"Prepare {label} (CSV)", key=f"{key}.prepare", icon=":material/description:",
                     help=f"Builds {what} now (on a large warehouse this takes a while), then offers it."):
        return
    with st.spinner(f"Building {what}…"):
        data = to_safe_csv(build())
    st.download_button(f"Download {label} (CSV, {len(data) / 1e6:,.1f} MB)", data=data, file_name=file_name, mime="text/csv",
                       key=key, on_click="ignore", type="primary")


def share_link(page: str) -> str:
    """The absolute URL of this view: the page's path (``""`` for the start page) and every filter
    and page setting in the query string."""
    try:
        parts = urlsplit(st.context.url or "")
        base = f"{parts.scheme}://{parts.netloc}" if parts.netloc else ""
    except Exception:  # no browser context (AppTest, bare mode)
        base = ""
    prefix = (st.get_option("server.baseUrlPath") or "").strip("/")
    query = {k: st.query_params.get(k) for k in st.query_params.keys()}
    path = "/".join(p for p in (prefix, page) if p)
    return f"{base}/{path}" + (f"?{urlencode(query)}" if query else "")


#: The "Counts as yes" option that reads a yes/no column as the yes/no it is. Text, not None: a select box whose
#: value is None shows an empty box (a new session that found the churn model fitted showed it so, round 12).
AS_THE_COLUMN_SAYS = "yes"


def positive_options(outcome: str, readable, two_valued: dict) -> list:
    """The "Counts as yes" box's options for a two-valued ``outcome``: :data:`AS_THE_COLUMN_SAYS` first where the
    column reads as yes/no (``readable``), then its two values (a column's own "yes" not offered twice)."""
    return list(dict.fromkeys([*([AS_THE_COLUMN_SAYS] if outcome in readable else []), *two_valued[outcome]]))


def positive_value(choice, outcome: str, readable):
    """The value that counts as yes for the models: None (the column's own yes/no) for :data:`AS_THE_COLUMN_SAYS`
    on a column that reads as yes/no, else ``choice``."""
    return None if outcome in readable and choice == AS_THE_COLUMN_SAYS else choice
