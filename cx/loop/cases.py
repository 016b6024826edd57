"""Follow-up cases: an unhappy customer (or an alert) becomes a case with an owner, a due date,
notes, a status that moves open → contacted → resolved, and a history of who changed what, when.

Cases live in the app-owned database (:mod:`cx.db.write`; SQLite under ``data/`` by default,
PostgreSQL when ``CX_APP_DB`` says so), never in the warehouse. Every change carries the version
the editor read: when another session changed the case in between, nothing is written and
:class:`~cx.db.write.StaleUpdate` says who changed it and how to go on — no update is ever lost
silently.

Metrics: time to first contact and the share of cases closed in time (:func:`followup_metrics`);
churn of followed-up customers against the others (:func:`outcome_comparison`) — an association,
not an effect: who gets followed up is not chosen at random.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import sqlalchemy as sa

from cx.db.dialects import as_int
from cx.db.source import Source
from cx.db.write import StaleUpdate, now
from cx.loop.tables import CASE_HISTORY, CASES, ready
from cx.metrics import significance as sig
from cx.metrics.intervals import wilson_interval

STATUSES = ("open", "contacted", "resolved")
KINDS = {"incident": "Critical incident", "detractor": "Detractor", "at_risk": "Customer at risk",
         "alert": "Alert"}
ANONYMOUS = "anonymous"
DEFAULT_DUE_DAYS = 3
_EDITABLE = ("status", "owner", "due", "notes", "title")


class CaseError(ValueError):
    """A case cannot be opened or changed as asked (unknown status, empty subject); safe to show."""


@dataclass(frozen=True)
class Case:
    """One case as read, with the ``version`` to pass back when changing it."""

    id: int
    source: str
    kind: str
    subject: str
    customer_id: str | None
    title: str
    owner: str | None
    status: str
    due: dt.date | None
    notes: str
    created_at: dt.datetime
    created_by: str
    contacted_at: dt.datetime | None
    resolved_at: dt.datetime | None
    updated_at: dt.datetime
    updated_by: str
    version: int


def _user(user: str | None) -> str:
    return (user or "").strip()[:200] or ANONYMOUS


def _text(value, limit: int) -> str:
    return "" if value is None else str(value).replace("\x00", "")[:limit]


def _date(value) -> dt.date | None:
    if value is None or value == "" or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise CaseError(f"due date {value!r}: expected a date as YYYY-MM-DD") from None


def open_case(store, source: str, kind: str, subject: str, *, title: str | None = None, owner: str | None = None,
              due: dt.date | str | None = None, notes: str = "", customer_id: str | None = None,
              user: str | None = None) -> Case:
    """Open a case (status ``open``); its first history line says who opened it.

    Parameters
    ----------
    store : AppStore
    source : str
        The source's label (cases belong to the data they came from).
    kind : str
        ``incident``, ``detractor``, ``at_risk`` or ``alert``.
    subject : str
        What the case is about: a customer id, or an alert's cell (``"CSAT · chat · 2026-W11"``).
    owner : str, optional
        Who follows it up (default: nobody yet).
    due : date, optional
        Default :data:`DEFAULT_DUE_DAYS` days from today.
    customer_id : str, optional
        The customer, when the case is about one (defaults to ``subject`` for customer kinds).
    user : str, optional
        Who opens it (the signed-in user; ``anonymous`` otherwise).
    """
    if kind not in KINDS:
        raise CaseError(f"unknown kind of case {kind!r}: choose from {', '.join(KINDS)}")
    subject = _text(subject, 200).strip()
    if not subject:
        raise CaseError("a case needs a subject: the customer or the alert it is about")
    who, at = _user(user), now()
    if customer_id is None and kind != "alert":
        customer_id = subject
    values = dict(source=source[:200], kind=kind, subject=subject, customer_id=customer_id,
                  title=_text(title or f"{KINDS[kind]}: {subject}", 300), owner=_text(owner, 200).strip() or None,
                  status="open", due=_date(due) or (at.date() + dt.timedelta(days=DEFAULT_DUE_DAYS)),
                  notes=_text(notes, 20_000), created_at=at, created_by=who, updated_at=at, updated_by=who,
                  version=1)
    ready(store)
    with store.engine.begin() as con:
        case_id = con.execute(CASES.insert().values(**values).returning(CASES.c.id)).scalar_one() \
            if store.engine.dialect.insert_returning else con.execute(CASES.insert().values(**values)).inserted_primary_key[0]
        con.execute(CASE_HISTORY.insert().values(case_id=case_id, at=at, by=who, field="opened", old=None,
                                                 new=values["title"]))
    return get_case(store, case_id)


def get_case(store, case_id: int) -> Case:
    """The case as stored now; :class:`CaseError` when there is none with that number."""
    ready(store)
    with store.engine.connect() as con:
        row = con.execute(sa.select(CASES).where(CASES.c.id == int(case_id))).mappings().first()
    if row is None:
        raise CaseError(f"there is no case #{case_id}")
    return Case(**dict(row))


def update_case(store, case_id: int, version: int, *, user: str | None = None, **changes) -> Case:
    """Change a case's status, owner, due date, notes or title, if nobody else changed it since ``version``.

    Moving on from ``open`` stamps the first contact (``contacted_at``, once); ``resolved`` stamps
    ``resolved_at`` (cleared again if the case is reopened). Every changed field gets a history line.

    Raises
    ------
    StaleUpdate
        Another session saved the case after it was read at ``version``: nothing was written; the
        message says who and when.
    CaseError
        Unknown field or status.
    """
    unknown = set(changes) - set(_EDITABLE)
    if unknown:
        raise CaseError(f"a case's {sorted(unknown)[0]!r} cannot be changed; editable: {', '.join(_EDITABLE)}")
    if "status" in changes and changes["status"] not in STATUSES:
        raise CaseError(f"unknown status {changes['status']!r}: choose from {', '.join(STATUSES)}")
    if "due" in changes:
        changes["due"] = _date(changes["due"])
    for name, limit in (("owner", 200), ("title", 300), ("notes", 20_000)):
        if name in changes:
            changes[name] = _text(changes[name], limit)
    if "owner" in changes:
        changes["owner"] = changes["owner"].strip() or None
    current = get_case(store, case_id)
    if current.version != version:
        raise _stale(current, version)
    who, at = _user(user), now()
    diff = {k: v for k, v in changes.items() if getattr(current, k) != v}
    if not diff:
        return current
    values = dict(diff, updated_at=at, updated_by=who, version=version + 1)
    status = diff.get("status")
    if status in ("contacted", "resolved") and current.contacted_at is None:
        values["contacted_at"] = at
    if status == "resolved":
        values["resolved_at"] = at
    elif status is not None:
        values["resolved_at"] = None
    with store.engine.begin() as con:
        done = con.execute(CASES.update().where(CASES.c.id == current.id, CASES.c.version == version).values(**values))
        if done.rowcount != 1:
            raise _stale(get_case(store, case_id), version)
        con.execute(CASE_HISTORY.insert(), [
            dict(case_id=current.id, at=at, by=who, field=k, old=_shown(getattr(current, k)), new=_shown(v))
            for k, v in diff.items()])
    return get_case(store, case_id)


def _shown(value) -> str | None:
    return None if value is None else (value.isoformat() if isinstance(value, dt.date) else str(value))


def _stale(current: Case, version: int) -> StaleUpdate:
    return StaleUpdate(f"case #{current.id} was changed by {current.updated_by} at {current.updated_at:%Y-%m-%d %H:%M} "
                       f"UTC after you opened it (it is now '{current.status}', owner {current.owner or 'nobody'}); "
                       "nothing was saved: reload the case, then apply your change again")


def list_cases(store, source: str | None = None, *, status: Sequence[str] | str | None = None,
               owner: str | None = None, kind: Sequence[str] | str | None = None,
               customer_id: str | None = None, limit: int = 1000) -> pd.DataFrame:
    """Cases matching the filters, the most urgent first (open before contacted before resolved, then by due date)."""
    ready(store)
    query = sa.select(CASES)
    if source is not None:
        query = query.where(CASES.c.source == source[:200])
    for column, wanted in ((CASES.c.status, status), (CASES.c.kind, kind)):
        if wanted:
            query = query.where(column.in_([wanted] if isinstance(wanted, str) else list(wanted)))
    if owner:
        query = query.where(CASES.c.owner == owner)
    if customer_id is not None:
        query = query.where(CASES.c.customer_id == str(customer_id))
    urgency = sa.case({"open": 0, "contacted": 1}, value=CASES.c.status, else_=2)
    query = query.order_by(urgency, CASES.c.due, CASES.c.id).limit(limit)
    with store.engine.connect() as con:
        rows = con.execute(query).mappings().all()
    return pd.DataFrame([dict(r) for r in rows], columns=[c.name for c in CASES.c])


def history(store, case_id: int) -> pd.DataFrame:
    """Who changed what and when, oldest first: ``at``, ``by``, ``field``, ``old``, ``new``."""
    ready(store)
    query = (sa.select(CASE_HISTORY.c.at, CASE_HISTORY.c.by, CASE_HISTORY.c.field, CASE_HISTORY.c.old,
                       CASE_HISTORY.c.new).where(CASE_HISTORY.c.case_id == int(case_id))
             .order_by(CASE_HISTORY.c.at, CASE_HISTORY.c.id))
    with store.engine.connect() as con:
        return pd.DataFrame(con.execute(query).fetchall(), columns=["at", "by", "field", "old", "new"])


# --- follow-up metrics -------------------------------------------------------------------------


@dataclass(frozen=True)
class FollowUp:
    """How the follow-up goes.

    Attributes
    ----------
    cases, open, contacted, resolved : int
    hours_to_first_contact : float
        Median hours from opening to first contact, over cases contacted (NaN when none).
    contacted_within_due : int
    closed_in_time, due_cases : int
        Cases resolved by their due date, among cases whose due date has passed or that are resolved.
    share_closed_in_time, ci_low, ci_high : float
        ``closed_in_time / due_cases`` in percent with its 95% Wilson interval.
    overdue : int
        Unresolved cases past their due date.
    """

    cases: int
    open: int
    contacted: int
    resolved: int
    hours_to_first_contact: float
    closed_in_time: int
    due_cases: int
    share_closed_in_time: float
    ci_low: float
    ci_high: float
    overdue: int


def followup_metrics(cases: pd.DataFrame, today: dt.date | None = None) -> FollowUp:
    """Time to first contact and the share closed in time, from a :func:`list_cases` frame.

    A case counts towards "closed in time" once it is decided: resolved (in time when resolved on
    or before its due date) or past its due date unresolved (late). Cases without a due date and
    open cases not yet due are left out of the share.
    """
    today = today or now().date()
    counts = cases["status"].value_counts() if len(cases) else pd.Series(dtype="int64")
    created = pd.to_datetime(cases["created_at"])
    contacted = pd.to_datetime(cases["contacted_at"])
    hours = ((contacted - created).dt.total_seconds() / 3600).dropna()
    due = pd.to_datetime(cases["due"])
    resolved_day = pd.to_datetime(cases["resolved_at"]).dt.normalize()
    is_resolved = cases["status"] == "resolved"
    late_open = ~is_resolved & due.notna() & (due < pd.Timestamp(today))
    decided = due.notna() & (is_resolved | late_open)
    in_time = decided & is_resolved & (resolved_day <= due)
    n, k = int(decided.sum()), int(in_time.sum())
    share, low, high = (float(v[0]) for v in wilson_interval(np.array([n]), np.array([k])))  # percent
    return FollowUp(
        cases=len(cases), open=int(counts.get("open", 0)), contacted=int(counts.get("contacted", 0)),
        resolved=int(counts.get("resolved", 0)),
        hours_to_first_contact=float(hours.median()) if len(hours) else float("nan"),
        closed_in_time=k, due_cases=n, share_closed_in_time=share, ci_low=low, ci_high=high,
        overdue=int(late_open.sum()))


ASSOCIATION_NOTE = ("An association, not an effect: who gets followed up is not chosen at random (the most "
                    "valuable or the most vocal customers may be picked first), so the difference in churn "
                    "may have other causes.")


def outcome_comparison(source: Source, followed_up: Iterable[str], population: Iterable[str] | None = None
                       ) -> pd.DataFrame:
    """Churn of customers followed up against the others, counted in the database.

    Parameters
    ----------
    source : Source
        Needs a customers table with ``churned``.
    followed_up : iterable of str
        Customer ids whose case reached ``contacted`` or ``resolved``.
    population : iterable of str, optional
        Compare within these customers only (say, everyone a case was opened for); default all
        customers with a known churn flag.

    Returns
    -------
    DataFrame
        Two rows (``followed up``, ``not followed up``): ``customers``, ``churned``, ``churn_rate``
        with ``ci_low``/``ci_high`` (percent, Wilson), and on the first row ``difference`` (points)
        and the two-proportion test's ``p_value``. See :data:`ASSOCIATION_NOTE`.
    """
    if source.customers is None or not source.has("customers.churned"):
        raise CaseError("comparing churn needs a customers table with a churned column")
    c = source.customers
    ids = sorted({str(i) for i in followed_up})
    flag = c.c.customer_id.in_(ids) if ids else sa.false()
    group = sa.case((flag, 1), else_=0).label("followed")
    query = sa.select(group, sa.func.count().label("customers"),
                      sa.func.sum(as_int(c.c.churned)).label("churned"))
    query = query.where(c.c.churned.is_not(None))
    if population is not None:
        query = query.where(c.c.customer_id.in_(sorted({str(i) for i in population})))
    raw = source.read(query.group_by(group), context="comparing churn of followed-up customers")
    counts = {int(r.followed): (int(r.customers), int(r.churned or 0)) for r in raw.itertuples()}
    rows = []
    for label, key in (("followed up", 1), ("not followed up", 0)):
        n, k = counts.get(key, (0, 0))
        rate, low, high = (float(v[0]) for v in wilson_interval(np.array([n]), np.array([k])))
        rows.append({"group": label, "customers": n, "churned": k, "churn_rate": rate, "ci_low": low, "ci_high": high})
    frame = pd.DataFrame(rows)
    (n1, k1), (n0, k0) = counts.get(1, (0, 0)), counts.get(0, (0, 0))
    p = sig.two_proportion_test(k1, n1, k0, n0)[1]
    frame["difference"] = [frame.churn_rate[0] - frame.churn_rate[1], np.nan]
    frame["p_value"] = [float(p), np.nan]
    return frame


__all__ = ["ANONYMOUS", "ASSOCIATION_NOTE", "KINDS", "STATUSES", "Case", "CaseError", "FollowUp", "get_case",
           "followup_metrics", "history", "list_cases", "open_case", "outcome_comparison", "update_case"]
