"""Export a weekly review as a self-contained HTML file or a PDF.

- HTML: interactive plotly charts with plotly.js inlined once, so the file opens offline and as an
  e-mail attachment; no request leaves the page.
- PDF: the same page with static SVG charts rendered by kaleido, printed by the system Chromium
  (``BROWSER_PATH``, default ``/usr/bin/chromium``) in headless mode.

Both come from one Jinja2 template (``templates/report.html.j2``, autoescaped) and carry the data
source, the filters, the metric definitions and the generation time. All user text (comments,
names, channel values) is HTML-escaped by the template.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import tempfile
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from cx.metrics import definitions as metric_definitions
from cx.review.weekly import AT_RISK_COLUMNS, INCIDENT_COLUMNS, Review, format_value
from cx.schema import Scales

TEMPLATES = Path(__file__).resolve().parent / "templates"
TEMPLATE = "report.html.j2"
CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--disable-quic", "--no-first-run")


@functools.cache
def _environment():
    import jinja2

    return jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True,
                              undefined=jinja2.StrictUndefined, keep_trailing_newline=False)


def _text(value) -> str:
    """A value as the plain text a person reads (nothing for a missing one); the template escapes it."""
    return "" if value is None or (isinstance(value, float) and pd.isna(value)) else str(value)


def _tiles(review: Review) -> list[dict]:
    out = []
    for row in review.kpis.itertuples():
        out.append({
            "metric": row.metric, "label": row.label, "value": format_value(row.value, row.unit),
            "css": "neutral" if row.better is None or not row.significant else ("better" if row.better else "worse"),
            "arrow": "▲" if row.delta > 0 else ("▼" if row.delta < 0 else "■"),
            "delta": format_value(row.delta, row.unit, signed=True), "significant": bool(row.significant),
            "ci": "" if np.isnan(row.ci_low) else f"{format_value(row.ci_low, row.unit)} – {format_value(row.ci_high, row.unit)}",
            "n": f"{row.n:,}", "trailing": format_value(row.trailing, row.unit),
        })
    return out


def _cell(column: str, value, numeric: tuple[str, ...]) -> tuple[str, bool]:
    """A table cell's text and whether it is a right-aligned number."""
    if column in numeric and isinstance(value, (int, float, np.number)) and not pd.isna(value):
        if column in ("p_value", "q_value"):
            return f"{value:,.3g}", True
        return (f"{value:,.1f}" if isinstance(value, float) else f"{value:,}"), True
    return _text(value), False


def _table(frame: pd.DataFrame, columns: dict[str, str], numeric: tuple[str, ...] = ()) -> dict:
    """Header and rows of a table for the template's ``table`` macro (no rows: "None this week.")."""
    if frame is None or frame.empty:
        return {"head": [], "rows": []}
    rows = [[_cell(column, value, numeric) for column, value in zip(columns, record)]
            for record in frame[list(columns)].itertuples(index=False)]
    return {"head": [(title, column in numeric) for column, title in columns.items()], "rows": rows}


def _scope_text(review: Review) -> str:
    f = review.scope
    parts = [f"{review.start:%a %d %b %Y} – {review.end:%a %d %b %Y}"]
    parts.append("channels: " + (", ".join(f.channels) if f.channels else "all"))
    parts.append("stages: " + (", ".join(f.stages) if f.stages else "all"))
    parts.append("segments: " + (", ".join(f.segments) if f.segments else "all"))
    parts.append(f"minimum n: {review.min_n}")
    return " · ".join(parts)


def _charts(figures: dict[str, go.Figure], static_images: dict[str, str] | None) -> list[dict]:
    """Each figure as HTML the template inserts unescaped: plotly's (plotly.js inlined once) or an SVG."""
    from markupsafe import Markup

    charts, first = [], True
    for name, fig in figures.items():
        if static_images is not None:
            html = static_images[name]
        else:
            html = fig.to_html(full_html=False, include_plotlyjs=first, config={"displaylogo": False, "responsive": True},
                               default_width="100%")
            first = False
        charts.append({"name": name, "html": Markup(html)})
    return charts


def _comment_themes_shown(frame: pd.DataFrame) -> pd.DataFrame:
    """Shares in percent, rounded, for the report's table."""
    if frame.empty:
        return frame
    return frame.assign(share=(100 * frame["share"]).round(1), before_share=(100 * frame["before_share"]).round(1),
                        change=frame["change"].round(1), q=frame["q"].round(4))


