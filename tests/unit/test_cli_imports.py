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
