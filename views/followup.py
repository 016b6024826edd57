"""Follow-up: the cases opened from incidents, detractors, customers at risk and alerts — who owns
them, where they stand, and whether follow-up happens in time."""

from __future__ import annotations

import streamlit as st

from cx.db.write import StaleUpdate
from cx.loop import cases
from ui import followup
from ui.cache import cached_by_source
from ui.widgets import TILE_WIDTH, dataframe, end_page, md, md_escape, page_start, show_error, tile_row

LISTED = ["id", "kind", "subject", "owner", "status", "due", "created_at", "created_by", "updated_at", "updated_by"]


@cached_by_source(ttl=600)
def load_outcomes(source, followed: tuple[str, ...]):
    return cases.outcome_comparison(source, followed)


def save_case() -> None:
    """Apply the form to the case *as it was shown* (its version then): another session's change wins, loudly."""
    case_id, version = st.session_state["followup.seen"]
    edit = f"followup.edit.{case_id}.{version}"
    changes = {name: st.session_state[f"{edit}.{name}"] for name in ("status", "owner", "due", "notes")}
    try:
        cases.update_case(followup.store(), case_id, version, user=followup.current_user(), **changes)
    except (StaleUpdate, cases.CaseError) as exc:
        st.session_state["followup.message"] = ("error", str(exc))
    else:
        st.session_state["followup.message"] = ("success", f"Case #{case_id} saved.")


source, scope, summary = page_start(
    "Follow-up", "Cases opened from the Incidents, Churn drivers and Overview pages. Each has an owner, a due date "
                 "and a status that moves open → contacted → resolved; every change is kept with who made it.")
store = followup.store()
message = st.session_state.pop("followup.message", None)
if message and message[0] == "error":
    show_error(message[1])
elif message:
    st.success(md_escape(message[1]))
everything = cases.list_cases(store, source.label)

# --- how follow-up goes --------------------------------------------------------------------------
m = cases.followup_metrics(everything)
tiles = tile_row()  # wraps instead of cutting a label at 1024 px
tiles.metric("Open cases", f"{m.open + m.contacted:,}", width=TILE_WIDTH,
             help=f"{m.open:,} open, {m.contacted:,} contacted, {m.resolved:,} resolved")
tiles.metric("Median time to first contact",  # a long label: the tile takes the room it needs
             "–" if m.hours_to_first_contact != m.hours_to_first_contact else f"{m.hours_to_first_contact:.1f} h",
             width="content", help="From opening a case to its first move to contacted (or straight to resolved).")
tiles.metric("Closed in time", "–" if not m.due_cases else f"{m.share_closed_in_time:.0f}%", width=TILE_WIDTH,
             help=f"{m.closed_in_time:,} of {m.due_cases:,} cases due so far were resolved by their due date"
                  + ("" if not m.due_cases else f" · 95% CI {m.ci_low:.0f}–{m.ci_high:.0f}%"))
tiles.metric("Overdue", f"{m.overdue:,}", width=TILE_WIDTH, help="Not resolved and past the due date.")

# --- the list ------------------------------------------------------------------------------------
st.subheader("Cases")
# the status box is the widest: its two chosen statuses ("open", "contacted") fit whole at 1024 px
status_col, kind_col, owner_col = st.columns([2, 1.2, 1])
statuses = status_col.multiselect("Status", cases.STATUSES, default=["open", "contacted"], key="followup.status",
                                  placeholder="All statuses")
kinds = kind_col.multiselect("Kind", list(cases.KINDS), format_func=cases.KINDS.get, key="followup.kind",
                             placeholder="All kinds")
owners = sorted(set(everything["owner"].dropna()))
owner = owner_col.selectbox("Owner", ["everyone", *owners], key="followup.owner",
                            format_func=lambda o: "Everyone" if o == "everyone" else o)
listed = cases.list_cases(store, source.label, status=statuses, kind=kinds,
                          owner=None if owner == "everyone" else owner)
if listed.empty:
    st.info("No case matches these filters. Open one from the Incidents, Churn drivers or Overview page."
            if everything.empty else "No case matches these filters.")
    end_page()
dataframe(listed[LISTED], hide_index=True, key="followup.cases",
          column_config={"subject": st.column_config.TextColumn("subject", width="large")})

# --- one case ------------------------------------------------------------------------------------
st.subheader("Change a case")
titles = dict(zip(listed["id"], listed["title"]))
case_id = st.selectbox("Case", list(titles), format_func=lambda i: f"#{i} — {titles[i]}", key="followup.case")
case = cases.get_case(store, case_id)
st.session_state["followup.seen"] = (case.id, case.version)

edit = f"followup.edit.{case.id}.{case.version}"
with st.form(f"{edit}.form"):
    left, middle, right = st.columns(3)
    left.radio("Status", cases.STATUSES, index=cases.STATUSES.index(case.status), key=f"{edit}.status",
               horizontal=True)
    middle.text_input("Owner", value=case.owner or "", key=f"{edit}.owner")
    right.date_input("Due", value=case.due, key=f"{edit}.due")
    st.text_area("Notes", value=case.notes, key=f"{edit}.notes", max_chars=20_000)
    st.form_submit_button("Save", type="primary", on_click=save_case)
st.caption(md("Opened {created} by {creator} · last changed {updated} by {editor} · version {version}",
              created=f"{case.created_at:%Y-%m-%d %H:%M}", creator=case.created_by,
              updated=f"{case.updated_at:%Y-%m-%d %H:%M}", editor=case.updated_by, version=case.version))
with st.expander("History"):
    dataframe(cases.history(store, case.id), hide_index=True, key="followup.history")

# --- followed up or not: churn -------------------------------------------------------------------
followed = tuple(sorted(set(everything.loc[everything["contacted_at"].notna(), "customer_id"].dropna())))
if followed and source.has("customers.churned"):
    st.subheader("Churn: followed up or not")
    dataframe(load_outcomes(source, followed), hide_index=True, key="followup.outcomes")
    st.caption(cases.ASSOCIATION_NOTE)
