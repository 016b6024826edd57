"""What the command line loads at start-up: cron jobs and scripts pay for every import.

Behaviour, not timing: a fresh interpreter imports ``cx.cli`` (and runs a command that reads no
file) and we look at ``sys.modules``. The modelling, charting and app stacks (scipy.stats,
scikit-learn, plotly, streamlit) and the file readers (Excel, the validator) are loaded only by the
commands that use them; ``import cx.cli``, ``cx --help``, ``cx <command> --help`` and an argument
error load not even the data stack (pandas, numpy, SQLAlchemy, DuckDB). A command that reads one
database (``cx metrics``, ``cx alerts``) loads neither pyarrow (pandas 3 imports it at start-up only
for Arrow-backed text; the output is byte-identical without it) nor the parts of ``cx.db`` it does
not run (the demo generator, summaries, grants), and finds DuckDB's SQLAlchemy dialect without
reading every installed package's entry points.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("scipy.stats", "sklearn", "plotly", "streamlit", "openpyxl", "cx.ingest.validate", "cx.ingest.readers")
DATA_STACK = ("pandas", "numpy", "pyarrow", "sqlalchemy", "duckdb", "scipy", "sklearn", "plotly", "jinja2")


#: what a command that reads one database does not run: Arrow, and the parts of cx.db for the demo's
#: generation, uploads, summaries and grants
NOT_FOR_A_DATABASE = ("pyarrow", "cx.demo", "cx.db.local", "cx.db.summary", "cx.db.grants", "cx.ingest.pipeline")


def loaded_after(code: str, env: dict | None = None) -> set[str]:
    probe = f"import json, sys\n{code}\nprint(json.dumps(sorted(sys.modules)))"
    env = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    out = subprocess.run([sys.executable, "-c", probe], env=env, cwd=ROOT, capture_output=True, text=True, check=True)
    return set(json.loads(out.stdout.strip().splitlines()[-1]))


def cli_output(argv: list[str], env: dict | None = None, first: str = "") -> tuple[int, str, str]:
    """Exit code, stdout and stderr of ``cx argv`` in a fresh interpreter (``first``: code run before it)."""
    code = f"{first}\nimport sys\nfrom cx.cli import main\nsys.exit(main({argv!r}))"
    env = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    out = subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True)
    return out.returncode, out.stdout, out.stderr


@pytest.fixture(scope="module")
def small_demo(tmp_path_factory) -> Path:
    from cx import demo

    path = tmp_path_factory.mktemp("cli_imports") / "demo.duckdb"
    demo.generate(path, customers=2000, interactions=40_000)
    return path


@pytest.fixture(scope="module")
def small_sqlite(small_demo, tmp_path_factory) -> Path:
    """The small demo copied into a SQLite file (the other driver a cron job may read)."""
    import sqlite3

    import duckdb

    path = tmp_path_factory.mktemp("cli_imports_sqlite") / "demo.sqlite"
    src, dst = duckdb.connect(str(small_demo), read_only=True), sqlite3.connect(path)
    for table in ("interactions", "customers"):
        src.execute(f"SELECT * FROM {table}").fetch_df().to_sql(table, dst, index=False)
    dst.commit()
    dst.close()
    src.close()
    return path


def test_importing_the_command_line_loads_no_heavy_stack():
    loaded = loaded_after("import cx.cli")
    assert "cx.cli" in loaded
    assert not [m for m in HEAVY if m in loaded]


@pytest.mark.parametrize("argv", [[], ["--help"], ["metrics", "--help"], ["review", "--help"], ["alerts", "--help"],
                                  ["metrics"], ["metrics", "--metric", "nps", "--grain", "year"], ["no-such-command"]])
def test_help_and_argument_errors_load_no_data_stack(argv):
    """What cron and scripts meet first (help, a typo) answers from argparse alone."""
    loaded = loaded_after("from cx.cli import main\n"
                          "try:\n"
                          f"    main({argv!r})\n"
                          "except SystemExit as exc:\n"
                          "    assert exc.code in (0, 2), exc.code\n"
                          "else:\n"
                          "    raise AssertionError('argparse did not exit')")
    assert "cx.cli" in loaded
    assert [m for m in DATA_STACK if m in loaded] == []


@pytest.mark.parametrize("kind", ["duckdb", "sqlite"])
def test_cx_metrics_on_a_database_loads_no_file_reader_model_or_arrow(kind, small_demo, small_sqlite):
    path = small_demo if kind == "duckdb" else small_sqlite
    loaded = loaded_after("from cx.cli import main\n"
                          f"code = main(['metrics', '--metric', 'nps', '--grain', 'month', '--source', {str(path)!r}])\n"
                          "assert code == 0, code")
    assert "cx.metrics" in loaded and ("duckdb_engine" in loaded) == (kind == "duckdb")
    assert "pandas" not in loaded  # the rows fetched and printed without it (cx.metrics.query.metric_columns, cx.columns)
    assert not [m for m in HEAVY if m in loaded]
    assert "scipy" not in loaded  # NPS intervals need only the normal quantile (statistics.NormalDist)
    assert [m for m in NOT_FOR_A_DATABASE if m in loaded] == []


def _pandas_output(argv: list[str], env: dict) -> str:
    """What ``cx metrics`` printed when it made a DataFrame (main before round 6): metric_table and print_frame."""
    code = f"""
