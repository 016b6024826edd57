"""The ``cx`` command line: argument parsing and printing only; the work happens in cx/.

Errors are one clear sentence on stderr and a non-zero exit, never a traceback. Each subcommand
is a pair: ``_add_<name>(subparsers)`` declares it and ``_cmd_<name>(args)`` runs it.

Start-up time is part of the interface (cron jobs and scripts pay it on every call): this module
imports only the standard library and cx's plain-value modules at the top. pandas, SQLAlchemy,
DuckDB and the modelling stack are imported inside the command that needs them, so ``cx --help``,
``cx <command> --help`` and an argument error load none of them, ``cx metrics`` reads and prints
its rows without pandas (:func:`cx.metrics.query.metric_columns`, :mod:`cx.columns`), and a command
that reads one database loads pandas without pyarrow (:func:`_without_arrow`);
tests/unit/test_cli_imports.py.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from cx import columns, ingest  # ingest: a lazy package (PEP 562), its readers load on first use
from cx.lazy import Hidden
from cx.schema import dumps

if TYPE_CHECKING:
    import pandas as pd


class CliError(Exception):
    """A user-facing error: printed as one line, exit code 2."""


# --- output helpers --------------------------------------------------------------------------


def print_frame(frame: pd.DataFrame, fmt: str) -> None:
    """Print a DataFrame as an aligned table, CSV (formula-safe) or JSON records."""
    if fmt == "json":
        records = frame.astype(object).where(frame.notna(), None).to_dict("records")
        print(dumps(records))
    elif fmt == "csv":
        from cx.safe import neutralise_frame

        sys.stdout.write(neutralise_frame(frame).to_csv(index=False))
    else:
        import pandas as pd

        if frame.empty:
            print("(no rows)")
        else:
            with pd.option_context("display.max_rows", 500, "display.max_columns", 50, "display.width", 200):
                print(frame.to_string(index=False))


def _progress(label: str):
    """A stderr progress line for long work (only when stderr is a terminal)."""
    if not sys.stderr.isatty():
        return None

    def report(fraction: float) -> None:
        sys.stderr.write(f"\r{label} {fraction:6.1%}")
        if fraction >= 1:
            sys.stderr.write("\n")
        sys.stderr.flush()

    return report


# --- cx demo ---------------------------------------------------------------------------------


def _add_demo(sub) -> None:
    p = sub.add_parser("demo", help="write the synthetic demo warehouse (DuckDB)")
    p.add_argument("--customers", type=int, default=20_000)
    p.add_argument("--interactions", type=int, default=320_000)
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--out", type=Path, default=None, help="target .duckdb file (default data/demo.duckdb)")


def _cmd_demo(args) -> int:
    from cx import demo

    if args.customers < 1 or args.interactions < 0:
        raise CliError("--customers must be at least 1 and --interactions non-negative")
    stats = demo.generate(args.out or demo.DEFAULT_PATH, customers=args.customers,
                          interactions=args.interactions, seed=args.seed, progress=_progress("generating"))
    print(f"wrote {stats.path}: {stats.customers:,} customers ({stats.churned:,} churned), "
          f"{stats.interactions:,} interactions in {stats.seconds:.1f} s")
    return 0


# --- cx review -------------------------------------------------------------------------------


def _add_review(sub) -> None:
    p = sub.add_parser("review", help="the weekly review: print it, or write the HTML / PDF report")
    p.add_argument("--source", action="append", default=None, help="URL, database file or data file (repeatable)")
    p.add_argument("--mapping", default=None, help="mapping JSON for data files")
    p.add_argument("--week", default=None, help="ISO week such as 2026-W47 (default: last complete week)")
    p.add_argument("--channel", default="", help="comma-separated channels to keep")
    p.add_argument("--stage", default="", help="comma-separated journey stages to keep")
    p.add_argument("--segment", default="", help="comma-separated segments to keep")
    p.add_argument("--min-n", type=int, default=30)
    p.add_argument("--out", type=Path, default=None, help="report.html or report.pdf")
    p.add_argument("--base-url", default="", help="the dashboard's address, for links in the report")
    p.add_argument("--format", choices=("table", "json"), default="table")
    p.add_argument("--send", action="store_true",
                   help="deliver the report by e-mail / webhook (CX_SMTP_URL, CX_MAIL_TO, CX_WEBHOOK_URL); once per week")


def _cmd_review(args) -> int:
    from cx.review import weekly as reviews
    from cx.scope import Scope

    source = _open_source(args.source, args.mapping)
    scope = Scope(channels=args.channel, stages=args.stage, segments=args.segment)
    review = reviews.weekly_review(source, args.week, scope, min_n=args.min_n)
    if args.send:
        return _send_review(source, review, scope, args.base_url)
    if args.out is not None:
        from cx.review.export import export

        path = export(review, reviews.review_figures(source, review), args.out, source.scales, args.base_url)
        print(f"wrote {path} ({review.week}: {len(review.movers)} significant movers, "
              f"{review.incidents_total} incidents)")
        return 0
    if args.format == "json":
        print(dumps({
            "week": review.week, "start": review.start, "end": review.end, "source": review.source_label,
            "kpis": review.kpis.astype(object).where(review.kpis.notna(), None).to_dict("records"),
            "movers": review.movers.astype(object).where(review.movers.notna(), None).to_dict("records"),
            "tested": review.tested, "sentences": [s.text for s in review.sentences],
            "incidents": review.incidents_total, "unrecovered": review.unrecovered, "at_risk": len(review.at_risk),
            "comment_themes": review.comment_themes.astype(object).where(review.comment_themes.notna(), None)
            .to_dict("records"),
            "mix": [shift.record() for shift in review.mix],
            "teams": [standing.record() for standing in review.teams],
            "response_rates": [rates.record() for rates in review.response_rates],
            "key_drivers": review.key_drivers.record() if review.key_drivers is not None else None,
        }))
        return 0
    print(f"Weekly review {review.week} ({review.start} – {review.end}) · {review.source_label}\n")
    print_frame(review.kpis[["label", "value", "previous", "delta", "trailing", "n", "p_value", "significant"]], "table")
    print(f"\nSignificant movers ({len(review.movers)} of {review.tested} tested, Benjamini–Hochberg q < 0.05):")
    print_frame(review.movers[["label", "channel", "journey_stage", "previous", "value", "delta", "n", "q_value"]].head(15), "table")
    print()
    for sentence in review.sentences:
        print(f"- {sentence.text}")
    if len(review.comment_themes):
        print("\nWhat customers wrote about this week (themes that grew significantly against the 4 weeks before):")
        print_frame(review.comment_themes.round({"share": 3, "before_share": 3, "change": 1, "q": 4}), "table")
    if review.mix:
        print("\nWhy the headline moved (within cells vs shift in mix):")
        for shift in review.mix:
            print(f"- {shift.warning() or shift.explanation()}")
    _print_review_teams(review)
    return 0


def _print_review_teams(review) -> None:
    """Who moves the headline scores, their response rates and the key drivers (table output of cx review)."""
    from cx.review.teams import rates_for

    if review.teams:
        print("\nWho moves it (scores shrunk by their n; rank intervals 95%; same numbers as cx teams for the week):")
        for standing in review.teams:
            rates = rates_for(standing, review.response_rates)
            for line in (*standing.lines(rates), *standing.warnings()):
                print(f"- {line}")
            if rates is not None and rates.warning:
                print(f"- {rates.warning}")
    drivers = review.key_drivers
    if drivers is not None and len(drivers.table):
        print(f"\nKey drivers of {drivers.metric.upper()} this week (R² {drivers.r2:.2f}, split among the drivers as share %; {drivers.sample}):")
        print_frame(drivers.table[["driver", "share", "importance", "ci_low", "ci_high", "performance"]].head(5)
                    .round({"share": 1, "importance": 3, "ci_low": 3, "ci_high": 3, "performance": 1}), "table")


# --- cx app ----------------------------------------------------------------------------------


def _add_app(sub) -> None:
    p = sub.add_parser("app", help="start the dashboard (extra arguments go to streamlit run)")
    p.add_argument("streamlit_args", nargs=argparse.REMAINDER)


def _cmd_app(args) -> int:
    app = Path(__file__).resolve().parent.parent / "serve.py"  # app.py behind the sign-in gate
    if not app.exists():
        raise CliError(f"{app}: the app entry file is missing (run cx app from a source checkout)")
    os.execvp(sys.executable, [sys.executable, "-m", "streamlit", "run", str(app), *args.streamlit_args])
    return 0  # pragma: no cover


# --- cx map ----------------------------------------------------------------------------------


def _add_map(sub) -> None:
    p = sub.add_parser("map", help="print the suggested column mapping of a data file as JSON")
    p.add_argument("file", type=Path, help="CSV, TSV, XLSX, Parquet or JSON export")
    p.add_argument("--sheet", default=None, help="workbook sheet to read (default: the first with data)")


def _cmd_map(args) -> int:
    if not args.file.is_file():
        raise CliError(f"{args.file}: no such file")
    from cx.ingest.editor import open_questions

    mapping = ingest.prepare(args.file, args.file.name, sheet=args.sheet).mapping
    print(mapping.to_json())
    for column, question in open_questions(mapping):  # the JSON carries them too; here a person sees them
        print(f"cx map: asked ({mapping.confidence.get(column, 0):.0%} sure of '{column}'): {question}", file=sys.stderr)
    return 0


# --- cx load ---------------------------------------------------------------------------------


def _add_load(sub) -> None:
    p = sub.add_parser("load", help="map and validate data files; report loaded and quarantined rows")
    p.add_argument("files", type=Path, nargs="+", metavar="FILE")
    p.add_argument("--mapping", type=Path, default=None,
                   help="mapping JSON from `cx map` (one mapping, or an object of file name -> mapping)")
    p.add_argument("--into", default=None, help="write canonical interactions/customers into this URL or .duckdb file")
    p.add_argument("--quarantine", type=Path, default=None, help="write every quarantined row to this CSV")
    p.add_argument("--format", choices=["table", "json"], default="table")
    p.add_argument("--missing", action="append", default=[], metavar="COL=CODES",
                   help="values of a score column that mean no answer, e.g. \"Q3=0,-1\" or \"99\" for every score "
                        "column (repeatable); such cells load with no score and are counted")
    order = p.add_mutually_exclusive_group()
    order.add_argument("--dayfirst", action="store_true", help="numeric dates are day/month/year")
    order.add_argument("--monthfirst", action="store_true", help="numeric dates are month/day/year")


def _cmd_load(args) -> int:
    missing = [str(f) for f in args.files if not f.is_file()]
    if missing:
        raise CliError(f"{missing[0]}: no such file")
    if args.mapping is not None and not args.mapping.is_file():
        raise CliError(f"{args.mapping}: no such mapping file")
    from cx.ingest.mapping import parse_missing

    given = ingest.read_mapping_file(args.mapping) if args.mapping is not None else None
    dayfirst = True if args.dayfirst else False if args.monthfirst else None
    missing = parse_missing(";".join(args.missing)) if args.missing else None
    reporter = _progress("loading")
    loaded = ingest.ingest(args.files, given, dayfirst=dayfirst, missing=missing,
                           progress=(lambda fraction, _name: reporter(fraction)) if reporter else None)
    for warning in loaded.warnings:  # the page shows these beside the mapping; here they would go unseen
        print(f"cx load: warning: {warning}", file=sys.stderr)
    into = ingest.write_tables(args.into, loaded.interactions, loaded.customers) if args.into else None
    if args.quarantine:
        _write_quarantine(loaded.results, args.quarantine)
    if args.format == "json":
        print(dumps({"files": [r.summary() for r in loaded.results], "into": into}))
    else:
        _print_load(loaded.results, into, args.quarantine)
        for result in loaded.results:  # what the reader and the shapes did (blank rows skipped, codes read as missing…)
            for note in result.notes:
                print(f"note: {result.name}: {note}")
        for question in loaded.questions:
            print(f"asked: {question} (answer it in a mapping file: `cx map FILE > m.json`, edit, --mapping m.json)")
    return 0


def _print_load(results, into: str | None, quarantine: Path | None) -> None:
    """``cx load``'s table: read = loaded + quarantined per file, the top reasons, and what was written."""
    import pandas as pd

    rows = [{"file": r.name, "shape": r.shape, "read": r.rows_read, "loaded": r.rows_loaded,
             "quarantined": r.rows_quarantined,
             "top reasons": "; ".join(f"{k} ({v})" for k, v in list(r.reasons.items())[:3]) or "-"}
            for r in results]
    print_frame(pd.DataFrame(rows), "table")
    if into:
        print(f"wrote canonical interactions/customers into {into}")
    if quarantine:
        print(f"wrote {sum(r.rows_quarantined for r in results):,} quarantined rows to {quarantine}")


