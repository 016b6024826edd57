"""Closing the loop: targets, alerts with a stated false-alarm rate, follow-up cases, delivery.

- :mod:`cx.loop.targets` — a goal per KPI (and cell), saved with the source's settings; on track /
  off track / too close to call from the interval.
- :mod:`cx.loop.alerts` — threshold, change and seasonal-anomaly rules per cell, Benjamini–Hochberg
  across every cell checked, the false-alarm rate stated with each result; :mod:`cx.loop.seasonal`
  holds the anomaly rule's arithmetic.
- :mod:`cx.loop.cases` — follow-up cases with owner, status, due date, notes and history in the
  app-owned database; follow-up metrics.
- :mod:`cx.loop.delivery` — e-mail (SMTP) and webhook delivery, idempotent, with bounded retries;
  :mod:`cx.loop.notify` — what is sent (the week's alerts, the weekly report).
- :mod:`cx.loop.tables` — the loop's tables in the app-owned database.

Everything written goes to the app-owned database (:mod:`cx.db.write`), never the warehouse.
"""
