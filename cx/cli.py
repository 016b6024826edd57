"""The ``cx`` command line: argument parsing and printing only; the work happens in cx/.

Errors are one clear sentence on stderr and a non-zero exit, never a traceback. Each subcommand
is a pair: ``_add_<name>(subparsers)`` declares it and ``_cmd_<name>(args)`` runs it.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import pandas as pd

from cx.schema import dumps


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


# --- cx app ----------------------------------------------------------------------------------


def _add_app(sub) -> None:
    p = sub.add_parser("app", help="start the dashboard (extra arguments go to streamlit run)")
    p.add_argument("streamlit_args", nargs=argparse.REMAINDER)


def _cmd_app(args) -> int:
    app = Path(__file__).resolve().parent.parent / "app.py"
    if not app.exists():
        raise CliError(f"{app}: the app entry file is missing (run cx app from a source checkout)")
    os.execvp(sys.executable, [sys.executable, "-m", "streamlit", "run", str(app), *args.streamlit_args])
    return 0  # pragma: no cover


# --- main ------------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cx", description="Customer-experience dashboard: command line.")
    sub = parser.add_subparsers(dest="command", required=True)
    for name, value in sorted(globals().items()):
        if name.startswith("_add_") and callable(value):
            value(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
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
