"""The bad-input corpus (tests/data/bad/, issues 7 and 13) uploaded through the Data page under AppTest.

Each case either loads with the validation report showing exactly the counts of expected.json, or
shows one error naming the file (and row/column where known) with Load disabled; never an
exception. User text (comments with HTML, script tags, markdown) reaches the screen only as plain
text: in dataframes, or escaped in labels — never as rendered markdown or HTML.
"""

from __future__ import annotations

import re

import pytest
from bad_corpus import BAD, CASES, case_path, report_name

PAGE = "views/data.py"
DATE_ANSWERS = {"--dayfirst": "day first (3 April)", "--monthfirst": "month first (March 4)"}


def _param(case: dict):
    # the million rows (~50 MB) and the 109 MB line go through the uploader in this process
    return pytest.param(case, id=case["case"], marks=[pytest.mark.slow] if case.get("slow") else [])


@pytest.fixture(scope="session")
def corpus_bytes():
    """``corpus_bytes(case)`` -> the case's file content (generated files written on first use)."""
    return lambda case: case_path(case).read_bytes()


def shown(markdown: str) -> str:
    """What a user reads: the page escapes markdown punctuation in user text."""
    return re.sub(r"\\(.)", r"\1", markdown)


def _upload(app, case: dict, data: bytes):
    at = app(PAGE)
    at.run()
    at.radio(key="data.kind").set_value("Upload files").run()
    at.file_uploader(key="data.files").set_value([(case["file"], data, "application/octet-stream")]).run()
    assert not at.exception
    return at


def _saved_mapping(case: dict) -> str | None:
    """The ``--mapping FILE`` of the case's CLI args: on the page, the file given to the saved-mapping upload."""
    args = case.get("args", [])
    return args[args.index("--mapping") + 1] if "--mapping" in args else None


def _apply_saved_mapping(at, name: str) -> None:
    at.file_uploader(key="data.saved").set_value((name, (BAD / name).read_bytes(), "application/json")).run()
    assert not at.exception
    assert "Using the saved mapping." in [c.value for c in at.caption]


def _report(at) -> dict:
    table = next(d.value for d in at.dataframe if "rows read" in d.value.columns)
    assert len(table) == 1
    row = table.iloc[0]
    reasons = {}
    if row["top reasons"] != "—":
        for part in row["top reasons"].split("; "):
            reason, count = re.fullmatch(r"(.+) \(([\d,]+)\)", part).groups()
            reasons[reason] = int(count.replace(",", ""))
    return {"file": row["file"], "shape": row["shape"], "rows_read": int(row["rows read"]),
            "rows_loaded": int(row["loaded"]), "rows_quarantined": int(row["quarantined"]), "reasons": reasons}


@pytest.mark.parametrize("case", [_param(c) for c in CASES])
def test_corpus_case_on_the_data_page(case, app, corpus_bytes):
    at = _upload(app, case, corpus_bytes(case))
    saved = _saved_mapping(case)
    if saved and "error" in case:
        # the suggestion leaves a too-varied breakdown out and says so (no error: Load works without it) ...
        assert not at.error and not at.button(key="data.load").disabled, [e.value for e in at.error]
        column = re.fullmatch(r"column '(.+)'", case["names"][1]).group(1)
        count = re.search(r"has ([\d,]+) distinct values", case["error"]).group(1)
        notes = [t.value for t in at.text]
        assert any(n.startswith(f"• '{column}' has {count} distinct values, more than the 1,000 a breakdown may have;")
                   for n in notes), notes
    if saved:  # ... and a mapping that names it, loaded as a user would, is refused below
        _apply_saved_mapping(at, saved)
    load = at.button(key="data.load")
    if case.get("page_asks_date_order"):  # the page asks instead of failing: the CLI's error, as a question
        assert load.disabled and not at.error
        assert any("Choose how dates are written" in w.value for w in at.warning)
        question = next(r for r in at.radio if r.key and r.key.endswith(".dayfirst"))
        assert all(example in shown(question.label) for example in case["names"][2:])
        return
    if "error" in case:
        errors = [shown(e.value) for e in at.error]
        assert len(errors) == 1, errors
        assert case["error"] in errors[0] and all(name in errors[0] for name in case["names"]), errors[0]
        assert load.disabled
        return
    assert not at.error, [e.value for e in at.error]
    for arg in (a for a in case.get("args", []) if a in DATE_ANSWERS):
        next(r for r in at.radio if r.key and r.key.endswith(".dayfirst")).set_value(DATE_ANSWERS[arg]).run()
    assert not at.button(key="data.load").disabled
    at.button(key="data.load").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert at.success[0].value == f"Loaded {case['rows_loaded']:,} rows from 1 file(s)."
    top_reasons = dict(sorted(case["reasons"].items(), key=lambda kv: -kv[1])[:3])
    assert _report(at) == {"file": report_name(case), "shape": case["shape"], "rows_read": case["rows_read"],
                           "rows_loaded": case["rows_loaded"], "rows_quarantined": case["rows_quarantined"],
                           "reasons": top_reasons}


