"""Fitting on a stratified sample when a source has very many customers; scoring everyone.

Cross-validation, the score intervals and the bootstrap refits cost time and memory in proportion
to the customers they see: at a million customers the fit takes minutes and gigabytes, while its
numbers are no better known than at a few hundred thousand (their intervals are already narrow).
Above :data:`SAMPLE_ABOVE` customers the model is therefore fitted on a sample of
:data:`SAMPLE_SIZE`, drawn *stratified by outcome*: each class keeps its share (rounded), so the
class balance, the calibration and the positives' rate are those of all customers. The sample is
stated wherever the model is (the model card, ``cx churn``), with its size and the draw's seed.

The at-risk scores still cover every customer: those in the sample get their out-of-fold
probability (as without a sample), the others the probability of the model fitted on the sample,
which never saw them (:func:`cx.churn.scores.predict_in_batches`, in batches of rows).

Up to :data:`SAMPLE_ABOVE` customers (the 20,000-customer demo, most uploads) nothing changes.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from cx.churn.bootstrap import generator
from cx.churn.table import FeatureTable

#: Customers up to which every one of them is in the fit.
SAMPLE_ABOVE = 100_000
#: Customers in the fit above :data:`SAMPLE_ABOVE` (stratified by outcome).
SAMPLE_SIZE = 100_000


@dataclass(frozen=True, eq=False)
class FitSample:
    """Which customers the model was fitted on: ``rows`` (sorted positions in the full table)."""

    rows: np.ndarray
    total: int
    positives: int
    sample_positives: int
    seed: object = 0
    above: int = SAMPLE_ABOVE

    @property
    def size(self) -> int:
        return len(self.rows)

    def text(self, outcome: str) -> str:
        """The sentence the model card and ``cx churn`` show."""
        seed = f"seed {self.seed}" if isinstance(self.seed, (int, np.integer)) else "the caller's random generator"
        return (f"Fitted on a stratified sample of {self.size:,} of the {self.total:,} customers (more than "
                f"{self.above:,}: a sample keeps the fit to about a minute): each outcome keeps its share "
                f"({self.sample_positives:,} with {outcome} = yes, as {self.positives:,} of all), drawn at random "
                f"({seed}). Cross-validation, intervals and odds ratios come from the sample; the at-risk scores "
                f"cover all {self.total:,} customers (those outside the sample are scored by the model fitted on "
                "the sample, which never saw them).")

    def to_dict(self) -> dict:
        return {"size": self.size, "of": self.total, "positives": self.sample_positives,
                "positives_of": self.positives, "stratified_by": "outcome"}


def stratified_rows(y: np.ndarray, size: int, random_state=0) -> np.ndarray:
    """Sorted positions of a sample of ``size`` rows that keeps each class's share of ``y``.

    Each class gets its share of ``size`` rounded (largest remainders, so the total is ``size``
    exactly), drawn without replacement.
    """
    y = np.asarray(y)
    n = len(y)
    if size >= n:
        return np.arange(n)
    rng = generator(random_state)
    classes, counts = np.unique(y, return_counts=True)
    exact = counts * size / n
    take = np.floor(exact).astype(int)
    for k in np.argsort(-(exact - take), kind="stable")[: size - int(take.sum())]:
        take[k] += 1
    rows = [rng.choice(np.flatnonzero(y == value), int(k), replace=False) for value, k in zip(classes, take)]
    return np.sort(np.concatenate(rows))


def fit_sample(table: FeatureTable, random_state=0, *, above: int | None = None,
               size: int | None = None) -> tuple[FeatureTable, FitSample | None]:
    """The table the model is fitted on: all of it up to ``above`` customers, else a stratified sample.

    ``above`` and ``size`` default to :data:`SAMPLE_ABOVE` and :data:`SAMPLE_SIZE`.

    Returns
    -------
    table : FeatureTable
        ``table`` itself, or a copy whose frame holds the sampled customers (index reset).
    sample : FitSample or None
        None when every customer is in the fit.
    """
    above = SAMPLE_ABOVE if above is None else above
    size = SAMPLE_SIZE if size is None else size
    y = table.frame["outcome"].to_numpy(dtype=int)
    if len(y) <= above:
        return table, None
    rows = stratified_rows(y, size, random_state)
    sample = FitSample(rows=rows, total=len(y), positives=int(y.sum()), sample_positives=int(y[rows].sum()),
                       seed=random_state, above=above)
    return replace(table, frame=table.frame.iloc[rows].reset_index(drop=True)), sample


__all__ = ["FitSample", "SAMPLE_ABOVE", "SAMPLE_SIZE", "fit_sample", "stratified_rows"]
