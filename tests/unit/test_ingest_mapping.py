"""Mapping suggestions from header names *and* values, scales, flags, date order, and mapping files."""

from __future__ import annotations

import io

import pandas as pd
import pytest

from cx.ingest import IngestError, Mapping, read_table, suggest_mapping
from cx.ingest.editor import edit_mapping, editor_rows, mappings_json, pick_mapping, read_mappings
from cx.schema import Scale


def raw_of(columns: dict[str, list], name: str = "export.csv", sep: str = ","):
    buffer = io.StringIO()
    pd.DataFrame(columns).to_csv(buffer, index=False, sep=sep)
    return read_table(buffer.getvalue().encode(), name)


def suggest(columns: dict[str, list], **kwargs) -> Mapping:
    return suggest_mapping(raw_of(columns, **kwargs))


N = 8
IDS = [f"C{i}" for i in range(N)]
STAMPS = [f"2026-01-{d:02d} 10:00" for d in range(1, N + 1)]
LATER = [f"2026-01-{d:02d} 11:30" for d in range(1, N + 1)]
NPS = [9, 10, 3, 7, 8, 0, 6, 10]
CSAT = [5, 4, 1, 3, 4, 2, 5, 5]
YESNO = ["Yes", "No", "No", "Yes", "Yes", "No", "Yes", "No"]
TEXT = ["Quick and friendly", "Took ages to reply", "Fine", "Could be better, honestly", "Great help",
        "Never again", "OK I guess", "Lovely staff"]
CHANNELS = ["Email", "Chat", "Phone", "Web", "Chat", "Email", "App", "Store"]


@pytest.mark.parametrize(
    "headers, expected",
    [
        # English, typical help-desk export
        (["Customer ID", "Created at", "First reply at", "Resolved at", "Channel", "Likelihood to recommend",
          "CSAT (1-5)", "First contact resolution", "Comment"],
         ["customer_id", "occurred_at", "first_response_at", "resolved_at", "channel", "nps", "csat",
          "resolved_first_contact", "comment"]),
        # English survey-tool spellings
        (["Respondent", "Submitted", "Opened", "Replied", "Source", "LTR", "Overall satisfaction", "FCR", "Verbatim"],
         ["customer_id", "occurred_at", "ignore", "first_response_at", "channel", "nps", "csat",
          "resolved_first_contact", "comment"]),
        # French
        (["Numéro client", "Date de création", "Première réponse", "Résolu le", "Canal", "Recommandation",
          "Satisfaction", "Résolu au premier contact", "Commentaire"],
         ["customer_id", "occurred_at", "first_response_at", "resolved_at", "channel", "nps", "csat",
          "resolved_first_contact", "comment"]),
        # German
        (["Kundennummer", "Erstellt am", "Erste Antwort", "Geschlossen", "Kanal", "Weiterempfehlung",
          "Zufriedenheit", "Erstlösung", "Kommentar"],
         ["customer_id", "occurred_at", "first_response_at", "resolved_at", "channel", "nps", "csat",
          "resolved_first_contact", "comment"]),
        # Spanish
        (["ID cliente", "Fecha de creación", "Primera respuesta", "Fecha de cierre", "Canal", "Recomendación",
          "Satisfacción", "Resuelto primer contacto", "Comentario"],
         ["customer_id", "occurred_at", "first_response_at", "resolved_at", "channel", "nps", "csat",
          "resolved_first_contact", "comment"]),
        # Dutch
        (["Klantnummer", "Datum aangemaakt", "Eerste reactie", "Opgelost", "Kanaal", "Aanbevelen",
          "Tevredenheid", "Eerste keer goed", "Opmerking"],
         ["customer_id", "occurred_at", "first_response_at", "resolved_at", "channel", "nps", "csat",
          "resolved_first_contact", "comment"]),
    ],
    ids=["english-helpdesk", "english-survey", "french", "german", "spanish", "dutch"],
)
def test_realistic_interaction_headers(headers, expected):
    values = [IDS, STAMPS, LATER, LATER, CHANNELS, NPS, CSAT, YESNO, TEXT]
    mapping = suggest(dict(zip(headers, values)))
    assert mapping.shape == "interactions"
    assert [mapping.columns[h] for h in headers] == expected


