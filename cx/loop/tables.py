"""The loop's tables in the app-owned database (:mod:`cx.db.write`): alerts, cases, their history,
deliveries. Declared on :data:`cx.db.write.METADATA`, so :meth:`AppStore.migrate` creates them; a
store opened before this module was imported gets them on first use (:func:`ready`)."""

from __future__ import annotations

import threading
import weakref

import sqlalchemy as sa

from cx.db.write import METADATA

ALERTS = sa.Table(
    "cx_alerts", METADATA,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("source", sa.String(200), nullable=False),
    sa.Column("rule", sa.String(200), nullable=False),
    sa.Column("cell", sa.String(400), nullable=False),  # JSON of the cell columns
    sa.Column("period", sa.String(10), nullable=False),
    sa.Column("metric", sa.String(40), nullable=False),
    sa.Column("value", sa.Float, nullable=True),
    sa.Column("expected", sa.Float, nullable=True),
    sa.Column("q_value", sa.Float, nullable=True),
    sa.Column("fired_at", sa.DateTime, nullable=False),
    sa.UniqueConstraint("source", "rule", "cell", "period", name="uq_cx_alerts"),
)

CASES = sa.Table(
    "cx_cases", METADATA,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("source", sa.String(200), nullable=False),
    sa.Column("kind", sa.String(20), nullable=False),  # incident, detractor, at_risk, alert
    sa.Column("subject", sa.String(200), nullable=False),  # a customer id, or the alert's cell
    sa.Column("customer_id", sa.String(200), nullable=True),
    sa.Column("title", sa.String(300), nullable=False),
    sa.Column("owner", sa.String(200), nullable=True),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("due", sa.Date, nullable=True),
    sa.Column("notes", sa.Text, nullable=False, default=""),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("created_by", sa.String(200), nullable=False),
    sa.Column("contacted_at", sa.DateTime, nullable=True),
    sa.Column("resolved_at", sa.DateTime, nullable=True),
    sa.Column("updated_at", sa.DateTime, nullable=False),
    sa.Column("updated_by", sa.String(200), nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Index("ix_cx_cases_source_status", "source", "status"),
)

CASE_HISTORY = sa.Table(
    "cx_case_history", METADATA,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("case_id", sa.Integer, sa.ForeignKey("cx_cases.id"), nullable=False, index=True),
    sa.Column("at", sa.DateTime, nullable=False),
    sa.Column("by", sa.String(200), nullable=False),
    sa.Column("field", sa.String(40), nullable=False),
    sa.Column("old", sa.Text, nullable=True),
    sa.Column("new", sa.Text, nullable=True),
)

DELIVERIES = sa.Table(
    "cx_deliveries", METADATA,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("key", sa.String(400), nullable=False),  # what was sent: "alert:<source>:<rule>:<cell>:<week>"…
    sa.Column("channel", sa.String(20), nullable=False),  # email or webhook
    sa.Column("sent_at", sa.DateTime, nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.UniqueConstraint("key", "channel", name="uq_cx_deliveries"),
)

_READY: weakref.WeakSet = weakref.WeakSet()
_LOCK = threading.Lock()


def ready(store) -> None:
    """Make sure the loop's tables exist in ``store`` (once per store and process)."""
    with _LOCK:
        if store not in _READY:
            store.migrate()
            _READY.add(store)


__all__ = ["ALERTS", "CASES", "CASE_HISTORY", "DELIVERIES", "ready"]
