"""The loop in the app: who is signed in, the "Open a case" control, the alert panel, saved targets.

Pages call these one-liners; the work happens in :mod:`cx.loop` against the app-owned database
(:func:`cx.db.write.app_store`, ``CX_APP_DB``). Widget keys start with the calling page's key, so a
page's session state stays its own.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import sqlalchemy as sa
import streamlit as st

from cx.db import SourceError
from cx.db.write import StaleUpdate, app_store
from cx.loop import alerts, cases, notify, targets
from cx.metrics.registry import lookup
from ui.cache import in_background, ready
from ui.state import current_user
from ui.widgets import dataframe, md, md_escape, show_error

FOLLOWUP_PAGE = "views/followup.py"


def store():
    """The app-owned database (one per process)."""
    return app_store()


# --- targets -------------------------------------------------------------------------------------


APP_DB_DOWN = (SourceError, sa.exc.SQLAlchemyError)


def saved_targets(source) -> tuple[list[targets.Target], int]:
    """The source's saved targets and the version they were read at (none, said once, when the app's
    database cannot be read: the analysis pages still work without it)."""
    try:
        return targets.load_targets(store(), source.label)
    except APP_DB_DOWN as exc:
        st.caption(md("Targets are not shown: {reason}", reason=str(exc).splitlines()[0][:300]))
        return [], 0


def target_editor(source, metric: str, cells: dict[str, Sequence[str]], key: str) -> None:
    """A popover to set or remove the target of ``metric`` (overall or for one cell), saved with the source."""
    m = lookup(metric, source.scales)
    saved, version = saved_targets(source)
    with st.popover("Target", icon=":material/flag:"):
        options = ["all"] + [f"{column}={value}" for column, values in cells.items() for value in values]
        where = st.selectbox("For", options, key=f"{key}.target_cell",
                             format_func=lambda o: "The whole scope" if o == "all" else o.replace("=", ": "))
        cell = {} if where == "all" else dict([where.split("=", 1)])
        current = next((t for t in saved if t.key == targets.Target(metric, 0, cell).key), None)
        side = "at least" if m.higher_is_better else "at most"
        value = st.number_input(f"{m.label} should be {side} ({m.unit})", value=current.value if current else 0.0,
                                key=f"{key}.target_value.{metric}.{where}")
        save, remove = st.columns(2)
        try:
            if save.button("Save", key=f"{key}.target_save", type="primary"):
                targets.set_target(store(), source.label, targets.Target(metric, value, cell), version=version,
                                   user=current_user())
                st.rerun()
            if current and remove.button("Remove", key=f"{key}.target_remove"):
                targets.remove_target(store(), source.label, metric, cell, version=version, user=current_user())
                st.rerun()
        except (StaleUpdate, targets.TargetError, *APP_DB_DOWN) as exc:
            show_error(exc)
        st.caption("Saved with this data source's settings; drawn as a dashed goal line. A status is given only "
                   "when the 95% interval clears the target.")


def goal_lines(source, metric: str, by: Sequence[str], saved: Sequence[targets.Target] | None = None):
    """The source's targets for ``metric`` as goal lines for a trend broken down by ``by`` (``saved``: the
    targets the page read this run, else read here)."""
    from cx.charts import GoalLine

    saved = saved_targets(source)[0] if saved is None else saved
    return [GoalLine(*g) for g in targets.goal_lines(saved, metric, by)]


# --- cases ---------------------------------------------------------------------------------------


def open_case_control(source, kind: str | Sequence[str], subjects: Sequence[str], key: str, *,
                      label: str = "Open a case") -> None:
    """A popover that opens a follow-up case for one of ``subjects`` (customer ids, or alert lines).

    ``kind`` is one of :data:`cx.loop.cases.KINDS`, or several to choose from (incident or detractor).
    """
    kinds = [kind] if isinstance(kind, str) else list(kind)
    subjects = list(dict.fromkeys(str(s) for s in subjects if s is not None and str(s).strip()))
    with st.popover(label, icon=":material/assignment_ind:"):
        if not subjects:
            st.caption("Nothing here to follow up.")
            return
        with st.form(f"{key}.case_form", clear_on_submit=True, border=False):
            subject = st.selectbox("Customer" if kinds != ["alert"] else "Alert", subjects, key=f"{key}.case_subject")
            chosen = st.selectbox("Kind", kinds, format_func=cases.KINDS.get, key=f"{key}.case_kind",
                                  disabled=len(kinds) == 1)
            owner = st.text_input("Owner", value=current_user() or "", key=f"{key}.case_owner",
                                  help="Who follows it up (an e-mail address or a name).")
            due = st.date_input("Due", value=dt.date.today() + dt.timedelta(days=cases.DEFAULT_DUE_DAYS),
                                key=f"{key}.case_due")
            notes = st.text_area("Notes", key=f"{key}.case_notes", max_chars=5000)
            submitted = st.form_submit_button("Open the case", type="primary")
        if submitted:
            try:
                case = cases.open_case(store(), source.label, chosen, subject, owner=owner, due=due, notes=notes,
                                       user=current_user())
            except (cases.CaseError, *APP_DB_DOWN) as exc:
                show_error(exc)
            else:
                st.success(md("Case #{id} opened for {subject}.", id=case.id, subject=case.subject))
                st.page_link(FOLLOWUP_PAGE, label="Open the Follow-up page", icon=":material/arrow_forward:")


# --- alerts --------------------------------------------------------------------------------------


@in_background(max_entries=8)
def load_alert_history(source, saved: tuple) -> dict:
    """Every week of the source's history for the alert rules (one query per metric), read once per
    source and saved targets in the background (seconds at 10 M rows): a run for any week is cut from
    it, so a week change reads only its baselines."""
    return alerts.history_tables(source, _rules(source, saved))


def _rules(source, saved: tuple) -> list:
    """The default rules, with each saved target ``(metric, value, cell items)`` as a threshold rule."""
    return alerts.rules_for(source, [targets.Target(metric=m, value=v, cell=dict(c)) for m, v, c in saved])


@in_background(max_entries=32)
def load_alerts(source, week: str, saved: tuple, _history: dict) -> alerts.AlertRun:
    """The week's alert run for the whole source (saved targets become threshold rules): the run
    ``cx alerts`` records and sends, whatever a page's filters; once per source and week, in the
    background (its baselines are queries: a week change does not wait for them), the history,
    :func:`load_alert_history`, being determined by the source and ``saved``."""
    return alerts.evaluate(source, _rules(source, saved), week=week, history=_history)


def _saved(source, saved: Sequence[targets.Target] | None = None) -> tuple:
    """The targets the alerts are checked against, as a cache key: ``saved`` (the run's one read of the saved
    targets, from :func:`saved_targets`), else read now."""
    items = saved_targets(source)[0] if saved is None else saved
    return tuple(sorted((t.metric, t.value, tuple(sorted(t.cell.items()))) for t in items))


def start_alerts(source, week: str, saved: Sequence[targets.Target] | None = None):
    """Ask for the week's alerts now (the history first, once per source): a page calls this before
    its other background work so that the alerts are first in the workers' queue. Returns the
    history's job while that is being read, else the week's. ``saved``: the targets the page read
    this run (pass the same to :func:`alert_panel`: the app database is read once per run), else read here."""
    saved = _saved(source, saved)
    history = load_alert_history(source, saved)
    if not history.done() or history.future.cancelled() or history.future.exception() is not None:
        return history
    return load_alerts(source, week, saved, _history=history.result())


def _record_once(source, run: alerts.AlertRun) -> None:
    """Remember the run's alerts in the app database once per session (a rerun writes nothing; an
    alert a new target raises is recorded when it first fires)."""
    done = st.session_state.setdefault("followup.recorded_alerts", set())
    fired = {(source.label, *alerts.alert_key(r, run.cell_columns)) for r in run.fired.to_dict("records")}
    if fired <= done:
        return
    try:
        alerts.record_alerts(store(), source.label, run)
    except APP_DB_DOWN:
        return  # shown all the same; `cx alerts` (or the next session) records them when the database is back
    done |= fired


def _p(value) -> str:
    if value != value:
        return "not tested"
    return "< 0.0001" if value < 1e-4 else f"{value:.2g}"


def cells_behind(run: alerts.AlertRun, record: dict):
    """Every cell the alert's rule checked that week: fired first, then value, reference, n, p and q."""
    behind = run.records[run.records["rule_name"] == record["rule_name"]]
    cells = [c for c in run.cell_columns if behind[c].notna().any()]
    reference = "threshold" if record["rule"] == "threshold" else "expected"
    out = behind[["fired", *cells, "value", reference, "n"]].round({"value": 2, reference: 2})
    return out.assign(p_value=behind["p_value"].map(_p), q_value=behind["q_value"].map(_p)).reset_index(drop=True)


