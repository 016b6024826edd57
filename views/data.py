"""Data: choose what the dashboard shows — the demo warehouse, uploaded exports, or a warehouse table.

Uploads are read, mapped (suggested, then corrected here), validated with every row accounted for,
and loaded into this session's private in-memory DuckDB, released when the user removes the file or
loads other data. User text (file names, headers, values, comments) is never rendered as markdown or
HTML: tables are plain text and labels are escaped.
"""

import copy
import hashlib

import pandas as pd
import streamlit as st

from cx import metrics
from cx.db import (
    OPERATOR,
    SourceError,
    account_warnings,
    list_tables,
    open_warehouse,
    safe_url,
    table_source,
)
from cx.ingest import (
    SHAPE_LABELS,
    SHAPES,
    IngestError,
    Prepared,
    check,
    current_limits,
    prepare,
    run,
    suggest_mapping,
    to_source,
)
from cx.ingest.editor import (
    ASKED,
    COLUMN,
    CONFIDENCE,
    EXAMPLES,
    TARGET,
    WHY,
    edit_mapping,
    editor_rows,
    flag_values,
    mappings_json,
    missing_text,
    open_questions,
    pick_mapping,
    read_mappings,
    target_options,
)
from cx.ingest.mapping import parse_missing
from cx.ingest.warehouse import preview_rows, sample_table, warehouse_columns
from cx.metrics.registry import lookup
from cx.schema import Scale
from ui import auth, cache, state, widgets
from ui.widgets import TILE_WIDTH, column_groups, dataframe, page_start, tile_row

KINDS = ["Demo warehouse", "Upload files", "Warehouse"]
FLAG_TARGETS = ("resolved_first_contact", "customers.churned")


def report_error(exc: Exception) -> None:
    message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    widgets.show_error(message)


# --- uploads ---------------------------------------------------------------------------------


def read_upload(upload, sheet: str | None):
    """Read an uploaded file and suggest its mapping once per session (keyed by file id and sheet)."""
    cache = st.session_state.setdefault("data.raw", {})
    key = (upload.file_id, sheet)
    if key not in cache:
        with st.spinner(f"Reading {upload.name}…"):
            cache[key] = prepare(upload.getvalue(), upload.name, sheet=sheet)
    item = cache[key]
    return item.raw, copy.deepcopy(item.mapping)


def scale_inputs(label: str, scale: Scale, key: str, direction: bool) -> Scale:
    left, right, third, fourth = st.columns(4)
    low = left.number_input(f"{label} lowest", value=float(scale.low), step=1.0, key=f"{key}.low")
    high = right.number_input(f"{label} highest", value=float(scale.high), step=1.0, key=f"{key}.high")
    better = True
    if direction:
        better = third.radio(f"{label} direction", ["higher = better", "higher = worse"],
                             index=0 if scale.higher_is_better else 1, key=f"{key}.dir") == "higher = better"
    zero = fourth.checkbox(f"{label}: 0 means not applicable", value=scale.zero_means_na, key=f"{key}.zero")
    if high <= low:
        st.warning(f"{label}: the highest value must be above the lowest; keeping {scale.label()}.")
        return scale
    return Scale(low, high, higher_is_better=better, zero_means_na=zero)


