"""A wide survey with a repeat respondent: the outcome and the journey's end both come from the latest date."""

from __future__ import annotations

from cx.ingest import Mapping, apply_mapping, read_table

CSV = """respondent_id,survey_date,Checkout,Delivery,Support,churned
R1,2026-03-25,5,4,3,no
R1,2026-01-10,1,1,1,yes
R2,2026-02-01,4,4,4,no
R3,2026-02-02,2,3,4,yes
"""


def test_repeat_respondent_outcome_is_the_latest_answer_not_the_last_row(tmp_path):
    path = tmp_path / "wide.csv"
    path.write_text(CSV, encoding="utf-8")
    mapping = Mapping.from_dict({"version": 1, "shape": "wide", "rating_target": "csat", "booleans": {"churned": "yes"},
                                 "columns": {"respondent_id": "customer_id", "survey_date": "occurred_at",
                                             "Checkout": "rating", "Delivery": "rating", "Support": "rating",
                                             "churned": "customers.churned"}})
    result = apply_mapping(read_table(path, path.name), mapping)
    churned = result.customers.set_index("customer_id")["churned"].astype(bool).to_dict()
    assert churned == {"R1": False, "R2": False, "R3": True}  # R1's latest answer (March) says "no"
    r1 = result.interactions[result.interactions["customer_id"] == "R1"].sort_values(["occurred_at", "seq"])
    assert r1["csat"].iloc[-1] == 3.0 and str(r1["occurred_at"].iloc[-1].date()) == "2026-03-25"  # the end, same day