def _write_quarantine(results, path: Path) -> None:
    """Every quarantined row of every file in one formula-safe CSV: _file, the file's columns, _row, _column, _reason."""
    import pandas as pd

    from cx.safe import to_safe_csv

    parts = [r.quarantine.assign(_file=r.name) for r in results if len(r.quarantine)]
    frame = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=["_file", "_row", "_column", "_reason"])
    meta = ["_row", "_column", "_reason"]
    frame = frame[["_file"] + [c for c in frame.columns if c not in meta and c != "_file"] + meta]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(to_safe_csv(frame))


def _open_database(specs: list[str] | None):
    """No ``--source`` → the demo warehouse; one SQLAlchemy URL or .duckdb/.sqlite path → that database, read-only."""
    from cx import db

    if not specs:
        return db.demo_source()
    if len(specs) > 1:
        raise CliError("only one database URL can be given as --source")
    return db.open_database(specs[0])


def _open_source(specs: list[str] | None, mapping=None):
    """``--source`` values: data files are mapped and loaded by cx.ingest; anything else opens a database."""
    from cx.db import SourceError

    files = [s for s in specs or [] if ingest.is_data_file(s)]
    try:
        if not files:
            return _open_database(specs)
        if len(files) < len(specs):
            raise CliError("combine either data files or one database, not both")
        return ingest.open_files(files, mapping)
    except (ingest.IngestError, SourceError) as exc:
        raise CliError(str(exc)) from None