def test_durations_are_derived_from_two_timestamps():
    mapping = suggest({"Customer": IDS, "Opened": STAMPS, "First reply": LATER, "Closed": LATER, "NPS": NPS})
    assert mapping.durations == {"first_response_minutes": ("Opened", "First reply"),
                                 "resolution_hours": ("Opened", "Closed")}
    assert any("derived" in n for n in mapping.notes)


@pytest.mark.parametrize(
    "header, values, target, unit",
    [
        ("First response time (min)", [5, 10, 30, 2, 1, 8, 9, 12], "first_response_minutes", "minutes"),
        ("FRT seconds", [50, 100, 300, 20, 10, 80, 90, 120], "first_response_minutes", "seconds"),
        ("Time to resolution (hrs)", [5, 10, 30, 2, 1, 8, 9, 12], "resolution_hours", "hours"),
        ("Resolution time", ["1:30", "0:45", "12:00", "2:00", "1:00", "3:15", "0:10", "5:00"], "resolution_hours", "hours"),
    ],
)
def test_duration_columns_and_units(header, values, target, unit):
    mapping = suggest({"Customer ID": IDS, "Date": STAMPS, header: values})
    assert mapping.columns[header] == target
    assert mapping.units[header] == unit


def test_names_are_checked_against_values():
    mapping = suggest({"Customer ID": IDS, "Date": STAMPS, "NPS": TEXT, "Comments": TEXT})
    assert mapping.columns["NPS"] == "ignore"  # free text is not a 0–10 score, whatever the header says
    assert any("'NPS' is named like nps" in n for n in mapping.notes)


def test_generic_score_is_decided_by_values():
    assert suggest({"Customer ID": IDS, "Date": STAMPS, "Score": NPS}).columns["Score"] == "nps"
    assert suggest({"Customer ID": IDS, "Date": STAMPS, "Score": CSAT}).columns["Score"] == "csat"


def test_columns_found_by_values_alone():
    mapping = suggest({"Customer ID": IDS, "When it happened": STAMPS, "Remarks from the customer": TEXT})
    assert mapping.columns["When it happened"] == "occurred_at"


@pytest.mark.parametrize(
    "header, values, scale",
    [
        ("CSAT", [1, 2, 3, 4, 5, 5, 4, 3], Scale(1, 5)),
        ("CSAT", [1, 2, 3, 6, 7, 5, 4, 3], Scale(1, 7)),
        ("CSAT", ["80%", "90%", "45%", "100%", "70%", "60%", "85%", "95%"], Scale(0, 100)),
        ("CSAT", ["8/10", "9/10", "4/10", "10/10", "7/10", "6/10", "8/10", "9/10"], Scale(1, 10)),
        ("Satisfaction (1-10)", [1, 2, 3, 4, 5, 5, 4, 3], Scale(1, 10)),
        ("CSAT", ["Very satisfied", "Satisfied", "Neutral", "Dissatisfied", "Very dissatisfied", "Satisfied",
                  "Satisfied", "Neutral"], Scale(1, 5)),
    ],
)
def test_csat_scale_is_inferred(header, values, scale):
    mapping = suggest({"Customer ID": IDS, "Date": STAMPS, header: values})
    assert mapping.columns[header] == "csat"
    assert mapping.scales.csat == scale


