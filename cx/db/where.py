"""Which rows a question is about: the one scope filter, as SQL ``WHERE`` conditions.

A scope (:class:`cx.scope.Scope`; anything with ``date_from``, ``date_to``,
``channels``, ``stages`` and ``segments``) restricts interactions by day range, channel and
journey stage, and customers by segment. Every query that honours a scope takes its conditions
from here, so a metric, a drill-down, a journey and a churn feature always see the same rows.

One behaviour for segments: a scope that names segments over a source *without* a customers table
(and no segment kept per row) raises :class:`~cx.db.errors.ScopeError` ("filtering by segment needs a
customers table"). It is never silently widened to every customer.

**Attributes kept per row.** A customer attribute (segment, region or any extra one) normally lives
on the customers table, one value per customer. When a file gives it on its interaction rows and it
changes from row to row within a customer (a complainant's state, a caller's priority), the loader
also keeps it on the interactions, in a column of the same name (:func:`row_attributes`: every
non-canonical column of the interactions). Then a question about rows (a metric, a drill-down, the
comments, key drivers) reads :func:`attribute`: the row's value where it has one, the customer's
otherwise; a question about customers (churn, journeys, cohorts, per-customer metrics such as churn
rate) reads the customer's value (their latest row's). This module is the one place that rule lives.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from cx.db.dialects import in_day_range
from cx.db.errors import ScopeError
from cx.schema import DIMENSIONS, INTERACTION_COLUMNS


def row_attributes(interactions) -> tuple[str, ...]:
    """The customer attributes this source keeps per row: the interactions' non-canonical columns."""
    if interactions is None:
        return ()
    return tuple(c for c in interactions.c.keys() if c not in INTERACTION_COLUMNS)


def attribute(name: str, interactions, customers, *, by_customer: bool = False) -> sa.ColumnElement:
    """The value of breakdown column ``name`` for an interaction row (see the module's note).

    An interaction column (channel, stage…) as it is; a customer attribute kept per row as
    ``COALESCE(row's value, customer's value)``; any other customer attribute (and every one when
    ``by_customer``: the question is about customers) the customer's value.
    """
    if DIMENSIONS.get(name) == "interactions":
        return interactions.c[name]
    if not by_customer and name in row_attributes(interactions):
        per_row = interactions.c[name]
        return per_row if customers is None else sa.func.coalesce(per_row, customers.c[name])
    return customers.c[name]


def interaction_filters(interactions, scope, dates: tuple[dt.date | None, dt.date | None] | None = None) -> list[sa.ColumnElement]:
    """The conditions of ``scope`` that concern interactions alone: day range, channels, journey stages.

    ``dates`` = (first, last) overrides the scope's own day range (e.g. a drill-down's period).
    """
    first, last = dates if dates is not None else (scope.date_from, scope.date_to)
    i = interactions.c
    conditions = []
    if first or last:
        conditions.append(in_day_range(i.occurred_at, first, last))
    if scope.channels:
        conditions.append(i.channel.in_(scope.channels))
    if scope.stages:
        conditions.append(i.journey_stage.in_(scope.stages))
    return conditions


def segment_filter(customers, scope, rows=None) -> list[sa.ColumnElement]:
    """``customers.segment IN (...)`` when ``scope`` names segments, else nothing.

    ``rows`` (the interactions) when the question is about rows: where the segment is kept per row,
    the row's segment decides (:func:`attribute`); the caller joins ``customers`` as before.

    Raises
    ------
    ScopeError
        When the scope names segments and there is no customers table (``customers`` is None) nor a
        segment kept per row.
    """
    if not scope.segments:
        return []
    if customers is None and "segment" not in row_attributes(rows):
        raise ScopeError("filtering by segment needs a customers table")
    column = customers.c.segment if rows is None else attribute("segment", rows, customers)
    return [column.in_(scope.segments)]


def scope_filter(interactions, customers, scope, dates=None) -> list[sa.ColumnElement]:
    """Every condition of ``scope``: :func:`interaction_filters` and :func:`segment_filter`.

    The caller joins ``customers`` (on ``customer_id``) whenever the scope names segments. Used where
    the unit is a customer (journeys, churn features): the segment is the customer's.
    """
    return interaction_filters(interactions, scope, dates) + segment_filter(customers, scope)


def contacts(source):
    """The condition that makes an interaction row a contact (``None``: every row is one).

    A customer table's rows that carry its scores (``customer_record`` true) are records, not contacts:
    contact volume and the summary's contact count leave them out.
    """
    if not source.has("customer_record"):
        return None
    return sa.or_(source.interactions.c.customer_record.is_(None), sa.not_(source.interactions.c.customer_record))
