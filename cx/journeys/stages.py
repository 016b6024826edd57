"""Journeys across stages and channels: the funnel, metrics by stage, the stage × channel grid and
the flow of consecutive steps (for a Sankey diagram).

Each function is one or two aggregate queries run where the data live; stages sort in funnel order
(:data:`cx.schema.STAGES`), user-defined stages after them alphabetically.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import pandas as pd
import sqlalchemy as sa

from cx import metrics
from cx.db.dialects import NullsLast
from cx.db.source import Source
from cx.journeys.sql import filtered, journey_rows
from cx.schema import STAGES, IncidentRules
from cx.scope import Scope

NONE_LABEL = "(none)"
FLOW_DIMENSIONS = ("journey_stage", "channel", "touchpoint")


def stage_order(stages: Sequence[str]) -> list[str]:
    """Stages in funnel order: the canonical ones first, then the user's own alphabetically."""
    known = [s for s in STAGES if s in stages]
    return known + sorted(str(s) for s in stages if s not in STAGES and s is not None)


def stage_funnel(source: Source, scope: Scope | None = None) -> pd.DataFrame:
    """Customers reaching each journey stage.

    A customer *reaches* a stage when their furthest stage (in funnel order) is that one or a
    later one — a customer with a retention interaction has been through purchase even when no
    purchase interaction was recorded.

    Parameters
    ----------
    source : Source
    scope : Scope, optional
        Date range, channels, segments (a stage filter would empty the other stages, so it is
        ignored here).

    Returns
    -------
    DataFrame
        One row per stage in funnel order: ``journey_stage, customers`` (with an interaction at
        this stage), ``reached``, ``share_of_first`` (percent of the first stage's ``reached``) and
        ``conversion`` (percent of the previous stage's ``reached``).
    """
    scope = scope or Scope()
    scope = replace(scope, stages=())
    i = source.interactions
    rows = filtered(source, scope, None, None, [i.c.journey_stage.label("journey_stage"),
                                                i.c.customer_id.label("customer_id")])
    rows = rows.where(i.c.journey_stage.is_not(None)).subquery("scope")
    touched = source.read(sa.select(rows.c.journey_stage, sa.func.count(sa.distinct(rows.c.customer_id))
                                    .label("customers")).group_by(rows.c.journey_stage))
    columns = ["journey_stage", "customers", "reached", "share_of_first", "conversion"]
    if touched.empty:
        return pd.DataFrame(columns=columns)
    order = stage_order(list(touched["journey_stage"]))
    rank = sa.case({name: k for k, name in enumerate(order)}, value=i.c.journey_stage)
    ranked = filtered(source, scope, None, None, [i.c.customer_id, rank.label("stage_rank")]).where(
        i.c.journey_stage.is_not(None)).subquery("ranked")
    furthest = sa.select(ranked.c.customer_id, sa.func.max(ranked.c.stage_rank).label("furthest")).group_by(
        ranked.c.customer_id).subquery("furthest")
    counts = source.read(sa.select(furthest.c.furthest, sa.func.count().label("n")).group_by(furthest.c.furthest))
    by_rank = pd.to_numeric(counts.set_index("furthest")["n"]).reindex(range(len(order)), fill_value=0)
    reached = by_rank[::-1].cumsum()[::-1].to_numpy()
    out = pd.DataFrame({"journey_stage": order})
    out["customers"] = out["journey_stage"].map(touched.set_index("journey_stage")["customers"]).fillna(0).astype(int)
    out["reached"] = reached.astype(int)
    first = out["reached"].iloc[0]
    out["share_of_first"] = 100.0 * out["reached"] / first if first else float("nan")
    out["conversion"] = 100.0 * out["reached"] / out["reached"].shift(1)
    out.loc[0, "conversion"] = 100.0
    return out[columns]


def stage_metrics(source: Source, scope: Scope | None = None,
                  metric_keys: Sequence[str] = ("nps", "csat", "ces", "ttr")) -> pd.DataFrame:
    """Experience metrics by journey stage (all dates in the filter pooled), via :func:`cx.metrics.metric_table`.

    Returns
    -------
    DataFrame
        ``journey_stage, metric, n, value, ci_low, ci_high, low_n``, stages in funnel order;
        metrics whose column the source lacks are left out.
    """
    frames = []
    for key in metric_keys:
        column = metrics.definitions(source.scales)[key].column
        if not source.has(column):
            continue
        table = metrics.metric_table(source, key, "all", ["journey_stage"], scope)
        frames.append(table[["journey_stage", "metric", "n", "value", "ci_low", "ci_high", "low_n"]])
    if not frames:
        return pd.DataFrame(columns=["journey_stage", "metric", "n", "value", "ci_low", "ci_high", "low_n"])
    out = pd.concat(frames, ignore_index=True)
    out = out[out["journey_stage"].notna()]
    order = {name: k for k, name in enumerate(stage_order(list(out["journey_stage"].unique())))}
    return out.sort_values(["metric", "journey_stage"], key=lambda s: s.map(order) if s.name == "journey_stage" else s,
                           kind="stable").reset_index(drop=True)