import contextlib, io, os, sys
import pandas as pd
from cx import db, metrics
from cx.cli import build_parser, print_frame
from cx.metrics import plausible
from cx.scope import Scope
args = build_parser("metrics").parse_args({argv!r})
source = db.open_database(args.source[0]) if args.source else db.demo_source()
table = metrics.metric_table(source, args.metric, args.grain, args.by, Scope(date_from=args.date_from,
                             date_to=args.date_to), min_n=args.min_n)
for line in plausible.metric_table(table, [b.strip() for b in args.by.split(",") if b.strip()]):
    print(f"cx metrics: warning: {{line}}", file=sys.stderr)
table["period"] = [p if isinstance(p, str) else p.date().isoformat() for p in table["period"]]
if args.format == "table":
    table = table.round({{"value": 2, "ci_low": 2, "ci_high": 2, "p90": 2}})
print_frame(table, args.format)
"""
    out = subprocess.run([sys.executable, "-c", code], env={**os.environ, "PYTHONPATH": str(ROOT), **env}, cwd=ROOT,
                         capture_output=True, text=True, check=True)
    return out.stdout, out.stderr


@pytest.mark.parametrize("argv", [["metrics", "--metric", "nps", "--grain", "month", "--by", "channel"],
                                  ["metrics", "--metric", "csat", "--by", "segment", "--format", "csv"],
                                  ["metrics", "--metric", "ttr", "--grain", "quarter", "--by", "region", "--format", "json"],
                                  ["metrics", "--metric", "ltv", "--grain", "all", "--by", "segment,channel"],
                                  ["metrics", "--metric", "frt", "--grain", "day", "--from", "2025-08-01",
                                   "--to", "2025-08-03", "--min-n", "100"],
                                  ["metrics", "--metric", "volume", "--grain", "week", "--format", "csv"]])
@pytest.mark.parametrize("kind", ["duckdb", "sqlite", "demo"])
def test_cx_metrics_prints_what_the_pandas_path_printed(argv, kind, small_demo, small_sqlite):
    """The rows read and printed without pandas are the bytes metric_table and print_frame gave."""
    env = {"CX_DEMO_PATH": str(small_demo)}
    argv = [*argv, "--source", str(small_demo if kind == "duckdb" else small_sqlite)] if kind != "demo" else argv
    code, out, err = cli_output(argv, env)
    assert code == 0, err
    assert (out, err) == _pandas_output(argv, env)


def test_cx_metrics_on_the_default_demo_loads_no_arrow(small_demo):
    """No ``--source``: the demo warehouse, opened (not generated) without Arrow."""
    loaded = loaded_after("from cx.cli import main\n"
                          "code = main(['metrics', '--metric', 'csat', '--grain', 'month'])\n"
                          "assert code == 0, code", env={"CX_DEMO_PATH": str(small_demo)})
    assert "cx.db.local" in loaded and "cx.demo" in loaded  # demo_source: the path, not the generator's Arrow
    assert "pyarrow" not in loaded and "pandas" not in loaded


def test_the_duckdb_dialect_is_found_without_reading_entry_points(small_demo):
    """SQLAlchemy would read the entry points of every installed package to find ``duckdb://``."""
    loaded = loaded_after("import importlib.metadata as md\n"
                          "def refuse(*args, **kwargs):\n"
                          "    raise AssertionError('entry points read')\n"
                          "md.entry_points = refuse\n"
                          "from cx.cli import main\n"
                          f"code = main(['metrics', '--metric', 'nps', '--source', {str(small_demo)!r}])\n"
                          "assert code == 0, code")
    assert "duckdb_engine" in loaded


