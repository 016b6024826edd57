"""One look for every chart, in the app and in the exported report.

- One plotly template, :data:`TEMPLATE` (registered once, as ``"cx"``), applied by :func:`style`:
  every figure builder in :mod:`cx.charts` ends with ``return style(fig, ...)``.
- Colour-blind-safe colours: the Okabe–Ito palette, then Paul Tol's "muted" palette for more
  series; never a red–green pair carrying meaning.
- One fixed colour per channel and per journey stage (:data:`KNOWN_COLORS`), on every page and in
  the report; other values (an upload's own channels) get a colour derived from their name, so it
  too stays the same from chart to chart.
- Scales without red–green: :data:`SEQUENTIAL` (light to blue) for amounts, :func:`diverging`
  (vermilion = worse, blue = better, light grey in the middle) for good/bad values, centred on a
  meaningful value by the caller (``zmid``).
- Results from few responses are faded (:data:`LOW_N_OPACITY`, :func:`faded`), never hidden.
- Direction colours: :data:`BETTER` (blue), :data:`WORSE` (vermilion), :data:`NEUTRAL` (grey).

Pure: no data access, no streamlit. The app draws figures with ``theme=None`` so that Streamlit's
own theme does not restyle them.
"""

from __future__ import annotations

import datetime as dt
import zlib
from collections.abc import Iterable, Sequence

import numpy as np
import plotly.graph_objects as go
import plotly.io as pio

# --- colours ---------------------------------------------------------------------------------

#: Okabe & Ito (2008), "Color Universal Design": distinguishable with every common colour vision.
BLUE, ORANGE, SKY, GREEN, YELLOW, VERMILION, PURPLE, BLACK = (
    "#0072B2", "#E69F00", "#56B4E9", "#009E73", "#F0E442", "#D55E00", "#CC79A7", "#000000")
GREY = "#8C8C8C"
TEXT = "#1A1D23"
GRID = "#E5E8EC"
AXIS = "#9AA0A6"

#: Series colours in order: Okabe–Ito (yellow left out: unreadable as a line on white), then Paul
#: Tol's colour-blind-safe "muted" palette.
PALETTE = (
    BLUE, VERMILION, GREEN, ORANGE, PURPLE, SKY, BLACK,
    "#332288", "#88CCEE", "#44AA99", "#117733", "#999933", "#DDCC77", "#CC6677", "#882255", "#AA4499",
)
#: Colours for names outside the known channels and stages (Tol's "muted"): never a known channel's.
OTHER_COLORS = PALETTE[7:]
#: One colour per channel, everywhere (trends, journeys, the review and its report).
CHANNEL_COLORS = {"email": BLUE, "chat": VERMILION, "phone": GREEN, "social": PURPLE, "web": SKY, "app": BLACK,
                  "store": ORANGE}
#: One colour per journey stage (a chart shows channels or stages, never both as series).
STAGE_COLORS = {"awareness": SKY, "consideration": BLUE, "purchase": GREEN, "retention": ORANGE, "advocacy": PURPLE}
KNOWN_COLORS = {**CHANNEL_COLORS, **STAGE_COLORS}

#: Better / worse / no clear change (up or down, whichever direction is good for the metric).
BETTER, WORSE, NEUTRAL = BLUE, VERMILION, GREY

#: Amounts (volume, a rate): light to blue.
SEQUENTIAL = [[0.0, "#F4F8FB"], [0.35, "#B9D7EA"], [0.7, "#4F9BCB"], [1.0, "#0B4F80"]]
#: Worse to better through light grey: vermilion–blue, told apart with every common colour vision.
_WORSE_TO_BETTER = [[0.0, "#B84A00"], [0.25, "#EE9B5C"], [0.5, "#F2F2F2"], [0.75, "#72AEDB"], [1.0, "#0B5C91"]]
#: Marks drawn from fewer responses than the minimum n: this opacity (and hollow or hatched).
LOW_N_OPACITY = 0.35


