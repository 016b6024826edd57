"""The Data page under AppTest: demo, uploads through file_uploader (mapping, validation report,
quarantine download), bad files, ambiguous dates, saved mappings, and a warehouse URL."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import openpyxl
import pytest

from cx.ingest import combine, load_files, write_tables

DATA = Path(__file__).resolve().parents[1] / "data"
PAGE = "views/data.py"


def _file(name: str) -> tuple[str, bytes, str]:
    return name, (DATA / name).read_bytes(), "text/csv"


@pytest.fixture
def page(app):
    at = app(PAGE)
    at.run()
    assert not at.exception
    return at


def _upload(at, *files):
    at.radio(key="data.kind").set_value("Upload files").run()
    at.file_uploader(key="data.files").set_value(list(files)).run()
    assert not at.exception
    return at


def shown(markdown: str) -> str:
    """What a user reads: the page escapes markdown punctuation in user text."""
    return re.sub(r"\\(.)", r"\1", markdown)


def _texts(at) -> str:
    return "\n".join([shown(m.value) for m in at.markdown] + [shown(c.value) for c in at.caption] + [t.value for t in at.text])


def test_starts_on_the_demo_with_a_summary(page):
    assert page.title[0].value == "Data"
    assert page.radio(key="data.kind").value == "Demo warehouse"
    assert page.button(key="data.demo").label == "Use the demo warehouse"
    metrics = {m.label: m.value for m in page.metric}
    assert int(metrics["Rows"].replace(",", "")) == 45_000
    available = next(t.value for t in page.text if t.value.startswith("Metrics available"))
    assert "NPS" in available and "First response time" in available and "frt" not in available  # no field names
    assert len(page.dataframe[-1].value) == 50  # the preview
    # the preview's columns a few at a time, each table fitting 1024 px, the customer first: every column in one
    preview = page.dataframe[-1].value
    parts = [list(d.proto.column_order) for d in page.dataframe if d.value.equals(preview)]
    assert len(parts) > 1 and all(p[0] == "customer_id" for p in parts)
    assert [c for p in parts for c in p[1:]] == [c for c in preview.columns if c != "customer_id"]
    assert len(page.tabs) == len(parts)


def test_column_groups_fit_the_room_in_order():
    import pandas as pd

    from ui.widgets import column_groups

    frame = pd.DataFrame({"customer_id": ["C1"], **{f"column_{i}": ["x" * (5 * i)] for i in range(1, 9)}})
    groups = column_groups(frame, keep=["customer_id"], room=300)
    assert all(g[0] == "customer_id" for g in groups)
    assert [c for g in groups for c in g[1:]] == [c for c in frame.columns if c != "customer_id"]
    assert groups[-1] == ["customer_id", "column_8"]  # 40 characters: a table of its own
    assert column_groups(frame[["customer_id", "column_1"]], keep=["customer_id"]) == [["customer_id", "column_1"]]


def test_upload_map_load_report_and_preview(page):
    at = _upload(page, _file("tickets.csv"), _file("customers.csv"))
    assert len(at.data_editor) == 2
    mapping = at.data_editor[0].value.set_index("column")["maps to"]
    assert mapping["Likelihood to recommend"] == "nps" and mapping["First reply"] == "first_response_at"
    assert at.selectbox[0].value == "interactions" and at.selectbox[2].value == "customers"
    assert "Recognised as: Interactions" in _texts(at)
    at.button(key="data.load").click().run()
    assert not at.exception and not at.error
    assert at.success[0].value == "Loaded 9 rows from 2 file(s)."
    report = next(d.value for d in at.dataframe if "rows read" in d.value.columns)
    assert report.to_dict("list") | {"top reasons": None} == {
        "file": ["tickets.csv", "customers.csv"], "shape": ["interactions", "customers"], "rows read": [8, 6],
        "loaded": [4, 5], "quarantined": [4, 1], "top reasons": None}
    assert (report["loaded"] + report["quarantined"] == report["rows read"]).all()
    labels = [b.proto.label for b in at.get("download_button")]
    assert any("quarantined rows of tickets" in label for label in labels)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Rows"] == "8" and metrics["Customers"] == "4"
    preview = at.dataframe[-1].value
    assert "<script>alert(1)</script> **bold**" in preview["comment"].tolist()  # plain text, as written
    # a cell without a value is blank, never the word None / nan / NaT (the tickets name no team)
    assert preview.notna().all().all() and "" in set(preview["team"])
    assert "<script>" not in _texts(at)  # never rendered as markdown or HTML


def test_bad_files_show_one_clear_message_and_no_traceback(page):
    at = _upload(page, ("empty.csv", b"", "text/csv"), ("junk.csv", bytes(range(256)) * 8, "text/csv"),
                 ("fake.xlsx", b"PK\x03\x04 not really", "application/octet-stream"))
    errors = [shown(e.value) for e in at.error]
    assert any("empty.csv: the file is empty" in e for e in errors)
    assert any("junk.csv: does not look like a text table" in e for e in errors)
    assert any("fake.xlsx: is a damaged zip archive" in e for e in errors)
    assert not at.exception
    assert at.button(key="data.load").disabled


def test_ambiguous_dates_are_asked_before_loading(page):
    data = b"Customer ID,Date,NPS\nC1,03/04/2026,9\nC2,05/06/2026,3\n"
    at = _upload(page, ("dates.csv", data, "text/csv"))
    assert at.button(key="data.load").disabled
    assert any("Choose how dates are written" in w.value for w in at.warning)
    question = next(r for r in at.radio if r.key and r.key.endswith(".dayfirst"))
    question.set_value("day first (3 April)").run()
    assert not at.button(key="data.load").disabled
    at.button(key="data.load").click().run()
    assert not at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Date span"] == "2026-04-03 → 2026-06-05"


def test_workbook_sheet_choice(page):
    book = openpyxl.Workbook()
    book.active.title = "Tickets"
    book.active.append(["Customer ID", "Date", "NPS"])
    book.active.append(["C1", "2026-01-05", 9])
    customers = book.create_sheet("Customers")
    customers.append(["Customer ID", "Churned?", "Lifetime value"])
    customers.append(["C1", "no", 120])
    buffer = io.BytesIO()
    book.save(buffer)
    at = _upload(page, ("book.xlsx", buffer.getvalue(), "application/vnd.ms-excel"))
    sheet = next(s for s in at.selectbox if s.label == "Sheet")
    assert sheet.options == ["Tickets", "Customers"] and sheet.value == "Tickets"
    sheet.set_value("Customers").run()
    assert not at.exception
    assert next(s for s in at.selectbox if s.label == "Shape of this file").value == "customers"


def test_saved_mapping_is_applied_and_an_edit_changes_the_load(page):
    at = _upload(page, _file("tickets.csv"))
    saved = json.loads(_suggested_json())
    saved["columns"]["Likelihood to recommend"] = "ignore"
    at.file_uploader(key="data.saved").set_value(("mapping.json", json.dumps(saved).encode(), "application/json")).run()
    assert not at.exception
    assert "Using the saved mapping." in _texts(at)
    assert at.data_editor[0].value.set_index("column")["maps to"]["Likelihood to recommend"] == "ignore"
    at.button(key="data.load").click().run()
    report = next(d.value for d in at.dataframe if "rows read" in d.value.columns)
    assert report["quarantined"].tolist() == [3]  # the NPS of 11 is no longer a problem


def test_editing_the_mapping_table_changes_the_load(page):
    at = _upload(page, _file("tickets.csv"))
    editor = at.data_editor[0]
    row = editor.value["column"].tolist().index("Likelihood to recommend")
    at.session_state[editor.key] = {"edited_rows": {row: {"maps to": "ignore"}}, "added_rows": [], "deleted_rows": []}
    at.run()
    assert not at.exception
    at.button(key="data.load").click().run()
    report = next(d.value for d in at.dataframe if "rows read" in d.value.columns)
    assert report["quarantined"].tolist() == [3]


def _suggested_json() -> str:
    from cx.ingest import read_table, suggest_mapping

    return suggest_mapping(read_table(DATA / "tickets.csv")).to_json()


def test_wide_survey_upload(page):
    at = _upload(page, _file("wide_survey.csv"))
    assert next(s for s in at.selectbox if s.label == "Shape of this file").value == "wide"
    at.button(key="data.load").click().run()
    assert not at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Rows"] == "11" and metrics["Customers"] == "4"


def test_warehouse_url_is_opened_read_only_and_mapped(page, tmp_path):
    interactions, customers, _ = combine(load_files([DATA / "tickets.csv", DATA / "customers.csv"]))
    target = tmp_path / "wh.duckdb"
    write_tables(str(target), interactions, customers)
    at = page
    at.secrets["access"] = {"allow_url_entry": True, "data_folders": [str(tmp_path)]}
    at.radio(key="data.kind").set_value("Warehouse").run()
    at.text_input(key="data.wh.url").input(f"duckdb:///{target}").run()
    at.button(key="data.wh.connect").click().run()
    assert not at.exception and not at.error
    assert at.selectbox(key="data.wh.table").options == ["customers", "interactions"]
    at.selectbox(key="data.wh.table").set_value("interactions").run()
    at.selectbox(key="data.wh.customers").set_value("customers").run()
    assert not at.exception
    at.button(key="data.wh.use").click().run()
    assert not at.exception and not at.error
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Rows"] == "8"


def test_warehouse_password_never_shown(page):
    at = page
    at.secrets["access"] = {"allow_url_entry": True}
    at.radio(key="data.kind").set_value("Warehouse").run()
    at.text_input(key="data.wh.url").input("postgresql://ann:s3cr3t-pw@127.0.0.1:1/nowhere").run()
    at.button(key="data.wh.connect").click().run()
    assert not at.exception
    assert at.error, "a failed connection shows an error"
    visible = "\n".join(shown(e.value) for e in at.error) + _texts(at)
    assert "s3cr3t-pw" not in visible and "could not connect to postgresql://ann:***@127.0.0.1:1/nowhere" in visible


def test_typing_a_url_is_off_by_default(page):
    at = page
    at.radio(key="data.kind").set_value("Warehouse").run()
    assert not at.exception
    assert not [t for t in at.text_input if t.key == "data.wh.url"], "no URL field unless the administrator allows it"
    assert "allow_url_entry = true" in _texts(at)
    assert any("No warehouse connection is configured" in i.value for i in at.info)


def test_named_connection_from_secrets(page, tmp_path):
    interactions, customers, _ = combine(load_files([DATA / "tickets.csv", DATA / "customers.csv"]))
    target = tmp_path / "wh.duckdb"
    write_tables(str(target), interactions, customers)
    at = page
    at.secrets["connections"] = {"warehouse": {"url": f"duckdb:///{target}"}}
    at.radio(key="data.kind").set_value("Warehouse").run()
    assert at.selectbox(key="data.wh.name").options == ["warehouse"]
    at.button(key="data.wh.connect_named").click().run()
    assert not at.exception and not at.error
    assert at.selectbox(key="data.wh.table").options == ["customers", "interactions"]


def test_typed_url_outside_the_data_folders_is_refused(page, tmp_path):
    interactions, customers, _ = combine(load_files([DATA / "tickets.csv"]))
    target = tmp_path / "elsewhere.duckdb"
    write_tables(str(target), interactions, customers)
    at = page
    at.secrets["access"] = {"allow_url_entry": True}  # default folder: the app's data/
    at.radio(key="data.kind").set_value("Warehouse").run()
    at.text_input(key="data.wh.url").input(f"duckdb:///{target}").run()
    at.button(key="data.wh.connect").click().run()
    assert not at.exception
    assert "data folders the administrator configured" in "\n".join(shown(e.value) for e in at.error)
    assert not [s for s in at.selectbox if s.key == "data.wh.table"]


def test_back_to_the_demo(page):
    at = _upload(page, _file("stream.csv"))
    at.button(key="data.load").click().run()
    at.radio(key="data.kind").set_value("Demo warehouse").run()
    at.button(key="data.demo").click().run()
    assert not at.exception
    assert int({m.label: m.value for m in at.metric}["Rows"].replace(",", "")) == 45_000


def _telco_like() -> bytes:
    rows = ["CustomerID,Zip Code,Churn Label,Churn Reason,Tenure,CSAT"]
    for i in range(120):
        churned = i % 4 == 0
        reason = ["Price", "Competitor", "Support"][i % 3] if churned else ""
        csat = -1 if i % 10 == 0 else 1 + i % 5
        rows.append(f"{1000 + i}-AB,{90001 + (i * 37) % 500},{'Yes' if churned else 'No'},{reason},{i % 70},{csat}")
    return ("\n".join(rows) + "\n").encode()


def test_confidence_questions_and_leaks_are_shown_and_missing_codes_edited(page):
    at = _upload(page, ("telco.csv", _telco_like(), "text/csv"))
    table = at.data_editor[0].value.set_index("column")
    assert {"confidence", "why", "check"} <= set(table.columns)
    assert table.loc["CustomerID", "maps to"] == "customer_id" and table.loc["Zip Code", "maps to"] != "customer_id"
    assert table.loc["Churn Reason", "maps to"] == "ignore" and table.loc["Churn Reason", "check"] == "⛔ leak"
    assert table.loc["CSAT", "check"] == "⚠ asked" and table.loc["CustomerID", "confidence"].endswith("%")
    warnings = [shown(w.value) for w in at.warning]
    assert any("'Churn Reason' gives the outcome away (filled only for churners" in w for w in warnings)
    assert any("'CSAT' holds -1 outside its other answers" in w for w in warnings)
    codes = next(t for t in at.text_input if t.key and t.key.endswith(".missing"))
    assert codes.value == "CSAT=-1"
    at.button(key="data.load").click().run()
    report = next(d.value for d in at.dataframe if "rows read" in d.value.columns)
    assert report["quarantined"].tolist() == [0]  # -1 = no answer: loaded, score empty
    assert "telco.csv: 12 answers in 'CSAT' hold a declared missing code (-1)" in _texts(at)
    codes.set_value("").run()
    at.button(key="data.load").click().run()
    report = next(d.value for d in at.dataframe if "rows read" in d.value.columns)
    assert report["quarantined"].tolist() == [12]  # undeclared, the twelve -1 are out of range


def test_a_leak_mapped_anyway_keeps_its_warning(page):
    at = _upload(page, ("telco.csv", _telco_like(), "text/csv"))
    editor = at.data_editor[0]
    row = editor.value["column"].tolist().index("Churn Reason")
    at.session_state[editor.key] = {"edited_rows": {row: {"maps to": "touchpoint"}}, "added_rows": [], "deleted_rows": []}
    at.run()
    assert not at.exception
    warnings = [shown(w.value) for w in at.warning]
    assert any("'Churn Reason' is mapped to touchpoint but gives the outcome away" in w for w in warnings)


def test_an_attribute_that_varies_by_row_is_said_and_kept_per_row(page):
    """issue 12: the page says, before and after loading, that 'State' changes between one customer's tickets
    and is kept per row; the preview shows each ticket's own state."""
    tickets = b"Customer ID,Date,State,NPS\nC1,2026-01-05,NY,9\nC1,2026-01-06,TX,7\nC2,2026-01-07,CA,3\n"
    at = _upload(page, ("tickets.csv", tickets, "text/csv"))
    said = "'State' (region) changes from row to row for 1 customer: kept per row"
    assert said in _texts(at)
    at.button(key="data.load").click().run()
    assert not at.exception and not at.error
    assert f"tickets.csv: {said}" in _texts(at)
    preview = at.dataframe[-1].value
    assert dict(zip(preview["occurred_at"].astype(str).str[:10], preview["region"])) == {
        "2026-01-05": "NY", "2026-01-06": "TX", "2026-01-07": "CA"}