# --- user text stays plain text ----------------------------------------------------------------

MARKUP = re.compile(r"<\s*/?\s*(script|img|iframe|style|b)\b|\*\*|\[click\]\(|^#|`code`|:red\[|:material/",
                    re.IGNORECASE | re.MULTILINE)


def _unescaped_markup(text: str) -> list[str]:
    """Markup that markdown would act on: a match not preceded by the page's backslash escape."""
    return [m.group(0) for m in MARKUP.finditer(text) if not (m.start() and text[m.start() - 1] == "\\")]


def _nodes(node):
    yield node
    for child in getattr(node, "children", {}).values():
        yield from _nodes(child)


def test_comments_with_script_and_markdown_are_plain_text(app, corpus_bytes):
    case = next(c for c in CASES if c["case"] == "comments_markup")
    # a hostile file name too: it reaches the expander label, captions and the download label
    hostile = {**case, "file": "<script>alert(1)</script> **bold** [click](javascript:x) `code` :red[x].csv"}
    at = _upload(app, hostile, corpus_bytes(case))
    assert any(shown(e.label) == hostile["file"] for e in at.expander)
    examples = at.data_editor[0].value.set_index("column")["examples"]["Comment"]
    assert "<script>alert('x')</script>" in examples  # the mapping table shows values as cells
    at.button(key="data.load").click().run()
    assert not at.exception and not at.error
    preview = at.dataframe[-1].value
    assert preview["comment"].tolist() == [
        "<script>alert('x')</script>",
        "<img src=x onerror=alert(1)> <b>bold</b>",
        "**very** _bad_ [click](javascript:alert(1))",
        "# Heading\n- list item\n> quote",
        '<iframe src="https://evil.example"></iframe>',
        "`code` and $x^2$ and :red[colour] :material/warning:",
        "&lt;escaped&gt; &amp; entities",
        "<style>body{display:none}</style>",
    ]
    nodes = list(_nodes(at._tree))
    assert not [n for n in nodes if getattr(n, "type", None) in ("html", "latex", "code")]
    rendered = 0
    for node in nodes:
        proto = getattr(node, "proto", None)
        if proto is None:
            continue
        if hasattr(proto, "allow_html"):
            assert not proto.allow_html, proto
        for field in ("body", "label", "help", "placeholder"):
            text = getattr(proto, field, "") if field in {f.name for f in proto.DESCRIPTOR.fields} else ""
            if text:
                rendered += 1
                assert not _unescaped_markup(text), (field, text)
    assert rendered > 10  # the walk did see the page's texts and labels


def test_a_malformed_saved_mapping_shows_one_error(app, corpus_bytes):
    case = next(c for c in CASES if c["case"] == "semicolon")
    at = _upload(app, case, corpus_bytes(case))
    broken = b'{"version": "two", "columns": {"Kundennummer": "customer_id"}, "booleans": true}'
    at.file_uploader(key="data.saved").set_value(("mapping.json", broken, "application/json")).run()
    assert not at.exception
    assert [shown(e.value) for e in at.error] == [
        "mapping.json: not a valid mapping (ValueError: invalid literal for int() with base 10: 'two')"]
    assert not at.button(key="data.load").disabled  # the suggestion is still there to load


# --- bounded input, stated; hidden sheets, named (issue 13) --------------------------------------


def test_the_limits_are_stated_in_one_line(app):
    at = app(PAGE)
    at.run()
    at.radio(key="data.kind").set_value("Upload files").run()
    limits = [c.value for c in at.caption if c.value.startswith("Limits per file:")]
    assert limits == ["Limits per file: 200 MB after unpacking · 2,000 columns · lines up to 1 MB · 1,000 distinct "
                      "values per channel, journey stage, touchpoint, segment or region column."]


def test_hidden_sheets_are_labelled_and_still_choosable(app):
    case = next(c for c in CASES if c["case"] == "excel_hidden_first_sheet")
    at = _upload(app, case, case_path(case).read_bytes())
    sheet = next(s for s in at.selectbox if s.label == "Sheet")
    assert sheet.value == "Responses" and sheet.options == ["Old export (hidden)", "Responses"]
    sheet.set_value("Old export").run()
    assert not at.exception and not at.error
    assert "read sheet" not in " ".join(t.value for t in at.text)
    at.button(key="data.load").click().run()
    assert at.success[0].value == "Loaded 3 rows from 1 file(s)."  # last year's three rows, when asked for