def render_html(review: Review, figures: dict[str, go.Figure], scales: Scales = Scales(), *,
                static_images: dict[str, str] | None = None, base_url: str = "") -> str:
    """The report as one HTML document, from the Jinja2 template ``templates/report.html.j2``.

    Parameters
    ----------
    review : Review
    figures : dict of str to Figure
        From :func:`cx.review.weekly.review_figures`.
    static_images : dict of str to str, optional
        Inline SVG per figure name; when given, charts are static (for print / PDF).
    base_url : str
        Prefix for links to the app (e.g. ``https://cx.example.com``); links are plain text without it.
    """
    charts = _charts(figures, static_images)
    story = [{"text": s.text, "page": s.page, "href": base_url + s.link() if base_url else ""} for s in review.sentences]
    incident_columns = {c: c.replace("_", " ") for c in INCIDENT_COLUMNS if c in review.incidents}
    at_risk_columns = {c: c.replace("_", " ") for c in AT_RISK_COLUMNS if c in review.at_risk}
    movers_columns = {"label": "metric", "channel": "channel", "journey_stage": "stage", "previous": "last week",
                      "value": "this week", "delta": "change", "n": "n", "q_value": "q"}
    return _environment().get_template(TEMPLATE).render(
        review=review, tiles=_tiles(review), story=story, scope_text=_scope_text(review),
        generated=review.generated_at.strftime("%Y-%m-%d %H:%M UTC"),
        movers_charts=[c for c in charts if c["name"] == "movers"],
        trend_charts=[c for c in charts if c["name"] != "movers"],
        movers=_table(review.movers, movers_columns, ("previous", "value", "delta", "n", "q_value")),
        incidents=_table(review.incidents.head(25), incident_columns),
        at_risk=_table(review.at_risk.head(25), at_risk_columns,
                       ("probability", "lifetime_value", "value_at_risk", "incidents")),
        comment_themes=_table(_comment_themes_shown(review.comment_themes),
                              {"theme": "theme", "this_week": "comments", "share": "share this week",
                               "before_share": "share before", "change": "change (points)", "q": "q",
                               "example": "for example"}, ("this_week", "share", "before_share", "change", "q")),
        counts={"incidents": f"{review.incidents_total:,}", "unrecovered": f"{review.unrecovered:,}",
                "at_risk": f"{len(review.at_risk):,}"},
        definitions=list(metric_definitions(scales).values()),
        mix=_table(_mix_frame(review), {"metric": "metric", "by": "cells", "before": "last week", "after": "this week",
                                        "total": "change", "within": "within cells", "mix": "shift in mix"},
                   ("before", "after", "total", "within", "mix")),
        mix_notes=[shift.warning() or shift.explanation() for shift in review.mix],
        **_teams_context(review),
    )


def _teams_context(review: Review) -> dict:
    """The "Who moves it" section: best and worst by shrunk score with n, rank interval and response
    rate, the raw-leader and response-rate warnings, and the key drivers."""
    from cx.review.teams import rates_for

    rows, warnings_ = [], []
    for standing in review.teams:
        rates = rates_for(standing, review.response_rates)
        rows.append(standing.best_and_worst(rates))
        warnings_ += [*standing.warnings(), *([rates.warning] if rates is not None and rates.warning else [])]
    frame = pd.concat(rows, ignore_index=True) if rows else pd.DataFrame()
    if len(frame):
        frame = frame.round({"shrunk": 1, "ci_low": 1, "ci_high": 1})
    drivers = review.key_drivers
    table = drivers.table.head(5).round({"share": 1, "performance": 1}) if drivers is not None else pd.DataFrame()
    return {
        "teams": _table(frame, {"metric": "metric", "by": "among", "place": "most likely", "who": "who",
                                "shrunk": "score (shrunk)", "ci_low": "95% from", "ci_high": "95% to", "n": "n",
                                "rank_interval": "rank (95%)", "response_rate": "response rate"},
                        ("shrunk", "ci_low", "ci_high", "n")),
        "teams_notes": warnings_,
        "key_drivers": _table(table, {"driver": "driver", "share": "share of R² (%)", "performance": "performance (0–100)",
                                      "performance_means": "performance means"}, ("share", "performance")),
        "key_drivers_note": (f"{drivers.metric.upper()}: the drivers together explain R² = {drivers.r2:.2f} of its "
                             f"variance; {drivers.sample}." if drivers is not None else ""),
    }


