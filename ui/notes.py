"""The notes-on-dates panel (add, remove) and the notes of the data in use, for every trend.

Notes are saved with the source's settings in the app-owned database (:mod:`cx.db.write`), keyed by
the source's label, so everyone looking at the same data sees the same notes. A save that races
another session's is refused with one clear line, never silently overwritten.
"""

from __future__ import annotations

import datetime as dt

import streamlit as st

from cx import notes as date_notes
from cx.db import SourceError
from cx.db.write import StaleUpdate, app_store
from ui.widgets import show_error


def current_notes(source) -> tuple[list[date_notes.DateNote], int]:
    """The notes on dates saved for ``source`` (none, with one line said, when the app database is out of reach)."""
    try:
        return date_notes.read_notes(app_store(), source.label)
    except SourceError as exc:
        st.caption(f"Notes on dates are unavailable: {exc}")
        return [], -1


def notes_panel(source, first: dt.date | None, last: dt.date | None, key: str) -> list[date_notes.DateNote]:
    """An expander to add and remove notes on dates; returns the notes to draw."""
    found, version = current_notes(source)
    with st.expander(f"Notes on dates ({len(found)})", icon=":material/edit_note:"):
        st.caption("Mark what happened on a day (\u201cchat outage\u201d, \u201cprice change\u201d): it is drawn on "
                   "every trend of these data, for everyone who opens them.")
        if version < 0:
            return found
        with st.form(f"{key}.notes_form", clear_on_submit=True, border=False):
            day_col, text_col, add_col = st.columns([2, 4, 1], vertical_alignment="bottom")
            day = day_col.date_input("Day", value=last or dt.date.today(), min_value=first, max_value=last,
                                     key=f"{key}.note_day", format="YYYY-MM-DD")
            text = text_col.text_input("Note", max_chars=date_notes.MAX_TEXT, key=f"{key}.note_text",
                                       placeholder="chat outage")
            if add_col.form_submit_button("Add", icon=":material/add:"):
                try:
                    note = date_notes.new_note(day, text)
                    date_notes.save_notes(app_store(), source.label, [*found, note], version)
                    st.rerun()
                except (ValueError, StaleUpdate, SourceError) as exc:
                    show_error(exc)
        for k, note in enumerate(found):
            left, right = st.columns([6, 1], vertical_alignment="center")
            left.text(f"{note.day:%Y-%m-%d}  {note.text}")
            if right.button("Remove", key=f"{key}.note_remove.{k}", icon=":material/delete:"):
                try:
                    date_notes.save_notes(app_store(), source.label, [n for n in found if n != note], version)
                    st.rerun()
                except (StaleUpdate, SourceError) as exc:
                    show_error(exc)
    return found
