"""Comments from a source, in SQL: the scoped, LIMIT-bounded read, and keyword-theme counts
computed in the database.

Only two kinds of query leave here: the comments in scope (newest first, at most ``limit`` rows,
with the score given alongside and the customer's churn flag), and aggregates (comment counts per
time bucket for each keyword theme, as ``SUM(CASE WHEN lower(comment) LIKE ...)``), so a defined
theme's counts and trend cover *every* comment in scope, however many.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import sqlalchemy as sa

from cx.db.dialects import count_where, time_bucket
from cx.db.source import Source
from cx.db.where import interaction_filters, segment_filter
from cx.schema import Grain
from cx.scope import Scope

DEFAULT_LIMIT = 100_000


def _base(source: Source, scope: Scope, with_customers: bool):
    i, c = source.interactions, source.customers
    join = c is not None and (with_customers or scope.segments)
    base = i.outerjoin(c, c.c.customer_id == i.c.customer_id) if join else i
    where = interaction_filters(i, scope) + segment_filter(c, scope, rows=i)  # a comment's own segment
    where += [i.c.comment.is_not(None), sa.func.length(sa.func.trim(i.c.comment)) > 0]
    return base, where, bool(join)


def count_comments(source: Source, scope: Scope | None = None) -> int:
    """How many non-empty comments are in scope (one COUNT query)."""
    scope = scope or Scope()
    base, where, _ = _base(source, scope, False)
    frame = source.read(sa.select(sa.func.count().label("n")).select_from(base).where(*where),
                        "counting comments failed")
    return int(frame["n"].iloc[0] or 0)


def load_comments(source: Source, scope: Scope | None = None, limit: int = DEFAULT_LIMIT) -> pd.DataFrame:
    """The comments in scope, newest first, at most ``limit`` (one LIMITed query).

    Returns
    -------
    DataFrame
        ``occurred_at``, ``customer_id``, ``channel``, ``journey_stage``, ``touchpoint``, ``nps``,
        ``csat``, ``comment`` (raw: mask before showing) and, with a customers table, ``churned``.
    """
    scope = scope or Scope()
    i, c = source.interactions, source.customers
    base, where, joined = _base(source, scope, with_customers=c is not None)
    columns = [i.c.occurred_at, i.c.customer_id, i.c.channel, i.c.journey_stage, i.c.touchpoint,
               i.c.nps, i.c.csat, i.c.comment]
    if joined:
        columns.append(c.c.churned.label("churned"))
    query = (sa.select(*columns).select_from(base).where(*where)
             # undated last on every backend (PostgreSQL would put NULLs first in DESC order)
             .order_by(sa.case((i.c.occurred_at.is_(None), 1), else_=0), i.c.occurred_at.desc(), i.c.customer_id)
             .limit(max(1, int(limit))))
    frame = source.read(query, "reading comments failed")
    frame["occurred_at"] = pd.to_datetime(frame["occurred_at"])
    for name in ("nps", "csat"):
        frame[name] = pd.to_numeric(frame[name], errors="coerce")
    if "churned" in frame and not source.has("customers.churned"):
        frame = frame.drop(columns="churned")
    return frame


def _matches(column, keywords: Sequence[str]):
    lowered = sa.func.lower(column)
    return sa.or_(*[lowered.contains(k.strip().lower(), autoescape=True) for k in keywords if k.strip()])


def keyword_counts(source: Source, scope: Scope | None, themes: Sequence, grain: Grain | str = Grain.WEEK) -> pd.DataFrame:
    """Comments per time bucket that mention each keyword theme, counted in the database.

    A comment mentions a theme when its lower-cased text contains any of the theme's keywords
    (a substring match, as the in-memory assignment of :mod:`cx.text.themes` does).

    Returns
    -------
    DataFrame
        ``period`` (bucket start; "all" for the ``all`` grain), ``comments`` (all in the bucket),
        then one count column per theme, named by the theme.
    """
    scope = scope or Scope()
    grain = Grain(grain)
    i = source.interactions
    base, where, _ = _base(source, scope, False)
    items = [sa.func.count().label("comments")]
    usable = [t for t in themes if any(k.strip() for k in t.keywords)]
    items += [count_where(_matches(i.c.comment, t.keywords)).label(f"k{n}") for n, t in enumerate(usable)]
    if grain is Grain.ALL:
        query = sa.select(*items).select_from(base).where(*where)
    else:
        bucket = time_bucket(grain, i.c.occurred_at).label("period")
        query = (sa.select(bucket, *items).select_from(base).where(*where, i.c.occurred_at.is_not(None))
                 .group_by(bucket).order_by(bucket))
    frame = source.read(query, "counting keyword themes failed")
    if grain is Grain.ALL:
        frame.insert(0, "period", "all")
    else:
        frame["period"] = pd.to_datetime(frame["period"])
    frame = frame.rename(columns={f"k{n}": t.name for n, t in enumerate(usable)})
    for t in usable:
        frame[t.name] = pd.to_numeric(frame[t.name]).fillna(0).astype(int)
    frame["comments"] = pd.to_numeric(frame["comments"]).fillna(0).astype(int)
    return frame