@pytest.mark.parametrize("argv", [["metrics", "--metric", "nps"], ["metrics", "--metric", "csat", "--by", "channel",
                                                                    "--format", "csv"],
                                  ["metrics", "--metric", "fcr", "--by", "channel,segment", "--grain", "month",
                                   "--format", "json"],
                                  ["metrics", "--metric", "ttr", "--grain", "all", "--by", "journey_stage"],
                                  ["alerts", "--format", "json", "--by", "channel,segment"], ["alerts", "--all"]])
@pytest.mark.parametrize("kind", ["duckdb", "sqlite"])
def test_the_output_is_the_same_with_or_without_arrow(argv, kind, small_demo, small_sqlite, tmp_path):
    """Without pyarrow pandas keeps text as Python strings: the same values, the same bytes printed.

    The reference imports pyarrow first, so pandas backs its text with Arrow as it did before.
    """
    source = ["--source", str(small_demo if kind == "duckdb" else small_sqlite)]
    env = {"CX_APP_DB": f"sqlite:///{tmp_path / 'without.sqlite'}"}
    without = cli_output([*argv, *source], env, "import sys\nassert 'pyarrow' not in sys.modules")
    reference = cli_output([*argv, *source], {"CX_APP_DB": f"sqlite:///{tmp_path / 'with.sqlite'}"}, "import pyarrow")
    assert without[0] == 0, without[2]
    assert without == reference
    assert len(without[1]) > 200


def test_arrow_stays_for_data_files_and_warehouses_that_may_use_it(tmp_path):
    """Only a database file or a URL whose driver never fetches through Arrow goes without it."""
    probe = ("import sys\n"
             "from cx import cli\n"
             "specs = {specs!r}\n"
             "cli._without_arrow(specs)\n"
             "print(any(isinstance(f, cli._NoArrow) for f in sys.meta_path))")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "CX_DEMO_PATH": str(tmp_path / "not_written_yet.duckdb")}
    cases = {("w.duckdb",): True, ("w.sqlite",): True, ("postgresql+psycopg://u@h/db",): True,
             ("mysql+pymysql://u@h/db",): True, ("duckdb:///w.duckdb",): True,
             ("a.csv",): False, ("a.parquet",): False, ("snowflake://u@acct/db",): False,
             ("bigquery://project",): False, ("w.duckdb", "a.csv"): False,
             None: False}  # no --source and the demo not written yet: it is written through Arrow
    for specs, blocked in cases.items():
        out = subprocess.run([sys.executable, "-c", probe.format(specs=list(specs) if specs else None)], env=env,
                             cwd=ROOT, capture_output=True, text=True, check=True)
        assert out.stdout.strip() == str(blocked), specs


def test_a_process_that_already_has_pandas_keeps_its_arrow():
    """Tests (and notebooks) calling main() after pandas loaded: pandas may need pyarrow later, so nothing is hidden."""
    loaded = loaded_after("import pandas\n"
                          "from cx import cli\n"
                          "cli._without_arrow(['w.duckdb'])\n"
                          "assert not any(isinstance(f, cli._NoArrow) for f in sys.meta_path)\n"
                          "import pyarrow")
    assert "pyarrow" in loaded


def test_the_database_package_loads_its_modules_on_first_use():
    import cx.db

    loaded = loaded_after("import cx.db\nfrom cx.db import Source, SourceError, open_database")
    assert {"cx.db.source", "cx.db.errors", "cx.db.connect"} <= loaded
    assert [m for m in NOT_FOR_A_DATABASE if m in loaded] == []
    assert "pandas" not in loaded  # imported where a frame is made (Source.read), not to open a database
    assert sorted(cx.db._HOME) == sorted(cx.db.__all__)
    for name in cx.db.__all__:
        assert getattr(cx.db, name) is not None
    with pytest.raises(AttributeError):
        cx.db.no_such_name  # noqa: B018


def test_a_named_command_declares_only_its_own_parser_with_the_same_help():
    from cx import cli

    full = cli.build_parser()._subparsers._group_actions[0].choices
    assert len(full) > 10
    for name, parser in full.items():
        alone = cli.build_parser(name)._subparsers._group_actions[0].choices
        assert list(alone) == [name]
        assert alone[name].format_help() == parser.format_help()


@pytest.mark.parametrize("confidence", [0.5, 0.8, 0.9, 0.95, 0.99, 0.9999, 1e-6, 1 - 1e-9])
def test_the_normal_quantile_without_scipy_is_scipys(confidence):
    from scipy.stats import norm

    from cx.metrics.intervals import normal_quantile

    assert normal_quantile(confidence) == pytest.approx(norm.ppf(0.5 + confidence / 2), rel=1e-12, abs=1e-15)


