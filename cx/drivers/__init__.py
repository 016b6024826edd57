"""Why a score moved and what moves it: mix shifts, key drivers, the fixed-cohort view.

- :mod:`cx.drivers.mix` — a KPI change split exactly into change within cells and shift in mix.
- :mod:`cx.drivers.keydrivers` — relative importance of drivers of a score (Shapley split of R²).
- :mod:`cx.drivers.cohort` — a trend that keeps churned customers in the denominator.
"""
