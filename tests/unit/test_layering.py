"""The core stays free of the UI: ``cx/`` never imports streamlit; the Streamlit adapter is ``ui/``.

Two checks: no file under ``cx/`` names streamlit in an import (ruff's banned-api rule says the same
at lint time), and importing every module of ``cx`` in a fresh interpreter leaves streamlit unloaded,
so the command line, the report and cron jobs run where streamlit is not installed.
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_no_module_in_the_core_imports_streamlit():
    offenders = []
    for path in sorted((ROOT / "cx").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            offenders += [f"{path.relative_to(ROOT)}:{node.lineno}" for n in names if n.split(".")[0] == "streamlit"]
    assert offenders == []


def test_importing_every_core_module_leaves_streamlit_unloaded():
    probe = ("import importlib, json, pkgutil, sys\n"
             "import cx\n"
             "names = [m.name for m in pkgutil.walk_packages(cx.__path__, 'cx.')]\n"
             "for name in names:\n"
             "    importlib.import_module(name)\n"
             "print(json.dumps([len(names), 'streamlit' in sys.modules]))")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-c", probe], env=env, cwd=ROOT, capture_output=True, text=True, check=True)
    count, loaded = json.loads(out.stdout.strip().splitlines()[-1])
    assert count > 50  # the walk found the core's modules
    assert loaded is False


def test_the_mapping_editor_loads_no_file_reader():
    """The Incidents page saves its rules with the mapping (``cx.ingest.editor``); opening it must not
    import the spreadsheet and Parquet readers (openpyxl, PIL, pyarrow.parquet), which only the Data
    page needs: they cost a first visit a fifth of a second."""
    probe = ("import json, sys\nimport cx.ingest.editor\n"
             "print(json.dumps(sorted(m for m in ('openpyxl', 'PIL', 'pyarrow.parquet', 'cx.ingest.readers') "
             "if m in sys.modules)))")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-c", probe], env=env, cwd=ROOT, capture_output=True, text=True, check=True)
    assert json.loads(out.stdout.strip().splitlines()[-1]) == []
