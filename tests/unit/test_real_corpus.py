"""The real-export corpus (issue 12): public exports nobody here wrote, loaded as a new user would.

Each file in ``tests/data/real/`` has a ``<name>.expected.json`` beside it with the roles that matter
(judged by a person, from the data's own documentation and values), the part of the suggested
mapping that is right today (``suggestion_agrees``), and a ``mapping`` that expresses the roles in
today's mapping format. The tests check that

* every row is loaded or quarantined, with the suggested mapping and with the expected one;
* the suggester keeps the roles it already gets right;
* the headline numbers the product gets right equal an independent pandas computation here.

What the product still gets wrong on these files is listed in ``tests/data/real/README.md``, not
tested here (no xfail): those are work items, not expectations.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cx import cli
from cx.ingest import Mapping, apply_mapping, read_table, suggest_mapping

REAL = Path(__file__).resolve().parents[1] / "data" / "real"
NAMES = sorted(p.name.removesuffix(".expected.json") for p in REAL.glob("*.expected.json"))


def _expected(name: str) -> dict:
    return json.loads((REAL / f"{name}.expected.json").read_text(encoding="utf-8"))


def _path(name: str) -> Path:
    return REAL / _expected(name)["file"]


def _frame(name: str) -> pd.DataFrame:
    """The file as plain pandas reads it (every cell as text), for the independent computations."""
    path = _path(name)
    if path.suffix == ".xlsx":
        return pd.read_excel(path, dtype=str, keep_default_na=False)
    return pd.read_csv(path, dtype=str, keep_default_na=False)


@functools.cache
def _raw(name: str):
    """The file read once through the product's reader (the tests only read it)."""
    return read_table(_path(name), _path(name).name)


@functools.cache
def _suggested(name: str) -> Mapping:
    return suggest_mapping(_raw(name))


def _mapping_file(name: str, tmp_path: Path) -> Path:
    out = tmp_path / f"{name}.mapping.json"
    out.write_text(json.dumps(_expected(name)["mapping"]), encoding="utf-8")
    return out


