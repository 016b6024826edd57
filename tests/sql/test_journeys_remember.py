"""A per-moment rating stream (episode id, offset, rating; one retrospective overall rating per episode)
where the *mean* is what the overall rating follows: the panel must say so, on every backend."""

from __future__ import annotations

import numpy as np
import pandas as pd

from cx import journeys
from cx.schema import Scale, Scales


def stream(episodes: int = 240, moments: int = 10, seed: int = 9):
    rng = np.random.default_rng(seed)
    ratings = rng.integers(1, 11, size=(episodes, moments)).astype(float)  # 1–10 per moment, no timestamps
    ids = [f"E{k:04d}" for k in range(episodes)]
    interactions = pd.DataFrame({
        "customer_id": np.repeat(ids, moments),
        "seq": np.tile(np.arange(1, moments + 1), episodes),
        "csat": ratings.ravel(),
    })
    overall = ratings.mean(axis=1) + rng.normal(0, 0.4, episodes)  # the retrospective rating follows the mean
    customers = pd.DataFrame({"customer_id": ids, "overall": np.round(overall, 2),
                              "churned": overall < np.quantile(overall, 0.3)})
    return interactions, customers


def test_mean_driven_stream_gives_the_average_verdict(make_source):
    interactions, customers = stream()
    source = make_source(interactions, customers, scales=Scales(csat=Scale(1, 10)))
    features = journeys.journey_outcomes(source, "overall")
    assert len(features) == 240 and (features["scored"] == 10).all()
    assert features["worst_to_end_days"].isna().all()  # no timestamps: order from seq alone
    result = journeys.compare_predictors(features, "overall", resamples=400)
    assert result.measure == "pearson_r"
    assert result.best == "mean" and result.clear
    assert "The average experience tracks overall best" in result.verdict

    binary = journeys.compare_predictors(journeys.journey_outcomes(source, "churned"), "churned", resamples=400)
    assert binary.measure == "auc" and binary.best == "mean"
    assert "average" in binary.verdict.lower()