#: database URL schemes whose drivers never use Arrow (Snowflake's and BigQuery's may)
_ARROWLESS = ("duckdb", "sqlite", "postgresql", "mysql", "mariadb")


class _NoArrow(Hidden):
    """A finder that reports pyarrow as not installed (see :func:`_without_arrow`)."""

    def __init__(self) -> None:
        super().__init__("pyarrow")


def _without_arrow(specs: list[str] | None) -> None:
    """Before pandas loads, for a command that only reads a database: pandas without pyarrow.

    pandas 3 imports pyarrow at start-up (a sixth of ``cx metrics``' start, 0.06 s) only to back
    its text columns with Arrow; reading one database and printing aggregates never uses it, and
    without it pandas keeps text in Python strings, the same values (``cx metrics`` and ``cx
    alerts`` print byte-identical output either way: tests/unit/test_cli_imports.py). Not for data
    files (Parquet, the fast CSV reader), the demo when it has yet to be written, warehouses whose
    drivers may fetch through Arrow, or a process that already loaded pandas (tests calling main()).
    """
    if "pandas" in sys.modules or "pyarrow" in sys.modules:
        return
    if specs:
        if any(ingest.is_data_file(s) or not _arrowless(s) for s in specs):
            return
    else:
        from cx import demo

        if not demo.DEFAULT_PATH.exists():  # the demo is written through Arrow first
            return
    sys.meta_path.insert(0, _NoArrow())


def _arrowless(spec: str) -> bool:
    """A database file, or a URL of a backend whose driver never fetches through Arrow."""
    return "://" not in spec or spec.partition(":")[0].partition("+")[0].lower() in _ARROWLESS


# --- cx journeys / cx incidents --------------------------------------------------------------


def _journey_source(args):
    return _open_source(args.source, getattr(args, "mapping", None))


def _add_journeys(sub) -> None:
    p = sub.add_parser("journeys", help="per-customer journeys: worst / best / end / mean / peak-end, and "
                                        "which of them tracks an outcome best")
    p.add_argument("--source", action="append", default=None, help="URL, .duckdb/.sqlite file or data file(s)")
    p.add_argument("--mapping", type=Path, default=None, help="mapping JSON for data files")
    p.add_argument("--outcome", default=None, help="customer column to compare with (default: churned, if present)")
    p.add_argument("--positive", default=None, metavar="VALUE",
                   help="the outcome's value that counts as yes (any two-valued column; default: yes/no words)")
    p.add_argument("--gap-days", type=float, default=None, help="split journeys after this many days without contact")
    p.add_argument("--format", choices=["table", "csv", "json"], default="table",
                   help="csv prints one row per journey; table and json the summary and the comparison")


