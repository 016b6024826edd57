"""Journeys: per-customer journey features in SQL, stages, peak-end and critical incidents."""

from cx.journeys.peak_end import compact  # noqa: F401,E402
from cx.journeys.queries import (  # noqa: F401  the package's public face
    CLASSES,
    FEATURE_COLUMNS,
    PREDICTORS,
    RULE_LABELS,
    RULE_TAGS,
    PredictorComparison,
    channel_p95,
    compare_predictors,
    customer_timeline,
    incidents,
    journey_features,
    journey_features_query,
    journey_outcomes,
    outcome_by_class,
    outcome_columns,
    rule_labels,
    rule_tags_help,
    short_reasons,
    summarize_journeys,
)

