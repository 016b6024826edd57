"""Charts: one plotly look for the app and the report."""

from cx.charts.trends import (  # noqa: F401  the package's public face
    KNOWN_COLORS,
    MISSING_LABEL,
    PALETTE,
    SERIES_SEPARATOR,
    SMALL_MULTIPLES_ABOVE,
    breakdown_heatmap,
    series_colors,
    series_labels,
    trend_chart,
)