@pytest.mark.parametrize("name", ["is_data_file", "IngestError", "apply_mapping", "open_files", "SHAPES"])
def test_the_ingest_package_still_offers_every_name(name):
    import cx.ingest

    assert name in cx.ingest.__all__ and getattr(cx.ingest, name) is not None


def test_an_unknown_ingest_name_is_an_attribute_error():
    import cx.ingest

    with pytest.raises(AttributeError):
        cx.ingest.no_such_name  # noqa: B018


# --- the tests `cx alerts` runs, without importing scipy.stats: equal to scipy's to the last bit ----------------


def test_student_sf_is_scipys_t_sf():
    from scipy import stats

    from cx.metrics.significance import student_sf

    rng = np.random.default_rng(3)
    t, df = np.abs(rng.standard_t(4, 500)) * rng.choice([1, 10, 100], 500), rng.integers(1, 60, 500)
    for x, d in zip(t, df):
        assert student_sf(x, int(d)) == stats.t.sf(x, df=int(d))
    assert student_sf(0.0, 8) == stats.t.sf(0.0, df=8) == 0.5


def test_welch_test_is_scipys_ttest_ind_from_stats():
    from scipy import stats

    from cx.metrics.significance import welch_test

    rng = np.random.default_rng(5)
    n1, n0 = rng.integers(0, 400, 300).astype(float), rng.integers(0, 400, 300).astype(float)
    n1[:5], n0[5:10] = 1, 0  # too few values: NaN
    m1, m0 = rng.normal(3, 1, 300), rng.normal(3, 1, 300)
    s1, s0 = rng.uniform(0, 2, 300), rng.uniform(0, 2, 300)
    s1[10:15] = s0[10:15] = 0  # (almost) no spread on either side
    total1, total0 = m1 * n1, m0 * n0
    squares1, squares0 = s1**2 * (n1 - 1) + n1 * m1**2, s0**2 * (n0 - 1) + n0 * m0**2
    t, p = welch_test(n1, total1, squares1, n0, total0, squares0)
    # the reference: the same statistics handed to scipy, as welch_test did before
    with np.errstate(divide="ignore", invalid="ignore"):
        a1, a0 = total1 / n1, total0 / n0
        v1 = np.maximum(squares1 - n1 * a1**2, 0) / (n1 - 1)
        v0 = np.maximum(squares0 - n0 * a0**2, 0) / (n0 - 1)
        ok = (n1 > 1) & (n0 > 1) & (v1 / n1 + v0 / n0 > 0)
        expected = stats.ttest_ind_from_stats(np.where(ok, a1, 0.0), np.sqrt(np.where(ok, v1, 1.0)), np.where(ok, n1, 2.0),
                                              np.where(ok, a0, 0.0), np.sqrt(np.where(ok, v0, 1.0)), np.where(ok, n0, 2.0),
                                              equal_var=False)
    assert ok.sum() > 250 and np.isnan(t[~ok]).all() and np.isnan(p[~ok]).all()
    np.testing.assert_array_equal(t[ok], expected.statistic[ok])
    np.testing.assert_array_equal(p[ok], expected.pvalue[ok])


@pytest.mark.parametrize("size", [0, 1, 2, 3, 17, 500])
def test_benjamini_hochberg_is_scipys_false_discovery_control(size):
    from scipy import stats

    from cx.metrics.significance import benjamini_hochberg

    rng = np.random.default_rng(size)
    p = rng.uniform(0, 1, size) ** 3
    p[: size // 4] = p[size // 4: 2 * (size // 4)]  # ties
    q = benjamini_hochberg(np.append(p, np.nan))
    assert np.isnan(q[-1])
    expected = stats.false_discovery_control(p, method="bh") if size else p
    np.testing.assert_array_equal(q[:-1], expected)
    with pytest.raises(ValueError):
        benjamini_hochberg([0.2, 1.5])


def test_cx_alerts_loads_no_scipy_stats_or_arrow(tmp_path, monkeypatch, small_demo):
    monkeypatch.setenv("CX_APP_DB", f"sqlite:///{tmp_path / 'app.sqlite'}")  # alerts are recorded there
    loaded = loaded_after("from cx.cli import main\n"
                          f"code = main(['alerts', '--format', 'json', '--source', {str(small_demo)!r}])\n"
                          "assert code == 0, code")
    assert "cx.loop.alerts" in loaded and "scipy.special" in loaded
    assert not [m for m in HEAVY if m in loaded]
    # the one it runs: a summary of the source picks the metrics worth checking
    assert [m for m in NOT_FOR_A_DATABASE if m in loaded] == ["cx.db.summary"]
