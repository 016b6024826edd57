"""Export a weekly review as a self-contained HTML file or a PDF.

- HTML: interactive plotly charts with plotly.js inlined once, so the file opens offline and as an
  e-mail attachment; no request leaves the page.
- PDF: the same page with static SVG charts rendered by kaleido, printed by the system Chromium
  (``BROWSER_PATH``, default ``/usr/bin/chromium``) in headless mode.

Both carry the data source, the filters, the metric definitions and the generation time. All user
text (comments, names, channel values) is HTML-escaped.
"""

from __future__ import annotations

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
from cx.safe import plain_text as esc
from cx.schema import Scales

CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--disable-quic", "--no-first-run")

_CSS = """
body { font-family: -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif; color: #1A1D23;
       margin: 0 auto; max-width: 1100px; padding: 24px; font-size: 15px; }
h1 { font-size: 28px; margin: 0 0 4px; } h2 { font-size: 20px; margin: 28px 0 8px; border-bottom: 2px solid #E5E7EB; }
.meta { color: #4B5563; font-size: 13px; }
.tiles { display: grid; grid-template-columns: repeat(4, 1fr); gap: 12px; margin-top: 16px; }
.tile { border: 1px solid #E5E7EB; border-radius: 8px; padding: 10px 12px; break-inside: avoid; }
.tile .label { font-size: 13px; color: #4B5563; } .tile .value { font-size: 30px; font-weight: 700; }
.tile .delta { font-size: 14px; font-weight: 600; } .tile .ci { font-size: 12px; color: #6B7280; }
.better { color: #0072B2; } .worse { color: #D55E00; } .neutral { color: #6B7280; }
.sig { font-size: 12px; font-weight: 700; margin-left: 4px; }
table { border-collapse: collapse; width: 100%; font-size: 13px; } th, td { padding: 4px 6px; border-bottom: 1px solid #E5E7EB; text-align: left; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
ul.story li { margin: 6px 0; font-size: 15px; }
.charts { display: grid; grid-template-columns: 1fr 1fr; gap: 8px; } .chart { break-inside: avoid; }
dl dt { font-weight: 700; margin-top: 8px; } dl dd { margin-left: 0; color: #374151; font-size: 13px; }
@media print { body { padding: 0; max-width: none; } h2 { break-after: avoid; } .charts { grid-template-columns: 1fr 1fr; } }
@page { size: A4; margin: 14mm; }
"""


def _tiles(review: Review) -> str:
    out = []
    for row in review.kpis.itertuples():
        css = "neutral" if row.better is None or not row.significant else ("better" if row.better else "worse")
        arrow = "▲" if row.delta > 0 else ("▼" if row.delta < 0 else "■")
        sig = '<span class="sig" title="significant at 5%">● significant</span>' if row.significant else ""
        ci = "" if np.isnan(row.ci_low) else f"95% CI {format_value(row.ci_low, row.unit)} – {format_value(row.ci_high, row.unit)} · "
        out.append(
            f'<div class="tile" data-metric="{esc(row.metric)}"><div class="label">{esc(row.label)}</div>'
            f'<div class="value">{format_value(row.value, row.unit)}</div>'
            f'<div class="delta {css}">{arrow} {format_value(row.delta, row.unit, signed=True)} vs last week{sig}</div>'
            f'<div class="ci">{ci}n = {row.n:,} · 4-wk avg {format_value(row.trailing, row.unit)}</div></div>')
    return '<div class="tiles">' + "".join(out) + "</div>"