def diverging(higher_is_better: bool = True) -> list[list]:
    """The good/bad scale for a metric: blue at the good end, vermilion at the bad end."""
    if higher_is_better:
        return [list(stop) for stop in _WORSE_TO_BETTER]
    return [[round(1.0 - at, 6), color] for at, color in reversed(_WORSE_TO_BETTER)]


def rgba(color: str, alpha: float) -> str:
    """``#RRGGBB`` with an opacity, as plotly's ``rgba(r,g,b,a)``."""
    color = color.lstrip("#")
    r, g, b = (int(color[i : i + 2], 16) for i in (0, 2, 4))
    return f"rgba({r},{g},{b},{alpha})"


def faded(color: str) -> str:
    """The colour of a mark drawn from too few responses."""
    return rgba(color, LOW_N_OPACITY)


def color_for(name: str) -> str:
    """The colour of one channel, stage or other series name: fixed for known names, else derived
    from the name itself (the same on every page and in the report)."""
    key = str(name).strip().lower()
    if key in KNOWN_COLORS:
        return KNOWN_COLORS[key]
    return OTHER_COLORS[zlib.crc32(key.encode()) % len(OTHER_COLORS)]


def series_colors(names: Iterable[str]) -> dict[str, str]:
    """A colour per series: :func:`color_for` each name, moving a name whose colour is already taken
    in this chart to the next free one (so two series never share a colour while there are colours).

    Examples
    --------
    >>> series_colors(["chat", "email"])
    {'chat': '#D55E00', 'email': '#0072B2'}
    """
    names = list(dict.fromkeys(names))
    colors = {n: KNOWN_COLORS[str(n).strip().lower()] for n in names if str(n).strip().lower() in KNOWN_COLORS}
    taken = set(colors.values())
    for name in names:
        if name in colors:
            continue
        start = OTHER_COLORS.index(color_for(name))
        order = [OTHER_COLORS[(start + step) % len(OTHER_COLORS)] for step in range(len(OTHER_COLORS))]
        free = [c for c in order + list(PALETTE[:7]) if c not in taken]
        colors[name] = free[0] if free else order[0]  # more series than colours: share
        taken.add(colors[name])
    return colors


# --- the template ------------------------------------------------------------------------------

TEMPLATE_NAME = "cx"
_FONT = '"Source Sans", "Source Sans Pro", "Source Sans 3", "Helvetica Neue", Arial, sans-serif'


def _template() -> go.layout.Template:
    template = go.layout.Template(pio.templates["plotly_white"])
    axis = dict(gridcolor=GRID, linecolor=AXIS, zerolinecolor=AXIS, ticks="", automargin=True,
                title=dict(standoff=8))
    template.layout.update(
        colorway=list(PALETTE),
        font=dict(family=_FONT, size=13, color=TEXT),
        title=dict(x=0, xanchor="left", font=dict(size=16)),
        paper_bgcolor="white",
        plot_bgcolor="white",
        margin=dict(l=10, r=10, t=40, b=10),
        hoverlabel=dict(align="left", font=dict(family=_FONT, size=13)),
        legend=dict(orientation="h", yanchor="bottom", y=1.02, xanchor="left", x=0, title_text=""),
        xaxis=axis,
        yaxis=axis,
        colorscale=dict(sequential=SEQUENTIAL, sequentialminus=SEQUENTIAL, diverging=_WORSE_TO_BETTER),
        coloraxis=dict(colorbar=dict(thickness=12, outlinewidth=0)),
    )
    template.data.heatmap = [go.Heatmap(colorscale=SEQUENTIAL, colorbar=dict(thickness=12, outlinewidth=0))]
    template.data.bar = [go.Bar(marker=dict(line=dict(width=0)))]
    return template


TEMPLATE = _template()
pio.templates[TEMPLATE_NAME] = TEMPLATE  # registered once, on first import of cx.charts