def test_ces_direction():
    easy = suggest({"Customer ID": IDS, "Date": STAMPS, "Customer Effort Score": [1, 2, 3, 4, 5, 6, 7, 7]})
    assert easy.scales.ces == Scale(1, 7, higher_is_better=True)
    hard = suggest({"Customer ID": IDS, "Date": STAMPS, "Difficulty": [1, 2, 3, 4, 5, 5, 4, 3]})
    assert hard.columns["Difficulty"] == "ces" and not hard.scales.ces.higher_is_better


@pytest.mark.parametrize(
    "header, values, positive",
    [
        ("Churned?", ["Yes", "No", "No", "Yes", "No", "No", "No", "No"], "yes"),
        ("Active", ["Yes", "No", "Yes", "Yes", "Yes", "No", "Yes", "Yes"], "no"),  # inverted: no = churned
        ("Status", ["active", "churned", "active", "active", "churned", "active", "active", "active"], "churned"),
        ("Churn", [0, 1, 0, 0, 1, 0, 0, 0], "1"),
        ("Gekündigt", ["ja", "nein", "nein", "ja", "nein", "nein", "nein", "nein"], "ja"),
        ("Churned", ["FALSE", "FALSE", "FALSE", "FALSE", "FALSE", "FALSE", "FALSE", "FALSE"], "true"),
    ],
)
def test_churn_flag_positive_value(header, values, positive):
    mapping = suggest({"Customer ID": IDS, header: values, "Customer Lifetime Value": [100] * N})
    assert mapping.columns[header] == "customers.churned"
    assert mapping.booleans[header] == positive


def test_customer_level_table():
    mapping = suggest({
        "Customer ID": IDS, "Segment": ["Gold", "Silver"] * 4, "Country": ["FR", "DE"] * 4,
        "Customer since": ["2024-01-01"] * N, "Churned?": YESNO, "Customer Lifetime Value": [100.5] * N,
        "Overall satisfaction": CSAT, "Plan": ["Pro", "Basic"] * 4, "Repurchased": YESNO,
    })
    assert mapping.shape == "customers"
    assert mapping.columns == {
        "Customer ID": "customer_id", "Segment": "customers.segment", "Country": "customers.region",
        "Customer since": "customers.signup_at", "Churned?": "customers.churned",
        "Customer Lifetime Value": "customers.lifetime_value", "Overall satisfaction": "csat",
        "Plan": "customers.plan", "Repurchased": "customers.repurchased",
    }
    assert mapping.booleans["Repurchased"] == "yes"  # any yes/no column can become a boolean


def test_wide_survey():
    mapping = suggest({
        "Respondent ID": IDS, "Survey date": STAMPS,
        "Q1. Rating - Checkout": [5, 4, 0, 3, 2, 1, 5, 4], "Q2. Rating - Delivery": [4, 0, 0, 5, 3, 2, 4, 4],
        "Q3. Rating - Returns": [0, 0, 1, 0, 2, 0, 0, 3], "Q4. Rating - Support": [3, 4, 0, 5, 0, 1, 2, 0],
        "Likelihood to recommend": NPS, "Overall verdict": ["Good", "Poor", "Fair", "Good", "Excellent", "Poor", "Good", "Fair"],
    })
    assert mapping.shape == "wide"
    assert mapping.ratings == ["Q1. Rating - Checkout", "Q2. Rating - Delivery", "Q3. Rating - Returns", "Q4. Rating - Support"]
    assert mapping.columns["Likelihood to recommend"] == "nps"
    assert mapping.columns["Overall verdict"] == "customers.overall_verdict"
    assert mapping.rating_target == "csat"
    assert mapping.scales.csat == Scale(1, 5, zero_means_na=True)


def test_rating_stream():
    mapping = suggest({
        "Episode": ["E1"] * 4 + ["E2"] * 4, "Seconds": [0, 60, 120, 180] * 2,
        "Rating": [2, 5, 8, 3, 1, 2, 1, 1], "Overall rating": [None, None, None, 6, None, None, None, 2],
    })
    assert mapping.shape == "stream"
    assert mapping.columns == {"Episode": "customer_id", "Seconds": "offset", "Rating": "csat",
                               "Overall rating": "customers.overall_rating"}


