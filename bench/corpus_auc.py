"""How well does one column alone predict a yes/no outcome on the real-export corpus? (not a timing)

The table behind :data:`cx.ingest.leaks.AUC_SUSPECT` in tests/data/real/README.md ("How good an honest
predictor gets"): for each corpus file with a yes/no outcome, every other column's ROC AUC alone —
max(AUC, 1 − AUC), numbers ranked as they are (missing below every number), text by its value's
outcome rate in the other half of the rows (cross-fitted, as the leak screen does) — and which of
them are honest measures, restatements, records made after the outcome, or leaks.

    PYTHONPATH=$PWD .venv/bin/python bench/corpus_auc.py
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from cx.ingest import read_table
from cx.ingest.leaks import AUC_SUSPECT, _auc, outcome_flags, prepare

REAL = Path(__file__).resolve().parents[1] / "tests" / "data" / "real"
#: (file, outcome, value counted as yes, {column: why it is not an honest predictor})
CASES = [
    ("telco_churn_ibm.xlsx", "Churn Label", None, {"Churn Value": "copy of the label", "Churn Reason": "filled for churners only",
                                                   "Churn Score": "IBM's model score of churn", "CustomerID": "id"}),
    ("airline_satisfaction.csv", "Satisfaction", "Satisfied", {}),
    ("skytrax_seat_reviews.csv", "recommended", "1", {"overall_rating": "the reviewer's overall verdict"}),
    ("cfpb_complaints.csv", "Consumer disputed?", "Yes", {}),
    ("servicenow_incidents.csv", "made_sla", None, {"closed_at": "recorded after the outcome", "sys_updated_at":
                                                    "recorded after the outcome", "sys_mod_count": "counts updates until closing",
                                                    "resolved_at": "recorded after the outcome"}),
    ("twitter_airline_sentiment.csv", "airline_sentiment", "negative", {"negativereason": "filled for negative only",
                                                                        "negativereason_confidence": "filled for negative only"}),
]


def measure() -> list[dict]:
    rows = []
    for file, outcome, positive, not_honest in CASES:
        frame = read_table(REAL / file, file).frame
        target = frame[outcome]
        if positive is not None and target.nunique() > 2:  # a three-valued label: one value against the rest
            target = target.where(target.isna(), (target.astype(str).str.strip() == positive).map({True: "yes", False: "no"}))
            positive = "yes"
        if file.startswith("cfpb"):  # 'Yes' or blank: blank is no
            target = target.fillna("No").replace("", "No")
        y_all = outcome_flags(target.rename(outcome), positive).to_numpy(float)
        rows_known = np.flatnonzero(~np.isnan(y_all))
        y = y_all[rows_known]
        prepared = prepare(frame.drop(columns=[outcome]))
        scored = sorted(((_auc(column.rows(rows_known), y), name) for name, column in prepared.items()
                         if column.present[rows_known].any()), reverse=True)
        honest = [(a, c) for a, c in scored if c not in not_honest and not c.lower().endswith(("id", "key", "number"))]
        rows.append({"file": file, "outcome": outcome, "n": len(y), "yes": float(y.mean()),
                     "honest": honest[:2], "other": [(a, c, not_honest[c]) for a, c in scored if c in not_honest]})
    return rows


if __name__ == "__main__":
    print(f"| file | outcome (n, yes) | strongest honest single columns | restatements, after-the-fact records, leaks | suspect line {AUC_SUSPECT} |")
    print("|---|---|---|---|---|")
    for r in measure():
        honest = "; ".join(f"`{c}` {a:.3f}" for a, c in r["honest"])
        other = "; ".join(f"`{c}` {a:.3f} ({why})" for a, c, why in r["other"]) or "none"
        print(f"| {r['file']} | `{r['outcome']}` ({r['n']:,}, {r['yes']:.1%}) | {honest} | {other} | "
              f"{'below' if r['honest'][0][0] < AUC_SUSPECT else 'ABOVE'} |")