def mapping_editor(raw, mapping, key: str):
    """Widgets for one file's mapping; returns the edited mapping."""
    shape = st.selectbox("Shape of this file", SHAPES, index=SHAPES.index(mapping.shape),
                         format_func=SHAPE_LABELS.get, key=f"{key}.shape")
    rows = editor_rows(raw, mapping)
    edited = st.data_editor(
        rows, key=f"{key}.columns", hide_index=True, width="stretch", disabled=[ASKED, COLUMN, EXAMPLES, CONFIDENCE, WHY],
        column_config={TARGET: st.column_config.SelectboxColumn(
            TARGET, options=target_options(raw, mapping), required=True,
            help="Canonical column, customer attribute, a role (first_response_at / resolved_at derive durations; "
                 "rating = a wide survey's touchpoint; offset = a stream's time), or ignore")},
    )
    codes = st.text_input("Missing codes of scores (no answer): e.g. 0,-1 for every score column, or "
                          "Q3=99; Q4=0,-1 per column", value=missing_text(mapping), key=f"{key}.missing",
                          help="Cells holding these values load with no score and are counted, not quarantined.")
    try:
        declared = parse_missing(codes)
    except IngestError as exc:
        report_error(exc)
        declared = mapping.missing
    draft = edit_mapping(mapping, edited, shape=shape, missing=declared)
    scores = set(draft.columns.values()) | ({draft.rating_target} if shape in ("wide", "stream") else set())
    rating_target = None
    if shape in ("wide", "stream"):
        rating_target = st.selectbox("Ratings are", ["csat", "ces", "nps"], index=["csat", "ces", "nps"].index(draft.rating_target),
                                     key=f"{key}.rating_target")
        scores.add(rating_target)
    csat = scale_inputs("CSAT", draft.scales.csat, f"{key}.csat", direction=False) if "csat" in scores else None
    ces = scale_inputs("CES", draft.scales.ces, f"{key}.ces", direction=True) if "ces" in scores else None
    flags = {}
    for column, target in draft.columns.items():
        if target in FLAG_TARGETS or column in draft.booleans:
            values = flag_values(raw, column) or ["yes"]
            current = draft.booleans.get(column)
            options = values if current in values or current is None else [current, *values]
            flags[column] = st.selectbox(f"In {widgets.md_escape(column)}, the value meaning yes / true", options,
                                         index=options.index(current) if current in options else 0, key=f"{key}.flag.{column}")
    dayfirst = "keep"
    if draft.needs_date_order or f"{key}.dayfirst" in st.session_state:
        examples = ", ".join(draft.ambiguous_dates) or "03/04/2026"
        answer = st.radio(f"Dates such as {widgets.md_escape(examples)} are written", ["day first (3 April)", "month first (March 4)"],
                          index=None if draft.dayfirst is None else (0 if draft.dayfirst else 1), key=f"{key}.dayfirst")
        dayfirst = None if answer is None else answer.startswith("day")
    result = edit_mapping(draft, shape=shape, csat=csat, ces=ces, booleans=flags, dayfirst=dayfirst,
                          rating_target=rating_target)
    for _column, question in open_questions(result):  # ⛔ leaks first, then ⚠ what the suggestion asks
        st.warning(widgets.md_escape(question))
    return result


def mapping_key(upload, sheet, mapping) -> str:
    digest = hashlib.sha1(mapping.to_json().encode()).hexdigest()[:8]
    return f"data.map.{upload.file_id}.{sheet}.{digest}"


def uploads_changed() -> None:
    """The user removed a file whose rows the dashboard shows: release them and return to the demo.

    Compared with the files of the previous run, so coming back to this page (where the uploader
    starts empty again) releases nothing.
    """
    live = {u.file_id for u in st.session_state.get("data.files") or []}
    removed = st.session_state.get("data.uploaded_ids", set()) - live
    upload = state.loaded_upload()
    if upload is not None and removed & upload.file_ids:
        state.set_source(None)
        st.session_state["data.released"] = True


def saved_mappings():
    """The optional saved-mapping upload: one mapping, or file name -> mapping (None when absent or unreadable)."""
    saved_file = st.file_uploader("Saved mapping (optional, JSON from “Save mapping”)", type=["json"], key="data.saved")
    if saved_file is None:
        return None
    try:
        return read_mappings(saved_file.getvalue(), saved_file.name)
    except IngestError as exc:
        report_error(exc)
        return None