def _cmd_journeys(args) -> int:
    import pandas as pd

    from cx import journeys

    source = _journey_source(args)
    outcome = args.outcome
    if outcome is None and "churned" in journeys.outcome_columns(source):
        outcome = "churned"
    try:
        if outcome:
            features = journeys.journey_outcomes(source, outcome, gap_days=args.gap_days)
            if args.positive is not None:
                from cx.outcomes import parse_outcome

                features[outcome] = parse_outcome(features[outcome], outcome, args.positive)
        elif args.positive is not None:
            raise CliError("--positive needs --outcome: name the column whose value counts as yes")
        else:
            features = journeys.journey_features(source, gap_days=args.gap_days)
        comparison = journeys.compare_predictors(features, outcome) if outcome else None
    except ValueError as exc:
        raise CliError(str(exc)) from None
    if args.format == "csv":
        print_frame(features, "csv")
        return 0
    summary = journeys.summarize_journeys(features)
    if args.format == "json":
        print(dumps({"customers": summary.customers, "summary": summary.to_dict(),
                     "outcome": comparison.to_dict() if comparison else None}))
        return 0
    print(f"{summary.customers:,} customers, {summary.journeys:,} journeys, {summary.interactions:,} interactions; "
          f"{summary.incidents:,} critical incidents in {summary.journeys_with_incident:,} journeys "
          f"(clean {summary.clean:,} · recovered {summary.recovered:,} · unrecovered {summary.unrecovered:,})")
    averages = pd.DataFrame([{"feature": k, "average index": getattr(summary, k)}
                             for k in ("mean", "worst", "end", "peak_end")])
    print_frame(averages.round(1), "table")
    if comparison is not None:
        print(f"\nWhat do your customers remember? ({comparison.measure}, {comparison.n:,} journeys, "
              f"{comparison.direction or 'too few to orient'})")
        print_frame(comparison.table[["label", "value", "ci_low", "ci_high", "diff_vs_mean", "p_value"]].round(3), "table")
        print(comparison.verdict)
        by_class = journeys.outcome_by_class(features, outcome)
        from cx.metrics import plausible

        kind = "churn" if outcome == "churned" and args.positive is None else "outcome"
        for row in by_class.itertuples() if (by_class["kind"] == "binary").all() else ():
            line = plausible.check(kind, row.value, row.n, f"among {row.journey_class} journeys")
            if line:
                print(f"cx journeys: warning: {line}", file=sys.stderr)
        print(f"\n{outcome} by journey class (95% CI)")
        print_frame(by_class[["journey_class", "n", "value", "ci_low", "ci_high"]].round(1), "table")
    return 0


def _add_incidents(sub) -> None:
    p = sub.add_parser("incidents", help="flagged critical incidents, worst or most recent first")
    p.add_argument("--source", action="append", default=None, help="URL, .duckdb/.sqlite file or data file(s)")
    p.add_argument("--mapping", type=Path, default=None, help="mapping JSON for data files")
    p.add_argument("--sort", choices=["severity", "recency"], default="severity")
    p.add_argument("--limit", type=int, default=100)
    p.add_argument("--class", dest="classes", action="append", choices=["recovered", "unrecovered"], default=None,
                   help="only incidents of journeys in this class (repeatable)")
    p.add_argument("--format", choices=["table", "csv", "json"], default="table")


def _cmd_incidents(args) -> int:
    from cx import journeys

    if args.limit < 1:
        raise CliError("--limit must be at least 1")
    found = journeys.incidents(_journey_source(args), sort=args.sort, limit=args.limit, classes=args.classes or ())
    if args.format == "table":
        shown = found[["customer_id", "occurred_at", "channel", "journey_stage", "index", "severity", "reasons",
                       "journey_class", "comment"]].copy()
        shown["comment"] = shown["comment"].map(lambda c: c if c is None or len(c) <= 50 else c[:49] + "…")
        print_frame(shown.round({"index": 0}), "table")
    else:
        print_frame(found, args.format)
    return 0


# --- cx churn --------------------------------------------------------------------------------


def _add_churn(sub) -> None:
    p = sub.add_parser("churn", help="churn drivers: cross-validated model, odds ratios, feature sets, at-risk list")
    p.add_argument("--source", action="append", default=None, help="URL, .duckdb/.sqlite file or data file(s)")
    p.add_argument("--mapping", type=Path, default=None, help="mapping JSON for data files")
    p.add_argument("--outcome", default="churned", help="yes/no customer column to model (default: churned)")
    p.add_argument("--positive", default=None, metavar="VALUE",
                   help="the outcome's value that counts as yes (any two-valued column; default: yes/no words)")
    p.add_argument("--rule", choices=["before_outcome", "window", "none"], default="before_outcome",
                   help="leakage rule: cut each churner's history at churned_at (default), or an observation window")
    p.add_argument("--cutoff", default=None, help="window rule: last day of the observation window + 1 (YYYY-MM-DD)")
    p.add_argument("--horizon-days", type=int, default=90, help="window rule: outcome horizon in days")
    p.add_argument("--attribute", action="append", default=[], help="customer attribute to add (repeatable)")
    p.add_argument("--allow-leak", action="append", default=[], metavar="COL",
                   help="keep a column flagged as a leak in the model anyway (repeatable; the warning stays)")
    p.add_argument("--min-positives", type=int, default=50)
    p.add_argument("--top", type=int, default=20, help="at-risk customers to print")
    p.add_argument("--what-if", action="append", default=[], metavar="DRIVER[=CHANGE]",
                   help="move a driver for the customers at risk, e.g. median_resolution_hours=-20%%, end_index=+10, "
                        "recovery=50%% (repeatable; default: the strongest driver, moved as on the page)")
    p.add_argument("--format", choices=["table", "json"], default="table")


