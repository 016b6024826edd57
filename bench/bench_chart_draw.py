"""How long Chromium takes to draw the Overview's trend charts (Plotly.newPlot), as built and with plotly's automargin.

A click that changes the Overview's view redraws its four week-trend charts in the browser; with nothing to
compute on the server (a cached view) that drawing is most of the click (BENCHMARKS.md, Meeting, round 12).
This builds the four figures from the demo warehouse as the page does, loads the plotly.js that ships with
the plotly package into a blank page of the system Chromium (nothing fetched), and times drawing all four,
``--repeats`` times per variant, the variants interleaved:

- **as built**: the figures as the page sends them;
- **automargin**: the same with plotly's automargin on both axes (how they were built before round 12: plotly
  draws such a chart, measures its labels and draws it again);
- **no template**: the same without the app's template (what the look itself costs).

    PYTHONPATH=. .venv/bin/python bench/bench_chart_draw.py --demo /tmp/demo_bench.duckdb
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

DRAW = """async ([figures, repeats]) => {
  const root = document.getElementById('root'); const times = [];
  for (let r = 0; r < repeats; r++) {
    root.innerHTML = ''; const t = performance.now();
    for (const f of figures) {
      const div = document.createElement('div'); div.style.width = '640px'; root.appendChild(div);
      await Plotly.newPlot(div, f.data, f.layout, {});
    }
    times.push(performance.now() - t);
    await new Promise(resolve => setTimeout(resolve, 50));
  }
  return times;
}"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--demo", default=None, help="the demo warehouse file (default: the app's)")
    parser.add_argument("--repeats", type=int, default=15)
    args = parser.parse_args()

    import plotly
    import plotly.io
    from bench_meeting import CHROMIUM_ARGS
    from playwright.sync_api import sync_playwright

    from cx.db.local import demo_source
    from cx.review import weekly as reviews
    from cx.scope import Scope

    source = demo_source(args.demo)
    review = reviews.weekly_review(source, None, Scope(), extras=False)
    figures = reviews.review_figures(source, review.with_min_n(30), reviews.trend_tables(source, review))
    built = [json.loads(plotly.io.to_json(f)) for name, f in figures.items() if name.startswith("trend:")]

    def variant(change):
        out = copy.deepcopy(built)
        for spec in out:
            change(spec["layout"])
        return out

    def automargin(layout):
        for axis in ("xaxis", "yaxis"):
            layout.setdefault(axis, {})["automargin"] = True

    variants = {"as built": built, "automargin": variant(automargin),
                "no template": variant(lambda layout: layout.pop("template", None))}
    page_file = Path(tempfile.mkdtemp()) / "charts.html"
    script = Path(plotly.__file__).parent.joinpath("package_data", "plotly.min.js").read_text()
    page_file.write_text(f"<html><body><div id=root></div><script>{script}</script></body></html>")
    times: dict[str, list[float]] = {name: [] for name in variants}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=os.environ.get("BROWSER_PATH", "/usr/bin/chromium"),
                                     args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1440, "height": 900})
            page.goto(page_file.as_uri())
            for _ in range(3):  # interleaved, so a busy moment of the machine falls on every variant alike
                for name, specs in variants.items():
                    times[name] += page.evaluate(DRAW, [specs, max(1, args.repeats // 3)])
        finally:
            browser.close()
    load = " ".join(f"{v:.2f}" for v in os.getloadavg())
    print(f"command: python bench/bench_chart_draw.py --repeats {args.repeats}; load average {load}")
    print(f"\n| the Overview's {len(built)} trend charts | draws | median | p95 |\n|---|---|---|---|")
    for name, values in times.items():
        values = sorted(values)
        p95 = values[min(len(values) - 1, round(0.95 * (len(values) - 1)))]
        print(f"| {name} | {len(values)} | {statistics.median(values):.0f} ms | {p95:.0f} ms |")


if __name__ == "__main__":
    main()