def alert_panel(source, week: str, scope, key: str, saved: Sequence[targets.Target] | None = None) -> None:
    """The week's alerts with the false-alarm rate stated; each alert opens onto the cells behind it.

    The run is the whole source's (the one ``cx alerts`` sends): the sidebar's channels, stages and
    segments choose which of its alerts are shown, and the panel says so. ``saved``: the targets the page
    read this run (as given to :func:`start_alerts`), else read here."""
    saved = _saved(source, saved)
    heading = st.empty()  # above the progress line while the history is read
    try:
        history = ready(load_alert_history(source, saved), "Reading every week's scores for the alerts (once for "
                        "these data; then any week's alerts take a moment)", key=f"{key}.alerts")
        run = None if history is None else ready(load_alerts(source, week, saved, _history=history),
                                                  f"Checking {week}'s alerts", key=f"{key}.alerts_week")
        if run is None:
            heading.subheader("Alerts")
            return
    except (alerts.AlertError, ValueError) as exc:
        heading.subheader("Alerts")
        show_error(exc)
        return
    _record_once(source, run)
    fired = alerts.in_scope(run.fired, run.cell_columns, scope)
    heading.subheader(f"Alerts ({len(fired)})")
    st.caption(md_escape(run.statement))
    if scope is not None and (scope.channels or scope.stages or scope.segments):
        cells = " and ".join(c.replace("journey_stage", "stage") for c in run.cell_columns) or "the whole source"
        st.caption(f"Alerts are checked on every customer's contacts, per {cells}, as the weekly e-mail sends "
                   f"them; the filters choose which are shown: {len(fired)} of the week's {len(run.fired)}.")
    if fired.empty:
        if run.fired.empty:
            st.caption("No alert this week: every change checked is within what chance would give.")
        return
    lines = []
    for i, record in enumerate(fired.head(20).to_dict("records")):
        line = notify.alert_line(record, run.cell_columns)
        lines.append(line)
        with st.expander(md_escape(line), icon=":material/notifications_active:"):
            dataframe(cells_behind(run, record), hide_index=True, key=f"{key}.alert_cells.{i}")
            st.caption(f"Every cell this rule checked in {run.week}; the alert is the row marked fired "
                       f"(q = Benjamini–Hochberg adjusted p-value, across all {run.checked} cells checked).")
            query = {"metric": record["metric"], "by": run.cell_columns[0]} if run.cell_columns else {"metric": record["metric"]}
            st.page_link("views/trends.py", label="See the trend", icon=":material/show_chart:", query_params=query)
    open_case_control(source, "alert", lines, key=f"{key}.alert", label="Open a case for an alert")