def _what_ifs(report, asked: list[str]) -> list:
    """``--what-if`` moves (or the page's default one), in the outcome's words and direction."""
    from cx.churn.whatif import default_change, what_if

    wanted = asked or ([report.strongest_driver()] if report.strongest_driver() else [])
    out = []
    for item in wanted:
        driver, _, amount = item.partition("=")
        change, mode = default_change(driver.strip())
        if amount.strip():
            text = amount.strip()
            try:
                change = float(text.rstrip("%")) / (100 if text.endswith("%") else 1)
            except ValueError:
                raise CliError(f"--what-if {item!r}: the change must be a number (e.g. -20%, +10, 50%)") from None
        try:
            out.append(what_if(report, driver.strip(), change, mode="relative" if mode == "relative" else "absolute"))
        except ValueError as exc:
            raise CliError(f"--what-if {item!r}: {exc}") from None
    return out


def _cmd_churn(args) -> int:
    from cx.churn import ChurnModelError, CutoffRule, FeatureError, fit_churn

    source = _journey_source(args)
    reporter = _progress("fitting")
    try:
        rule = CutoffRule(args.rule, cutoff=args.cutoff, horizon_days=args.horizon_days)
        report = fit_churn(source, args.outcome, rule, positive=args.positive, attributes=args.attribute,
                           include_restating=args.allow_leak, min_positives=args.min_positives, at_risk=max(args.top, 1),
                           progress=(lambda f, _m: reporter(f)) if reporter else None)
    except (ChurnModelError, FeatureError, ValueError) as exc:
        raise CliError(str(exc)) from None
    from cx.metrics import plausible

    implausible = plausible.churn_report(report)
    if args.format == "json":
        for line in (*report.warnings, *implausible):
            print(f"cx churn: warning: {line}", file=sys.stderr)
        print(dumps({**report.to_dict(top=args.top), "what_if": [w.to_dict() for w in _what_ifs(report, args.what_if)]}))
        return 0
    card = report.card
    print(f"{card.outcome}: {card.n:,} customers, {card.positives:,} positive ({card.positive_share:.1%})")
    print(card.rule_text)
    for metric, label in (("roc_auc", "ROC AUC"), ("pr_auc", "PR AUC"), ("brier", "Brier")):
        iv = report.cv[metric]
        print(f"  {label:8} {iv.value:.3f}  (95% CI {iv.ci_low:.3f}–{iv.ci_high:.3f})")
    for line in (*report.warnings, *implausible):
        print(line if line.startswith("LEAK") else f"warning: {line}")
    for line in card.notes:
        print(f"note: {line}")
    for line in card.details:
        print(f"detail: {line}")
    print("\nWhich measures matter (cross-validated ROC AUC)")
    print_frame(report.feature_sets.round(3), "table")
    print("\nOdds ratios (per SD; 95% bootstrap CI)")
    print_frame(report.odds_ratios[["feature", "value", "ci_low", "ci_high"]].head(15).round(3), "table")
    moves = _what_ifs(report, args.what_if)
    if moves:
        print(f"\nWhat if… (chance of {card.chance_of}; association, not an experiment)")
        for move in moves:
            print(f"  {move.headline()}")
    print(f"\nAt risk ({card.risk_words}; probability of {card.outcome} = yes, ranked with lifetime value)")
    cols = [c for c in ("rank", "customer_id", "segment", "probability", "lifetime_value", "value_at_risk",
                        "worst_moment_index", "last_at") if c in report.at_risk]
    print_frame(report.at_risk[cols].head(args.top).round({"probability": 3, "value_at_risk": 2}), "table")
    return 0


# --- cx metrics ------------------------------------------------------------------------------


def _add_metrics(sub) -> None:
    p = sub.add_parser("metrics", help="a metric per time bucket and breakdown, with n and a 95%% interval")
    p.add_argument("--source", action="append", default=None, help="URL, .duckdb/.sqlite file or data file(s)")
    p.add_argument("--mapping", type=Path, default=None, help="mapping JSON for data files")
    p.add_argument("--metric", required=True, help="nps, csat, ces, frt, ttr, fcr, churn, retention, ltv or volume")
    p.add_argument("--grain", choices=["day", "week", "month", "quarter", "all"], default="week",
                   help="time bucket (weeks are ISO weeks, starting on Monday)")
    p.add_argument("--by", default="", help="comma-separated breakdown: channel,journey_stage,touchpoint,segment,region")
    p.add_argument("--from", dest="date_from", default=None, metavar="DATE", help="first day, YYYY-MM-DD (inclusive)")
    p.add_argument("--to", dest="date_to", default=None, metavar="DATE", help="last day, YYYY-MM-DD (inclusive)")
    p.add_argument("--min-n", type=int, default=30, help="points with fewer responses are flagged low_n")
    p.add_argument("--format", choices=["table", "csv", "json"], default="table")


def _cmd_metrics(args) -> int:
    import datetime as dt

    _without_arrow(args.source)
    from cx import metrics
    from cx.db import SourceError
    from cx.scope import Scope, View

    dates = {}
    for flag, value in (("--from", args.date_from), ("--to", args.date_to)):
        try:
            dates[flag] = dt.date.fromisoformat(value) if value else None
        except ValueError:
            raise CliError(f"{flag} {value!r}: expected a date as YYYY-MM-DD") from None
    try:
        scope = Scope(date_from=dates["--from"], date_to=dates["--to"])
        view = View(grain=args.grain, min_n=args.min_n)
    except ValueError as exc:
        raise CliError(str(exc)) from None
    source = _open_source(args.source, args.mapping)
    try:  # the columns of metric_table, read and printed without pandas (cx.columns)
        table = metrics.metric_columns(source, args.metric, view.grain, args.by, scope, min_n=view.min_n)
        if not columns.rows(table):
            raise CliError(metrics.why_empty(source, args.metric, view.grain, scope))
    except (SourceError, metrics.MetricError) as exc:
        raise CliError(str(exc)) from None
    from cx.metrics import plausible

    for line in plausible.metric_table(table, [b.strip() for b in args.by.split(",") if b.strip()]):
        print(f"cx metrics: warning: {line}", file=sys.stderr)
    table["period"] = [p if isinstance(p, str) else p.isoformat() for p in table["period"]]
    if args.format == "table":
        import numpy as np

        table.update({c: np.round(table[c], 2) for c in ("value", "ci_low", "ci_high", "p90") if c in table})
    _print_columns(table, args.format)
    return 0


