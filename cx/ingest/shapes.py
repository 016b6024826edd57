"""From parsed columns to canonical frames, for each export shape.

- **interactions** — one row per response/ticket: the typed columns as they are; customer
  attributes found on the rows (segment, region…) are gathered into one row per customer (the latest
  row's value); an attribute that changes from row to row within a customer is also kept on the
  interactions, in a column of its own name (see :mod:`cx.db.where`: breakdowns read the row's value).
- **customers** — one row per customer: the customers frame, plus one undated interaction row per
  customer carrying the score(s), so satisfaction metrics work on a customer-level table; those rows
  have ``customer_record`` true, so contact volume does not count them as contacts.
- **wide** — one row per respondent and one rating column per touchpoint: melted to one
  interaction per answered rating (touchpoint = column name, seq = column order); the overall
  verdict and other respondent attributes go to the customers frame.
- **stream** — per-moment ratings of an episode: one interaction per moment, ordered by the time
  offset (seq = 1, 2, …); the retrospective overall rating goes to the customers frame.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from cx.ingest.mapping import Mapping
from cx.ingest.vocabulary import ROLE_OFFSET
from cx.schema import CUSTOMER_COLUMNS, INTERACTION_COLUMNS

_DTYPES = {"text": object, "timestamp": "datetime64[us]", "int": "Int64", "number": "Float64", "bool": "boolean"}


def canonical(frame: pd.DataFrame, kinds: dict[str, str]) -> pd.DataFrame:
    """Cast the canonical columns present in ``frame`` to their dtypes (other columns kept as they are)."""
    out = {}
    for column in frame.columns:
        kind = kinds.get(column)
        values = frame[column]
        if kind is None or (kind != "text" and values.dtype == _DTYPES[kind]):  # already canonical: no copy
            out[column] = values
        elif kind == "text":
            out[column] = values if values.dtype == object and not values.isna().any() else \
                values.astype(object).where(values.notna(), None)
        elif kind == "int":
            out[column] = pd.to_numeric(values, errors="coerce").round().astype("Int64")
        elif kind == "number":
            out[column] = pd.to_numeric(values, errors="coerce").astype("Float64")
        else:
            out[column] = values.astype(_DTYPES[kind])
    return pd.DataFrame(out, index=frame.index, copy=False)


def _taken(values: pd.Series, rows: pd.Series) -> pd.Series:
    """The accepted rows of a parsed column: the column itself (no copy) when every row is accepted."""
    return values if rows.all() else values[rows]


def _interaction_part(typed: dict[str, pd.Series], rows: pd.Series) -> dict[str, pd.Series]:
    return {t: _taken(typed[t], rows) for t in INTERACTION_COLUMNS if t in typed}


def _customer_part(typed: dict[str, pd.Series], rows: pd.Series) -> dict[str, pd.Series]:
    out = {"customer_id": _taken(typed["customer_id"], rows)}
    for target, values in typed.items():
        if target.startswith("customers."):
            out[target.split(".", 1)[1]] = _taken(values, rows)
    return out


def _per_customer(parts: dict[str, pd.Series], keep: str = "first", when: pd.Series | None = None) -> pd.DataFrame | None:
    """One row per customer: the first (or last) non-missing value of each attribute.

    ``when`` (the rows' dates) orders a customer's rows in time first, so that "last" is the latest
    answer, as the journey's end is, not the last row of the file (undated rows count as earliest).
    """
    if len(parts) <= 1:
        return None
    frame = pd.DataFrame(parts)
    if when is not None:
        frame = frame.iloc[np.argsort(pd.to_datetime(when.reindex(frame.index)).to_numpy(dtype="datetime64[ns]"),
                                      kind="stable")]
    grouped = frame.groupby("customer_id", sort=False, dropna=True)
    result = (grouped.first() if keep == "first" else grouped.last()).reset_index()
    return canonical(result, CUSTOMER_COLUMNS)


def _finish(interactions: pd.DataFrame, customers: pd.DataFrame | None):
    interactions = canonical(interactions.reset_index(drop=True), INTERACTION_COLUMNS)
    if customers is not None:
        customers = customers.reset_index(drop=True)
    return interactions, customers


def build(mapping: Mapping, typed: dict[str, pd.Series], ratings: dict[str, pd.Series], accepted: pd.Series,
          frame: pd.DataFrame):
    """Canonical ``(interactions, customers, notes)`` from the accepted rows."""
    builder = {"interactions": _interactions, "customers": _customers, "wide": _wide, "stream": _stream}[mapping.shape]
    return builder(mapping, typed, ratings, accepted, frame)


def _latest_first(parts: dict[str, pd.Series], typed: dict[str, pd.Series], rows: pd.Series) -> dict[str, pd.Series]:
    """The customer parts ordered by date (latest last, undated first; ties keep file order), so that
    "the customer's value" is the most recent one and never depends on how the file was sorted."""
    if "occurred_at" not in typed:
        return parts
    when = typed["occurred_at"][rows]
    order = when.sort_values(kind="stable", na_position="first").index
    return {k: v.loc[order] for k, v in parts.items()}


#: Customer columns that are facts about the customer, never kept per row (a breakdown attribute may be).
_CUSTOMER_FACTS = tuple(c for c in CUSTOMER_COLUMNS if c not in ("segment", "region"))


def varying(parts: dict[str, pd.Series] | pd.DataFrame) -> dict[str, int]:
    """Breakdown attributes that take more than one value for some customer, and for how many customers.

    Those are facts about each row (the state of a complaint, the priority of a ticket), not about the
    customer; dates, flags and values of the customer (signup, churn, lifetime value) are never among them.
    """
    frame = pd.DataFrame(parts)
    customer = pd.factorize(frame["customer_id"])[0]  # integer codes: a million rows in well under a second
    out = {}
    for column in [c for c in frame.columns if c != "customer_id"]:
        if column in _CUSTOMER_FACTS or column in INTERACTION_COLUMNS:
            continue
        value = pd.factorize(frame[column])[0]  # missing = -1, left out
        known = (value >= 0) & (customer >= 0)
        spread = pd.Series(value[known]).groupby(customer[known], sort=False).agg(["min", "max"])
        several = int((spread["min"] != spread["max"]).sum())
        if several:
            out[column] = several
    return out


def per_row_note(mapping: Mapping, column: str, several: int) -> str:
    """Why ``column`` is kept per row, in the words the Data page and ``cx load`` show."""
    source = mapping.source_of(f"customers.{column}") or column
    named = f"'{source}'" + (f" ({column})" if source != column else "")
    customers = f"{several:,} customer{'' if several == 1 else 's'}"
    return (f"{named} changes from row to row for {customers}: kept per row, so a breakdown or a filter by {column} "
            "counts each contact under its own value; the customer keeps their latest value (churn, journeys and "
            "per-customer metrics use that one).")


def _interactions(mapping, typed, ratings, accepted, frame):
    interactions = pd.DataFrame(_interaction_part(typed, accepted), copy=False)
    parts = _latest_first(_customer_part(typed, accepted), typed, accepted)
    customers = _per_customer(parts, keep="last")
    notes = []
    if customers is not None:
        notes.append(f"{len(customers):,} customers gathered from the rows' customer columns.")
        for column, several in varying(parts).items():  # a fact about each row: the row keeps its own value
            values = typed[f"customers.{column}"][accepted]
            interactions[column] = values.astype(object).where(values.notna(), None) if values.dtype == object \
                else values
            notes.append(per_row_note(mapping, column, several))
    return (*_finish(interactions, customers), notes)


def _customers(mapping, typed, ratings, accepted, frame):
    customers = canonical(pd.DataFrame(_customer_part(typed, accepted)), CUSTOMER_COLUMNS)
    part = _interaction_part(typed, accepted)
    carried = [t for t in part if t != "customer_id"]
    notes = []
    if carried:
        interactions = pd.DataFrame(part)
        has_value = interactions[carried].notna().any(axis=1)
        interactions = interactions[has_value].assign(customer_record=True)  # records, not contacts
        notes.append(f"{len(interactions):,} undated interaction rows (one per customer) carry "
                     f"{', '.join(carried)}.")
    else:
        interactions = pd.DataFrame({"customer_id": pd.Series([], dtype=object)})
    return (*_finish(interactions, customers), notes)


def touchpoint_names(columns: list[str]) -> dict[str, str]:
    """Touchpoint labels from rating headers: numbering and a shared prefix removed.

    >>> touchpoint_names(["Q1. Rating - Checkout", "Q2. Rating - Delivery"])
    {'Q1. Rating - Checkout': 'Checkout', 'Q2. Rating - Delivery': 'Delivery'}
    """
    cleaned = [re.sub(r"^\s*(?:q\s*\d+[a-z]?|\d+)\s*[.:)\-]?\s*", "", c, flags=re.IGNORECASE) for c in columns]
    if len(cleaned) > 1:
        prefix = cleaned[0]
        for name in cleaned[1:]:
            while prefix and not name.startswith(prefix):
                prefix = prefix[:-1]
        cut = max(prefix.rfind(" "), prefix.rfind("-"), prefix.rfind(":"), prefix.rfind("_"))
        prefix = prefix[: cut + 1] if cut >= 0 else ""
        if prefix and all(len(n) > len(prefix) for n in cleaned):
            cleaned = [n[len(prefix):] for n in cleaned]
    out = {}
    for original, name in zip(columns, cleaned):
        label = re.sub(r"\s+", " ", name.strip(" -:_–()"))
        out[original] = label or original
    return out


def _wide(mapping, typed, ratings, accepted, frame):
    scores = [(c, t) for c, t in mapping.columns.items() if t in ("nps", "csat", "ces")]
    items = [(c, mapping.rating_target, ratings[c]) for c in mapping.ratings] + [(c, t, typed[t]) for c, t in scores]
    order = {c: i for i, c in enumerate(frame.columns)}
    items.sort(key=lambda item: order[item[0]])
    names = touchpoint_names([c for c, _, _ in items])
    shared = {t: typed[t] for t in INTERACTION_COLUMNS
              if t in typed and t not in ("nps", "csat", "ces", "touchpoint", "seq")}
    # one interaction per answered rating, respondent by respondent and in column order (seq)
    values = np.column_stack([v.to_numpy(dtype=float, na_value=np.nan) for _, _, v in items]) if items \
        else np.empty((len(frame), 0))
    taken = accepted.to_numpy(dtype=bool)[:, None]
    rows, positions = np.nonzero(taken & ~np.isnan(values))
    long = {k: v.to_numpy()[rows] for k, v in shared.items()}
    long["touchpoint"] = np.array([names[c] for c, _, _ in items], dtype=object)[positions]
    long["seq"] = positions + 1
    targets = np.array([t for _, t, _ in items], dtype=object)
    for target in dict.fromkeys(targets):
        long[target] = np.where(targets[positions] == target, values[rows, positions], np.nan)
    interactions = pd.DataFrame(long) if items else pd.DataFrame({"customer_id": []})
    customers = _per_customer(_customer_part(typed, accepted), keep="last", when=typed.get("occurred_at"))
    skipped = int((taken & np.isnan(values)).sum())
    notes = [f"{len(interactions):,} ratings from {int(accepted.sum()):,} respondents"
             + (f" ({skipped:,} blank or not-applicable answers skipped)." if skipped else ".")]
    return (*_finish(interactions, customers), notes)


def _stream(mapping, typed, ratings, accepted, frame):
    score = next((t for t in ("csat", "ces", "nps") if t in typed), None)
    order_by = typed.get(ROLE_OFFSET, typed.get("seq"))
    part = _interaction_part(typed, accepted)
    moments = pd.DataFrame(part)
    moments["_offset"] = order_by[accepted] if order_by is not None else np.arange(int(accepted.sum()))
    moments["_row"] = moments.index
    if score is not None:
        moments = moments[moments[score].notna()]
    moments = moments.sort_values(["customer_id", "_offset", "_row"], kind="stable")
    moments["seq"] = moments.groupby("customer_id", sort=False).cumcount() + 1
    moments = moments.sort_values("_row", kind="stable").drop(columns=["_offset", "_row"])
    customers = _per_customer(_customer_part(typed, accepted), keep="last")
    notes = []
    overall = [t.split(".", 1)[1] for t in typed if t.startswith("customers.")]
    if customers is not None and overall:
        frame_parts = pd.DataFrame(_customer_part(typed, accepted))
        conflicting = frame_parts.groupby("customer_id")[overall].nunique().gt(1).any(axis=1).sum()
        if conflicting:
            notes.append(f"{int(conflicting)} episode(s) hold more than one overall rating; the last one is kept.")
    notes.append(f"{len(moments):,} moments in {moments['customer_id'].nunique():,} episodes.")
    return (*_finish(moments, customers), notes)
