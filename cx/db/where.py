"""Which rows a question is about: the one scope filter, as SQL ``WHERE`` conditions.

A scope (:class:`cx.scope.Scope`; anything with ``date_from``, ``date_to``,
``channels``, ``stages`` and ``segments``) restricts interactions by day range, channel and
journey stage, and customers by segment. Every query that honours a scope takes its conditions
from here, so a metric, a drill-down, a journey and a churn feature always see the same rows.

One behaviour for segments: a scope that names segments over a source *without* a customers table
raises :class:`~cx.db.errors.ScopeError` ("filtering by segment needs a customers table"). It is
never silently widened to every customer.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from cx.db.dialects import in_day_range
from cx.db.errors import ScopeError


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


def segment_filter(customers, scope) -> list[sa.ColumnElement]:
    """``customers.segment IN (...)`` when ``scope`` names segments, else nothing.

    Raises
    ------
    ScopeError
        When the scope names segments and there is no customers table (``customers`` is None).
    """
    if not scope.segments:
        return []
    if customers is None:
        raise ScopeError("filtering by segment needs a customers table")
    return [customers.c.segment.in_(scope.segments)]


def scope_filter(interactions, customers, scope, dates=None) -> list[sa.ColumnElement]:
    """Every condition of ``scope``: :func:`interaction_filters` and :func:`segment_filter`.

    The caller joins ``customers`` (on ``customer_id``) whenever the scope names segments.
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
