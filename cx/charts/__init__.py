"""Charts: DataFrame in, plotly Figure out, in one look for the app and the report (see :mod:`cx.charts.theme`)."""

from cx.charts.goals import GoalLine, add_goal_lines, goal_lines_of  # noqa: F401
from cx.charts.theme import (  # noqa: F401  the package's public face
    BETTER,
    CHANNEL_COLORS,
    KNOWN_COLORS,
    NEUTRAL,
    PALETTE,
    TEMPLATE,
    WORSE,
    color_for,
    diverging,
    faded,
    series_colors,
    style,
)
from cx.charts.trends import (  # noqa: F401
    MISSING_LABEL,
    SERIES_SEPARATOR,
    SMALL_MULTIPLES_ABOVE,
    breakdown_heatmap,
    moved_series,
    series_labels,
    trend_chart,
)