def stage_channel_matrix(source: Source, scope: Scope | None = None,
                         rules: IncidentRules | None = None) -> pd.DataFrame:
    """Experience and incidents for every stage × channel cell.

    Returns
    -------
    DataFrame
        ``journey_stage, channel, interactions, customers, scored, mean_index`` (mean experience
        index of the cell's scored interactions), ``incidents, incident_rate`` (percent of the
        cell's interactions that are critical incidents, with the rules of
        :mod:`cx.journeys`). Stages in funnel order, channels by volume.
    """
    rules = rules or source.rules
    rows, _ = journey_rows(source, scope, rules, gap_days=None, detail=("channel", "journey_stage"))
    r = rows.c
    query = sa.select(
        r.journey_stage, r.channel,
        sa.func.count().label("interactions"),
        sa.func.count(sa.distinct(r.customer_id)).label("customers"),
        sa.func.count(r.idx).label("scored"),
        sa.func.avg(r.idx).label("mean_index"),
        sa.func.sum(r.incident).label("incidents"),
    ).where(r.in_scope == 1).group_by(r.journey_stage, r.channel)
    frame = source.read(query)
    for name in ("interactions", "customers", "scored", "incidents"):
        frame[name] = pd.to_numeric(frame[name]).fillna(0).astype(int)
    frame["mean_index"] = pd.to_numeric(frame["mean_index"], errors="coerce").astype(float)
    frame["incident_rate"] = 100.0 * frame["incidents"] / frame["interactions"]
    frame["journey_stage"] = frame["journey_stage"].astype(object).where(frame["journey_stage"].notna(), NONE_LABEL)
    frame["channel"] = frame["channel"].astype(object).where(frame["channel"].notna(), NONE_LABEL)
    stages = {name: k for k, name in enumerate(stage_order(list(frame["journey_stage"].unique())) + [NONE_LABEL])}
    volume = frame.groupby("channel")["interactions"].sum().rank(ascending=False, method="first")
    frame = frame.assign(_s=frame["journey_stage"].map(stages), _c=frame["channel"].map(volume))
    return frame.sort_values(["_s", "_c"]).drop(columns=["_s", "_c"]).reset_index(drop=True)


def journey_flows(source: Source, scope: Scope | None = None, *, by: str = "journey_stage",
                  steps: int = 4) -> pd.DataFrame:
    """How customers move from one step of their journey to the next (the links of a Sankey diagram).

    Consecutive interactions with the same value of ``by`` are one step, so a journey
    awareness → awareness → purchase → retention has the steps awareness, purchase, retention.

    Parameters
    ----------
    by : {"journey_stage", "channel", "touchpoint"}
        What a step is.
    steps : int
        Follow journeys for this many steps (the first ``steps``; links = ``steps − 1``).

    Returns
    -------
    DataFrame
        ``step`` (1 = from the first step to the second), ``source``, ``target``, ``customers``;
        a missing value shows as ``"(none)"``.
    """
    if by not in FLOW_DIMENSIONS:
        raise ValueError(f"flows can follow {', '.join(FLOW_DIMENSIONS)}, not {by!r}")
    if steps < 2:
        raise ValueError("a flow needs at least two steps")
    i = source.interactions
    value = sa.func.coalesce(i.c[by], NONE_LABEL)
    base = filtered(source, scope, None, None, [i.c.customer_id, i.c.occurred_at.label("at"), i.c.seq,
                                                  value.label("value")]).subquery("base")
    order = {"partition_by": base.c.customer_id, "order_by": [NullsLast(base.c.at), NullsLast(base.c.seq)]}
    previous = sa.select(base.c.customer_id, base.c.value, sa.func.row_number().over(**order).label("pos"),
                         sa.func.lag(base.c.value).over(**order).label("prev")).subquery("previous")
    p = previous.c
    change = sa.case((p.prev.is_(None), 1), (p.prev != p.value, 1), else_=0)
    numbered = sa.select(p.customer_id, p.value, sa.func.sum(change).over(
        partition_by=p.customer_id, order_by=p.pos, rows=(None, 0)).label("step")).subquery("numbered")
    n = numbered.c
    per_step = sa.select(n.customer_id, n.step, sa.func.min(n.value).label("value")).where(
        n.step <= steps).group_by(n.customer_id, n.step).subquery("per_step")
    s = per_step.c
    linked = sa.select(s.step, s.value.label("source"), sa.func.lead(s.value).over(
        partition_by=s.customer_id, order_by=s.step).label("target")).subquery("linked")
    lk = linked.c
    query = (sa.select(lk.step, lk.source, lk.target, sa.func.count().label("customers"))
             .where(lk.target.is_not(None)).group_by(lk.step, lk.source, lk.target)
             .order_by(lk.step, sa.desc("customers"), lk.source, lk.target))
    frame = source.read(query)
    frame["step"] = pd.to_numeric(frame["step"]).astype(int)
    frame["customers"] = pd.to_numeric(frame["customers"]).astype(int)
    return frame