def _print_columns(table, fmt: str) -> None:
    """:func:`print_frame` of a table held as columns (:mod:`cx.columns`): the same bytes, without pandas."""
    if fmt == "json":
        print(dumps(columns.to_records(table)))
    elif fmt == "csv":
        sys.stdout.write(columns.to_csv(table))
    else:
        print(columns.to_text(table) if columns.rows(table) else "(no rows)")


# --- cx alerts (and delivery) ----------------------------------------------------------------


def _add_alerts(sub) -> None:
    p = sub.add_parser("alerts", help="check threshold, change and seasonal-anomaly rules per channel for a week "
                                      "(false discovery rate stated); --send delivers new alerts")
    p.add_argument("--source", action="append", default=None, help="URL, .duckdb/.sqlite file or data file(s)")
    p.add_argument("--mapping", type=Path, default=None, help="mapping JSON for data files")
    p.add_argument("--week", default=None, help="ISO week such as 2026-W47 (default: last complete week)")
    p.add_argument("--by", default="channel",
                   help="comma-separated breakdowns, each checked on its own: channel, journey_stage, segment…")
    p.add_argument("--fdr", type=float, default=0.05, help="false discovery rate across the cells checked (0.05)")
    p.add_argument("--all", action="store_true", help="table: list every cell checked, not only the alerts "
                                                      "(JSON always holds every cell, with 'fired')")
    p.add_argument("--send", action="store_true", help="deliver alerts not sent before (e-mail / webhook)")
    p.add_argument("--base-url", default="", help="the dashboard's address, for a link in the message")
    p.add_argument("--format", choices=("table", "json"), default="table")


def _cmd_alerts(args) -> int:
    _without_arrow(args.source)
    from cx.db import SourceError
    from cx.db.write import app_store
    from cx.loop import alerts, targets
    from cx.review.weeks import ReviewError

    source = _open_source(args.source, args.mapping)
    try:
        store = app_store()
        saved, _ = targets.load_targets(store, source.label)
        by = [b.strip() for b in args.by.split(",") if b.strip()]
        run = alerts.evaluate(source, week=args.week, fdr=args.fdr, targets=saved, by=by)
    except (alerts.AlertError, ReviewError, SourceError, ValueError) as exc:
        raise CliError(str(exc)) from None
    if run.checked == 0:
        raise CliError(f"no cell could be checked in {run.week}: too few responses or too little history before it")
    alerts.record_alerts(store, source.label, run)
    if args.format == "json":  # every cell checked, "fired" saying which alert
        print(dumps(run.to_records()))
    else:
        shown = run.records if args.all else run.fired
        columns = ["rule", "metric", *run.cell_columns, "value", "expected", "threshold", "n", "q_value", "fired"]
        print(f"Alerts {run.week} · {source.label}")
        print_frame(shown[columns].round({"value": 2, "expected": 2, "q_value": 4}), "table")
        print(run.statement)
    if args.send:
        from cx.loop import delivery, notify

        config = delivery.delivery_config()
        try:
            outcomes = notify.send_alerts(store, config, source.label, run, link=args.base_url)
        except delivery.DeliveryError as exc:
            raise CliError(str(exc)) from None
        return _report_delivery(outcomes, "alerts")
    return 0


def _report_delivery(outcomes, what: str) -> int:
    from cx.loop.delivery import failure_line

    for o in outcomes:
        print(f"{what} {o.status} by {o.channel}" + (f" ({o.detail})" if o.detail and o.status == "sent" else ""),
              file=sys.stderr)
    if not outcomes:
        print(f"{what}: nothing to send", file=sys.stderr)
    failed = failure_line(outcomes)
    if failed:
        raise CliError(failed)
    return 0


def _send_review(source, review, scope, base_url: str) -> int:
    from cx.db.write import app_store
    from cx.loop import delivery, notify
    from cx.review import export
    from cx.review import weekly as reviews

    config = delivery.delivery_config()
    if not config.channels:
        raise CliError("nothing to send to: set CX_SMTP_URL and CX_MAIL_TO, or CX_WEBHOOK_URL "
                       "(or [delivery] in .streamlit/secrets.toml)")
    store = app_store()
    key = notify.review_key(source.label, review.week, json.dumps(scope.to_query(), sort_keys=True))

    def build(new):
        # the body without interactive charts (mail clients run no scripts); the charts are in the PDF
        body = export.render_html(review, {}, source.scales, base_url=base_url)
        pdf, problem = None, None
        if "email" in config.channels:
            try:
                pdf = export.pdf_bytes(review, reviews.review_figures(source, review), source.scales)
            except Exception as exc:  # no Chromium, a failed print: the e-mail still goes, saying so
                problem = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        return notify.review_message(review, body, pdf, problem)

    return _report_delivery(delivery.deliver(store, config, [key], build), f"review {review.week}")


# --- cx teams --------------------------------------------------------------------------------