def file_section(upload, saved) -> tuple[Prepared | None, bool]:
    """One upload: sheet, what was read, the mapping editor and notes; returns the item and whether Load must wait."""
    with st.expander(f"{widgets.md_escape(upload.name)}", expanded=True):
        try:
            raw, suggested = read_upload(upload, st.session_state.get(f"data.sheet.{upload.file_id}"))
            if len(raw.sheets) > 1:
                st.selectbox("Sheet", raw.sheets, index=raw.sheets.index(raw.sheet), key=f"data.sheet.{upload.file_id}",
                             format_func=lambda s, hidden=raw.hidden_sheets: f"{s} (hidden)" if s in hidden else s)
            st.caption(widgets.md_escape(raw.describe()))
            base = pick_mapping(saved, upload.name, list(raw.frame.columns))
            if base is not None:
                st.caption("Using the saved mapping.")
            mapping = mapping_editor(raw, base or suggested, mapping_key(upload, raw.sheet, base or suggested))
            for note in list(raw.notes) + mapping.notes:
                st.text(f"• {note}")
            if mapping.needs_date_order:
                st.warning("Choose how dates are written before loading.")
            item = Prepared(raw, mapping)
            check(item)
            return item, mapping.needs_date_order
        except IngestError as exc:
            report_error(exc)
            return None, True


def upload_section() -> None:
    uploads = st.file_uploader("Exports: CSV, TSV, Excel (.xlsx), Parquet or JSON — one or several files",
                               accept_multiple_files=True, key="data.files", on_change=uploads_changed,
                               help="For example an interactions export and a customers table. Encoding, delimiter "
                                    "and header are detected.")
    st.session_state["data.uploaded_ids"] = {u.file_id for u in uploads or []}
    st.caption(current_limits().caption())
    if st.session_state.pop("data.released", False):
        st.info("The removed file's rows were released; the dashboard shows the demo warehouse until you load again.")
    saved = saved_mappings()
    if not uploads:
        st.info("Upload one or more exports to map them onto the dashboard's columns.")
        return
    live = {u.file_id for u in uploads}
    cache = st.session_state.setdefault("data.raw", {})
    for stale in [k for k in cache if k[0] not in live]:
        del cache[stale]
    sections = [file_section(upload, saved) for upload in uploads]
    prepared = [item for item, _ in sections if item is not None]
    blocked = any(waits for _, waits in sections)
    if prepared:
        rules = st.session_state.get(state.RULES_KEY)  # rules changed on the Incidents page travel with the mapping
        if rules is not None:
            for item in prepared:
                item.mapping.rules = rules
        st.download_button("Save mapping (JSON)", data=mappings_json({item.name: item.mapping for item in prepared}),
                           file_name="mapping.json", mime="application/json", key="data.save_mapping", on_click="ignore")
    if st.button("Load", type="primary", disabled=blocked or not prepared, key="data.load"):
        load(prepared, {u.file_id for u in uploads})


def load(prepared: list[Prepared], file_ids: set[str]) -> None:
    bar = st.progress(0.0, text="Loading…")
    try:
        loaded = run(prepared, progress=lambda fraction, name: bar.progress(fraction, text=f"Loading {name}… {fraction:.0%}"))
        source = to_source(loaded, f"Uploaded: {', '.join(item.name for item in prepared)}")
    except (IngestError, SourceError) as exc:
        bar.empty()
        report_error(exc)
        return
    bar.empty()
    state.set_source(source)
    state.remember_upload(source, file_ids, {item.name: item.mapping for item in prepared}, loaded.results)
    st.success(f"Loaded {loaded.rows_loaded:,} rows from {len(loaded.results)} file(s).")


def validation_report() -> None:
    upload = state.loaded_upload()
    if upload is None or not upload.results:
        return
    results = upload.results
    st.subheader("Validation report")
    table = pd.DataFrame([{
        "file": r.name, "shape": r.shape, "rows read": r.rows_read, "loaded": r.rows_loaded,
        "quarantined": r.rows_quarantined,
        "top reasons": "; ".join(f"{k} ({v:,})" for k, v in list(r.reasons.items())[:3]) or "—",
    } for r in results])
    dataframe(table, hide_index=True, width="stretch")
    st.caption("Every row read is either loaded or quarantined: read = loaded + quarantined.")
    for result in results:  # what the loader did beyond the counts: codes read as missing, placeholder dates…
        for note in result.notes:
            st.text(f"• {result.name}: {note}")
    for number, result in enumerate(results):
        if result.rows_quarantined:
            widgets.download_csv(f"Download the {result.rows_quarantined:,} quarantined rows of {widgets.md_escape(result.name)}",
                            result.quarantine, file_name=f"{result.name.rsplit('.', 1)[0]}.quarantine.csv",
                            key=f"data.quarantine.{number}")


