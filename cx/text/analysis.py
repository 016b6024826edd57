"""One pass over the comments in scope: masking, language, sentiment, themes and their impact.

:func:`analyse_comments` is what the Comments page, ``cx themes`` and the weekly review call, so
all three print the same numbers. It reads at most ``limit`` comments (newest first) in one query,
masks them before anything else sees them, and reports progress through a callback.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from cx.db.source import Source
from cx.scope import Scope
from cx.text import comments as sql
from cx.text.impact import theme_impact
from cx.text.language import coverage, detect_all
from cx.text.mask import mask_all
from cx.text.sentiment import sentiment_all
from cx.text.themes import NO_THEME, ThemeSettings, discover_themes, keyword_assignment, theme_table


@dataclass
class CommentAnalysis:
    """Everything the faces show about the comments in scope.

    Attributes
    ----------
    in_scope : int
        Non-empty comments in scope (counted in the database).
    comments : DataFrame
        The comments read (at most the limit), masked, with ``language``, ``reason`` (None =
        analysed), ``sentiment``, ``theme`` (None = no clear theme or not analysed).
    themes : DataFrame
        :func:`cx.text.themes.theme_table` of the analysed comments.
    impact : DataFrame
        :func:`cx.text.impact.theme_impact`, ranked "what to fix first".
    coverage : DataFrame
        :func:`cx.text.language.coverage`: analysed share and the reasons for the rest.
    """

    in_scope: int
    comments: pd.DataFrame
    themes: pd.DataFrame
    impact: pd.DataFrame
    coverage: pd.DataFrame
    terms: dict[str, list[str]] = field(default_factory=dict)
    discovered: dict[str, str] = field(default_factory=dict)  # discovered name -> shown name

    @property
    def analysed(self) -> pd.DataFrame:
        return self.comments[self.comments["reason"].isna()]

    def to_dict(self) -> dict:
        """The ``cx themes --format json`` document (see DESIGN.md)."""
        impact = self.impact.set_index("theme") if not self.impact.empty else pd.DataFrame()
        themes = []
        for row in self.themes.itertuples(index=False):
            gap = {"value": None, "ci_low": None, "ci_high": None}
            if row.theme in impact.index:
                hit = impact.loc[row.theme]
                prefix = "nps" if pd.notna(hit["nps_gap"]) else "csat"
                gap = {k: _num(hit[f"{prefix}_{s}"]) for k, s in (("value", "gap"), ("ci_low", "low"), ("ci_high", "high"))}
            themes.append({"name": row.theme, "terms": list(row.terms), "count": int(row.count),
                           "share": _num(row.share), "sentiment": _num(row.sentiment), "score_gap": gap})
        return {"comments": int(self.in_scope), "analysed": int(len(self.analysed)), "themes": themes}

    def assignments(self) -> pd.DataFrame:
        """One row per analysed comment: ``comment`` (masked), ``theme``, ``sentiment``, ``language``."""
        data = self.analysed
        return pd.DataFrame({"comment": data["comment"], "theme": data["theme"].fillna(NO_THEME),
                             "sentiment": data["sentiment"].round(4), "language": data["language"]})


def csat_top_two(csat: pd.Series, scale) -> np.ndarray:
    """1 where a CSAT answer is in the top two boxes of its declared scale, 0 where not, NaN where
    missing or outside the scale (as the CSAT metric counts them)."""
    values = csat.astype("float64").to_numpy()
    top = values >= scale.high - 1 if scale.higher_is_better else values <= scale.low + 1
    inside = (values >= scale.low) & (values <= scale.high)
    return np.where(inside, top.astype(float), np.nan)


def _num(value):
    return None if value is None or (isinstance(value, float) and np.isnan(value)) else round(float(value), 6)


def analyse_comments(source: Source, scope: Scope | None = None, settings: ThemeSettings | None = None, *,
                     limit: int = sql.DEFAULT_LIMIT, progress: Callable[[float, str], None] | None = None,
                     random_state: int = 0) -> CommentAnalysis:
    """Read, mask, detect, score and theme the comments in scope (see the module docstring).

    Raises
    ------
    SourceError
        When the comments cannot be read.
    """
    scope = scope or Scope()
    settings = settings or ThemeSettings()
    report = progress or (lambda fraction, step: None)
    report(0.0, "reading comments")
    in_scope = sql.count_comments(source, scope)
    frame = sql.load_comments(source, scope, limit)
    frame["comment"] = mask_all(frame["comment"])
    report(0.1, "detecting languages")
    languages = detect_all(frame["comment"])
    frame["language"], frame["reason"] = languages["language"].to_numpy(), languages["reason"].to_numpy()
    analysed = frame["reason"].isna().to_numpy()
    report(0.3, "scoring sentiment")
    frame["sentiment"] = np.nan
    frame.loc[analysed, "sentiment"] = sentiment_all(frame.loc[analysed, "comment"])
    frame["csat_top"] = csat_top_two(frame["csat"], source.scales.csat)

    texts = frame.loc[analysed, "comment"].tolist()
    found = discover_themes(texts, settings.n_themes, random_state=random_state,
                            progress=lambda f, step: report(0.45 + 0.45 * f, step))
    discovered = [settings.shown_name(found.names[a]) if a >= 0 else None for a in found.assignment]
    keyword = keyword_assignment(texts, settings.keywords)
    theme = [k or d for k, d in zip(keyword, discovered)]
    frame["theme"] = None
    frame.loc[analysed, "theme"] = pd.Series(theme, index=frame.index[analysed], dtype=object)
    terms: dict[str, list[str]] = {}
    for name, words in zip(found.names, found.terms):
        shown = settings.shown_name(name)
        terms[shown] = list(dict.fromkeys(terms.get(shown, []) + words))[:10]
    for kw in settings.keywords:
        terms[kw.name] = list(kw.keywords)

    report(0.92, "measuring impact")
    data = frame[analysed]
    table = theme_table(data, terms, settings.pinned)
    impact = theme_impact(data)
    report(1.0, "done")
    return CommentAnalysis(in_scope=in_scope, comments=frame, themes=table, impact=impact,
                           coverage=coverage(languages), terms=terms,
                           discovered={name: settings.shown_name(name) for name in found.names})


def disagreements(analysis: CommentAnalysis, threshold: float = 0.5, limit: int = 200) -> pd.DataFrame:
    """Comments whose sentiment contradicts their score: a promoter (9–10) or a top-two CSAT with
    sentiment ≤ −threshold, or a detractor (0–6) or bottom CSAT with sentiment ≥ threshold."""
    data = analysis.analysed
    nps, top, s = data["nps"], data["csat_top"], data["sentiment"]
    happy_score = (nps >= 9) | ((nps.isna()) & (top == 1))
    unhappy_score = (nps <= 6) | ((nps.isna()) & (top == 0))
    out = data[(happy_score & (s <= -threshold)) | (unhappy_score & (s >= threshold))]
    out = out.assign(gap=(out["sentiment"]).abs()).sort_values("gap", ascending=False)
    columns = ["occurred_at", "channel", "nps", "csat", "sentiment", "theme", "comment"]
    return out[columns].head(limit).reset_index(drop=True)


def themes_that_grew(analysis: CommentAnalysis, monday: dt.date, weeks_before: int = 4, alpha: float = 0.05) -> pd.DataFrame:
    """Themes whose share of the week's comments rose significantly against the previous weeks.

    The share of analysed comments of the ISO week starting ``monday`` that raise each theme is
    compared with the share over the ``weeks_before`` weeks before it (pooled two-proportion
    z-test, Benjamini–Hochberg across themes). Returns ``theme``, ``this_week`` (count),
    ``share``, ``before_share``, ``change`` (percentage points), ``p``, ``q``; only rises with q < alpha.
    """
    from cx.metrics.significance import benjamini_hochberg, two_proportion_test

    data = analysis.analysed.dropna(subset=["occurred_at"])
    day = data["occurred_at"].dt.normalize()
    start = pd.Timestamp(monday)
    week = data[(day >= start) & (day < start + pd.Timedelta(days=7))]
    before = data[(day >= start - pd.Timedelta(weeks=weeks_before)) & (day < start)]
    columns = ["theme", "this_week", "share", "before_share", "change", "p", "q"]
    if week.empty or before.empty:
        return pd.DataFrame(columns=columns)
    themes = [t for t in pd.unique(week["theme"]) if isinstance(t, str)]
    s1 = np.array([(week["theme"] == t).sum() for t in themes], dtype=float)
    s0 = np.array([(before["theme"] == t).sum() for t in themes], dtype=float)
    _, p = two_proportion_test(s1, len(week), s0, len(before))
    q = benjamini_hochberg(p)
    out = pd.DataFrame({"theme": themes, "this_week": s1.astype(int), "share": s1 / len(week),
                        "before_share": s0 / len(before), "p": p, "q": q})
    out["change"] = 100 * (out["share"] - out["before_share"])
    out = out[(out["change"] > 0) & (out["q"] < alpha)].sort_values("change", ascending=False)
    return out[columns].reset_index(drop=True)