def style(fig: go.Figure, *, height: int | None = None, title: str | None = None, **layout) -> go.Figure:
    """Give ``fig`` the one look: the ``cx`` template, then the figure's own height, title and layout.

    The function every chart builder calls last (trends, journeys, churn, the review), so a figure
    looks the same on every page and in the exported report.

    Parameters
    ----------
    fig : plotly.graph_objects.Figure
    height : int, optional
        Figure height in pixels.
    title : str, optional
        Figure title (our own text; escape user text with :func:`cx.safe.plain_text`).
    **layout
        Any other ``fig.update_layout`` argument (margins, legend, hovermode…).

    Returns
    -------
    plotly.graph_objects.Figure
        ``fig`` itself.
    """
    _use_template(fig)
    if layout:
        fig.update_layout(**layout)
    if height is not None:
        fig.update_layout(height=height)
    if title is not None:
        fig.update_layout(title_text=title)
    return fig


def _use_template(fig: go.Figure) -> None:
    """``fig.layout.template = TEMPLATE`` without validating the template again: it was validated when
    built, and checking its every property took ~9 ms per figure (a page draws several per click).
    Plotly does the same for its default template; the figure gets its own copy either way."""
    layout = fig.layout
    validate = layout._validate
    layout._validate = False
    try:
        layout.template = TEMPLATE
    finally:
        layout._validate = validate


def mark_dates(fig: go.Figure, notes, *, first=None, last=None) -> go.Figure:
    """Draw user notes on dates (:class:`cx.notes.DateNote`) as dotted vertical lines labelled with their
    text, on every panel of a time chart; notes outside ``first``–``last`` (when given) are left out.
    The text is the user's: it is escaped, never read as HTML."""
    from cx.safe import plain_text

    for note in notes:
        if (first is not None and note.day < first) or (last is not None and note.day > last):
            continue
        x = dt.datetime.combine(note.day, dt.time())
        kwargs = {"row": "all", "col": "all"} if fig._has_subplots() else {}
        fig.add_vline(x=x.timestamp() * 1000, line=dict(color=TEXT, width=1, dash="dot"), opacity=0.6,
                      annotation_text=plain_text(note.text), annotation_position="top left",
                      annotation_font=dict(size=11, color=TEXT), **kwargs)
    if notes:
        fig.update_layout(meta={**(fig.layout.meta or {}), "notes": [n.text for n in notes]})
    return fig


def low_n_veil(low: np.ndarray, x: Sequence[str], y: Sequence[str], text=None) -> go.Heatmap:
    """A white veil over the cells of a heatmap that stand on too few responses, so they read faded
    (their colour at :data:`LOW_N_OPACITY`); the labels of those cells (``text``,
    left out of the heatmap below) are drawn on the veil in dark text, so they stay legible."""
    labels = None if text is None else np.where(low, np.asarray(text, dtype=object), "")
    return go.Heatmap(
        z=np.where(low, 1.0, np.nan), x=list(x), y=list(y), colorscale=[[0, "white"], [1, "white"]],
        opacity=1 - LOW_N_OPACITY, showscale=False, hoverinfo="skip", xgap=2, ygap=2, meta={"role": "low_n"},
        text=labels, texttemplate=None if labels is None else "%{text}", textfont=dict(color=TEXT, size=11),
    )


def low_n_opacity(low_n: Sequence[bool]) -> list[float]:
    """Per-mark opacity: faded where a mark stands on fewer responses than the minimum n."""
    return [LOW_N_OPACITY if flag else 1.0 for flag in low_n]


__all__ = [
    "BETTER", "BLACK", "BLUE", "CHANNEL_COLORS", "GREEN", "GREY", "KNOWN_COLORS", "LOW_N_OPACITY", "NEUTRAL",
    "ORANGE", "OTHER_COLORS", "PALETTE", "PURPLE", "SEQUENTIAL", "SKY", "STAGE_COLORS", "TEMPLATE", "TEMPLATE_NAME", "VERMILION",
    "WORSE", "YELLOW", "color_for", "diverging", "faded", "low_n_opacity", "low_n_veil", "mark_dates", "rgba",
    "series_colors", "style",
]