def _add_teams(sub) -> None:
    p = sub.add_parser("teams", help="scores by agent or team, shrunk by their n, with intervals and rank intervals")
    p.add_argument("--source", action="append", default=None, help="URL, database file or data file (repeatable)")
    p.add_argument("--mapping", default=None, help="mapping JSON for data files")
    p.add_argument("--metric", required=True, choices=("nps", "csat", "ces", "fcr", "frt", "ttr"))
    p.add_argument("--by", choices=("agent", "team"), default="agent")
    p.add_argument("--channel", default="", help="comma-separated channels to keep")
    p.add_argument("--stage", default="", help="comma-separated journey stages to keep")
    p.add_argument("--segment", default="", help="comma-separated segments to keep")
    p.add_argument("--min-n", type=int, default=30, help="groups with fewer answers are flagged low_n")
    p.add_argument("--from", dest="date_from", default=None, metavar="DATE", help="first day, YYYY-MM-DD (inclusive)")
    p.add_argument("--to", dest="date_to", default=None, metavar="DATE", help="last day, YYYY-MM-DD (inclusive)")
    p.add_argument("--format", choices=("table", "json"), default="table")


def _cmd_teams(args) -> int:
    from cx.db import SourceError
    from cx.metrics import MetricError
    from cx.scope import Scope
    from cx.teams import RECORD_COLUMNS, team_scores

    try:
        scope = Scope(channels=args.channel, stages=args.stage, segments=args.segment, date_from=args.date_from,
                      date_to=args.date_to)
    except ValueError as exc:
        raise CliError(f"--from/--to: {exc} (expected dates as YYYY-MM-DD)") from None
    source = _open_source(args.source, args.mapping)
    try:
        scores = team_scores(source, args.metric, by=args.by, min_n=args.min_n, scope=scope)
    except (SourceError, MetricError, ValueError) as exc:
        raise CliError(str(exc)) from None
    if scores.empty:
        raise CliError(f"no {args.metric} answers credited to any {args.by} in these data")
    if args.format == "json":
        print_frame(scores[[args.by, *RECORD_COLUMNS]], "json")
        return 0
    shown = scores[[args.by, "n", "raw", "shrunk", "ci_low", "ci_high", "rank_low", "rank_high", "raw_rank",
                    "low_n", "standing"]].round({"raw": 1, "shrunk": 1, "ci_low": 1, "ci_high": 1})
    print_frame(shown, "table")
    print(f"\n{scores.attrs['label']} by {args.by}, {scores.attrs['unit']}: raw scores shrunk toward the overall level "
          f"{scores.attrs['overall']:.1f} as far as their n warrants; 95% intervals; rank 1 = best, "
          "rank_low–rank_high holds the true rank with 95% probability.")
# --- cx themes -------------------------------------------------------------------------------


def _add_themes(sub) -> None:
    p = sub.add_parser("themes", help="what customers write: themes, sentiment, and each theme's score gap")
    p.add_argument("--source", action="append", default=None, help="URL, .duckdb/.sqlite file or data file(s)")
    p.add_argument("--mapping", type=Path, default=None, help="mapping JSON for data files")
    p.add_argument("--by", default="", help="comma-separated split of each theme's share: channel,journey_stage,touchpoint")
    p.add_argument("--from", dest="date_from", default=None, metavar="DATE", help="first day, YYYY-MM-DD (inclusive)")
    p.add_argument("--to", dest="date_to", default=None, metavar="DATE", help="last day, YYYY-MM-DD (inclusive)")
    p.add_argument("--themes", type=int, default=None, help="number of themes to discover (default: the saved setting, 8)")
    p.add_argument("--limit", type=int, default=100_000, help="newest comments read (default 100000)")
    p.add_argument("--assignments", type=Path, default=None, metavar="OUT.csv",
                   help="write one row per analysed comment (masked): comment, theme, sentiment, language")
    p.add_argument("--format", choices=["table", "json"], default="table")


def _cmd_themes(args) -> int:
    import dataclasses

    from cx.db import SourceError
    from cx.safe import to_safe_csv
    from cx.scope import Scope
    from cx.text import analyse_comments, load_settings
    from cx.text.themes import ThemeSettings, theme_split

    by = [b.strip() for b in args.by.split(",") if b.strip()]
    unknown = [b for b in by if b not in ("channel", "journey_stage", "touchpoint")]
    if unknown:
        raise CliError(f"--by {unknown[0]!r}: themes split by channel, journey_stage or touchpoint")
    try:
        scope = Scope(date_from=args.date_from, date_to=args.date_to)
    except ValueError as exc:
        raise CliError(f"--from/--to: {exc} (expected dates as YYYY-MM-DD)") from None
    source = _open_source(args.source, args.mapping)
    settings = ThemeSettings()
    try:
        from cx.db.write import app_store

        settings, _ = load_settings(app_store(), source.label)
    except SourceError as exc:  # the saved themes are a nicety: say so and go on with the defaults
        print(f"cx themes: warning: saved theme settings not read ({exc})", file=sys.stderr)
    if args.themes is not None:
        if args.themes < 1:
            raise CliError("--themes must be at least 1")
        settings = dataclasses.replace(settings, n_themes=args.themes)
    reporter = _progress("themes")
    try:
        analysis = analyse_comments(source, scope, settings, limit=max(1, args.limit),
                                    progress=(lambda f, _step: reporter(f)) if reporter else None)
    except SourceError as exc:
        raise CliError(str(exc)) from None
    if analysis.in_scope == 0:
        raise CliError("no comments in scope: the comment column is empty or unmapped")
    if analysis.analysed.empty:
        raise CliError(f"none of the {analysis.in_scope:,} comments could be analysed (not English, or too short)")
    if analysis.themes.empty:
        raise CliError(f"no themes formed in the {len(analysis.analysed):,} analysed comments: no word is shared "
                       "by two of them (more, or more varied, comments are needed)")
    if args.assignments:
        try:
            args.assignments.write_bytes(to_safe_csv(analysis.assignments()))
        except OSError as exc:
            raise CliError(f"cannot write {args.assignments}: {exc.strerror}") from None
    splits = {b: theme_split(analysis.analysed, b) for b in by}
    if args.format == "json":
        doc = analysis.to_dict()
        if splits:  # only with --by: each theme's share of each group's comments
            doc["by"] = {b: split.to_dict("records") for b, split in splits.items()}
        print(dumps(doc))
        return 0
    read = len(analysis.comments)
    print(f"{analysis.in_scope:,} comments in scope, {read:,} read (newest first), "
          f"{len(analysis.analysed):,} analysed ({len(analysis.analysed) / max(read, 1):.0%})")
    for row in analysis.coverage.itertuples():
        if row.reason != "analysed":
            print(f"  not analysed: {row.n:,} ({row.share:.0%}) {row.label}")
    table = analysis.themes[["theme", "count", "share", "sentiment", "detractor_share", "promoter_share"]].copy()
    print("\nThemes (share of analysed comments; detractor/promoter share = how many of their comments raise it)")
    print_frame(table.round(3), "table")
    print("\nWhat to fix first (NPS gap in points with 95% CI; churn gap in percentage points; impact × volume)")
    impact = analysis.impact[["rank", "theme", "count", "nps_gap", "nps_low", "nps_high", "churn_gap", "points_lost"]]
    print_frame(impact.round(2), "table")
    for b, split in splits.items():
        print(f"\nShare of each {b}'s comments raising each theme")
        print_frame(split.pivot(index=b, columns="theme", values="share").fillna(0).round(3).reset_index(), "table")
    return 0