def _mix_frame(review: Review) -> pd.DataFrame:
    """The review's week-over-week mix shifts as rows (within + mix = change)."""
    return pd.DataFrame([{"metric": s.label, "by": " × ".join(s.by).replace("_", " "), "before": round(s.before, 2),
                          "after": round(s.after, 2), "total": round(s.total, 2), "within": round(s.within, 2),
                          "mix": round(s.mix, 2)} for s in review.mix],
                        columns=["metric", "by", "before", "after", "total", "within", "mix"])


def chromium_path() -> str:
    """The system Chromium used for PDF printing and static charts (``BROWSER_PATH`` first)."""
    for candidate in (os.environ.get("BROWSER_PATH"), "/usr/bin/chromium", shutil.which("chromium"),
                      shutil.which("chromium-browser")):
        if candidate and Path(candidate).exists():
            return candidate
    raise RuntimeError("PDF export needs Chromium: install it (apt-get install chromium) or set BROWSER_PATH")


def static_svgs(figures: dict[str, go.Figure]) -> dict[str, str]:
    """Render figures to inline SVG with kaleido through the system Chromium (one browser for all)."""
    import kaleido

    os.environ.setdefault("BROWSER_PATH", chromium_path())
    out = {}
    kaleido.start_sync_server(silence_warnings=True)
    try:
        for name, fig in figures.items():
            width = 1000 if name == "movers" else 520
            height = fig.layout.height or 300
            with warnings.catch_warnings():  # plotly warns that kaleido's options are ignored with a server
                warnings.simplefilter("ignore", UserWarning)
                svg = fig.to_image(format="svg", width=width, height=height)
            out[name] = svg.decode("utf-8")
    finally:
        kaleido.stop_sync_server(silence_warnings=True)
    return out


def write_pdf(html: str, path: str | Path, timeout: float = 120) -> Path:
    """Print an HTML document to PDF with headless Chromium."""
    path = Path(path).resolve()
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "report.html"
        source.write_text(html, encoding="utf-8")
        command = [chromium_path(), *CHROMIUM_FLAGS, f"--user-data-dir={tmp}/profile", "--no-pdf-header-footer",
                   f"--print-to-pdf={path}", source.as_uri()]
        result = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
    if result.returncode != 0 or not path.exists() or path.stat().st_size == 0:
        raise RuntimeError(f"Chromium could not print the PDF (exit {result.returncode})")
    return path


def export(review: Review, figures: dict[str, go.Figure], out: str | Path, scales: Scales = Scales(),
           base_url: str = "") -> Path:
    """Write the report to ``out``: ``.html`` (interactive) or ``.pdf`` (static charts)."""
    out = Path(out)
    suffix = out.suffix.lower()
    if suffix not in (".html", ".htm", ".pdf"):
        raise ValueError(f"{out}: the report can be written as .html or .pdf")
    out.parent.mkdir(parents=True, exist_ok=True)
    if suffix == ".pdf":
        html = render_html(review, figures, scales, static_images=static_svgs(figures), base_url=base_url)
        return write_pdf(html, out)
    out.write_text(render_html(review, figures, scales, base_url=base_url), encoding="utf-8")
    return out


def html_bytes(review: Review, figures: dict[str, go.Figure], scales: Scales = Scales()) -> bytes:
    """The interactive HTML report as bytes (for a download button)."""
    return render_html(review, figures, scales).encode("utf-8")


def pdf_bytes(review: Review, figures: dict[str, go.Figure], scales: Scales = Scales()) -> bytes:
    """The PDF report as bytes (for a download button)."""
    with tempfile.TemporaryDirectory() as tmp:
        return export(review, figures, Path(tmp) / "report.pdf", scales).read_bytes()


def report_name(review: Review, suffix: str) -> str:
    return f"cx-review-{review.week}.{suffix}"


__all__ = ["export", "html_bytes", "pdf_bytes", "render_html", "report_name", "static_svgs", "write_pdf"]