# --- warehouse -------------------------------------------------------------------------------


def connect_warehouse(url: str, access, label: str) -> None:
    try:
        engine = open_warehouse(url, access)
        warnings = account_warnings(engine)
    except SourceError as exc:
        report_error(exc)
        return
    state.set_warehouse(state.Warehouse(engine, label, tuple(warnings)))


def warehouse_section() -> None:
    named = auth.named_connections()  # [connections.<name>] url = … in secrets.toml: written by the operator
    typing = auth.url_entry_access()  # None unless [access] allow_url_entry = true
    if named:
        name = st.selectbox("Connection", list(named), key="data.wh.name",
                            help="Named connections from .streamlit/secrets.toml ([connections.<name>] url = …).")
        st.caption(f"{widgets.md_escape(name)}: {widgets.md_escape(safe_url(named[name]))}")
        if st.button("Connect", key="data.wh.connect_named"):
            connect_warehouse(named[name], OPERATOR, f"{name} ({safe_url(named[name])})")
    if typing is not None:
        typed = st.text_input("SQLAlchemy URL", type="password", key="data.wh.url",
                              placeholder="postgresql://user:password@host:5432/db",
                              help="Opened read-only. The password is never shown.")
        if st.button("Connect to this URL", key="data.wh.connect"):
            if typed.strip():
                connect_warehouse(typed, typing, safe_url(typed))
            else:
                widgets.show_error("Type a SQLAlchemy URL.")
    else:
        st.caption("Typing a URL here is off. An administrator can name connections in `.streamlit/secrets.toml` "
                   "(`[connections.warehouse]` with `url = \"…\"`), or allow typed URLs with "
                   "`allow_url_entry = true` under `[access]`.")
    if not named and typing is None:
        st.info("No warehouse connection is configured.")
    connection = state.warehouse()
    if connection is None:
        return
    engine = connection.engine
    st.caption(f"Connected (read-only): {widgets.md_escape(connection.label)}")
    for warning in connection.warnings:
        st.warning(widgets.md_escape(warning))
    try:
        tables = list_tables(engine)
    except SourceError as exc:
        report_error(exc)
        return
    if not tables:
        st.info("This database has no tables or views.")
        return
    table = st.selectbox("Interactions table or view", tables, key="data.wh.table")
    customers_table = st.selectbox("Customers table (optional)", ["(none)"] + tables, key="data.wh.customers")
    try:
        raw = sample_table(engine, table)
        mapping = edit_mapping(suggest_mapping(raw), shape="interactions")
        st.caption("Interactions columns (suggested from a sample of rows)")
        mapping = mapping_editor(raw, mapping, f"data.wh.map.{table}")
        mapping.check(list(raw.frame.columns), table)
        customers_mapping = None
        if customers_table != "(none)":
            craw = sample_table(engine, customers_table)
            customers_mapping = edit_mapping(suggest_mapping(craw), shape="customers")
            st.caption("Customers columns")
            customers_mapping = mapping_editor(craw, customers_mapping, f"data.wh.cmap.{customers_table}")
        settings = warehouse_columns(mapping, customers_mapping)
        for note in settings.pop("notes"):
            st.text(f"• {note}")
    except (IngestError, SourceError) as exc:
        report_error(exc)
        return
    if st.button("Use this table", type="primary", key="data.wh.use"):
        try:
            source = table_source(engine, table, settings["interactions_columns"],
                                  None if customers_table == "(none)" else customers_table, settings["customers_columns"],
                                  scales=settings["scales"], booleans=settings["booleans"],
                                  customer_attributes=settings["customer_attributes"],
                                  label=f"{connection.label} · {table}")
        except SourceError as exc:
            report_error(exc)
            return
        state.set_source(source)
        st.success("Warehouse table in use.")


