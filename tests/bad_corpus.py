"""The bad-input corpus of tests/data/bad/ for the test modules that walk it (CLI and Data page).

``make_corpus.py`` is a script beside its files (run it to write them by hand), so it is loaded by
path once, here. Generated files are written on first use and kept (their stamps say when the
script changed), so asking for one small case never pays for the bombs or the million rows.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

BAD = Path(__file__).resolve().parent / "data" / "bad"


def _load_generator():
    spec = importlib.util.spec_from_file_location("make_corpus", BAD / "make_corpus.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


corpus = _load_generator()
CASES = corpus.load_manifest()
BY_NAME = {c["case"]: c for c in CASES}


def case_path(case: dict) -> Path:
    """The case's file: committed beside the script, or generated (once) into generated/."""
    if case.get("generated"):
        corpus.make_corpus(corpus.DEFAULT_OUT, [case["file"]])
    return corpus.path_of(case, corpus.DEFAULT_OUT)


def report_name(case: dict) -> str:
    """The file name the load report gives (a table inside an archive is named inside it)."""
    return case.get("report_name", case["file"])
