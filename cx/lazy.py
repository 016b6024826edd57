"""Names a package offers, imported from their submodules on first use (PEP 562).

A package whose ``__init__`` imported every submodule made each command pay for all of them: the
command line reads one database and needs neither the demo generator nor the file readers.
"""

from __future__ import annotations

import importlib
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager


def exports(package: str, homes: dict[str, str]):
    """A module ``__getattr__`` that imports ``name`` from ``package.homes[name]`` and keeps it."""

    def __getattr__(name: str):
        home = homes.get(name)
        if home is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(f"{package}.{home}"), name)
        setattr(sys.modules[package], name, value)
        return value

    return __getattr__


class Hidden:
    """A meta-path finder that reports a package as not installed, to every thread or to one."""

    def __init__(self, package: str, thread: int | None = None) -> None:
        self.package, self.thread = package, thread

    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] == self.package and self.thread in (None, threading.get_ident()):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None


def hide(package: str) -> Hidden | None:
    """Make ``package`` (not yet imported) unimportable in this thread until :func:`show`; ``None`` if imported.

    For a library that imports an optional package only to look for its objects: DuckDB imports
    pandas (0.2 s) on every query with parameters, to check whether one is a DataFrame. None can
    be while pandas is not imported, so hiding it then changes nothing but the time.
    """
    if package in sys.modules:
        return None
    finder = Hidden(package, threading.get_ident())
    sys.meta_path.insert(0, finder)
    return finder


def show(finder: Hidden | None) -> None:
    """Undo :func:`hide`."""
    if finder is not None and finder in sys.meta_path:
        sys.meta_path.remove(finder)


@contextmanager
def hidden(package: str) -> Iterator[None]:
    """:func:`hide` ``package`` within the block."""
    finder = hide(package)
    try:
        yield
    finally:
        show(finder)
