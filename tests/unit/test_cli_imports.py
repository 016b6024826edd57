"""What the command line loads at start-up: cron jobs and scripts pay for every import.

Behaviour, not timing: a fresh interpreter imports ``cx.cli`` (and runs a command that reads no
file) and we look at ``sys.modules``. The modelling, charting and app stacks (scipy.stats,
scikit-learn, plotly, streamlit) and the file readers (Excel, the validator) are loaded only by the
commands that use them; ``import cx.cli``, ``cx --help``, ``cx <command> --help`` and an argument
error load not even the data stack (pandas, numpy, SQLAlchemy, DuckDB).
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


def loaded_after(code: str) -> set[str]:
    probe = f"import json, sys\n{code}\nprint(json.dumps(sorted(sys.modules)))"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-c", probe], env=env, cwd=ROOT, capture_output=True, text=True, check=True)
    return set(json.loads(out.stdout.strip().splitlines()[-1]))


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


def test_cx_metrics_on_a_database_loads_no_file_reader_or_model(tmp_path):
    from cx import demo

    path = tmp_path / "demo.duckdb"
    demo.generate(path, customers=300, interactions=3000)
    loaded = loaded_after("from cx.cli import main\n"
                          f"code = main(['metrics', '--metric', 'nps', '--grain', 'month', '--source', {str(path)!r}])\n"
                          "assert code == 0, code")
    assert "cx.metrics" in loaded
    assert not [m for m in HEAVY if m in loaded]
    assert "scipy" not in loaded  # NPS intervals need only the normal quantile (statistics.NormalDist)


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


def test_cx_alerts_loads_no_scipy_stats(tmp_path, monkeypatch):
    from cx import demo

    path = tmp_path / "demo.duckdb"
    demo.generate(path, customers=2000, interactions=40_000)
    monkeypatch.setenv("CX_APP_DB", f"sqlite:///{tmp_path / 'app.sqlite'}")  # alerts are recorded there
    loaded = loaded_after("from cx.cli import main\n"
                          f"code = main(['alerts', '--format', 'json', '--source', {str(path)!r}])\n"
                          "assert code == 0, code")
    assert "cx.loop.alerts" in loaded and "scipy.special" in loaded
    assert not [m for m in HEAVY if m in loaded]