# --- cx drivers ------------------------------------------------------------------------------


def _add_drivers(sub) -> None:
    p = sub.add_parser("drivers", help="key drivers of NPS or CSAT: Shapley share of R² with bootstrap intervals")
    p.add_argument("--source", action="append", default=None, help="URL, .duckdb/.sqlite file or data file(s)")
    p.add_argument("--mapping", type=Path, default=None, help="mapping JSON for data files")
    p.add_argument("--metric", required=True, choices=["nps", "csat"], help="the score to explain")
    p.add_argument("--outcome", default=None, metavar="COLUMN",
                   help="explain this customer column (a wide survey's overall verdict) by the touchpoint ratings")
    p.add_argument("--positive", default=None, metavar="VALUE", help="the outcome's value that counts as yes")
    p.add_argument("--from", dest="date_from", default=None, metavar="DATE", help="first day, YYYY-MM-DD (inclusive)")
    p.add_argument("--to", dest="date_to", default=None, metavar="DATE", help="last day, YYYY-MM-DD (inclusive)")
    p.add_argument("--limit", type=int, default=20_000, help="rows read at most (the most recent answers)")
    p.add_argument("--boot", type=int, default=200, help="bootstrap resamples for the intervals")
    p.add_argument("--format", choices=["table", "json"], default="table")


def _cmd_drivers(args) -> int:
    import datetime as dt

    from cx.db import SourceError
    from cx.drivers.keydrivers import DriversError, key_drivers
    from cx.scope import Scope

    try:
        scope = Scope(date_from=dt.date.fromisoformat(args.date_from) if args.date_from else None,
                      date_to=dt.date.fromisoformat(args.date_to) if args.date_to else None)
    except ValueError as exc:
        raise CliError(f"--from/--to: {exc} (dates as YYYY-MM-DD)") from None
    if args.limit < 1 or args.boot < 0:
        raise CliError("--limit must be at least 1 and --boot at least 0")
    source = _open_source(args.source, args.mapping)
    try:
        found = key_drivers(source, args.metric, scope, outcome=args.outcome, positive=args.positive,
                            limit=args.limit, n_boot=args.boot)
    except (DriversError, SourceError) as exc:
        raise CliError(str(exc)) from None
    if args.format == "json":
        print(dumps(found.record()))
        return 0
    print(f"{found.metric}: R² = {found.r2:.3f} (95% CI {found.r2_low:.3f}–{found.r2_high:.3f}) over {found.n:,} rows "
          f"({found.sample})")
    for line in found.notes:
        print(f"note: {line}")
    columns = ["driver", "importance", "ci_low", "ci_high", "share", "performance", "performance_means"]
    print_frame(found.table[columns].round({"importance": 4, "ci_low": 4, "ci_high": 4, "share": 1,
                                            "performance": 1}), "table")
    return 0


# --- main ------------------------------------------------------------------------------------


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The ``cx`` parser; with ``only`` (a command's name), that command's subparser alone.

    A subcommand's usage, help and errors do not depend on the others, so ``main`` declares just the
    one named (a few milliseconds of every start); ``cx``, ``cx --help`` and an unknown command get all.
    """
    parser = argparse.ArgumentParser(prog="cx", description="Customer-experience dashboard: command line.")
    sub = parser.add_subparsers(dest="command", required=True)
    for name, value in sorted(globals().items()):
        if name.startswith("_add_") and callable(value) and only in (None, name[len("_add_"):]):
            value(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    named = argv[0] if argv and callable(globals().get(f"_add_{argv[0]}")) else None
    parser = build_parser(named)
    args = parser.parse_args(argv)
    handler = globals()[f"_cmd_{args.command}"]
    try:
        return handler(args)
    except KeyboardInterrupt:
        print("cx: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except CliError as exc:
        print(f"cx {args.command}: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:  # one clear line, never a traceback (CX_DEBUG=1 shows it)
        if os.environ.get("CX_DEBUG"):
            raise
        text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        print(f"cx {args.command}: {text}", file=sys.stderr)
        return 1

if __name__ == "__main__":
    sys.exit(main())