@pytest.mark.parametrize(
    "dates, dayfirst, asks",
    [
        (["25/03/2026", "03/04/2026"], True, False),
        (["03/25/2026", "03/04/2026"], False, False),
        (["03/04/2026", "05/06/2026"], None, True),
        (["03.04.2026", "05.06.2026"], True, False),  # dots: the European convention, noted
        (["2026-03-04", "2026-06-05"], None, False),  # ISO: nothing to ask
    ],
)
def test_date_order_detected_or_asked(dates, dayfirst, asks):
    mapping = suggest({"Customer ID": ["C1", "C2"], "Date": dates, "NPS": [9, 3]})
    assert mapping.dayfirst is dayfirst
    assert mapping.needs_date_order is asks


def test_decimal_comma_in_semicolon_files():
    mapping = suggest({"Kunde": IDS, "Datum": STAMPS, "Umsatz": ["12,50", "3,99", "100,00", "7,5", "1", "2", "3", "4"]},
                      sep=";")
    assert mapping.decimal == ","
    assert mapping.columns["Umsatz"] == "revenue"


def test_mapping_json_round_trip_and_errors():
    mapping = suggest({"Customer ID": IDS, "Date": STAMPS, "NPS": NPS, "Churned?": YESNO})
    again = Mapping.from_json(mapping.to_json())
    assert again == mapping
    with pytest.raises(IngestError, match="m.json: is not valid JSON"):
        Mapping.from_json("{", "m.json")
    with pytest.raises(IngestError, match="m.json: unknown shape 'long'"):
        Mapping.from_json('{"columns": {}, "shape": "long"}', "m.json")
    with pytest.raises(IngestError, match="m.json: not a mapping"):
        Mapping.from_json("[1, 2]", "m.json")


def test_mapping_check_names_the_problem():
    with pytest.raises(IngestError, match=r"x.csv: the mapping uses column\(s\) 'NPS score'"):
        Mapping(columns={"id": "customer_id", "NPS score": "nps"}).check(["id", "nps"], "x.csv")
    with pytest.raises(IngestError, match="x.csv: nps is mapped from more than one column"):
        Mapping(columns={"id": "customer_id", "a": "nps", "b": "nps"}).check(["id", "a", "b"], "x.csv")
    with pytest.raises(IngestError, match="x.csv: no column is mapped to customer_id"):
        Mapping(columns={"a": "nps"}).check(["a"], "x.csv")
    with pytest.raises(IngestError, match=r"unknown target\(s\) 'a' -> 'bogus'"):
        Mapping(columns={"a": "bogus"}).check(["a"], "x.csv")


def test_editor_round_trip_and_saved_mappings():
    raw = raw_of({"Customer ID": IDS, "Date": STAMPS, "Score": NPS, "Active": YESNO})
    mapping = suggest_mapping(raw)
    rows = editor_rows(raw, mapping)
    assert rows["maps to"].tolist() == [mapping.columns[c] for c in raw.frame.columns]
    rows.loc[rows["column"] == "Score", "maps to"] = "csat"
    edited = edit_mapping(mapping, rows, csat=Scale(0, 10), dayfirst=None)
    assert edited.columns["Score"] == "csat" and edited.scales.csat == Scale(0, 10)
    assert mapping.columns["Score"] == "nps"  # the original is untouched
    both = read_mappings(mappings_json({"a.csv": mapping, "b.csv": edited}))
    assert set(both) == {"a.csv", "b.csv"}
    assert pick_mapping(both, "b.csv", list(raw.frame.columns)).columns["Score"] == "csat"
    assert pick_mapping(read_mappings(mapping.to_json()), "next-week.csv", list(raw.frame.columns)) == mapping
    assert pick_mapping(mapping, "other.csv", ["x", "y"]) is None
