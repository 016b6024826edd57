"""What every page file holds to (issue 11, issue 13), read from its source:

- it starts with the shared preamble (``page_start``);
- tables go through ``widgets.dataframe`` (formula-safe for the toolbar's CSV download) and charts
  through ``widgets.chart`` (the app's template, not Streamlit's theme): never ``st.dataframe`` or
  ``st.plotly_chart`` directly;
- it opens no database itself (no sqlalchemy, no engine) and writes no "one clear line" error code of
  its own (no ``except Exception``);
- the session-state keys it names are its own (``"<page>."``): what pages share goes through
  :mod:`ui.state`;
- it ends a run early with ``widgets.end_page``, never ``st.stop()`` (after which the frame could draw
  nothing more: the sidebar's "Copy link" vanished while a part computed).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

VIEWS = Path(__file__).resolve().parents[2] / "views"
PAGES = sorted(p.name for p in VIEWS.glob("*.py"))
NOT_YET: dict[str, str] = {}  # page file -> why it does not comply yet (strict xfail: the mark must go once it does)


def _tree(name: str) -> ast.Module:
    return ast.parse((VIEWS / name).read_text(), filename=name)


def _calls(tree: ast.Module) -> list[str]:
    """Dotted names of every call, e.g. ``st.dataframe`` or ``left.plotly_chart``."""
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            out.append(ast.unparse(node.func))
    return out


def _params(marked: dict[str, str]):
    return [pytest.param(n, marks=pytest.mark.xfail(strict=True, reason=marked[n])) if n in marked else n
            for n in PAGES]


def test_every_page_is_listed():
    assert PAGES == ["churn.py", "comments.py", "data.py", "drivers.py", "followup.py", "incidents.py", "journeys.py", "overview.py", "teams.py", "trends.py"]


@pytest.mark.parametrize("name", PAGES)
def test_every_page_starts_with_the_shared_preamble(name):
    assert "page_start" in _calls(_tree(name))


@pytest.mark.parametrize("name", _params(NOT_YET))
def test_tables_and_charts_go_through_the_widgets(name):
    direct = [c for c in _calls(_tree(name)) if c.split(".")[-1] in ("dataframe", "plotly_chart")
              and c not in ("dataframe", "widgets.dataframe", "chart", "widgets.chart")]
    assert direct == [], f"{name}: {direct}"


@pytest.mark.parametrize("name", PAGES)
def test_pages_end_early_through_the_frame_never_st_stop(name):
    assert "st.stop" not in _calls(_tree(name)), name


@pytest.mark.parametrize("name", PAGES)
def test_pages_open_no_database_and_catch_no_error_wholesale(name):
    tree = _tree(name)
    imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    imported |= {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}
    assert not {m for m in imported if m.split(".")[0] == "sqlalchemy"}, name
    assert not [c for c in _calls(tree) if c.endswith(("create_engine", "connect"))], name
    broad = [node.lineno for node in ast.walk(tree) if isinstance(node, ast.ExceptHandler)
             and (node.type is None or ast.unparse(node.type) in ("Exception", "BaseException"))]
    assert broad == [], f"{name}: except Exception at lines {broad}"


def _state_keys(tree: ast.Module) -> list[str]:
    """Literal keys (or the literal start of f-string keys) read or written on st.session_state."""
    keys = []
    for node in ast.walk(tree):
        target = None
        if isinstance(node, ast.Subscript) and ast.unparse(node.value) == "st.session_state":
            target = node.slice
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
              and ast.unparse(node.func.value) == "st.session_state" and node.args):
            target = node.args[0]
        if isinstance(target, ast.Constant) and isinstance(target.value, str):
            keys.append(target.value)
        elif isinstance(target, ast.JoinedStr) and isinstance(target.values[0], ast.Constant):
            keys.append(target.values[0].value)
    return keys


@pytest.mark.parametrize("name", PAGES)
def test_session_keys_are_the_page_own(name):
    own = name.removesuffix(".py") + "."
    keys = _state_keys(_tree(name))
    assert [k for k in keys if not k.startswith(own)] == [], name
