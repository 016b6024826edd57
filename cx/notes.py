"""User notes on dates ("chat outage", "price change"): saved with the source's settings in the
app-owned database, drawn on every trend so a meeting reads a spike next to its cause.

Pure apart from the :class:`~cx.db.write.AppStore` it is given: no streamlit.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

SETTING = "date_notes"
MAX_TEXT = 60


@dataclass(frozen=True, order=True)
class DateNote:
    """One note: a day and a short text."""

    day: dt.date
    text: str

    def to_dict(self) -> dict:
        return {"day": self.day.isoformat(), "text": self.text}


def _parse(items) -> list[DateNote]:
    out = []
    for item in items or []:
        try:
            out.append(DateNote(dt.date.fromisoformat(str(item["day"])), str(item["text"])[:MAX_TEXT]))
        except (KeyError, TypeError, ValueError):
            continue  # a damaged entry is skipped, never fatal
    return sorted(set(out))


def read_notes(store, source_label: str) -> tuple[list[DateNote], int]:
    """The notes saved for a source, by day, and the version they were read at."""
    setting = store.get(source_label, SETTING, [])
    return _parse(setting.value), setting.version


def new_note(day, text: str) -> DateNote:
    """A checked note: one clear sentence when the text is empty or too long.

    Raises
    ------
    ValueError
    """
    text = " ".join(str(text or "").split())
    if not text:
        raise ValueError("a note needs a few words (e.g. 'chat outage')")
    if len(text) > MAX_TEXT:
        raise ValueError(f"a note is at most {MAX_TEXT} characters; this one has {len(text)}")
    if isinstance(day, dt.datetime):
        day = day.date()
    if not isinstance(day, dt.date):
        raise ValueError("a note needs a date")
    return DateNote(day, text)


def save_notes(store, source_label: str, notes, version: int) -> int:
    """Save the whole list (refused with :class:`~cx.db.write.StaleUpdate` if another session saved since
    ``version`` was read); returns the new version."""
    return store.put(source_label, SETTING, [n.to_dict() for n in sorted(set(notes))], version=version)
