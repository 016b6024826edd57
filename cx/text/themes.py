"""Themes: what comments are about, discovered without labels, plus themes the user defines.

**Discovery** (:func:`discover_themes`): TF-IDF over words and two-word phrases (scikit-learn's
English stop words, sublinear term frequency, words in at least 2 and at most half of the
comments), factorised by non-negative matrix factorisation (NMF, ``nndsvda`` start,
``random_state`` fixed, so the same comments give the same themes). Each comment goes to its
strongest theme; comments whose strongest weight is under ``MIN_WEIGHT`` of the best-fitting
comment's are left as "no clear theme". A theme is named by its characteristic words and phrases
(the largest NMF loadings). Compared on labelled data with k-means over the same TF-IDF (see
BENCHMARKS.md): NMF gave the more readable, equally pure themes.

**The user's own** (:class:`ThemeSettings`): keyword themes (a comment that contains any keyword
belongs to it; counted in the database by :func:`cx.text.comments.keyword_counts`), and renames,
merges and pins of discovered themes (keyed by the discovered name, so next week's run maps to the
same names). Saved per source with :func:`cx.db.write.app_store` under ``text.themes``.
"""

from __future__ import annotations

import json
import re
import warnings
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, replace

import numpy as np
import pandas as pd

SETTING = "text.themes"
NO_THEME = "no clear theme"
MIN_WEIGHT = 0.02
FIT_SAMPLE = 20_000  # distinct comments the themes are fitted on; every comment is then placed
# words every customer comment uses, that name no theme
#: the masks of cx.text.mask: left out of the words a theme is learned from
_PLACEHOLDER = re.compile(r"\[(?:email|phone|card)\]")
EXTRA_STOP_WORDS = ("just", "got", "did", "didn", "don", "really", "thank", "thanks", "ve", "ll", "im")


@dataclass(frozen=True)
class KeywordTheme:
    """A theme the user defines: any comment containing one of ``keywords`` (case-insensitive)."""

    name: str
    keywords: tuple[str, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "keywords", tuple(k.strip().lower() for k in self.keywords if k and k.strip()))


@dataclass(frozen=True)
class ThemeSettings:
    """The user's theme definitions for one source (saved with the source's settings)."""

    n_themes: int = 8
    renames: tuple[tuple[str, str], ...] = ()  # discovered name -> shown name
    merges: tuple[tuple[str, str], ...] = ()  # discovered name -> the theme it is merged into
    pinned: tuple[str, ...] = ()  # shown first, in this order
    keywords: tuple[KeywordTheme, ...] = field(default_factory=tuple)

    def to_dict(self) -> dict:
        return json.loads(json.dumps(asdict(self)))

    @classmethod
    def from_dict(cls, data: dict | None) -> ThemeSettings:
        data = data or {}
        return cls(
            n_themes=int(data.get("n_themes", 8)),
            renames=tuple(tuple(p) for p in data.get("renames", ())),
            merges=tuple(tuple(p) for p in data.get("merges", ())),
            pinned=tuple(data.get("pinned", ())),
            keywords=tuple(KeywordTheme(k["name"], tuple(k["keywords"])) for k in data.get("keywords", ())),
        )

    def renamed(self, discovered: str, name: str) -> ThemeSettings:
        """These settings with the theme of ``discovered`` (a discovered name, the root of any
        merge) shown as ``name``."""
        renames = [(k, v) for k, v in self.renames if k != discovered]
        if name.strip() and name.strip() != discovered:
            renames.append((discovered, name.strip()))
        return replace(self, renames=tuple(renames))

    def merged(self, discovered: Sequence[str], into: str) -> ThemeSettings:
        """These settings with the discovered themes ``discovered`` merged into ``into``."""
        merges = [(k, v) for k, v in self.merges if k not in discovered]
        merges += [(k, into) for k in discovered if k != into]
        return replace(self, merges=tuple(merges))

    def with_keywords(self, theme: KeywordTheme) -> ThemeSettings:
        """These settings with a keyword theme added (or replaced, by name); no keywords removes it."""
        kept = tuple(k for k in self.keywords if k.name != theme.name)
        return replace(self, keywords=kept + ((theme,) if theme.keywords else ()))

    def root(self, discovered: str) -> str:
        """The discovered theme a discovered theme is finally merged into (itself when not merged)."""
        merges, name, seen = dict(self.merges), discovered, set()
        while name in merges and name not in seen:
            seen.add(name)
            name = merges[name]
        return name

    def shown_name(self, discovered: str) -> str:
        """The name a discovered theme is shown under, after merges and renames."""
        name = self.root(discovered)
        return dict(self.renames).get(name, name)


