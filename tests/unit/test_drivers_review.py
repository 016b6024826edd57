"""The weekly review carries the mix split: JSON `mix` records and a section of the HTML report."""

from __future__ import annotations

import json

import pytest

from cx import cli


def test_review_json_mix_sums_to_the_kpi_change(demo_path, capsys):
    assert cli.main(["review", "--source", str(demo_path), "--week", "2026-W41", "--format", "json"]) == 0
    out = json.loads(capsys.readouterr().out)
    deltas = {k["metric"]: k["delta"] for k in out["kpis"]}
    assert {(r["metric"], r["by"]) for r in out["mix"]} >= {("nps", "channel"), ("csat", "journey_stage")}
    for record in out["mix"]:
        assert set(record) == {"metric", "by", "total", "within", "mix"}
        assert record["within"] + record["mix"] == pytest.approx(record["total"], abs=1e-5)
        assert record["total"] == pytest.approx(deltas[record["metric"]], abs=1e-5)  # the headline change
    nps = next(r for r in out["mix"] if (r["metric"], r["by"]) == ("nps", "channel"))
    assert nps["mix"] < -1.5 < nps["within"]  # the planted social care launch: a fall by mix alone


def test_report_has_a_mix_section(demo_source, tmp_path):
    from cx.review import weekly
    from cx.review.export import render_html

    review = weekly.weekly_review(demo_source, "2026-W41", extras=False)
    html = render_html(review, {})
    assert 'id="mix"' in html and "shift in mix" in html
    assert "Simpson" in html  # NPS fell although it rose within channels
