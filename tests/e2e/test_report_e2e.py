"""The exported report: HTML opens offline with every chart drawn; the PDF renders and holds the KPI values."""

import dataclasses
import shutil
import subprocess

import pytest

from cx.review import export as report
from cx.review.weekly import format_value, review_figures, weekly_review

from .conftest import RESULTS


@pytest.fixture(scope="module")
def outage_report(demo_source):
    review = weekly_review(demo_source, "2026-W11")
    return review, review_figures(demo_source, review)


@pytest.mark.e2e
def test_html_report_is_self_contained(outage_report, tmp_path, browser):
    review, figures = outage_report
    path = report.export(review, figures, tmp_path / "review.html")
    context = browser.new_context()
    page = context.new_page()
    requests = []
    page.on("request", lambda r: requests.append(r.url))
    page.goto(path.as_uri())
    page.wait_for_function(f"document.querySelectorAll('.js-plotly-plot .main-svg').length >= {len(figures)}",
                           timeout=30_000)
    assert page.locator(".js-plotly-plot").count() == len(figures)
    assert page.locator(".tile").count() == len(review.kpis)
    external = [u for u in requests if not u.startswith(("file:", "data:", "blob:", "about:"))]
    assert external == []
    RESULTS.mkdir(exist_ok=True)
    page.screenshot(path=str(RESULTS / "report_html.png"), full_page=True)
    context.close()


@pytest.mark.e2e
def test_report_escapes_user_text(outage_report, tmp_path):
    review, figures = outage_report
    hostile = dataclasses.replace(review, source_label="<script>alert('x')</script>")
    html = report.render_html(hostile, {}, static_images={})
    assert "<script>alert" not in html and "&lt;script&gt;alert" in html


@pytest.mark.e2e
def test_pdf_report_renders_with_kpis(outage_report, tmp_path, chromium):
    if not shutil.which("pdftotext"):
        pytest.skip("poppler-utils (pdftotext) not installed")
    review, figures = outage_report
    path = report.export(review, figures, tmp_path / "review.pdf")
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout
    assert "Weekly CX review — 2026-W11" in text
    for row in review.kpis.itertuples():
        assert format_value(row.value, row.unit) in text
    pages = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    assert int(next(line.split()[-1] for line in pages.splitlines() if line.startswith("Pages:"))) >= 2
    RESULTS.mkdir(exist_ok=True)
    subprocess.run(["pdftoppm", "-png", "-r", "70", "-f", "1", "-l", "1", "-singlefile", str(path),
                    str(RESULTS / "report_pdf_page1")], check=True)
    assert (RESULTS / "report_pdf_page1.png").stat().st_size > 10_000


@pytest.mark.e2e
def test_report_template_escapes_every_user_field(outage_report):
    review, _ = outage_report
    hostile = "<img src=x onerror=alert(1)>"
    incidents = review.incidents.head(3).assign(comment=hostile, touchpoint=hostile)
    movers = review.movers.head(2).assign(channel=hostile)
    notes = (hostile,)
    sentences = (review.sentences[0].__class__(hostile, "trends", {"q": hostile}),)
    html = report.render_html(dataclasses.replace(review, incidents=incidents, movers=movers, notes=notes,
                                                  sentences=sentences),
                              {}, static_images={}, base_url="https://cx.example.com")
    assert "<img" not in html
    assert html.count("&lt;img src=x onerror=alert(1)&gt;") == 3 * 2 + 2 + 1 + 1
    assert "q=%3Cimg" in html  # in the link, URL-encoded