def load_settings(store, source_label: str) -> tuple[ThemeSettings, int]:
    """The saved settings of a source and their version (defaults and 0 when none)."""
    saved = store.get(source_label, SETTING)
    return ThemeSettings.from_dict(saved.value), saved.version


def save_settings(store, source_label: str, settings: ThemeSettings, version: int | None = None) -> int:
    """Save the settings (refused with ``StaleUpdate`` when another session saved since ``version``)."""
    return store.put(source_label, SETTING, settings.to_dict(), version=version)


@dataclass
class DiscoveredThemes:
    """Result of :func:`discover_themes`.

    Attributes
    ----------
    names : list of str
        One name per theme: its three most characteristic words or phrases.
    terms : list of list of str
        Up to 10 characteristic terms per theme, strongest first.
    assignment : ndarray of int
        Theme index of each comment, −1 for "no clear theme".
    weight : ndarray of float
        The comment's weight on its theme (0 when unassigned).
    """

    names: list[str]
    terms: list[list[str]]
    assignment: np.ndarray
    weight: np.ndarray


def _stop_words() -> list[str]:
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    return sorted(ENGLISH_STOP_WORDS | set(EXTRA_STOP_WORDS))


def discover_themes(texts: Sequence[str], n_themes: int = 8, *, random_state: int = 0,
                    progress: Callable[[float, str], None] | None = None, max_features: int = 20_000) -> DiscoveredThemes:
    """Themes of ``texts`` by TF-IDF + NMF (see the module docstring).

    Parameters
    ----------
    texts : sequence of str
        Analysed (English, masked) comments.
    n_themes : int
        Number of themes to find (fewer when the comments have too few distinct words).
    progress : callable, optional
        Called with ``(fraction, step)`` as the work proceeds.

    Examples
    --------
    >>> texts = ["late delivery again"] * 5 + ["rude agent on the phone"] * 5
    >>> found = discover_themes(texts, 2)
    >>> bool(found.assignment[0] != found.assignment[-1]), "late" in found.terms[found.assignment[0]]
    (True, True)
    """
    from sklearn.decomposition import NMF
    from sklearn.feature_extraction.text import TfidfVectorizer

    report = progress or (lambda fraction, step: None)
    texts = [_PLACEHOLDER.sub(" ", t) for t in texts]  # a masked "[email]" is not a word the customer wrote
    empty = DiscoveredThemes([], [], np.full(len(texts), -1), np.zeros(len(texts)))
    if len(texts) < 2:
        return empty
    report(0.05, "counting words")
    vectorizer = TfidfVectorizer(stop_words=_stop_words(), ngram_range=(1, 2), min_df=2, max_df=0.5,
                                 sublinear_tf=True, max_features=max_features,
                                 token_pattern=r"(?u)\b[^\W\d_][^\W\d_']+\b")
    # fit on distinct comments (a template pasted thousands of times must not take over the
    # themes), at most FIT_SAMPLE of them (a seeded sample), then place every comment
    distinct = list(dict.fromkeys(texts))
    position = {t: n for n, t in enumerate(distinct)}
    rows = np.fromiter((position[t] for t in texts), dtype=np.int64, count=len(texts))
    sample = np.arange(len(distinct))
    if len(distinct) > FIT_SAMPLE:
        sample = np.sort(np.random.default_rng(random_state).choice(len(distinct), FIT_SAMPLE, replace=False))
    try:
        vectorizer.fit([distinct[n] for n in sample])
    except ValueError:  # no word in two distinct comments
        if len(distinct) == len(texts):
            return empty
        try:  # few distinct comments, each repeated: their words are in two comments (the repeats)
            vectorizer.fit(texts)
        except ValueError:
            return empty
    distinct_matrix = vectorizer.transform(distinct)
    vocabulary = vectorizer.get_feature_names_out()
    k = int(max(1, min(n_themes, distinct_matrix.shape[1], sample.size)))  # at most one theme per distinct comment
    report(0.3, "finding themes")
    model = NMF(n_components=k, init="nndsvda", random_state=random_state, max_iter=400, tol=1e-4)
    with np.errstate(invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence notes on tiny inputs; the result is still used
        model.fit(distinct_matrix[sample])
        report(0.6, "placing comments")
        doc_topic = model.transform(distinct_matrix)[rows]
    report(0.85, "naming themes")
    terms = [list(vocabulary[np.argsort(-row)[:10]][np.sort(-row)[:10] < 0]) for row in model.components_]
    names = [" · ".join(t[:3]) for t in terms]
    best = doc_topic.argmax(axis=1) if doc_topic.size else np.zeros(len(texts), int)
    weight = doc_topic.max(axis=1) if doc_topic.size else np.zeros(len(texts))
    floor = MIN_WEIGHT * (weight.max() if weight.size else 0.0)
    assignment = np.where(weight > max(floor, 1e-12), best, -1)
    report(1.0, "done")
    return DiscoveredThemes(names, terms, assignment, np.where(assignment >= 0, weight, 0.0))


def keyword_assignment(texts: Sequence[str], themes: Sequence[KeywordTheme]) -> list[str | None]:
    """The first keyword theme each comment mentions (substring, case-insensitive), None otherwise."""
    out = []
    for text in texts:
        lowered = text.lower() if isinstance(text, str) else ""
        out.append(next((t.name for t in themes if any(k in lowered for k in t.keywords)), None))
    return out


def theme_table(comments: pd.DataFrame, terms: dict[str, list[str]], pinned: Sequence[str] = ()) -> pd.DataFrame:
    """Counts, shares, sentiment and the detractor/promoter split of every theme.

    Parameters
    ----------
    comments : DataFrame
        Analysed comments with ``theme`` (None = no clear theme), ``sentiment`` and optionally
        ``nps`` and ``csat`` (with ``csat_top`` = 1/0 for top-two-box, NaN when unknown).
    terms : dict
        Characteristic terms of each theme.

    Returns
    -------
    DataFrame
        ``theme``, ``terms`` (list), ``count``, ``share`` (of analysed comments), ``sentiment``
        (mean), ``detractor_share``, ``promoter_share`` (share of detractors' / promoters'
        comments that raise it), ``low_csat_share``, ``high_csat_share``, ``pinned``.
    """
    total = len(comments)
    theme = comments["theme"]
    nps = comments["nps"] if "nps" in comments else pd.Series(np.nan, index=comments.index)
    top = comments["csat_top"] if "csat_top" in comments else pd.Series(np.nan, index=comments.index)
    groups = {"detractor_share": nps <= 6, "promoter_share": nps >= 9, "low_csat_share": top == 0,
              "high_csat_share": top == 1}
    rows = []
    for name in [t for t in pd.unique(theme) if isinstance(t, str)]:
        inside = theme == name
        row = {"theme": name, "terms": list(terms.get(name, [])), "count": int(inside.sum()),
               "share": inside.sum() / max(total, 1), "sentiment": comments.loc[inside, "sentiment"].mean()}
        for key, group in groups.items():
            row[key] = (inside & group).sum() / group.sum() if group.sum() else np.nan
        rows.append(row)
    columns = ["theme", "terms", "count", "share", "sentiment", "detractor_share", "promoter_share",
               "low_csat_share", "high_csat_share", "pinned"]
    if not rows:
        return pd.DataFrame(columns=columns)
    out = pd.DataFrame(rows)
    order = {name: n for n, name in enumerate(pinned)}
    out["pinned"] = out["theme"].isin(order)
    out["_order"] = out["theme"].map(order).fillna(len(order))
    return out.sort_values(["_order", "count"], ascending=[True, False]).drop(columns="_order").reset_index(drop=True)[columns]


def theme_trend(comments: pd.DataFrame, freq: str = "W-MON") -> pd.DataFrame:
    """Comments per week (bucket start Monday) and theme: ``period``, ``theme``, ``count``, ``comments``, ``share``."""
    dated = comments.dropna(subset=["occurred_at"])
    if dated.empty:
        return pd.DataFrame(columns=["period", "theme", "count", "comments", "share"])
    period = dated["occurred_at"].dt.to_period("W-SUN").dt.start_time
    totals = period.value_counts().rename("comments")
    counts = (dated.assign(period=period).dropna(subset=["theme"]).groupby(["period", "theme"]).size()
              .rename("count").reset_index())
    counts = counts.merge(totals, left_on="period", right_index=True)
    counts["share"] = counts["count"] / counts["comments"]
    return counts.sort_values(["period", "theme"]).reset_index(drop=True)


def theme_split(comments: pd.DataFrame, by: str) -> pd.DataFrame:
    """Share of each group's comments (``by`` = channel, journey_stage, …) that raise each theme.

    Returns ``by``, ``theme``, ``count``, ``comments`` (of the group), ``share``.
    """
    data = comments.assign(_group=comments[by].fillna("(missing)"))
    totals = data.groupby("_group").size().rename("comments")
    counts = data.dropna(subset=["theme"]).groupby(["_group", "theme"]).size().rename("count").reset_index()
    counts = counts.merge(totals, left_on="_group", right_index=True)
    counts["share"] = counts["count"] / counts["comments"]
    return counts.rename(columns={"_group": by})[[by, "theme", "count", "comments", "share"]]