def _metrics(capsys, name: str, tmp_path: Path, *argv: str) -> list[dict]:
    code = cli.main(["metrics", "--source", str(_path(name)), "--mapping", str(_mapping_file(name, tmp_path)),
                     *argv, "--format", "json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    return json.loads(out)


# --- the corpus itself -------------------------------------------------------------------------


def test_corpus_has_six_shapes_of_real_exports():
    assert len(NAMES) >= 6
    shapes = {_expected(n)["roles"]["shape"] for n in NAMES}
    assert shapes == {"customers", "wide", "interactions"}
    readme = (REAL / "README.md").read_text(encoding="utf-8")
    for name in NAMES:
        path = _path(name)
        assert path.name in readme, f"{path.name} is not described in README.md"
        assert path.stat().st_size <= 300_000
        head = path.read_bytes()[:200]
        assert not head.startswith(b"version https://git-lfs"), f"{path.name} is a Git LFS pointer"
        assert b"annex" not in head.split(b"\n")[0], f"{path.name} looks like a git-annex pointer"
        assert 300 <= len(_frame(name)) <= 2000


@pytest.mark.parametrize("name", NAMES)
def test_expected_mapping_is_valid_and_names_real_columns(name):
    expected = _expected(name)
    columns = list(_frame(name).columns)
    mapping = Mapping.from_dict(expected["mapping"], name)
    raw = _raw(name)
    mapping.check(list(raw.frame.columns), name)
    roles = expected["roles"]
    named = [roles.get(k) for k in ("customer_id", "occurred_at", "resolved_at", "channel", "region", "comment")]
    named += list(roles.get("leaks", {})) + ([roles["outcome"]["column"]] if roles.get("outcome") else [])
    assert [c for c in named if c] and all(c in columns for c in named if c), named


# --- (a) nothing silently lost -----------------------------------------------------------------


@pytest.mark.parametrize("which", ["suggested", "expected"])
@pytest.mark.parametrize("name", NAMES)
def test_every_row_is_loaded_or_quarantined(name, which):
    raw = _raw(name)
    mapping = _suggested(name) if which == "suggested" else Mapping.from_dict(_expected(name)["mapping"], name)
    result = apply_mapping(raw, mapping)
    assert result.rows_read == len(_frame(name))
    assert result.rows_loaded + result.rows_quarantined == result.rows_read
    assert len(result.quarantine) == result.rows_quarantined
    assert set(result.quarantine["_row"]) <= set(range(1, result.rows_read + 2))


@pytest.mark.parametrize("name", NAMES)
def test_suggestion_keeps_the_roles_it_gets_right(name):
    agrees = _expected(name)["suggestion_agrees"]
    suggested = _suggested(name)
    if "shape" in agrees:
        assert suggested.shape == agrees["shape"]
    if "dayfirst" in agrees:
        assert suggested.dayfirst == agrees["dayfirst"]
    assert {c: suggested.columns.get(c) for c in agrees["columns"]} == agrees["columns"]
    for column, value in agrees.get("booleans", {}).items():
        assert suggested.booleans.get(column, "").casefold() == value.casefold()


def test_nyc311_quarantines_exactly_the_requests_closed_before_they_were_created():
    frame = _frame("nyc311_requests")
    hours = _hours(frame["Created Date"], frame["Closed Date"])
    result = apply_mapping(_raw("nyc311_requests"), _suggested("nyc311_requests"))
    assert set(result.quarantine["Unique Key"]) == set(frame.loc[hours < 0, "Unique Key"])


# --- (b) the numbers the product gets right ----------------------------------------------------


def test_telco_customers_load_with_the_right_churn_share_and_value():
    frame = _frame("telco_churn_ibm")
    result = apply_mapping(_raw("telco_churn_ibm"), Mapping.from_dict(_expected("telco_churn_ibm")["mapping"]))
    customers = result.customers.set_index("customer_id")
    assert len(customers) == frame["CustomerID"].nunique() == len(frame)
    churned = frame.set_index("CustomerID")["Churn Label"].eq("Yes")
    assert customers["churned"].astype(bool).sort_index().tolist() == churned.sort_index().tolist()
    assert customers["churned"].astype(float).mean() == pytest.approx(churned.mean(), abs=1e-12)
    assert customers["lifetime_value"].astype(float).mean() == pytest.approx(frame["CLTV"].astype(float).mean(), rel=1e-12)


def _ratings(frame: pd.DataFrame, columns: list[str]) -> pd.Series:
    """Wide ratings as one long series, blanks dropped and 0 read as not applicable."""
    values = pd.to_numeric(frame[columns].stack(), errors="coerce").dropna()
    return values[values > 0]


@pytest.mark.parametrize("name", ["airline_satisfaction", "skytrax_seat_reviews"])
def test_wide_survey_csat_is_the_top_two_box_share_of_answered_ratings(capsys, tmp_path, name):
    columns = _expected(name)["roles"]["score"]["columns"]
    ratings = _ratings(_frame(name), columns)
    [record] = _metrics(capsys, name, tmp_path, "--metric", "csat", "--grain", "all")
    assert record["n"] == len(ratings)
    assert record["value"] == pytest.approx(100 * (ratings >= 4).mean(), abs=1e-9)


def test_airline_journeys_count_respondents_and_answered_ratings(capsys, tmp_path):
    frame = _frame("airline_satisfaction")
    ratings = _ratings(frame, _expected("airline_satisfaction")["roles"]["score"]["columns"])
    code = cli.main(["journeys", "--source", str(_path("airline_satisfaction")), "--mapping",
                     str(_mapping_file("airline_satisfaction", tmp_path)), "--format", "json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    summary = json.loads(out)["summary"]
    assert summary["customers"] == frame["ID"].nunique() == len(frame)
    assert summary["interactions"] == len(ratings)


def test_olist_csat_by_purchase_month(capsys, tmp_path):
    frame = _frame("olist_classified_reviews")
    score = frame["review_score"].astype(int)
    [overall] = _metrics(capsys, "olist_classified_reviews", tmp_path, "--metric", "csat", "--grain", "all")
    assert overall["n"] == len(frame)
    assert overall["value"] == pytest.approx(100 * (score >= 4).mean(), abs=1e-9)
    month = pd.to_datetime(frame["order_purchase_timestamp"]).dt.to_period("M").dt.start_time.dt.strftime("%Y-%m-%d")
    expected = (score >= 4).groupby(month).agg(["size", "mean"])
    records = _metrics(capsys, "olist_classified_reviews", tmp_path, "--metric", "csat", "--grain", "month")
    assert [r["period"] for r in records] == expected.index.tolist()
    assert [r["n"] for r in records] == expected["size"].tolist()
    assert [r["value"] for r in records] == pytest.approx((100 * expected["mean"]).tolist(), abs=1e-9)


def test_cfpb_complaint_volume_by_day_channel_and_state(capsys, tmp_path):
    frame = _frame("cfpb_complaints")
    day = pd.to_datetime(frame["Date received"], format="%m/%d/%Y").dt.strftime("%Y-%m-%d")
    records = _metrics(capsys, "cfpb_complaints", tmp_path, "--metric", "volume", "--grain", "day")
    assert {r["period"]: r["value"] for r in records} == day.value_counts().to_dict()
    records = _metrics(capsys, "cfpb_complaints", tmp_path, "--metric", "volume", "--grain", "all", "--by", "channel")
    assert {r["channel"].casefold(): r["value"] for r in records} == \
        frame["Submitted via"].str.casefold().value_counts().to_dict()
    records = _metrics(capsys, "cfpb_complaints", tmp_path, "--metric", "volume", "--grain", "all", "--by", "region")
    states = frame["State"].replace("", np.nan).value_counts().to_dict()
    assert {r["region"]: r["value"] for r in records if r["region"] is not None} == states
    assert sum(r["value"] for r in records) == len(frame)


def _hours(start: pd.Series, end: pd.Series) -> pd.Series:
    fmt = "%m/%d/%Y %I:%M:%S %p"
    return (pd.to_datetime(end, format=fmt, errors="coerce") - pd.to_datetime(start, format=fmt)).dt.total_seconds() / 3600


def test_nyc311_time_to_resolution_median_and_p90(capsys, tmp_path):
    frame = _frame("nyc311_requests")
    hours = _hours(frame["Created Date"], frame["Closed Date"])
    kept = hours[hours >= 0]  # open requests have no duration; closed-before-created are quarantined
    [record] = _metrics(capsys, "nyc311_requests", tmp_path, "--metric", "ttr", "--grain", "all")
    assert record["n"] == len(kept)
    assert record["value"] == pytest.approx(kept.median(), abs=1e-9)
    assert record["p90"] == pytest.approx(kept.quantile(0.9), abs=1e-9)
    by_channel = kept.groupby(frame["Open Data Channel Type"]).agg(["size", "median"])
    records = _metrics(capsys, "nyc311_requests", tmp_path, "--metric", "ttr", "--grain", "all", "--by", "channel")
    got = sorted((r["n"], round(r["value"], 9)) for r in records)
    assert got == sorted((int(n), round(m, 9)) for n, m in by_channel.itertuples(index=False))


# --- (c) no leak as a driver, every odds ratio inside its interval ------------------------------


def _leaky_telco_mapping(tmp_path: Path) -> Path:
    """The telco roles as a new user was offered them: the churn score as CSAT, the churn value as revenue,
    the churn reason as a touchpoint (issue 12, seen 1)."""
    mapping = _expected("telco_churn_ibm")["mapping"]
    mapping = {**mapping, "shape": "interactions", "scales": {**mapping["scales"], "csat": {
        "low": 0, "high": 100, "higher_is_better": True, "zero_means_na": False}},
        "columns": {**mapping["columns"], "Churn Score": "csat", "Churn Value": "revenue", "Churn Reason": "touchpoint"}}
    out = tmp_path / "telco.leaky.json"
    out.write_text(json.dumps(mapping), encoding="utf-8")
    return out


def _churn(capsys, name: str, mapping: Path, *argv: str) -> tuple[int, dict | None, str]:
    code = cli.main(["churn", "--source", str(_path(name)), "--mapping", str(mapping), *argv, "--format", "json"])
    out, err = capsys.readouterr()
    return code, (json.loads(out) if code == 0 else None), err


def test_telco_leaks_are_never_drivers(capsys, tmp_path):
    mapping = _leaky_telco_mapping(tmp_path)
    # with only the leaky columns as experience, there is no model, and the refusal names every leak
    code, _, err = _churn(capsys, "telco_churn_ibm", mapping)
    assert code == 2 and "Left out as leaks" in err and "Mean CSAT" in err and "Attitude of support person" in err
    assert "wrong way round" in err and "filled only for customers with churned = yes" in err
    # with the contract as an attribute, the model runs on it alone: no leaked column as a driver
    code, doc, err = _churn(capsys, "telco_churn_ibm", mapping, "--attribute", "segment")
    assert code == 0, err
    drivers = {r["feature"] for r in doc["odds_ratios"]}
    assert drivers and all(d.startswith("Segment") for d in drivers)
    assert {"Mean CSAT", "Worst moment (index)", "Attitude of support person (touchpoint index)"} <= set(doc["leaks"])
    assert doc["leak_likely"] is False
    # the user may keep a leak in; the page and the CLI then say loudly what the model shows
    code, doc, err = _churn(capsys, "telco_churn_ibm", mapping, "--attribute", "segment",
                            "--allow-leak", "Attitude of support person (touchpoint index)")
    assert code == 0, err
    assert any(w.startswith("LEAK kept in the model because you asked") for w in doc["warnings"])


def test_churn_score_alone_separates_churn_as_the_screen_says():
    """The independent check behind the 'wrong way round' reason: the churn score's AUC for churn."""
    from sklearn.metrics import roc_auc_score

    frame = _frame("telco_churn_ibm")
    auc = roc_auc_score(frame["Churn Label"].eq("Yes"), frame["Churn Score"].astype(float))
    assert auc >= 0.9


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_airline_odds_ratios_lie_inside_their_intervals_and_no_sign_flips_from_duplicates(tmp_path, seed):
    from cx.churn import fit_churn
    from cx.cli import _open_source

    source = _open_source([str(_path("airline_satisfaction"))], _mapping_file("airline_satisfaction", tmp_path))
    report = fit_churn(source, "satisfied", resamples=60, random_state=seed)
    odds = report.odds_ratios
    assert ((odds["ci_low"] <= odds["value"]) & (odds["value"] <= odds["ci_high"])).all()
    assert report.card.leaks == ()
    # mean CSAT and mean index are one column here: named once, and left out as the mean of the ratings beside it
    assert not any(f.startswith("Mean CSAT") for f in report.card.features)
    assert any("Mean CSAT = Mean experience index" in note for note in report.card.notes)
    # a good outcome: the at-risk list starts with the least likely to be satisfied
    assert report.card.risk_words == "least likely to be satisfied"
    assert report.at_risk["probability"].is_monotonic_increasing


def test_telco_customer_table_alone_gives_churn_and_value_by_contract(capsys, tmp_path):
    """A customers-only file: every customer counts once (it used to print [] and exit 0)."""
    frame = _frame("telco_churn_ibm")
    churned = frame["Churn Label"].eq("Yes").groupby(frame["Contract"]).agg(["size", "mean"])
    records = _metrics(capsys, "telco_churn_ibm", tmp_path, "--metric", "churn", "--grain", "all", "--by", "segment")
    assert {r["segment"]: r["n"] for r in records} == churned["size"].to_dict()
    assert {r["segment"]: r["value"] for r in records} == pytest.approx((100 * churned["mean"]).to_dict(), abs=1e-9)
    ltv = frame["CLTV"].astype(float).groupby(frame["Contract"]).mean()
    records = _metrics(capsys, "telco_churn_ibm", tmp_path, "--metric", "ltv", "--grain", "all", "--by", "segment")
    assert {r["segment"]: r["value"] for r in records} == pytest.approx(ltv.to_dict(), rel=1e-12)


def test_empty_metric_results_exit_non_zero_with_the_reason(capsys, tmp_path):
    mapping = str(_mapping_file("airline_satisfaction", tmp_path))
    code = cli.main(["metrics", "--source", str(_path("airline_satisfaction")), "--mapping", mapping,
                     "--metric", "csat", "--grain", "week"])
    out, err = capsys.readouterr()
    assert code == 2 and out == "" and "needs dated interactions" in err and "--grain all" in err
    code = cli.main(["metrics", "--source", str(_path("telco_churn_ibm")), "--mapping",
                     str(_mapping_file("telco_churn_ibm", tmp_path)), "--metric", "csat", "--grain", "all"])
    out, err = capsys.readouterr()
    assert code == 2 and "needs the column csat" in err and "Data page" in err


def test_airline_csat_interval_is_cluster_robust_by_respondent(capsys, tmp_path):
    """1,500 respondents × up to 14 ratings: the interval accounts for who answered (statsmodels, independently)."""
    import statsmodels.api as sm
    from statsmodels.stats.proportion import proportion_confint

    frame = _frame("airline_satisfaction")
    columns = _expected("airline_satisfaction")["roles"]["score"]["columns"]
    long = frame.set_index("ID")[columns].stack()
    long = pd.to_numeric(long, errors="coerce").dropna()
    long = long[long > 0]
    top = (long >= 4).astype(float)
    fit = sm.OLS(top.to_numpy(), np.ones(len(top))).fit(
        cov_type="cluster", cov_kwds={"groups": pd.factorize(top.index.get_level_values(0))[0]})
    p, n = top.mean(), len(top)
    n_eff = n / max(fit.bse[0] ** 2 / (p * (1 - p) / n), 1.0)
    low, high = proportion_confint(p * n_eff, n_eff, method="wilson")
    [record] = _metrics(capsys, "airline_satisfaction", tmp_path, "--metric", "csat", "--grain", "all")
    assert (record["ci_low"], record["ci_high"]) == pytest.approx((100 * low, 100 * high), abs=1e-9)
    naive_low, naive_high = proportion_confint(top.sum(), n, method="wilson")
    assert (high - low) / (naive_high - naive_low) == pytest.approx(1.8, abs=0.15)  # the naive one: ~1.8x too narrow


def test_airline_text_verdict_is_an_outcome_with_its_positive_value(capsys, tmp_path):
    """'Satisfied' / 'Neutral or Dissatisfied' as text: --positive names the yes (it used to be refused)."""
    mapping = _expected("airline_satisfaction")["mapping"]
    mapping = {**mapping, "columns": {**mapping["columns"], "Satisfaction": "customers.verdict"}, "booleans": {}}
    path = tmp_path / "airline.text.json"
    path.write_text(json.dumps(mapping), encoding="utf-8")
    code = cli.main(["journeys", "--source", str(_path("airline_satisfaction")), "--mapping", str(path),
                     "--outcome", "verdict", "--positive", "Satisfied", "--format", "json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    outcome = json.loads(out)["outcome"]
    assert outcome["kind"] == "binary" and set(outcome["predictors"]) == {"mean", "worst"}  # no dates: no "end"
    frame = _frame("airline_satisfaction")
    ratings = frame[_expected("airline_satisfaction")["roles"]["score"]["columns"]].apply(pd.to_numeric)
    mean = ratings.where(ratings > 0).mean(axis=1)
    from sklearn.metrics import roc_auc_score

    auc = roc_auc_score(frame["Satisfaction"].eq("Satisfied"), mean)
    assert outcome["predictors"]["mean"]["value"] == pytest.approx(auc, abs=1e-4)  # the JSON keeps 4 decimals


def test_refusals_on_the_telco_customer_table_name_the_cause_and_the_fix(capsys, tmp_path):
    mapping = _mapping_file("telco_churn_ibm", tmp_path)
    code, _, err = _churn(capsys, "telco_churn_ibm", mapping)
    assert code == 2 and "no interactions (a customer table alone)" in err and "--attribute segment" in err
    code = cli.main(["journeys", "--source", str(_path("telco_churn_ibm")), "--mapping", str(mapping)])
    err = capsys.readouterr().err
    assert code == 2 and "no journeys to compare" in err and "customer table alone" in err
    # the churn column not mapped: not "the customer table is empty" (1,000 customers exist)
    unmapped = _expected("telco_churn_ibm")["mapping"]
    unmapped = {**unmapped, "columns": {**unmapped["columns"], "Churn Label": "ignore"}}
    path = tmp_path / "telco.nochurn.json"
    path.write_text(json.dumps(unmapped), encoding="utf-8")
    code, _, err = _churn(capsys, "telco_churn_ibm", path, "--attribute", "segment")
    assert code == 2 and "No churn column: none of the 1,000 customers" in err and "--outcome" in err


@pytest.mark.parametrize("seed", [0, 1])
def test_skytrax_recommended_odds_ratios_lie_inside_their_intervals(tmp_path, seed):
    from cx.churn import fit_churn
    from cx.cli import _open_source

    source = _open_source([str(_path("skytrax_seat_reviews"))], _mapping_file("skytrax_seat_reviews", tmp_path))
    report = fit_churn(source, "recommended", resamples=60, random_state=seed)
    odds = report.odds_ratios
    assert ((odds["ci_low"] <= odds["value"]) & (odds["value"] <= odds["ci_high"])).all()
    assert report.card.leaks == () and report.card.risk_words == "least likely to be recommended"
    assert not any(w.startswith("LEAK") for w in report.warnings)
# --- (d) the suggestion needs no correction for the roles that matter, or asks ------------------

EXPERIENCE = {"touchpoint", "comment", "nps", "csat", "ces", "rating", "revenue", "first_response_minutes",
              "resolution_hours", "resolved_first_contact", "customers.lifetime_value", "channel", "journey_stage"}


def _named(entries: list[str]) -> list[str]:
    """Column names from README-style notes ("ZIP code (masked as 770XX)" -> "ZIP code")."""
    return [e.split(" (")[0] for e in entries]


def _matches_or_asks(mapping: Mapping, role: str, expected: str | None) -> bool:
    got = mapping.source_of(role)
    if got == expected:
        return True
    return got is not None and got in mapping.questions and (expected is None or f"'{expected}'" in mapping.questions[got])


@pytest.mark.parametrize("name", NAMES)
def test_suggestion_needs_no_correction_for_the_roles_that_matter_or_asks(name):
    expected = _expected(name)
    must, roles = expected["suggestion_must"], expected["roles"]
    mapping = _suggested(name)
    assert mapping.shape == roles["shape"]
    for column in must["asks"]:
        assert column in mapping.questions, f"{column} should be asked"
        assert mapping.confidence[column] < 0.6
    for role in ("customer_id", "occurred_at", "channel"):
        assert _matches_or_asks(mapping, role, must[role]), (role, mapping.source_of(role), mapping.questions)
    scored = {c: t for c, t in mapping.columns.items() if t in ("nps", "csat", "ces", "rating")}
    if must["score"] is None:
        assert scored == {}
    else:
        kind = mapping.rating_target if mapping.ratings else scored[must["score"]["column"]]
        assert kind == must["score"]["kind"]
        scale = mapping.scales.for_column(kind)
        assert [scale.low, scale.high] == must["score"]["scale"]
        if "columns" in roles["score"]:
            assert sorted(mapping.ratings) == sorted(roles["score"]["columns"])
    if must["outcome"]:
        assert mapping.columns[must["outcome"]] not in EXPERIENCE
        # the outcome is a customer column (offered on the Churn page), or the suggestion asks about it; a label of
        # three values (twitter's sentiment) is no yes/no outcome and is only kept out of the experience roles
        if (roles.get("outcome") or {}).get("positive"):
            assert mapping.columns[must["outcome"]].startswith("customers.") or \
                "reads like an outcome" in mapping.questions.get(must["outcome"], ""), must["outcome"]
    for column in roles.get("leaks", {}):
        assert mapping.columns[column] not in EXPERIENCE, column
    for column in _named(roles.get("not_customer_id", [])):
        assert mapping.columns.get(column) != "customer_id", column
    for column in _named(roles.get("not_a_rating", [])):
        assert mapping.columns[column] != "rating", column
    for column in _named(roles.get("not_segment", [])):
        assert mapping.columns[column] != "customers.segment", column
    mapped = [c for c, t in mapping.columns.items() if t != "ignore"]
    assert all(0 < mapping.confidence[c] <= 1 and mapping.reasons[c] for c in mapped)


def test_telco_leaks_are_found_and_named():
    mapping = _suggested("telco_churn_ibm")
    assert set(mapping.leaks) == set(_expected("telco_churn_ibm")["roles"]["leaks"])
    assert mapping.leaks["Churn Reason"].startswith("filled only for churners (265 rows")
    frame = _frame("telco_churn_ibm")  # independent: the reason is filled exactly for the churners
    assert frame["Churn Reason"].ne("").equals(frame["Churn Label"].eq("Yes"))
    assert mapping.columns["Churn Label"] == "customers.churned" and mapping.booleans["Churn Label"] == "yes"
    assert mapping.columns["CustomerID"] == "customer_id"


def test_skytrax_placeholder_dates_load_undated_and_recommended_is_not_a_rating():
    frame = _frame("skytrax_seat_reviews")
    result = apply_mapping(_raw("skytrax_seat_reviews"), _suggested("skytrax_seat_reviews"))
    placeholders = int(frame["date"].eq("1970-01-01").sum())
    assert placeholders == 9 and result.rows_quarantined == 0
    dated = result.interactions.drop_duplicates("customer_id")["occurred_at"]
    assert (dated.dt.year == 1970).sum() == 0
    assert any(f"{placeholders} dates in 'date' are placeholders" in n for n in result.notes)


@pytest.mark.parametrize("name", NAMES)
def test_cx_map_never_suggests_what_cx_load_refuses(capsys, tmp_path, name):
    assert cli.main(["map", str(_path(name))]) == 0
    out, _ = capsys.readouterr()
    mapping = tmp_path / "m.json"
    mapping.write_text(out, encoding="utf-8")
    code = cli.main(["load", str(_path(name)), "--mapping", str(mapping), "--format", "json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    [record] = json.loads(out)["files"]
    assert record["rows_loaded"] + record["rows_quarantined"] == record["rows_read"] == len(_frame(name))


def test_twitter_volume_by_day_and_airline_and_the_negative_reason_leak(capsys, tmp_path):
    frame = _frame("twitter_airline_sentiment")
    day = pd.to_datetime(frame["tweet_created"], format="%d-%m-%Y %H:%M").dt.strftime("%Y-%m-%d")
    records = _metrics(capsys, "twitter_airline_sentiment", tmp_path, "--metric", "volume", "--grain", "day")
    assert {r["period"]: r["value"] for r in records} == day.value_counts().to_dict()
    records = _metrics(capsys, "twitter_airline_sentiment", tmp_path, "--metric", "volume", "--grain", "all",
                       "--by", "touchpoint")
    assert {r["touchpoint"]: r["value"] for r in records} == frame["airline"].value_counts().to_dict()
    result = apply_mapping(_raw("twitter_airline_sentiment"), Mapping.from_dict(_expected("twitter_airline_sentiment")["mapping"]))
    assert result.interactions["customer_id"].nunique() == frame["name"].nunique()
    negative = frame["airline_sentiment"].eq("negative").rename("negative")
    from cx.ingest.leaks import leak_columns

    found = leak_columns(frame[["negativereason", "airline", "retweet_count"]], negative)
    assert list(found) == ["negativereason"]
    assert frame["negativereason"].ne("").equals(negative)  # independent: filled exactly for negative tweets


@pytest.mark.parametrize(("name", "outcome", "words"), [("airline_satisfaction", "satisfied", "being satisfied"),
                                                        ("skytrax_seat_reviews", "recommended", "being recommended")])
def test_what_if_on_a_good_outcome_reads_in_its_words_and_direction(capsys, tmp_path, name, outcome, words):
    """Better ratings raise the chance of being satisfied / recommended, said so (it used to read as churn)."""
    mapping = _mapping_file(name, tmp_path)
    code, doc, err = _churn(capsys, name, mapping, "--outcome", outcome)
    assert code == 0, err
    [move] = doc["what_if"]
    assert move["chance_of"] == words and move["good_outcome"] is True
    # the default move is +10 index points on the strongest driver, whose odds ratio is above 1 here
    label = move["description"].split(" +10, ")[0]
    [moved] = [r for r in doc["odds_ratios"] if r["feature"].startswith(label) and not r["feature"].endswith(": missing")]
    assert moved["ci_low"] > 1
    assert move["churn_after"] > move["churn_before"] and move["churners_change"]["ci_low"] > 0
    assert move["better"] is True and f"chance of {words}" in move["headline"]
    assert cli.main(["churn", "--source", str(_path(name)), "--mapping", str(mapping), "--outcome", outcome,
                     "--what-if", "worst_index=+10", "--top", "1"]) == 0
    out = capsys.readouterr().out
    assert f"What if… (chance of {words}" in out and "Worst moment (index) +10" in out and "points, better" in out


# --- suspected restatements (AUC_SUSPECT ≤ AUC < AUC_LEAK): named and asked, not left out ------------


def _suspect_questions(mapping: Mapping) -> dict[str, str]:
    return {c: q for c, q in mapping.questions.items() if "almost alone" in q}


def test_the_suspect_line_sits_between_honest_measures_and_restatements_on_the_corpus():
    """The threshold's evidence (README, 'How good an honest predictor gets'), recomputed with scikit-learn:
    no honest rating reaches it, the overall verdict beside 'recommended' does, and only it is asked."""
    from sklearn.metrics import roc_auc_score

    from cx.ingest.leaks import AUC_LEAK, AUC_SUSPECT

    def alone(y, x):
        auc = roc_auc_score(y, x)
        return max(auc, 1 - auc)

    sky = _frame("skytrax_seat_reviews")
    y = sky["recommended"].astype(int)
    ratings = _expected("skytrax_seat_reviews")["roles"]["score"]["columns"]
    honest = max(alone(y, pd.to_numeric(sky[c], errors="coerce").fillna(-1)) for c in ratings)
    overall = alone(y, sky["overall_rating"].astype(float))
    airline = _frame("airline_satisfaction")
    satisfied = airline["Satisfaction"].eq("Satisfied")
    numbers = airline.drop(columns=["ID", "Satisfaction"]).apply(pd.to_numeric, errors="coerce").dropna(axis=1, how="all")
    airline_best = max(alone(satisfied, numbers[c].fillna(-1)) for c in numbers)
    assert honest == pytest.approx(0.904, abs=5e-4) and airline_best == pytest.approx(0.829, abs=5e-4)
    assert max(honest, airline_best) < AUC_SUSPECT <= overall < AUC_LEAK
    asked = {name: sorted(_suspect_questions(_suggested(name))) for name in NAMES}
    assert {n: cs for n, cs in asked.items() if cs} == {"skytrax_seat_reviews": ["overall_rating"]}
    question = _suggested("skytrax_seat_reviews").questions["overall_rating"]
    assert f"ROC AUC {overall:.3f}" in question and "'recommended'" in question
    assert _suggested("skytrax_seat_reviews").columns["overall_rating"] == "customers.overall_rating"  # kept, asked


def test_a_hand_added_attribute_that_restates_the_outcome_is_named_at_model_time(capsys, tmp_path):
    from sklearn.metrics import roc_auc_score

    mapping = _mapping_file("skytrax_seat_reviews", tmp_path)
    code, doc, err = _churn(capsys, "skytrax_seat_reviews", mapping, "--outcome", "recommended",
                            "--attribute", "overall_rating")
    assert code == 0, err
    sky = _frame("skytrax_seat_reviews")
    auc = roc_auc_score(sky["recommended"].astype(int), sky["overall_rating"].astype(float))
    [warning] = [w for w in doc["warnings"] if w.startswith("Suspected leak")]
    assert warning.startswith("Suspected leak: Overall rating predicts 'recommended' almost alone") and \
        f"ROC AUC {auc:.3f}" in warning
    assert list(doc["suspected_leaks"]) == ["Overall rating"] and doc["leaks"] == {}
    assert "Overall rating" in {r["feature"] for r in doc["odds_ratios"]}  # kept in: suspected, not a leak
    assert warning in err  # the text face says it too
    # without the attribute, the computed experience features (a mean of seven ratings: AUC 0.95) are not suspects
    code, doc, err = _churn(capsys, "skytrax_seat_reviews", mapping, "--outcome", "recommended")
    assert code == 0 and doc["suspected_leaks"] == {} and not any(w.startswith("Suspected") for w in doc["warnings"])


# --- done when (issue 12): across the corpus, as a new user would run it --------------------------------


def _norm(text: str) -> str:
    return str(text).lower().replace("_", " ").split(" (")[0].split(":")[0].strip()


@pytest.mark.parametrize("name", [n for n in NAMES if (_expected(n)["roles"].get("outcome") or {}).get("positive")])
def test_no_corpus_model_shows_a_leak_as_a_driver_and_every_odds_ratio_lies_inside_its_interval(tmp_path, name):
    """With the suggested mapping (`cx map` as is), the outcome the file is about, experience alone and with
    every attribute a user could tick: leaks stay out (a suspected restatement only with its warning)."""
    from cx.churn import ChurnModelError, fit_churn
    from cx.cli import _open_source
    from cx.outcomes import outcome_candidates, two_valued_outcomes

    mapping = _suggested(name)
    path = tmp_path / "suggested.json"
    path.write_text(mapping.to_json(), encoding="utf-8")
    source = _open_source([str(_path(name))], path)
    column = _expected(name)["roles"]["outcome"]["column"]
    if mapping.columns[column] == "ignore":  # CFPB: 'Yes' or blank cannot be modelled as it is, and is asked
        assert "reads like an outcome" in mapping.questions[column]
        return
    outcome = mapping.columns[column].removeprefix("customers.")
    yes_no, two = outcome_candidates(source), two_valued_outcomes(source)
    assert outcome in yes_no or outcome in two, (outcome, yes_no, two)  # offered on the Churn page as it is
    positive = None if outcome in yes_no else _expected(name)["roles"]["outcome"]["positive"]
    leaks = {_norm(c) for c in _expected(name)["roles"].get("leaks", {})}
    fitted = 0
    for attributes in ([], [a for a in source.customer_attributes if a != outcome]):
        try:
            report = fit_churn(source, outcome, positive=positive, attributes=attributes, resamples=40)
        except ChurnModelError as exc:
            assert "customer table alone" in str(exc)  # telco without attributes: said, not a perfect model
            continue
        fitted += 1
        odds = report.odds_ratios
        assert ((odds["ci_low"] <= odds["value"]) & (odds["value"] <= odds["ci_high"])).all(), \
            odds[(odds["value"] < odds["ci_low"]) | (odds["value"] > odds["ci_high"])]
        suspected = {_norm(s) for s in report.card.suspected}
        for feature in odds["feature"]:
            named = _norm(feature)
            assert named not in leaks or (named in suspected and any(
                w.startswith("Suspected leak") and _norm(feature) in w.lower() for w in report.warnings)), feature
        assert not report.cv["roc_auc"].value >= 0.99  # no corpus outcome is predicted perfectly by what is left
    assert fitted >= 1
def _servicenow_per_row_mapping(tmp_path: Path) -> Path:
    """The expected servicenow mapping with two facts about each ticket as customer attributes, as a user
    who wants them as breakdowns would map them: ``priority`` as segment, ``location`` as region."""
    mapping = _expected("servicenow_incidents")["mapping"]
    mapping["columns"] |= {"priority": "customers.segment", "location": "customers.region"}
    out = tmp_path / "servicenow.per_row.json"
    out.write_text(json.dumps(mapping), encoding="utf-8")
    return out


def test_servicenow_priority_and_location_stay_per_row(capsys, tmp_path):
    """A caller's tickets have different priorities and locations (issue 12): a breakdown counts each ticket
    under its own, as pandas counts the file's rows, not every ticket under the caller's latest one."""
    frame = _frame("servicenow_incidents")
    varying = frame.groupby("caller_id")[["priority", "location"]].nunique().gt(1).sum()
    assert varying.to_dict() == {"priority": 47, "location": 10}  # the file itself: they vary per caller
    mapping = _servicenow_per_row_mapping(tmp_path)

    def run(*argv: str) -> list[dict]:
        code = cli.main(["metrics", "--source", str(_path("servicenow_incidents")), "--mapping", str(mapping),
                         "--grain", "all", *argv, "--format", "json"])
        out, err = capsys.readouterr()
        assert code == 0, err
        return json.loads(out)

    records = run("--metric", "volume", "--by", "segment")
    assert {r["segment"]: r["value"] for r in records} == frame["priority"].value_counts().to_dict()
    records = run("--metric", "volume", "--by", "region")
    assert {r["region"]: r["value"] for r in records} == frame["location"].value_counts().to_dict()

    fmt = "%d-%m-%Y %H:%M"
    hours = (pd.to_datetime(frame["resolved_at"], format=fmt, errors="coerce")
             - pd.to_datetime(frame["opened_at"], format=fmt)).dt.total_seconds() / 3600
    want = hours.dropna().groupby(frame["priority"]).agg(["size", "median"])
    records = run("--metric", "ttr", "--by", "segment")
    assert {r["segment"]: r["n"] for r in records} == want["size"].to_dict()
    assert {r["segment"]: r["value"] for r in records} == pytest.approx(want["median"].to_dict(), abs=1e-9)

    from cx.ingest import open_files
    from cx.metrics import metric_table
    from cx.scope import Scope

    source = open_files([_path("servicenow_incidents")], mapping)
    critical = frame["priority"] == "1 - Critical"
    [record] = metric_table(source, "ttr", "all", scope=Scope(segments=("1 - Critical",))).to_dict("records")
    assert record["n"] == int(critical.sum())
    assert record["value"] == pytest.approx(hours[critical].median(), abs=1e-9)
    by_location = metric_table(source, "volume", "all", "region", Scope(segments=("1 - Critical",)))
    assert dict(zip(by_location["region"], by_location["n"])) == frame["location"][critical].value_counts().to_dict()

    code = cli.main(["load", str(_path("servicenow_incidents")), "--mapping", str(mapping)])
    out, _ = capsys.readouterr()
    assert code == 0
    assert "'priority' (segment) changes from row to row for 47 customers: kept per row" in out
    assert "'location' (region) changes from row to row for 10 customers: kept per row" in out
