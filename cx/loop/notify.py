"""What is delivered: the alerts of a week and the weekly review, as messages for :mod:`cx.loop.delivery`.

Each alert is its own delivery key (``alert|<source>|<rule>|<cell>|<week>``), so an alert already
sent is never repeated while new ones still go out; the weekly report's key is
``review|<source>|<week>|<scope>``.
"""

from __future__ import annotations

import html
from collections.abc import Sequence

from cx.loop.alerts import AlertRun, alert_key
from cx.loop.delivery import DeliveryConfig, Message, Outcome, deliver
from cx.metrics.registry import lookup
from cx.review.narrative import format_value

_RULE_WORDS = {"threshold": "worse than its threshold", "change": "changed against the weeks before",
               "anomaly": "unusual for the season"}


def alert_line(record: dict, cell_columns: Sequence[str]) -> str:
    """``CSAT · chat · 2026-03-09: 7.0% (expected 65.7%) — changed against the weeks before``."""
    m = lookup(record["metric"])
    cell = " · ".join(str(record[c]) for c in cell_columns if record.get(c) is not None) or "all"
    reference = record["threshold"] if record["rule"] == "threshold" else record["expected"]
    word = "threshold" if record["rule"] == "threshold" else "expected"
    return (f"{m.label} · {cell} · week of {record['period']}: {format_value(record['value'], m.unit)} "
            f"({word} {format_value(reference, m.unit)}) — {_RULE_WORDS[record['rule']]}")


def alert_keys(source_label: str, run: AlertRun) -> dict[str, dict]:
    """Delivery key → fired record."""
    return {"|".join(("alert", source_label, *alert_key(r, run.cell_columns))): r
            for r in run.fired.to_dict("records")}


def alert_message(source_label: str, run: AlertRun, records: Sequence[dict], link: str = "") -> Message:
    lines = [alert_line(r, run.cell_columns) for r in records]
    text = "\n".join(f"• {line}" for line in lines) + f"\n\n{run.statement}" + (f"\nOpen: {link}" if link else "")
    body = "".join(f"<li>{html.escape(line)}</li>" for line in lines)
    page = (f"<p>{html.escape(source_label)} — {len(lines)} new alert{'s' if len(lines) != 1 else ''} for "
            f"{run.week}</p><ul>{body}</ul><p><small>{html.escape(run.statement)}</small></p>")
    if link:
        page += f'<p><a href="{html.escape(link, quote=True)}">Open the dashboard</a></p>'
    return Message(f"CX alerts {run.week}: {len(lines)} new ({source_label})", text, page)


def send_alerts(store, config: DeliveryConfig, source_label: str, run: AlertRun, *, link: str = "",
                **options) -> list[Outcome]:
    """Deliver the run's fired alerts not delivered before (nothing fired: nothing sent, empty list)."""
    keyed = alert_keys(source_label, run)
    if not keyed:
        return []
    return deliver(store, config, list(keyed),
                   lambda new: alert_message(source_label, run, [keyed[k] for k in new], link), **options)


def review_key(source_label: str, week: str, scope_text: str = "") -> str:
    return "|".join(("review", source_label, week, scope_text))


def review_message(review, html_body: str, pdf: bytes | None, pdf_problem: str | None) -> Message:
    """The report's HTML as the body, the PDF attached when it could be built (else the text says why)."""
    text = "\n".join(f"- {s.text}" for s in review.sentences)
    if pdf is None:
        text += f"\n\n(The PDF could not be built: {pdf_problem}. The report is in the HTML body.)"
    attachments = [(f"cx-review-{review.week}.pdf", pdf, "application/pdf")] if pdf is not None else []
    return Message(f"CX weekly review {review.week} ({review.source_label})", f"Weekly review {review.week}\n{text}",
                   html_body, attachments)


__all__ = ["alert_keys", "alert_line", "alert_message", "review_key", "review_message", "send_alerts"]