def _table(frame: pd.DataFrame, columns: dict[str, str], numeric: tuple[str, ...] = ()) -> str:
    if frame is None or frame.empty:
        return '<p class="meta">None this week.</p>'
    head = "".join(f'<th class="{"num" if c in numeric else ""}">{esc(t)}</th>' for c, t in columns.items())
    rows = []
    for record in frame[list(columns)].itertuples(index=False):
        cells = []
        for column, value in zip(columns, record):
            if column in numeric and isinstance(value, (int, float, np.number)) and not pd.isna(value):
                text = f"{value:,.3g}" if column in ("p_value", "q_value") else f"{value:,.1f}" if isinstance(value, float) else f"{value:,}"
                cells.append(f'<td class="num">{text}</td>')
            else:
                cells.append(f"<td>{esc(value)}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def _filters_text(review: Review) -> str:
    f = review.scope
    parts = [f"{review.start:%a %d %b %Y} – {review.end:%a %d %b %Y}"]
    parts.append("channels: " + (", ".join(f.channels) if f.channels else "all"))
    parts.append("stages: " + (", ".join(f.stages) if f.stages else "all"))
    parts.append("segments: " + (", ".join(f.segments) if f.segments else "all"))
    parts.append(f"minimum n: {review.min_n}")
    return " · ".join(parts)


def _definitions(scales: Scales) -> str:
    items = []
    for d in metric_definitions(scales).values():
        items.append(f"<dt>{esc(d.label)} ({esc(d.unit)})</dt><dd>{esc(d.definition)} "
                     f"<br><code>{esc(d.formula)}</code><br>Interval: {esc(d.interval)}</dd>")
    return "<dl>" + "".join(items) + "</dl>"


def render_html(review: Review, figures: dict[str, go.Figure], scales: Scales = Scales(), *,
                static_images: dict[str, str] | None = None, base_url: str = "") -> str:
    """The report as one HTML document.

    Parameters
    ----------
    review : Review
    figures : dict of str to Figure
        From :func:`cx.review.review_figures`.
    static_images : dict of str to str, optional
        Inline SVG per figure name; when given, charts are static (for print / PDF).
    base_url : str
        Prefix for links to the app (e.g. ``https://cx.example.com``); links are plain text without it.
    """
    charts, first = [], True
    for name, fig in figures.items():
        if static_images is not None:
            charts.append(f'<div class="chart" data-chart="{esc(name)}">{static_images[name]}</div>')
        else:
            html = fig.to_html(full_html=False, include_plotlyjs=first, config={"displaylogo": False, "responsive": True},
                               default_width="100%")
            charts.append(f'<div class="chart" data-chart="{esc(name)}">{html}</div>')
            first = False
    movers_chart = [c for n, c in zip(figures, charts) if n == "movers"]
    trend_charts = [c for n, c in zip(figures, charts) if n != "movers"]
    story = []
    for sentence in review.sentences:
        link = f' <a href="{esc(base_url + sentence.link())}">→ {esc(sentence.page)}</a>' if base_url else f' <span class="meta">(see {esc(sentence.page.capitalize())})</span>'
        story.append(f"<li>{esc(sentence.text)}{link}</li>")
    generated = review.generated_at.strftime("%Y-%m-%d %H:%M UTC")
    incident_cols = {c: c.replace("_", " ") for c in INCIDENT_COLUMNS if c in review.incidents}
    at_risk_cols = {c: c.replace("_", " ") for c in AT_RISK_COLUMNS if c in review.at_risk}
    notes = "".join(f'<p class="meta">{esc(note)}</p>' for note in review.notes)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>CX weekly review {esc(review.week)}</title><style>{_CSS}</style></head>
<body>
<h1>Weekly CX review — {esc(review.week)}</h1>
<div class="meta">Data: {esc(review.source_label)} · {esc(_filters_text(review))}<br>
Compared with the previous week and the average of the four weeks before. Generated {esc(generated)}.
● = change against last week significant at 5%.</div>
{_tiles(review)}
<h2>What happened</h2><ul class="story">{''.join(story)}</ul>
<h2>What moved (significant after Benjamini–Hochberg over {review.tested} channel × stage changes)</h2>
{''.join(movers_chart)}
{_table(review.movers, {"label": "metric", "channel": "channel", "journey_stage": "stage", "previous": "last week", "value": "this week", "delta": "change", "n": "n", "q_value": "q"}, ("previous", "value", "delta", "n", "q_value"))}
<h2>Trends (12 weeks, this week shaded)</h2><div class="charts">{''.join(trend_charts)}</div>
<h2>Critical incidents this week ({len(review.incidents):,}; {review.unrecovered:,} journeys ended unrecovered)</h2>
{_table(review.incidents.head(25), incident_cols)}
<h2>Customers newly at risk ({len(review.at_risk):,})</h2>
{notes}{_table(review.at_risk.head(25), at_risk_cols, ("probability", "lifetime_value", "value_at_risk", "incidents"))}
<h2>Definitions</h2>{_definitions(scales)}
</body></html>"""


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