# --- what is loaded --------------------------------------------------------------------------


def loaded_summary() -> None:
    source = state.current_source()
    st.subheader("What is loaded")
    st.caption(widgets.md_escape(source.label))
    try:
        summary = cache.source_summary(source)
        preview = preview_rows(source, 50)
    except SourceError as exc:
        report_error(exc)
        return
    span = "—" if summary.first is None else f"{summary.first:%Y-%m-%d} → {summary.last:%Y-%m-%d}"
    tiles = tile_row()  # wraps instead of cutting a value at 1024 px
    tiles.metric("Rows", f"{summary.rows:,}", width=TILE_WIDTH)
    tiles.metric("Customers", f"{summary.customers:,}", width=TILE_WIDTH,
                 help="every customer in these data. Other pages count the customers their question covers "
                      "(Incidents: those with interactions in the filters; Churn: those the model learns from).")
    tiles.metric("Date span", span, width="content")  # two dates: as wide as they need
    tiles.metric("Undated rows", f"{summary.undated_rows:,}", width=TILE_WIDTH)
    left, right = st.columns(2)
    rows = {"rows": st.column_config.NumberColumn("rows", format="localized", step=1)}
    with left:
        dataframe(pd.DataFrame({"channel": list(summary.channels), "rows": list(summary.channels.values())}),
                  hide_index=True, width="stretch", column_config=rows)
    with right:
        dataframe(pd.DataFrame({"journey stage": list(summary.stages), "rows": list(summary.stages.values())}),
                  hide_index=True, width="stretch", column_config=rows)
    st.text("Metrics available: " + (", ".join(lookup(m).label for m in metrics.available(summary)) or "none"))
    st.caption("Preview: the first 50 rows (plain text; a blank cell has no value), a few columns at a time so that "
               "each table fits the page; the same rows in the same order in each, the customer first")
    shown = preview.map(lambda v: "" if pd.isna(v) else str(v))
    groups = column_groups(shown, keep=[c for c in ("customer_id",) if c in shown.columns])
    if len(groups) == 1:
        dataframe(shown, hide_index=True, width="stretch")
    else:
        names = preview_tabs(groups)
        for number, (tab, columns) in enumerate(zip(st.tabs(names), groups)):
            with tab:  # each tab the whole preview, showing its columns (a selection or a test reads every column)
                dataframe(shown, hide_index=True, width="stretch", column_order=columns, key=f"data.preview.{number}")


def preview_tabs(groups: list[list[str]], room: int = 540) -> list[str]:
    """The preview tabs' names, all in one row of tabs at 1024 px (``room`` pixels, about 7.5 a character and
    32 between tabs): each tab's first and last column beside the customer, else its first column followed by
    "…", else its first column, else "Part n"."""
    own = [[c for c in g if c != "customer_id"] or g for g in groups]
    for names in ([c[0] if len(c) == 1 else f"{c[0]} … {c[-1]}" for c in own],
                  [c[0] if len(c) == 1 else f"{c[0]} …" for c in own], [c[0] for c in own]):
        if sum(7.5 * len(n) + 32 for n in names) <= room:
            return names
    return [f"Part {i + 1}" for i in range(len(groups))]


current = page_start("Data", summary=False).source
kind = st.radio("Source", KINDS, horizontal=True, key="data.kind",
                index={"demo": 0, "upload": 1}.get(current.kind, 2))
if kind == KINDS[0]:
    st.write("Synthetic data of a mid-size retailer, with planted effects the analytics pages find.")
    if st.button("Use the demo warehouse", key="data.demo"):
        state.set_source(None)
elif kind == KINDS[1]:
    upload_section()
else:
    warehouse_section()
validation_report()
loaded_summary()
